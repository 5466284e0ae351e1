import { request } from '$lib/api/client';
import { scopeQuery, type ReportScope } from '$lib/report/scope';
import type { HeatReport, HeatRow, HeatLevel } from '$server/report/heat';
import type { HeatThresholds } from '$server/report/heat-settings';
import type { HeatTrend, NetworkReport, NetworkRow } from '$server/report/network';

// Calls of the heat report (M5) and heat-network analytics (B3) pages, with the server's wire
// types (server/src/routes/reports-heat.ts).

export type { HeatReport, HeatRow, HeatLevel, HeatThresholds, HeatTrend, NetworkReport, NetworkRow };

/** The heat report's own fields in the address, beside the scope (empty: the saved threshold / no filter). */
export interface HeatParams {
  good: string;
  poor: string;
  level: '' | HeatLevel;
  minDeltaT: string;
  maxDeltaT: string;
}

export interface NetworkParams {
  poor: string;
  returnMax: string;
  flowMax: string;
}

const NUMBER = /^-?\d+(\.\d+)?$/;
const num = (p: URLSearchParams, k: string) => {
  const v = p.get(k) ?? '';
  return NUMBER.test(v) ? v : '';
};

export function heatParamsFrom(p: URLSearchParams): HeatParams {
  const level = p.get('level');
  return {
    good: num(p, 'good'),
    poor: num(p, 'poor'),
    level: level === 'good' || level === 'fair' || level === 'poor' ? level : '',
    minDeltaT: num(p, 'minDeltaT'),
    maxDeltaT: num(p, 'maxDeltaT')
  };
}

export function networkParamsFrom(p: URLSearchParams): NetworkParams {
  return { poor: num(p, 'poor'), returnMax: num(p, 'returnMax'), flowMax: num(p, 'flowMax') };
}

export const heatQuery = (s: ReportScope, h: HeatParams) => scopeQuery(s, { ...h });
export const networkQuery = (s: ReportScope, n: NetworkParams) => scopeQuery(s, { ...n });

export const heatReport = (query: string) => request<HeatReport>('GET', `/reports/heat?${query}`);
export const networkReport = (query: string) => request<NetworkReport>('GET', `/reports/network?${query}`);
/** The CSV download of the report as shown (same scope, thresholds and filters). */
export const csvHref = (report: 'heat' | 'network', query: string) => `/api/reports/${report}?${query}&format=csv`;

export const heatTrend = (meter: number, from: string, to: string, step: 'week' | 'month') =>
  request<HeatTrend>('GET', `/reports/network/trend?meter=${meter}&from=${from}&to=${to}&step=${step}`);

export const loadThresholds = () => request<{ thresholds: HeatThresholds }>('GET', '/reports/heat/settings').then((r) => r.thresholds);
export const saveThresholds = (t: Partial<HeatThresholds>) =>
  request<{ thresholds: HeatThresholds }>('PUT', '/reports/heat/settings', t).then((r) => r.thresholds);

/** The meter page over the report's dates, per day. */
export const meterHref = (meterId: number, s: ReportScope) => `/manager/meters/${meterId}?from=${s.from}&to=${s.to}&resolution=day`;

export const fmt = (v: number | null, digits: number) =>
  v === null ? '–' : v.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const METHODS: Record<HeatRow['method'], string> = {
  e8e9: 'E8/E9 registers',
  'flow-weighted': 'flow-weighted',
  'time-average': 'time average',
  none: 'no temperatures'
};
