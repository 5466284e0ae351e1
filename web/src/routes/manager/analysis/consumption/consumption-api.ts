// The consumption report's calls (server/src/routes/reports-consumption.ts) and its filters in
// the address, so a filtered report can be bookmarked and opened again with Back.
import { ApiError, request } from '$lib/api/client';
import { scopeQuery, type ReportScope } from '$lib/report/scope';
import type { ConsumptionRow, ConsumptionSort, ConsumptionUnit, Totals } from '$server/report/consumption';

export type { ConsumptionRow, ConsumptionSort, ConsumptionUnit, Totals };

export interface ConsumptionPage {
  from: string;
  to: string;
  timeZone: string;
  count: number;
  matched: number;
  totals: { all: Totals; filtered: Totals };
  items: ConsumptionRow[];
  limit: number;
  offset: number;
}

export interface Filters {
  unit: ConsumptionUnit | '';
  zero: boolean;
  missing: boolean;
  /** Text as typed (a decimal number or empty). */
  min: string;
  max: string;
}

export interface View {
  sort: ConsumptionSort | '';
  desc: boolean;
  offset: number;
}

export const PAGE_SIZE = 100;
const SORTS: readonly string[] = ['consumer', 'customer', 'address', 'meter', 'value'];
const NUMBER = /^-?\d+(\.\d+)?$/;

export function filtersFrom(p: URLSearchParams): Filters {
  const unit = p.get('unit');
  const num = (k: string) => (NUMBER.test(p.get(k) ?? '') ? p.get(k)! : '');
  return {
    unit: unit === 'kWh' || unit === 'm3' ? unit : '',
    zero: p.get('zero') === 'true',
    missing: p.get('missing') === 'true',
    min: num('min'),
    max: num('max')
  };
}

export function viewFrom(p: URLSearchParams): View {
  const sort = p.get('sort') ?? '';
  const offset = Number(p.get('offset'));
  return {
    sort: SORTS.includes(sort) ? (sort as ConsumptionSort) : '',
    desc: p.get('desc') === 'true',
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0
  };
}

/** The filters' own query parameters (false and empty left out). */
export function filterParams(f: Filters): Record<string, string | boolean | null> {
  return { unit: f.unit || null, zero: f.zero || null, missing: f.missing || null, min: f.min.trim() || null, max: f.max.trim() || null };
}

/** The address of the report page for a scope, filters and view. */
export function reportAddress(s: ReportScope, f: Filters, v: View): string {
  return `?${scopeQuery(s, { ...filterParams(f), sort: v.sort || null, desc: v.desc || null, offset: v.offset || null })}`;
}

/** What is wrong with the filters before asking the server (it says the same with a 422). */
export function filterProblem(f: Filters): string | null {
  for (const [name, v] of [['At least', f.min], ['At most', f.max]] as const) {
    if (v.trim() && !NUMBER.test(v.trim())) return `${name}: enter a number such as 12.5.`;
  }
  if ((f.min.trim() || f.max.trim()) && !f.unit) return 'Choose kWh or m³ for a limit: values in kWh and m³ do not compare.';
  if (f.min.trim() && f.max.trim() && Number(f.min) > Number(f.max)) return '"At most" must not be below "At least".';
  return null;
}

export function runReport(s: ReportScope, f: Filters, v: View, signal?: AbortSignal): Promise<ConsumptionPage> {
  const q = scopeQuery(s, { ...filterParams(f), sort: v.sort || null, desc: v.desc || null, offset: v.offset, limit: PAGE_SIZE });
  return request<ConsumptionPage>('GET', `/reports/consumption?${q}`, undefined, { signal });
}

/** The meters of every row the filters keep (not only the page shown). */
export async function hitIds(s: ReportScope, f: Filters): Promise<number[]> {
  return (await request<{ meterIds: number[] }>('GET', `/reports/consumption/meter-ids?${scopeQuery(s, filterParams(f))}`)).meterIds;
}

/** The CSV file of the kept rows, with the name the server gives it. */
export async function downloadCsv(s: ReportScope, f: Filters, v: View): Promise<{ blob: Blob; fileName: string }> {
  const q = scopeQuery(s, { ...filterParams(f), sort: v.sort || null, desc: v.desc || null, format: 'csv' });
  let res: Response;
  try {
    res = await fetch(`/api/reports/consumption?${q}`, { credentials: 'same-origin' });
  } catch {
    throw new ApiError('offline', 'The server cannot be reached. Check the network connection.');
  }
  if (!res.ok) {
    const data = (await res.json().catch(() => null)) as { error?: string } | null;
    const reason = res.status === 403 ? 'forbidden' : res.status === 422 ? 'invalid' : res.status === 404 ? 'not-found' : 'server';
    throw new ApiError(reason, data?.error ?? `The server answered ${res.status}.`, res.status, data);
  }
  const fileName = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'consumption.csv';
  return { blob: await res.blob(), fileName };
}

/** "12.25 m³", "234.5 kWh": up to 3 decimals, in the reader's locale. */
export function quantity(value: number, unit: ConsumptionUnit): string {
  return `${value.toLocaleString(undefined, { maximumFractionDigits: 3 })} ${unit === 'm3' ? 'm³' : 'kWh'}`;
}
