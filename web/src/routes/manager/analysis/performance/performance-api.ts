import { ApiError, request } from '$lib/api/client';
import { scopeQuery, type ReportScope } from '$lib/report/scope';
import type { PerformanceReport, PerformanceRow } from '$server/report/performance';
import type { GatewayRow, RouteRow } from '$server/report/performance-sources';
import type { ReportComment } from '$server/report/report-comments';

// The reading-performance API (server/src/routes/reports-performance.ts) for this page.

export type { GatewayRow, RouteRow, ReportComment };
export type MeterRow = PerformanceRow & { comment: ReportComment | null };
export type MeterPage = Omit<PerformanceReport, 'rows'> & { rows: MeterRow[]; total: number; limit: number; offset: number };
export type Tab = 'meters' | 'gateways' | 'routes';

export interface MeterOptions {
  poorBelow: number | null;
  onlyPoor: boolean;
  offset: number;
}

export const PAGE = 100;
const BASE = '/reports/performance';

export function loadMeters(scope: ReportScope, o: MeterOptions, signal?: AbortSignal): Promise<MeterPage> {
  const q = scopeQuery(scope, { poorBelow: o.poorBelow, onlyPoor: o.onlyPoor || null, limit: PAGE, offset: o.offset || null });
  return request<MeterPage>('GET', `${BASE}?${q}`, undefined, { signal });
}

export function loadGateways(scope: ReportScope, signal?: AbortSignal) {
  return request<{ gateways: GatewayRow[]; timeZone: string }>('GET', `${BASE}/gateways?${scopeQuery(scope)}`, undefined, { signal });
}

export function loadRoutes(scope: ReportScope, signal?: AbortSignal) {
  return request<{ routes: RouteRow[]; timeZone: string }>('GET', `${BASE}/routes?${scopeQuery(scope)}`, undefined, { signal });
}

export const loadSettings = () => request<{ poorBelow: number }>('GET', `${BASE}/settings`);
export const saveSettings = (poorBelow: number) => request<{ poorBelow: number }>('PUT', `${BASE}/settings`, { poorBelow });
export const saveComment = (meterId: number, text: string) => request<ReportComment>('PUT', `${BASE}/comments/${meterId}`, { text });
export const deleteComment = (meterId: number) => request<null>('DELETE', `${BASE}/comments/${meterId}`);

/** The CSV of a tab, fetched (so a refusal shows as a message, not as a downloaded error) and saved. */
export async function downloadCsv(tab: Tab, scope: ReportScope, o: MeterOptions): Promise<void> {
  const extra = tab === 'meters' ? { poorBelow: o.poorBelow, onlyPoor: o.onlyPoor || null } : {};
  const path = `${BASE}${tab === 'meters' ? '' : `/${tab}`}?${scopeQuery(scope, { ...extra, format: 'csv' })}`;
  let res: Response;
  try {
    res = await fetch(`/api${path}`, { credentials: 'same-origin' });
  } catch {
    throw new ApiError('offline', 'The server cannot be reached. Check the network connection.');
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: string } | null;
    throw new ApiError(res.status === 403 ? 'forbidden' : 'server', body?.error ?? `The server answered ${res.status}.`, res.status, body);
  }
  const blob = await res.blob();
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `reading-performance-${tab}.csv`;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** "92.0 %", or "—" where nothing was expected. */
export const percent = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} %`);
