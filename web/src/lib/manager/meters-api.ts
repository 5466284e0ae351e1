import { request } from '$lib/api/client';
import type { Group, GroupList } from '$server/store/groups';
import type { Meter, MeterSort } from '$server/store/meters';

// The meter list's and group panel's calls (server/src/routes/meters.ts, groups.ts); the wire
// types are the server's own ($server, types only).

export type SortKey = MeterSort;
/** A user group's id, or one of the panel's built-in sets; null is "All meters". */
export type GroupFilter = number | 'ungrouped' | 'last-imported' | null;

/** What the list shows of a meter (the server's Meter row carries more). */
export type ListMeter = Pick<Meter, 'id' | 'manufacturer' | 'serial' | 'medium' | 'model' | 'meteringPoint' | 'customer' | 'latest' | 'alarms'>;
export type { Group, GroupList };

export interface ListQuery {
  q: string;
  sort: SortKey;
  desc: boolean;
  group: GroupFilter;
}

/** The largest member list one call takes (server/src/store/groups.ts MAX_MEMBERS_PER_CALL). */
export const MEMBERS_PER_CALL = 5000;

function params(query: ListQuery): URLSearchParams {
  const p = new URLSearchParams();
  if (query.q.trim()) p.set('q', query.q.trim());
  p.set('sort', query.sort);
  if (query.desc) p.set('desc', 'true');
  if (query.group !== null) p.set('group', String(query.group));
  return p;
}

/**
 * One page of the list. `listId` names the list on screen (X-Latest-Only): the server runs only
 * the newest of its requests per offset that queued up (search as you type) and answers the
 * older ones, which this side has aborted, with nothing (null here).
 */
export function listMeters(query: ListQuery, offset: number, limit: number, signal?: AbortSignal, listId?: string) {
  const p = params(query);
  p.set('offset', String(offset));
  p.set('limit', String(limit));
  const latestOnly: typeof fetch = (input, init) =>
    fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), 'x-latest-only': listId! } });
  return request<{ items: ListMeter[]; total: number } | null>('GET', `/meters?${p}`, undefined, { signal, fetch: listId ? latestOnly : undefined });
}

export async function matchingIds(query: ListQuery): Promise<number[]> {
  return (await request<{ ids: number[] }>('GET', `/meters/ids?${params(query)}`)).ids;
}

export const listGroups = () => request<GroupList>('GET', '/groups');
export const createGroup = (name: string) => request<{ group: Group }>('POST', '/groups', { name });
export const renameGroup = (id: number, name: string) => request<{ group: Group }>('PATCH', `/groups/${id}`, { name });
export const deleteGroup = (id: number) => request<{ ok: true }>('DELETE', `/groups/${id}`);

/** Adds or removes members in calls of at most MEMBERS_PER_CALL ids; `progress` gets the ids done. */
export async function changeMembers(
  id: number,
  action: 'add' | 'remove',
  meterIds: number[],
  progress: (done: number) => void = () => {}
): Promise<number> {
  let changed = 0;
  for (let i = 0; i < meterIds.length; i += MEMBERS_PER_CALL) {
    const chunk = meterIds.slice(i, i + MEMBERS_PER_CALL);
    const path = action === 'add' ? `/groups/${id}/members` : `/groups/${id}/members/remove`;
    const res = await request<{ added?: number; removed?: number }>('POST', path, { meterIds: chunk });
    changed += res.added ?? res.removed ?? 0;
    progress(i + chunk.length);
  }
  return changed;
}
