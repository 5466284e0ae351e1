import type { Resolution } from './consumption.js';

// How consumption buckets read to people, the same in the Manager's graph and table (web) and in
// the e-mailed consumer report (server): the period on the utility's wall clock and the value
// with the decimals meters show.

const PARTS: Record<Resolution, Intl.DateTimeFormatOptions> = {
  hour: { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  day: { year: 'numeric', month: '2-digit', day: '2-digit' },
  month: { year: 'numeric', month: '2-digit' },
  year: { year: 'numeric' }
};
/** Intl formatters are slow to make: one per resolution and time zone. */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** A bucket's start on the utility's wall clock: "2026-11-03 14:00", "2026-11-03", "2026-11", "2026". */
export function periodLabel(at: number, resolution: Resolution, timeZone: string): string {
  const key = `${resolution} ${timeZone}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat('en-GB', { timeZone, ...PARTS[resolution] })));
  const p: Record<string, string> = {};
  for (const x of f.formatToParts(at)) p[x.type] = x.value;
  if (resolution === 'year') return p.year;
  if (resolution === 'month') return `${p.year}-${p.month}`;
  if (resolution === 'day') return `${p.year}-${p.month}-${p.day}`;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** kWh with 2 decimals, m3 with 3: what meters show (the e-mailed report uses the same). */
export function formatValue(v: number, unit: string): string {
  return v.toFixed(unit === 'm3' ? 3 : 2);
}
