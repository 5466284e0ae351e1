import { request } from '$lib/api/client';
import type { AlarmHistory, AlarmRow, AlarmSort } from '$server/store/alarms';
import { ALARM_KINDS, type AlarmKind, type AlarmSeverity } from '$shared/model/alarm';

// The alarms screen's calls (server/src/routes/alarms.ts, permission meters.read) and its filters
// as they travel in the address (?severity=warning&kind=leak&sort=time&page=2), so a view can be
// bookmarked, reloaded and opened again with Back.

export type { AlarmHistory, AlarmRow };

export type AlarmGroup = number | 'ungrouped' | 'last-imported' | null;

export interface AlarmFilters {
  group: AlarmGroup;
  /** Minimum worst severity; null: every alarm. */
  severity: AlarmSeverity | null;
  kind: AlarmKind | null;
  sort: AlarmSort;
  /** Most severe / newest first (the server's default); false reverses. */
  desc: boolean;
  /** 1-based page of PAGE_SIZE rows. */
  page: number;
}

export const PAGE_SIZE = 100;
export const HISTORY_DAYS = [7, 30, 90] as const;
export type HistoryDays = (typeof HISTORY_DAYS)[number];

const SEVERITIES: readonly AlarmSeverity[] = ['critical', 'warning', 'info'];
const isKind = (k: string | null): k is AlarmKind => k !== null && Object.hasOwn(ALARM_KINDS, k);

/** Every kind with its label, alphabetical by label, for the kind filter. */
export const KIND_OPTIONS = (Object.keys(ALARM_KINDS) as AlarmKind[])
  .map((kind) => ({ kind, label: ALARM_KINDS[kind].label }))
  .sort((a, b) => a.label.localeCompare(b.label));

export function filtersFrom(p: URLSearchParams): AlarmFilters {
  const g = p.get('group');
  const s = p.get('severity');
  const k = p.get('kind');
  const page = Number(p.get('page'));
  return {
    group: g === 'ungrouped' || g === 'last-imported' ? g : g && /^\d+$/.test(g) ? Number(g) : null,
    severity: SEVERITIES.includes(s as AlarmSeverity) ? (s as AlarmSeverity) : null,
    kind: isKind(k) ? k : null,
    sort: p.get('sort') === 'time' ? 'time' : 'severity',
    desc: p.get('desc') !== 'false',
    page: Number.isInteger(page) && page > 0 ? page : 1
  };
}

/** The address's query ("" for the defaults), page and all. */
export function queryOf(f: AlarmFilters): string {
  const p = filterParams(f);
  if (f.page > 1) p.set('page', String(f.page));
  const s = p.toString();
  return s ? `?${s}` : '';
}

function filterParams(f: AlarmFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.group !== null) p.set('group', String(f.group));
  if (f.severity) p.set('severity', f.severity);
  if (f.kind) p.set('kind', f.kind);
  if (f.sort !== 'severity') p.set('sort', f.sort);
  if (!f.desc) p.set('desc', 'false');
  return p;
}

export function listAlarms(f: AlarmFilters, signal?: AbortSignal) {
  const p = filterParams(f);
  p.set('limit', String(PAGE_SIZE));
  p.set('offset', String((f.page - 1) * PAGE_SIZE));
  return request<{ items: AlarmRow[]; total: number; limit: number; offset: number }>('GET', `/alarms?${p}`, undefined, { signal });
}

/** The CSV file of every matching meter (no paging), for a download link. */
export function csvHref(f: AlarmFilters): string {
  const p = filterParams(f);
  p.set('format', 'csv');
  return `/api/alarms?${p}`;
}

export const alarmHistory = (meterId: number, days: number) =>
  request<AlarmHistory>('GET', `/meters/${meterId}/alarm-history?days=${days}`);
