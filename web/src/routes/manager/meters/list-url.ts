import type { GroupFilter, ListQuery, SortKey } from '$lib/manager/meters-api';

// The meter list's query in the URL (q, sort, desc, group, view), so Back, reload and a pasted
// link show the same list. Unknown values fall back to the defaults instead of failing.

const SORTS: readonly SortKey[] = ['serial', 'customer', 'address', 'postalCode', 'customerNumber', 'type', 'lastReading', 'reading'];
export const DEFAULT_SORT: SortKey = 'customer';

export function parseListUrl(p: URLSearchParams): ListQuery {
  const sort = p.get('sort') as SortKey | null;
  const g = p.get('group');
  let group: GroupFilter = null;
  if (g === 'ungrouped' || g === 'last-imported') group = g;
  else if (g && /^[1-9]\d{0,14}$/.test(g)) group = Number(g);
  return { q: p.get('q') ?? '', sort: sort && SORTS.includes(sort) ? sort : DEFAULT_SORT, desc: p.get('desc') === 'true', group };
}

export function listUrl(q: ListQuery, view: 'list' | 'map'): string {
  const p = new URLSearchParams();
  if (q.q) p.set('q', q.q);
  if (q.sort !== DEFAULT_SORT) p.set('sort', q.sort);
  if (q.desc) p.set('desc', 'true');
  if (q.group !== null) p.set('group', String(q.group));
  if (view === 'map') p.set('view', 'map');
  const s = p.toString();
  return `/manager/meters${s ? `?${s}` : ''}`;
}
