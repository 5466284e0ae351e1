// Consumption answers of the API (GET /api/metering-points/:id/consumption) turned into what the
// Manager's graph, table and tooltip show. Pure: no DOM, so tests/web/chart-data.test.ts runs it.

export type Resolution = 'hour' | 'day' | 'month' | 'year';

export interface ConsumptionBucket {
  from: number;
  to: number;
  value: number | null;
  exchange: boolean;
  rollover: boolean;
  reset: boolean;
  /** Non-zero status words (info codes) read in the bucket, per meter. */
  info?: { meterId: number; code: number }[];
}

export interface ConsumptionAnswer {
  meteringPointId: number | null;
  register: 'energy' | 'volume';
  unit: 'kWh' | 'm3';
  resolution: Resolution;
  timeZone: string;
  installations: { meterId: number; from: number; to: number | null }[];
  buckets: ConsumptionBucket[];
  total: number;
}

/** A meter's series (GET /api/meters/:id/readings): the last register value per bucket that has readings. */
export interface MeterSeries {
  meterId: number;
  resolution: Resolution;
  timeZone: string;
  at: number[];
  values: { energy: (number | null)[]; volume: (number | null)[]; info: (number | null)[] };
}

export type MarkKind = 'exchange' | 'rollover' | 'reset' | 'info';

export const MARK_TEXT: Record<MarkKind, string> = {
  exchange: 'Meter exchange',
  rollover: 'Register rollover',
  reset: 'Register reset (step not counted)',
  info: 'Info codes'
};

const PARTS: Record<Resolution, Intl.DateTimeFormatOptions> = {
  hour: { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  day: { year: 'numeric', month: '2-digit', day: '2-digit' },
  month: { year: 'numeric', month: '2-digit' },
  year: { year: 'numeric' }
};
const formatters = new Map<string, Intl.DateTimeFormat>();

/** A bucket's start on the utility's wall clock: "2026-11-03 14:00", "2026-11-03", "2026-11", "2026" (as in the e-mailed report). */
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

export function marksOf(b: ConsumptionBucket): MarkKind[] {
  const out: MarkKind[] = [];
  if (b.exchange) out.push('exchange');
  if (b.rollover) out.push('rollover');
  if (b.reset) out.push('reset');
  if (b.info?.length) out.push('info');
  return out;
}

/** uPlot's columnar data: x in seconds (uPlot's time scale), y the consumption or null. */
export function chartColumns(buckets: readonly ConsumptionBucket[]): [Float64Array, (number | null)[]] {
  const xs = new Float64Array(buckets.length);
  const ys: (number | null)[] = new Array(buckets.length);
  for (let i = 0; i < buckets.length; i++) {
    xs[i] = buckets[i].from / 1000;
    ys[i] = buckets[i].value;
  }
  return [xs, ys];
}

/**
 * Consumption of a meter that is at no metering point, from its own series: the difference of
 * the register between buckets that have readings, counted in the later one. A drop counts 0
 * and is marked a reset (the series alone cannot tell a rollover from a wrong reading).
 */
export function seriesConsumption(s: MeterSeries, to: number): ConsumptionAnswer {
  const register = s.values.energy.some((v) => v !== null) ? 'energy' : 'volume';
  const values = s.values[register];
  const buckets: ConsumptionBucket[] = [];
  let prev: number | null = null;
  for (let i = 0; i < s.at.length; i++) {
    const v = values[i];
    const b: ConsumptionBucket = { from: s.at[i], to: s.at[i + 1] ?? to, value: null, exchange: false, rollover: false, reset: false };
    if (v !== null && prev !== null) {
      const d = Math.round((v - prev) * 1e6) / 1e6;
      b.value = d >= 0 ? d : 0;
      b.reset = d < 0;
    }
    const info = s.values.info[i];
    if (info) b.info = [{ meterId: s.meterId, code: info }];
    if (v !== null) prev = v;
    buckets.push(b);
  }
  const total = Math.round(buckets.reduce((t, b) => t + (b.value ?? 0), 0) * 1e6) / 1e6;
  return {
    meteringPointId: null,
    register,
    unit: register === 'energy' ? 'kWh' : 'm3',
    resolution: s.resolution,
    timeZone: s.timeZone,
    installations: [],
    buckets,
    total
  };
}

/** What the tooltip and the table say about a bucket; `infoText` names a meter's info code bits. */
export function describeBucket(
  b: ConsumptionBucket,
  c: Pick<ConsumptionAnswer, 'resolution' | 'timeZone' | 'unit'>,
  infoText: (meterId: number, code: number) => string
): { period: string; value: string; marks: string[] } {
  const marks: string[] = [];
  for (const k of marksOf(b)) {
    if (k !== 'info') marks.push(MARK_TEXT[k]);
    else for (const i of b.info ?? []) marks.push(`${MARK_TEXT.info}: ${infoText(i.meterId, i.code)}`);
  }
  return {
    period: periodLabel(b.from, c.resolution, c.timeZone),
    value: b.value === null ? 'no reading' : `${formatValue(b.value, c.unit)} ${c.unit}`,
    marks
  };
}
