import { ApiError, request } from '$lib/api/client';
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

/** The CSV file's address: every matching meter (no paging). */
export function csvHref(f: AlarmFilters): string {
  const p = filterParams(f);
  p.set('format', 'csv');
  return `/api/alarms?${p}`;
}

/**
 * The CSV file with the name the server gives it. Fetched rather than linked so a refusal (a role
 * without "export") shows as a message on the screen instead of an error file.
 */
export async function downloadCsv(f: AlarmFilters): Promise<{ blob: Blob; fileName: string }> {
  let res: Response;
  try {
    res = await fetch(csvHref(f), { credentials: 'same-origin' });
  } catch {
    throw new ApiError('offline', 'The server cannot be reached. Check the network connection.');
  }
  if (!res.ok) {
    const data = (await res.json().catch(() => null)) as { error?: string } | null;
    const reason = res.status === 403 ? 'forbidden' : res.status === 401 ? 'unauthorised' : res.status === 422 ? 'invalid' : 'server';
    throw new ApiError(reason, data?.error ?? `The server answered ${res.status}.`, res.status, data);
  }
  const fileName = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'alarms.csv';
  return { blob: await res.blob(), fileName };
}

export const alarmHistory = (meterId: number, days: number) =>
  request<AlarmHistory>('GET', `/meters/${meterId}/alarm-history?days=${days}`);
