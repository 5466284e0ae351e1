import { periodLabel } from '$lib/chart/consumption';

// What every Analysis report runs over (server/src/report/scope.ts): a group (or all meters) and
// calendar dates of the utility, kept in the address (?group=3&from=2026-10-01&to=2026-10-31) so
// a report can be bookmarked, reloaded and opened again with Back.

export type ReportGroup = number | 'ungrouped' | 'last-imported' | null;

export interface ReportScope {
  group: ReportGroup;
  from: string;
  to: string;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const pad = (n: number) => String(n).padStart(2, '0');

/** The interval presets office staff ask for, as calendar dates on the utility's clock. */
export const SCOPE_PRESETS = [
  { id: 'last-month', label: 'Last month' },
  { id: 'this-month', label: 'This month' },
  { id: 'last-30', label: 'Last 30 days' },
  { id: 'this-year', label: 'This year' }
] as const;
export type ScopePreset = (typeof SCOPE_PRESETS)[number]['id'];

export function presetDates(id: ScopePreset, now: number, timeZone: string): { from: string; to: string } {
  const today = periodLabel(now, 'day', timeZone);
  const [y, m, d] = today.split('-').map(Number);
  const ymd = (t: Date) => `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
  switch (id) {
    case 'last-month':
      return { from: ymd(new Date(Date.UTC(y, m - 2, 1))), to: ymd(new Date(Date.UTC(y, m - 1, 0))) };
    case 'this-month':
      return { from: `${y}-${pad(m)}-01`, to: today };
    case 'last-30':
      return { from: ymd(new Date(Date.UTC(y, m - 1, d - 29))), to: today };
    case 'this-year':
      return { from: `${y}-01-01`, to: today };
  }
}

/** The scope in the address, else last month. */
export function scopeFrom(params: URLSearchParams, now: number, timeZone: string): ReportScope {
  const g = params.get('group');
  const group: ReportGroup = g === 'ungrouped' || g === 'last-imported' ? g : g && /^\d+$/.test(g) ? Number(g) : null;
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  if (DAY_RE.test(from) && DAY_RE.test(to) && from <= to) return { group, from, to };
  return { group, ...presetDates('last-month', now, timeZone) };
}

/** Query string of a scope plus a report's own parameters (empty values left out). */
export function scopeQuery(s: ReportScope, extra: Record<string, string | number | boolean | null | undefined> = {}): string {
  const p = new URLSearchParams();
  if (s.group !== null) p.set('group', String(s.group));
  p.set('from', s.from);
  p.set('to', s.to);
  for (const [k, v] of Object.entries(extra)) if (v !== null && v !== undefined && v !== '') p.set(k, String(v));
  return p.toString();
}
