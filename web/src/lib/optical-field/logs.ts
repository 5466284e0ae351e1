// What the doorstep screen shows of a logger read (issue 9, R6/R7): the daily consumption as bars
// (differences of consecutive daily E1 or V1 records, lib/chart ConsumptionAnswer shape so the
// Manager's uPlot chart draws it), and the info-code log with the meanings of each set bit
// (shared/drivers/kamstrup/info-codes.ts, protocols.md §4.5.1). Pure: tests run it without a DOM.

import type { ConsumptionAnswer, ConsumptionBucket } from '$lib/chart/consumption';
import { kamstrupHeatInfo16, kamstrupHeatInfo32 } from '$shared/drivers/kamstrup/info-codes';
import type { KmpValue } from '$shared/kmp/value';
import { projectValue } from '$shared/kmp/value';

/** Register ids (shared/kmp/registers.ts): E1 heat energy, V1 volume, INFO info code. */
export const REG = { E1: 60, V1: 68, INFO: 99 } as const;

export interface LogRecord {
  recordId: number;
  /** ms UTC */
  at: number;
  values: Map<number, KmpValue>;
}

/** A register value in the project's unit (kWh, m3 …), or null when the record does not hold it. */
function numberOf(r: LogRecord, id: number): { value: number; unit: string } | null {
  const v = r.values.get(id);
  if (!v) return null;
  const p = projectValue(v);
  return typeof p.value === 'number' && Number.isFinite(p.value) ? { value: p.value, unit: p.unit } : null;
}

/**
 * Daily consumption of `register` (E1 energy or V1 volume): one bar per pair of consecutive daily
 * records, from the earlier record's time to the later's, the difference of the two. A gap of more
 * than one day (records missing) gives one longer bar; a register that went down (meter reset or
 * exchange) gives no value and the reset mark rather than a negative bar. Info codes read in a
 * record mark its bar.
 */
export function dailyConsumption(records: readonly LogRecord[], register: 'energy' | 'volume', timeZone = 'UTC'): ConsumptionAnswer {
  const id = register === 'energy' ? REG.E1 : REG.V1;
  const points = [...records]
    .map((r) => ({ r, v: numberOf(r, id) }))
    .filter((x): x is { r: LogRecord; v: { value: number; unit: string } } => x.v !== null)
    .sort((a, b) => a.r.at - b.r.at);
  const unit = register === 'energy' ? 'kWh' : 'm3';
  const buckets: ConsumptionBucket[] = [];
  let total = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!, b = points[i]!;
    if (b.r.at === a.r.at) continue;
    const d = round(toUnit(b.v, unit) - toUnit(a.v, unit));
    const info = numberOf(b.r, REG.INFO)?.value ?? 0;
    const bucket: ConsumptionBucket = { from: a.r.at, to: b.r.at, value: d >= 0 ? d : null, exchange: false, rollover: false, reset: d < 0 };
    if (info > 0) bucket.info = [{ meterId: 0, code: info }];
    if (d >= 0) total += d;
    buckets.push(bucket);
  }
  return { meteringPointId: null, register, unit, resolution: 'day', timeZone, installations: [], buckets, total: round(total) };
}

/** kWh from Wh/MWh/GJ is not done here: the daily logger holds E1 in the meter's unit; MWh and GJ are scaled to kWh and m3 stays. */
function toUnit(v: { value: number; unit: string }, want: 'kWh' | 'm3'): number {
  if (v.unit === want) return v.value;
  if (want === 'kWh' && v.unit === 'MWh') return v.value * 1000;
  if (want === 'kWh' && v.unit === 'Wh') return v.value / 1000;
  if (want === 'kWh' && v.unit === 'GJ') return (v.value * 1e6) / 3600;
  throw new RangeError(`daily consumption: a ${want} register came as ${v.unit}`);
}

/** Rounds away binary noise of differences of decimals (0.1 + 0.2). */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export interface InfoEntry {
  at: number;
  code: number;
  /** The meanings of the set bits, "no error" for 0. */
  meanings: string[];
}

/**
 * The info-code log as a list, newest first: the MULTICAL 803 has 32 documented bits, the
 * 303/403/603 share the low 16 (§4.5.1; an undocumented set bit reads "bit N").
 */
export function infoLog(records: readonly LogRecord[], model: string): InfoEntry[] {
  return [...records]
    .flatMap((r) => {
      const code = numberOf(r, REG.INFO)?.value;
      if (code === undefined || !Number.isInteger(code) || code < 0) return [];
      return [{ at: r.at, code, meanings: infoMeanings(code, model) }];
    })
    .sort((a, b) => b.at - a.at);
}

/** The meanings of an info code's set bits for a MULTICAL model; "no error" for 0. */
export function infoMeanings(code: number, model: string): string[] {
  if (code === 0) return ['no error'];
  return (model === '803' ? kamstrupHeatInfo32 : kamstrupHeatInfo16).decode(code).flags;
}

/** A local reading's fields from a record: { E1: { value, unit, text }, … } by register key. */
export function recordFields(values: ReadonlyMap<number, KmpValue>, keyOf: (id: number) => string): Record<string, { value: number | string; unit: string; text: string }> {
  const out: Record<string, { value: number | string; unit: string; text: string }> = {};
  for (const [id, v] of values) out[keyOf(id)] = projectValue(v);
  return out;
}
