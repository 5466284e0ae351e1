import { formatValue, periodLabel } from '$shared/consumption-labels';

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

export { formatValue, periodLabel };

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
