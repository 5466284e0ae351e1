import type { Db } from '../db/connection.js';
import type { ReadingDays } from '../store/reading-days.js';
import { deltaTOf, levelOf, withDeltaT, type HeatRow } from './heat.js';
import { heatMeasures, round, type HeatMethod } from './heat-rows.js';
import { DEFAULT_HEAT } from './heat-settings.js';
import { csvDocument, groupCondition, REPORT_METER_CSV_HEADER, reportMeterCsvFields, type GroupScope } from './scope.js';

// Heat-network analytics (B3), first version: which heat installations cool the network's water
// least, which need the most water per unit of heat, and which return it too warm. Rows are heat
// meters (cooling meters are left out), measured as in the heat report (heat-rows.ts).

export interface NetworkQuery {
  group?: GroupScope;
  from: string;
  to: string;
  /** ΔT below this (K) flags poor cooling; default 20. */
  poor?: number;
  /** Mean return temperature above this (°C) is flagged; default 45. */
  returnMax?: number;
  /** Volume per energy above this (m3/MWh) is flagged as excess flow; default 35. */
  flowMax?: number;
}

export interface NetworkRow extends HeatRow {
  /** m3 of water per MWh of heat: high means the installation needs much water for its heat. */
  m3PerMWh: number | null;
  flags: { lowDeltaT: boolean; excessFlow: boolean; highReturn: boolean };
  /** 1 = lowest ΔT, 1 = highest m3/MWh; null for rows that cannot be ranked (no heat or no temperatures). */
  rankDeltaT: number | null;
  rankFlow: number | null;
  /** Mean of the two ranks; the list is ordered by flags (most first), then this (lowest first). */
  score: number | null;
  rank: number | null;
}

export interface NetworkReport {
  from: number;
  to: number;
  timeZone: string;
  poor: number;
  returnMax: number;
  flowMax: number;
  rows: NetworkRow[];
  summary: { installations: number; ranked: number; lowDeltaT: number; excessFlow: number; highReturn: number };
}

const flagCount = (r: NetworkRow) => Number(r.flags.lowDeltaT) + Number(r.flags.excessFlow) + Number(r.flags.highReturn);

export function networkReport(db: Db, days: ReadingDays, tenantId: number, q: NetworkQuery): NetworkReport {
  const poor = q.poor ?? DEFAULT_HEAT.poor;
  const returnMax = q.returnMax ?? DEFAULT_HEAT.returnMax;
  const flowMax = q.flowMax ?? DEFAULT_HEAT.flowMax;
  const iv = days.interval(tenantId, q.from, q.to);
  const measured = heatMeasures(db, tenantId, iv, groupCondition(db, tenantId, q.group, 'm.id')).filter((m) => !m.cooling);
  const rows: NetworkRow[] = measured.map((r) => {
    const deltaT = deltaTOf(r);
    const m3PerMWh = r.energy !== null && r.energy > 0 && r.volume !== null ? round(r.volume / (r.energy / 1000), 2) : null;
    // every field named: spreading these 30-field rows (twice, through withDeltaT) cost a quarter
    // of the report at 100,000 meters
    return {
      meterId: r.meterId, manufacturer: r.manufacturer, serial: r.serial, model: r.model, medium: r.medium,
      meteringPointId: r.meteringPointId, address: r.address, postalCode: r.postalCode, customer: r.customer,
      customerNumber: r.customerNumber, cooling: r.cooling, firstAt: r.firstAt, lastAt: r.lastAt, energy: r.energy,
      volume: r.volume, t1: r.t1, t2: r.t2, method: r.method, e8Decade: r.e8Decade, rollover: r.rollover, reset: r.reset,
      deltaT, level: levelOf(deltaT, r.cooling, DEFAULT_HEAT.good, poor),
      m3PerMWh,
      flags: {
        lowDeltaT: deltaT !== null && deltaT < poor,
        excessFlow: m3PerMWh !== null && m3PerMWh > flowMax,
        highReturn: r.t2 !== null && r.t2 > returnMax
      },
      rankDeltaT: null,
      rankFlow: null,
      score: null,
      rank: null
    };
  });
  const rankable = rows.filter((r) => r.deltaT !== null && r.m3PerMWh !== null);
  rankable.sort((a, b) => a.deltaT! - b.deltaT! || a.meterId - b.meterId).forEach((r, i) => (r.rankDeltaT = i + 1));
  rankable.sort((a, b) => b.m3PerMWh! - a.m3PerMWh! || a.meterId - b.meterId).forEach((r, i) => (r.rankFlow = i + 1));
  for (const r of rankable) r.score = (r.rankDeltaT! + r.rankFlow!) / 2;
  rankable.sort((a, b) => flagCount(b) - flagCount(a) || a.score! - b.score! || a.meterId - b.meterId).forEach((r, i) => (r.rank = i + 1));
  const unranked = rows.filter((r) => r.rank === null);
  return {
    from: iv.from,
    to: iv.to,
    timeZone: iv.timeZone,
    poor,
    returnMax,
    flowMax,
    rows: [...rankable, ...unranked],
    summary: {
      installations: rows.length,
      ranked: rankable.length,
      lowDeltaT: rows.filter((r) => r.flags.lowDeltaT).length,
      excessFlow: rows.filter((r) => r.flags.excessFlow).length,
      highReturn: rows.filter((r) => r.flags.highReturn).length
    }
  };
}

const num = (v: number | null) => (v === null ? '' : String(v));

export function networkCsv(report: NetworkReport): string {
  const header = [
    'rank',
    ...REPORT_METER_CSV_HEADER,
    'energy_kwh',
    'volume_m3',
    't1_c',
    't2_c',
    'delta_t_k',
    'm3_per_mwh',
    'rank_delta_t',
    'rank_flow',
    'flags'
  ];
  return csvDocument(
    header,
    report.rows.map((r) => [
      num(r.rank),
      ...reportMeterCsvFields(r),
      num(r.energy),
      num(r.volume),
      num(r.t1),
      num(r.t2),
      num(r.deltaT),
      num(r.m3PerMWh),
      num(r.rankDeltaT),
      num(r.rankFlow),
      flagWords(r).join(', ')
    ])
  );
}

export function flagWords(r: NetworkRow): string[] {
  const out: string[] = [];
  if (r.flags.lowDeltaT) out.push('poor cooling');
  if (r.flags.excessFlow) out.push('excess flow');
  if (r.flags.highReturn) out.push('high return temperature');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Trend of one installation

export interface TrendPoint {
  /** Calendar dates of the step, both inclusive. */
  from: string;
  to: string;
  energy: number | null;
  volume: number | null;
  t1: number | null;
  t2: number | null;
  deltaT: number | null;
  m3PerMWh: number | null;
  method: HeatMethod | null;
}

export interface HeatTrend {
  meterId: number;
  step: 'week' | 'month';
  points: TrendPoint[];
}

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);

/** Steps of the dates from..to: calendar months, or weeks from Monday (ISO 8601), cut to the range. */
export function trendSteps(from: string, to: string, step: 'week' | 'month'): { from: string; to: string }[] {
  const end = Date.parse(`${to}T00:00:00Z`);
  let start = Date.parse(`${from}T00:00:00Z`);
  const out: { from: string; to: string }[] = [];
  while (start <= end) {
    const d = new Date(start);
    const next =
      step === 'month'
        ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
        : start + ((8 - (d.getUTCDay() || 7)) % 7 || 7) * DAY;
    out.push({ from: iso(start), to: iso(Math.min(next - DAY, end)) });
    start = next;
  }
  return out;
}

/** ΔT, t1, t2 and m3/MWh of one heat meter per step; null when the meter is not a heat meter of the tenant. */
export function heatTrend(
  db: Db,
  days: ReadingDays,
  tenantId: number,
  meterId: number,
  q: { from: string; to: string; step: 'week' | 'month' }
): HeatTrend | null {
  if (!db.prepare('select 1 from meter where id = ? and tenant_id = ?').get(meterId, tenantId)) return null;
  const points = trendSteps(q.from, q.to, q.step).map((s): TrendPoint => {
    const m = heatMeasures(db, tenantId, days.interval(tenantId, s.from, s.to), { sql: 'm.id = ?', args: [meterId] })[0];
    if (!m) return { ...s, energy: null, volume: null, t1: null, t2: null, deltaT: null, m3PerMWh: null, method: null };
    const r = withDeltaT(m, DEFAULT_HEAT.good, DEFAULT_HEAT.poor);
    const m3PerMWh = r.energy !== null && r.energy > 0 && r.volume !== null ? round(r.volume / (r.energy / 1000), 2) : null;
    return { ...s, energy: r.energy, volume: r.volume, t1: r.t1, t2: r.t2, deltaT: r.deltaT, m3PerMWh, method: r.method };
  });
  return { meterId, step: q.step, points };
}
