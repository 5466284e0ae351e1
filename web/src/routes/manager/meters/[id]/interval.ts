import type { Resolution } from '$lib/chart/consumption';
import type { Interval } from './meter-api';

// The graph's interval: presets as office staff ask for them ("the last 13 months"), or from/to
// days, in the browser's time zone (the utility's, in its office). Kept in the address
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
/** "2026-11-03" of a local instant. */
export const dayOf = (t: number) => {
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
};
/** Local midnight of "2026-11-03", or NaN. */
export function parseDay(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return NaN;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.getDate() === Number(m[3]) ? d.getTime() : NaN;
}

/** The preset's days up to and including today; `resolution` overrides the preset's own. */
export function presetInterval(id: PresetId, now: number, resolution?: Resolution): Interval {
  const d = new Date(now);
  const p = PRESETS.find((x) => x.id === id)!;
  let from: Date;
  let to: Date;
  if (id === '7d' || id === '31d') {
    to = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1);
    from = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1 - (id === '7d' ? 7 : 31));
  } else if (id === '13m') {
    to = new Date(d.getFullYear(), d.getMonth() + 1, 1);
    from = new Date(d.getFullYear(), d.getMonth() - 12, 1);
  } else {
    to = new Date(d.getFullYear() + 1, 0, 1);
    from = new Date(d.getFullYear() - 4, 0, 1);
  }
  return { from: from.getTime(), to: to.getTime(), resolution: resolution ?? p.resolution };
}

/** The interval in the address, or the 31-day default; `to` in the address is the last day shown. */
export function intervalFrom(params: URLSearchParams, now: number): Interval {
  const res = params.get('resolution') as Resolution | null;
  const resolution = res && RESOLUTIONS.includes(res) ? res : undefined;
  const preset = PRESETS.find((p) => p.id === params.get('preset'));
  if (preset) return presetInterval(preset.id, now, resolution);
  const from = parseDay(params.get('from') ?? '');
  const last = parseDay(params.get('to') ?? '');
  if (Number.isNaN(from) || Number.isNaN(last) || last < from) return presetInterval('31d', now, resolution);
  const l = new Date(last);
  return { from, to: new Date(l.getFullYear(), l.getMonth(), l.getDate() + 1).getTime(), resolution: resolution ?? 'day' };
}

/** The address query of an interval (from and the last day, inclusive). */
export function queryOf(i: Interval): string {
  return `?from=${dayOf(i.from)}&to=${dayOf(i.to - 1)}&resolution=${i.resolution}`;
}
