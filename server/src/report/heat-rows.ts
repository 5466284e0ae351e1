import type { Db } from '../db/connection.js';
import type { DayInterval } from '../store/reading-days.js';
import { consumption, REGISTER_TOLERANCE, type RegisterValue } from '../../../shared/consumption.js';
import { REPORT_METER_COLUMNS, REPORT_METER_JOINS, type ReportMeter } from './scope.js';

// The measurements behind the heat reports (M5, B3) for each heat or cooling meter over an
// interval: register changes between two boundary readings found by index seeks on reading's
// primary key (meter_id, at), temperature sums from reading_day (migration 010), and Kamstrup's
// E8/E9 registers (Σ m³·t1, Σ m³·t2; protocols.md §4.4, worked decode §3.8). One statement for
// the whole scope, so 100,000 meters × a month of hourly readings stay well under 2 s.

/** How the mean temperatures of a row were found. */
export type HeatMethod = 'e8e9' | 'flow-weighted' | 'time-average' | 'none';

export interface HeatMeasure extends ReportMeter {
  /** Cooling meter (device type 0A/0B, EN 13757-3 table 6): ΔT is t2 − t1. */
  cooling: boolean;
  /** Boundary readings: the last at or before the start (else the first inside), the last before the end. */
  firstAt: number;
  lastAt: number;
  /** kWh and m3 between the boundary readings (null: register missing at a boundary). */
  energy: number | null;
  volume: number | null;
  /** Volume-weighted mean inlet and outlet temperature, °C. */
  t1: number | null;
  t2: number | null;
  method: HeatMethod;
  /** E8/E9 counts in this power of ten of m³·°C (method e8e9). */
  e8Decade: number | null;
  /** A register went down inside the interval: the changes were walked reading by reading. */
  rollover: boolean;
  reset: boolean;
}

/** E8 must advance this many counts for its mean to be within 1 % (the registers are integers). */
export const MIN_E8_COUNTS = 100;

/** Heat (04, 0C), cooling (0A, 0B) and heat/cooling (0D) meters, EN 13757-3 device types. */
const HEAT_METER = `(m.medium in ('heat', 'cooling', 'heat-cooling') or m.device_type in (4, 10, 11, 12, 13))`;

interface Raw extends ReportMeter {
  deviceType: number | null;
  irr: number;
  tN: number;
  tf: number;
  tr: number;
  q: number;
  qtf: number;
  qtr: number;
  a0: number | null;
  a1: number | null;
  e0: number | null;
  e1: number | null;
  v0: number | null;
  v1: number | null;
  f0: number | null;
  f1: number | null;
  g0: number | null;
  g1: number | null;
}

// Meters in id order (the unary + keeps SQLite from the tenant index, whose order would need a
// temporary B-tree for the grouping); each meter's days are one range of reading_day's key. The
// end is the meter's newest reading (meter_latest, 007) when that lies in the interval, else a seek.
function statement(db: Db, condition: string) {
  return db.prepare(`
    with s as materialized (
      select m.id as meter_id, sum(d.irregular) as irr, sum(d.t_n) as tN, sum(d.t_flow_sum) as tf, sum(d.t_return_sum) as tr,
             sum(d.q_sum) as q, sum(d.qt_flow_sum) as qtf, sum(d.qt_return_sum) as qtr
        from meter m join reading_day d on d.meter_id = m.id and d.day >= @dayFrom and d.day < @dayTo
       where +m.tenant_id = @tenant and ${HEAT_METER} and ${condition}
       group by m.id having sum(d.n) > 0),
    b as materialized (
      select s.*,
             coalesce((select at from reading where meter_id = s.meter_id and at <= @from and volume is not null order by at desc limit 1),
                      (select at from reading where meter_id = s.meter_id and at > @from and at < @to and volume is not null order by at limit 1)) as a0,
             coalesce((select l.at from meter_latest l where l.meter_id = s.meter_id and l.volume is not null and l.at >= @from and l.at < @to),
                      (select at from reading where meter_id = s.meter_id and at >= @from and at < @to and volume is not null order by at desc limit 1)) as a1
        from s)
    select ${REPORT_METER_COLUMNS}, m.device_type as deviceType, b.irr, b.tN, b.tf, b.tr, b.q, b.qtf, b.qtr, b.a0, b.a1,
           r0.energy as e0, r1.energy as e1, r0.volume as v0, r1.volume as v1,
           json_extract(r0.extra, '$.forwardEnergy') as f0, json_extract(r1.extra, '$.forwardEnergy') as f1,
           json_extract(r0.extra, '$.returnEnergy') as g0, json_extract(r1.extra, '$.returnEnergy') as g1
      from b join meter m on m.id = b.meter_id
      ${REPORT_METER_JOINS}
      left join reading r0 on r0.meter_id = b.meter_id and r0.at = b.a0
      left join reading r1 on r1.meter_id = b.meter_id and r1.at = b.a1`);
}

/**
 * A row of `statement` from its array form: better-sqlite3 builds a named object per row in C++,
 * which at 100,000 rows of 28 columns cost more than the query (1.4 s against 0.6 s as arrays).
 */
function rawOf(c: unknown[]): Raw {
  const n = (i: number) => c[i] as number | null;
  const t = (i: number) => c[i] as string | null;
  return {
    meterId: c[0] as number, manufacturer: c[1] as string, serial: c[2] as string, model: t(3), medium: t(4), meteringPointId: n(5),
    address: t(6), postalCode: t(7), customer: t(8), customerNumber: t(9), deviceType: n(10),
    irr: c[11] as number, tN: c[12] as number, tf: c[13] as number, tr: c[14] as number, q: c[15] as number, qtf: c[16] as number, qtr: c[17] as number,
    a0: n(18), a1: n(19), e0: n(20), e1: n(21), v0: n(22), v1: n(23), f0: n(24), f1: n(25), g0: n(26), g1: n(27)
  };
}

/** How many heat and cooling meters of the tenant match `condition` (SQL on `m`, with its args), with readings or without. */
export function heatMeterCount(db: Db, tenantId: number, condition: { sql: string; args: unknown[] }): number {
  return db.prepare(`select count(*) from meter m where m.tenant_id = ? and ${HEAT_METER} and ${condition.sql}`).pluck().get(tenantId, ...condition.args) as number;
}

/**
 * One HeatMeasure per heat/cooling meter of the tenant with readings in the interval and a
 * volume at both boundaries; `condition` narrows the meters (SQL on `m`, positional args).
 */
export function heatMeasures(db: Db, tenantId: number, iv: DayInterval, condition: { sql: string; args: unknown[] }): HeatMeasure[] {
  // the condition's positional parameters become named ones beside the interval's
  let n = 0;
  const sql = condition.sql.replace(/\?/g, () => `@c${n++}`);
  const params: Record<string, unknown> = { tenant: tenantId, from: iv.from, to: iv.to, dayFrom: iv.dayFrom, dayTo: iv.dayTo };
  condition.args.forEach((a, i) => (params[`c${i}`] = a));
  // b is made in meter id order; sorting here is cheaper than SQLite's temporary B-tree
  const rows = (statement(db, sql).raw().all(params) as unknown[][]).map(rawOf).sort((x, y) => x.meterId - y.meterId);
  const walk = db.prepare(
    `select at, energy, volume, json_extract(extra, '$.forwardEnergy') as f, json_extract(extra, '$.returnEnergy') as g
       from reading where meter_id = ? and at >= ? and at <= ? order by at`
  );
  const out: HeatMeasure[] = [];
  for (const r of rows) {
    if (r.a0 === null || r.a1 === null || r.v0 === null || r.v1 === null) continue;
    let energy = r.e0 !== null && r.e1 !== null ? (r.e1 - r.e0) / 3.6e6 : null;
    let volume = (r.v1 - r.v0) / 1e6;
    let dE8 = r.f0 !== null && r.f1 !== null ? r.f1 - r.f0 : null;
    let dE9 = r.g0 !== null && r.g1 !== null ? r.g1 - r.g0 : null;
    let rollover = false;
    let reset = false;
    if (r.irr > 0) {
      // a register went down (rollover, reset, exchange of the register's presence): the
      // boundary difference is wrong, so the steps are summed by shared/consumption.ts
      const all = walk.all(r.meterId, r.a0, r.a1) as { at: number; energy: number | null; volume: number | null; f: number | null; g: number | null }[];
      const sum = (pick: (x: (typeof all)[number]) => number | null, tolerance: number) => {
        const values: RegisterValue[] = [];
        for (const x of all) {
          const v = pick(x);
          if (v !== null) values.push({ at: x.at, value: v });
        }
        if (values.length < 2) return null;
        const c = consumption([{ meter: r.meterId, from: r.a0!, to: r.a1 }], new Map([[r.meterId, values]]), {
          boundaries: [Math.min(r.a0!, iv.from), Math.max(r.a1! + 1, iv.to)],
          tolerance
        });
        rollover ||= c.buckets[0].rollover;
        reset ||= c.buckets[0].reset;
        return c.total;
      };
      // in kWh and m3, where a register's display wraps at a power of ten
      energy = sum((x) => (x.energy === null ? null : x.energy / 3.6e6), REGISTER_TOLERANCE.energy);
      volume = sum((x) => (x.volume === null ? null : x.volume / 1e6), REGISTER_TOLERANCE.volume) ?? volume;
      dE8 = sum((x) => x.f, 0);
      dE9 = sum((x) => x.g, 0);
    }
    const cooling = r.deviceType === 10 || r.deviceType === 11 || r.medium === 'cooling';
    const t = temperatures(r, volume, dE8, dE9);
    out.push({
      meterId: r.meterId,
      manufacturer: r.manufacturer,
      serial: r.serial,
      model: r.model,
      medium: r.medium,
      meteringPointId: r.meteringPointId,
      address: r.address,
      postalCode: r.postalCode,
      customer: r.customer,
      customerNumber: r.customerNumber,
      cooling,
      firstAt: r.a0,
      lastAt: r.a1,
      energy: energy === null ? null : round(energy, 3),
      volume: round(volume, 4),
      t1: t.t1,
      t2: t.t2,
      method: t.method,
      e8Decade: t.e8Decade,
      rollover,
      reset
    });
  }
  return out;
}

/**
 * Mean temperatures, by the first method the data allows:
 * 1. E8/E9: t1 = ΔE8 / ΔV · 10^k, t2 = ΔE9 / ΔV · 10^k. The registers count in a power of ten of
 *    m³·°C that follows the meter's volume resolution (TV-10: V 2232.49 m³, E8 148532 → 66.5 °C,
 *    k = 0; TV-11: V 85656 m³, E8 67136 → 0.78, k = 2). k is the power of ten that brings the
 *    lifetime ratio E8/V nearest the meter's mean t1 readings in the interval; without
 *    temperature readings, the one that puts it in 10-100 °C.
 * 2. flow-weighted: Σ q·t / Σ q over the readings (reading_day), the nearest thing to volume-weighted.
 * 3. time average: Σ t / n over the readings with both temperatures.
 */
function temperatures(r: Raw, volume: number, dE8: number | null, dE9: number | null) {
  if (dE8 !== null && dE9 !== null && volume > 0 && dE8 >= MIN_E8_COUNTS && r.f1 !== null && r.v1 !== null && r.v1 > 0 && r.f1 > 0) {
    const ratio = r.f1 / (r.v1 / 1e6);
    const k = r.tN > 0 && r.tf > 0 ? Math.round(Math.log10(r.tf / r.tN / 100 / ratio)) : 1 - Math.floor(Math.log10(ratio));
    const scale = 10 ** k;
    return { t1: round((dE8 / volume) * scale, 2), t2: round((dE9 / volume) * scale, 2), method: 'e8e9' as const, e8Decade: k };
  }
  if (r.q > 0) return { t1: round(r.qtf / r.q / 100, 2), t2: round(r.qtr / r.q / 100, 2), method: 'flow-weighted' as const, e8Decade: null };
  if (r.tN > 0) return { t1: round(r.tf / r.tN / 100, 2), t2: round(r.tr / r.tN / 100, 2), method: 'time-average' as const, e8Decade: null };
  return { t1: null, t2: null, method: 'none' as const, e8Decade: null };
}

export function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  const x = Math.round(v * f) / f;
  return x === 0 ? 0 : x;
}
