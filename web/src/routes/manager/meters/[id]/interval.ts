import { periodLabel, type Resolution } from '$lib/chart/consumption';
import { session } from '$lib/state/session.svelte';
import { bucketStart, zoneOffsetMs } from '$shared/consumption';
import type { Interval } from './meter-api';

// The graph's interval: presets as office staff ask for them ("the last 13 months"), or from/to
// days, on the utility's clock (the consumption API's buckets follow it, wherever the browser is). Kept in the address
// (?from=2026-01-01&to=2026-01-31&resolution=day) so a view can be bookmarked or opened by the report.

export const RESOLUTIONS: Resolution[] = ['hour', 'day', 'month', 'year'];
export const PRESETS = [
  { id: '7d', label: 'Last 7 days', resolution: 'hour' },
  { id: '31d', label: 'Last 31 days', resolution: 'day' },
  { id: '13m', label: 'Last 13 months', resolution: 'month' },
  { id: '5y', label: 'Last 5 years', resolution: 'year' }
] as const satisfies readonly { id: string; label: string; resolution: Resolution }[];
export type PresetId = (typeof PRESETS)[number]['id'];

const pad = (n: number) => String(n).padStart(2, '0');
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The utility's time zone (buckets of the consumption API follow it), else the browser's. */
export function utilityZone(): string {
  return session.user?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** "2026-11-03": the day holding instant t on the zone's clock. */
export const dayOf = (t: number, timeZone: string) => periodLabel(t, 'day', timeZone);

/** "2026-11-03" moved by whole days and months (calendar arithmetic, no clock). */
function shift(day: string, days: number, months = 0): string {
  const [, y, m, d] = DAY_RE.exec(day)!.map(Number);
  const t = new Date(Date.UTC(y, m - 1 + months, d + days));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** Midnight of "2026-11-03" on the zone's clock, or NaN for a day that does not exist. */
export function parseDay(s: string, timeZone: string): number {
  const m = DAY_RE.exec(s);
  if (!m) return NaN;
  const noon = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 12);
  if (new Date(noon).getUTCDate() !== Number(m[3])) return NaN;
  return bucketStart(noon - zoneOffsetMs(timeZone, noon), 'day', timeZone);
}

/** The interval from day `first` up to and including day `last`. */
export function daysInterval(first: string, last: string, timeZone: string, resolution: Resolution): Interval {
  return { from: parseDay(first, timeZone), to: parseDay(shift(last, 1), timeZone), resolution };
}

/** The preset's days up to and including today; `resolution` overrides the preset's own. */
export function presetInterval(id: PresetId, now: number, timeZone: string, resolution?: Resolution): Interval {
  const p = PRESETS.find((x) => x.id === id)!;
  const today = dayOf(now, timeZone);
  const month = `${today.slice(0, 7)}-01`;
  const [first, last] =
    id === '7d' ? [shift(today, -6), today]
    : id === '31d' ? [shift(today, -30), today]
    : id === '13m' ? [shift(month, 0, -12), shift(shift(month, 0, 1), -1)]
    : [`${Number(today.slice(0, 4)) - 4}-01-01`, `${today.slice(0, 4)}-12-31`];
  return daysInterval(first, last, timeZone, resolution ?? p.resolution);
}

/** The interval in the address, or the 31-day default; `to` in the address is the last day shown. */
export function intervalFrom(params: URLSearchParams, now: number, timeZone: string): Interval {
  const res = params.get('resolution') as Resolution | null;
  const resolution = res && RESOLUTIONS.includes(res) ? res : undefined;
  const preset = PRESETS.find((p) => p.id === params.get('preset'));
  if (preset) return presetInterval(preset.id, now, timeZone, resolution);
  const first = params.get('from') ?? '';
  const last = params.get('to') ?? '';
  const from = parseDay(first, timeZone);
  const lastDay = parseDay(last, timeZone);
  if (Number.isNaN(from) || Number.isNaN(lastDay) || lastDay < from) return presetInterval('31d', now, timeZone, resolution);
  return daysInterval(first, last, timeZone, resolution ?? 'day');
}

/** The address query of an interval (from and the last day, inclusive). */
export function queryOf(i: Interval, timeZone: string): string {
  return `?from=${dayOf(i.from, timeZone)}&to=${dayOf(i.to - 1, timeZone)}&resolution=${i.resolution}`;
}
