import type { Db } from '../db/connection.js';
import type { ReadingDays } from '../store/reading-days.js';
import { heatMeasures, heatMeterCount, round, type HeatMeasure } from './heat-rows.js';
import { DEFAULT_HEAT } from './heat-settings.js';
import { csvDocument, groupCondition, localIso, REPORT_METER_CSV_HEADER, reportMeterCsvFields, type GroupScope } from './scope.js';

// Heat reports (M5): cooling performance (ΔT), inlet and outlet temperature per heat meter over
// an interval, with the utility's good/poor thresholds and filters by level and ΔT. The
// measurements come from heat-rows.ts; this file rates, filters, sums and writes CSV.

export type HeatLevel = 'good' | 'fair' | 'poor';

export interface HeatQuery {
  group?: GroupScope;
  from: string;
  to: string;
  /** ΔT (K) at or above which cooling is good; default 30. */
  good?: number;
  /** ΔT (K) below which cooling is poor; default 20. */
  poor?: number;
  level?: HeatLevel;
  minDeltaT?: number;
  maxDeltaT?: number;
}

export interface HeatRow extends HeatMeasure {
  /** t1 − t2 for heat meters, t2 − t1 for cooling meters (K). */
  deltaT: number | null;
  /** Heat meters only: cooling meters have their own ΔT range and are not rated (null). */
  level: HeatLevel | null;
}

export interface HeatSummary {
  /** Heat and cooling meters in the scope. */
  meters: number;
  /** Of them, without a reading (or a volume) in the interval: no row. */
  withoutData: number;
  /** Rows after the filters. */
  rows: number;
  energy: number;
  volume: number;
  /** Volume-weighted over the rows of heat meters with temperatures. */
  t1: number | null;
  t2: number | null;
  deltaT: number | null;
  levels: Record<HeatLevel | 'unrated', number>;
}

export interface HeatReport {
  from: number;
  to: number;
  timeZone: string;
  good: number;
  poor: number;
  rows: HeatRow[];
  summary: HeatSummary;
}

export function levelOf(deltaT: number | null, cooling: boolean, good: number, poor: number): HeatLevel | null {
  if (deltaT === null || cooling) return null;
  if (deltaT >= good) return 'good';
  if (deltaT < poor) return 'poor';
  return 'fair';
}

/** ΔT of a measure: t1 − t2, for a cooling meter t2 − t1. */
export function deltaTOf(m: HeatMeasure): number | null {
  return m.t1 === null || m.t2 === null ? null : round(m.cooling ? m.t2 - m.t1 : m.t1 - m.t2, 2);
}

export function withDeltaT(m: HeatMeasure, good: number, poor: number): HeatRow {
  const deltaT = deltaTOf(m);
  return { ...m, deltaT, level: levelOf(deltaT, m.cooling, good, poor) };
}

export function heatReport(db: Db, days: ReadingDays, tenantId: number, q: HeatQuery): HeatReport {
  const good = q.good ?? DEFAULT_HEAT.good;
  const poor = q.poor ?? DEFAULT_HEAT.poor;
  const iv = days.interval(tenantId, q.from, q.to);
  const scope = groupCondition(db, tenantId, q.group, 'm.id');
  const measured = heatMeasures(db, tenantId, iv, scope);
  const meters = heatMeterCount(db, tenantId, scope);
  const filtered = q.level !== undefined || q.minDeltaT !== undefined || q.maxDeltaT !== undefined;
  const rows = measured
    .map((m) => withDeltaT(m, good, poor))
    .filter(
      (r) =>
        !filtered ||
        (r.deltaT !== null &&
          (q.level === undefined || r.level === q.level) &&
          (q.minDeltaT === undefined || r.deltaT >= q.minDeltaT) &&
          (q.maxDeltaT === undefined || r.deltaT <= q.maxDeltaT))
    );
  return { from: iv.from, to: iv.to, timeZone: iv.timeZone, good, poor, rows, summary: summarise(rows, meters, measured.length) };
}

function summarise(rows: HeatRow[], meters: number, measured: number): HeatSummary {
  const levels = { good: 0, fair: 0, poor: 0, unrated: 0 };
  let energy = 0;
  let volume = 0;
  let weight = 0;
  let t1 = 0;
  let t2 = 0;
  for (const r of rows) {
    levels[r.level ?? 'unrated']++;
    energy += r.energy ?? 0;
    volume += r.volume ?? 0;
    if (!r.cooling && r.t1 !== null && r.t2 !== null && r.volume !== null && r.volume > 0) {
      weight += r.volume;
      t1 += r.t1 * r.volume;
      t2 += r.t2 * r.volume;
    }
  }
  const mean1 = weight > 0 ? round(t1 / weight, 2) : null;
  const mean2 = weight > 0 ? round(t2 / weight, 2) : null;
  return {
    meters,
    withoutData: meters - measured,
    rows: rows.length,
    energy: round(energy, 3),
    volume: round(volume, 4),
    t1: mean1,
    t2: mean2,
    deltaT: mean1 !== null && mean2 !== null ? round(mean1 - mean2, 2) : null,
    levels
  };
}

export const METHOD_LABELS: Record<HeatMeasure['method'], string> = {
  e8e9: 'E8/E9 registers',
  'flow-weighted': 'flow-weighted',
  'time-average': 'time average',
  none: 'no temperatures'
};

/** Notes on a row: what a reader must know about its numbers. */
export function heatNotes(r: HeatMeasure): string {
  const n: string[] = [];
  if (r.cooling) n.push('cooling meter');
  if (r.rollover) n.push('register rollover');
  if (r.reset) n.push('register reset');
  return n.join(', ');
}

const num = (v: number | null) => (v === null ? '' : String(v));

/** Rows as shown, boundary readings on the utility's clock with its offset. */
export function heatCsv(report: HeatReport): string {
  const header = [
    ...REPORT_METER_CSV_HEADER,
    'first_reading',
    'last_reading',
    'energy_kwh',
    'volume_m3',
    't1_c',
    't2_c',
    'delta_t_k',
    'level',
    'method',
    'notes'
  ];
  return csvDocument(
    header,
    report.rows.map((r) => [
      ...reportMeterCsvFields(r),
      localIso(r.firstAt, report.timeZone),
      localIso(r.lastAt, report.timeZone),
      num(r.energy),
      num(r.volume),
      num(r.t1),
      num(r.t2),
      num(r.deltaT),
      r.level ?? '',
      METHOD_LABELS[r.method],
      heatNotes(r)
    ])
  );
}
