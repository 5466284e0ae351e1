import { ApiError, request } from '$lib/api/client';
import type { ConsumptionAlert, SetResult } from '$server/store/consumption-alerts';

// Consumption alerts (M10): the calls of server/src/routes/alerts.ts and how the screens word
// them. The wire types are the server's own ($server, types only).

export type { ConsumptionAlert, SetResult };
export type AlertPeriod = ConsumptionAlert['period'];
export type AlertState = ConsumptionAlert['state'];
export type AlertAction = 'reset' | 'disarm' | 'arm' | 'delete';

/** The most meters one "Set limits" call takes (server MAX_ALERTS_PER_CALL). */
export const MAX_ALERTS_PER_CALL = 5000;

export interface AlertFilter {
  state: AlertState | '';
  period: AlertPeriod | '';
  group: string;
}

export interface LimitInput {
  period: AlertPeriod;
  limit: number;
  validFrom: string;
  validTo: string | null;
}

function filterQuery(f: AlertFilter): URLSearchParams {
  const p = new URLSearchParams();
  if (f.state) p.set('state', f.state);
  if (f.period) p.set('period', f.period);
  if (f.group) p.set('group', f.group);
  return p;
}

export function listAlerts(f: AlertFilter, limit: number, offset: number) {
  const p = filterQuery(f);
  p.set('limit', String(limit));
  p.set('offset', String(offset));
  return request<{ items: ConsumptionAlert[]; total: number; limit: number; offset: number }>('GET', `/alerts?${p}`);
}

/** Where the CSV of the filter downloads from (a plain link: the browser saves the file). */
export function csvHref(f: AlertFilter): string {
  const p = filterQuery(f);
  p.set('format', 'csv');
  return `/api/alerts?${p}`;
}

export const meterAlerts = (meterId: number) => request<{ alerts: ConsumptionAlert[] }>('GET', `/meters/${meterId}/alert`);

export function setLimits(target: { meterIds: number[] } | { group: number | 'all' | 'ungrouped' | 'last-imported' }, input: LimitInput) {
  return request<SetResult>('PUT', '/alerts', { ...target, ...input });
}

export function changeAlerts(action: AlertAction, ids: number[]) {
  return request<{ changed: number }>(action === 'delete' ? 'DELETE' : 'POST', action === 'delete' ? '/alerts' : `/alerts/${action}`, { ids });
}

/** The field messages of a 422, else the error's text. */
export function fieldErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (e instanceof ApiError && e.status === 422) {
    const fields = (e.body as { fields?: { field: string; message: string }[] } | null)?.fields ?? [];
    for (const f of fields) out[f.field] = f.message;
  }
  return out;
}

const UNIT = { kWh: 'kWh', m3: 'm³' } as const;

/** "0.15 m³", "1,250 kWh"; a dash without a value. */
export function quantity(value: number | null, unit: 'kWh' | 'm3'): string {
  if (value === null) return '–';
  return `${value.toLocaleString('en', { maximumFractionDigits: 3 })} ${UNIT[unit]}`;
}

export const PERIOD_LABEL: Record<AlertPeriod, string> = { day: 'per day', week: 'per week', month: 'per month' };
export const STATE_LABEL: Record<AlertState, string> = { exceeded: 'Exceeded', armed: 'Armed', disarmed: 'Disarmed' };
export const STATE_PILL: Record<AlertState, 'bad' | 'good' | 'warn'> = { exceeded: 'bad', armed: 'good', disarmed: 'warn' };

/** "Exceeded: 0.15 m³ of 0.1 m³ per day" for a title or a text alternative. */
export function alertSummary(a: { state: AlertState; period: AlertPeriod; limit: number; value: number | null; unit: 'kWh' | 'm3' }): string {
  return `Consumption alert ${STATE_LABEL[a.state].toLowerCase()}: ${quantity(a.value, a.unit)} of ${quantity(a.limit, a.unit)} ${PERIOD_LABEL[a.period]}`;
}
