import { audit } from '../audit.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { COLUMN_DIVISOR, COLUMN_UNITS, type ReadingColumns } from '../ingest/columns.js';
import {
  bucketBoundaries,
  bucketIndex,
  consumption,
  REGISTER_TOLERANCE,
  type Consumption,
  type Installation,
  type RegisterValue,
  type Resolution
} from '../../../shared/consumption.js';

// Readings: one row per meter and instant (table `reading`, integers in fixed small units).
// Series and latest values in canonical units, consumption across exchanges and rollovers
// (shared/consumption.ts), thinning (M18) and GDPR erasure (M21) of readings and their frames.

export type Register = 'energy' | 'volume';
const SERIES_COLUMNS = ['energy', 'volume', 'flow', 'power', 'tFlow', 'tReturn', 'info'] as const;
type SeriesColumn = (typeof SERIES_COLUMNS)[number];

export interface Series {
  meterId: number;
  resolution: Resolution;
  timeZone: string;
  from: number;
  to: number;
  units: typeof COLUMN_UNITS;
  /** Start of each bucket that has a reading (columnar, like uPlot's data). */
  at: number[];
  /** Time of the latest reading in each bucket. */
  last: number[];
  values: Record<SeriesColumn, (number | null)[]>;
}

export interface LatestReading {
  meterId: number;
  at: number;
  values: Record<SeriesColumn, number | null>;
  units: typeof COLUMN_UNITS;
  extra: Record<string, unknown> | null;
}

/** Status words (info codes) read in a bucket, per meter: the driver of that meter says what their bits mean. */
export type BucketInfo = { meterId: number; code: number }[];

export interface PointConsumption extends Consumption {
  buckets: (Consumption['buckets'][number] & { info?: BucketInfo })[];
  meteringPointId: number;
  register: Register;
  unit: 'kWh' | 'm3';
  resolution: Resolution;
  timeZone: string;
  installations: { meterId: number; from: number; to: number | null }[];
}

export interface ErasureResult {
  meteringPointId: number;
  from: number;
  to: number;
  meters: number[];
  readings: number;
  frames: number;
}

export interface ThinCounts {
  readings: number;
  frames: number;
}

/** Raw columns in SQL order. */
const SQL_COLUMNS = 'energy, volume, flow, power, t_flow, t_return, info';

function canonical(v: number | null, column: SeriesColumn): number | null {
  if (v === null) return null;
  const d = COLUMN_DIVISOR[column];
  return d === 1 ? v : v / d;
}

export class ReadingStore {
  readonly #upsert;
  readonly #meter;
  readonly #zone;
  readonly #range;
  readonly #lastIn;
  readonly #latest;

  constructor(private readonly db: Db) {
    this.#upsert = db.prepare(
      `insert into reading (meter_id, at, ${SQL_COLUMNS}, extra) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (meter_id, at) do update set energy = excluded.energy, volume = excluded.volume, flow = excluded.flow,
         power = excluded.power, t_flow = excluded.t_flow, t_return = excluded.t_return, info = excluded.info, extra = excluded.extra`
    );
    this.#meter = db.prepare('select id from meter where id = ? and tenant_id = ?').pluck();
    this.#zone = db.prepare('select time_zone from tenant where id = ?').pluck();
    this.#range = db
      .prepare(`select at, ${SQL_COLUMNS} from reading where meter_id = ? and at >= ? and at < ? order by at`)
      .raw();
    this.#lastIn = db
      .prepare(`select at, ${SQL_COLUMNS} from reading where meter_id = ? and at >= ? and at < ? order by at desc limit 1`)
      .raw();
    this.#latest = db.prepare(`select at, ${SQL_COLUMNS}, extra from reading where meter_id = ? order by at desc limit 1`);
  }

  /** Writes (or rewrites, after a re-decode) the reading of a meter at an instant. */
  put(meterId: number, at: number, c: ReadingColumns): void {
    this.#upsert.run(meterId, at, c.energy, c.volume, c.flow, c.power, c.tFlow, c.tReturn, c.info, c.extra);
  }

  /**
   * A register value a person gave (an exchange's final or start reading), in kWh or m3, marked in
   * `extra` (e.g. {"source": "manager-exchange"}). A radio reading at the same instant keeps its
   * other registers. Call inside the caller's transaction.
   */
  putTyped(meterId: number, at: number, register: Register, value: number, mark: Record<string, unknown>): void {
    this.putStored(meterId, at, register, Math.round(value * COLUMN_DIVISOR[register]), mark);
  }

  /** putTyped with the value already in the reading table's units (J, mL). */
  putStored(meterId: number, at: number, register: Register, stored: number, mark: Record<string, unknown>): void {
    const column = register; // whitelisted: 'energy' | 'volume'
    this.db
      .prepare(
        `insert into reading (meter_id, at, ${column}, extra) values (?, ?, ?, ?)
         on conflict (meter_id, at) do update set ${column} = excluded.${column},
           extra = json_patch(coalesce(reading.extra, '{}'), excluded.extra)`
      )
      .run(meterId, at, stored, JSON.stringify(mark));
  }

  /** Whether the meter is this tenant's (another tenant's id reads as missing). */
  hasMeter(tenantId: number, meterId: number): boolean {
    return this.#meter.get(meterId, tenantId) !== undefined;
  }

  timeZone(tenantId: number): string {
    return (this.#zone.get(tenantId) as string | undefined) ?? 'UTC';
  }

  /**
   * The last value per bucket and register (null registers do not hide earlier values in the
   * bucket), in canonical units. Hour buckets read every row in the range (one index range
   * scan); longer buckets read only the last row of each bucket (one index seek per bucket).
   */
  series(tenantId: number, meterId: number, from: number, to: number, resolution: Resolution): Series | null {
    if (!this.hasMeter(tenantId, meterId)) return null;
    const timeZone = this.timeZone(tenantId);
    const b = bucketBoundaries(from, to, resolution, timeZone);
    const out: Series = {
      meterId,
      resolution,
      timeZone,
      from,
      to,
      units: COLUMN_UNITS,
      at: [],
      last: [],
      values: { energy: [], volume: [], flow: [], power: [], tFlow: [], tReturn: [], info: [] }
    };
    const push = (bucket: number, row: (number | null)[]) => {
      out.at.push(bucket);
      out.last.push(row[0]!);
      for (let k = 0; k < SERIES_COLUMNS.length; k++) out.values[SERIES_COLUMNS[k]].push(canonical(row[k + 1], SERIES_COLUMNS[k]));
    };
    if (resolution === 'hour') {
      let current = -1;
      let row: (number | null)[] = [];
      for (const r of this.#range.iterate(meterId, from, to) as Iterable<(number | null)[]>) {
        const i = bucketIndex(b, r[0]!);
        if (i !== current) {
          if (current >= 0) push(b[current], row);
          current = i;
          row = r.slice();
        } else {
          row[0] = r[0];
          for (let k = 1; k < r.length; k++) if (r[k] !== null) row[k] = r[k];
        }
      }
      if (current >= 0) push(b[current], row);
    } else {
      for (let i = 0; i + 1 < b.length; i++) {
        const r = this.#lastIn.get(meterId, Math.max(b[i], from), Math.min(b[i + 1], to)) as (number | null)[] | undefined;
        if (r) push(b[i], r);
      }
    }
    return out;
  }

  /** The newest reading of a meter; undefined when the meter is not this tenant's, null without readings. */
  latest(tenantId: number, meterId: number): LatestReading | null | undefined {
    if (!this.hasMeter(tenantId, meterId)) return undefined;
    const r = this.#latest.get(meterId) as
      | { at: number; energy: number | null; volume: number | null; flow: number | null; power: number | null; t_flow: number | null; t_return: number | null; info: number | null; extra: string | null }
      | undefined;
    if (!r) return null;
    const raw: Record<SeriesColumn, number | null> = {
      energy: r.energy,
      volume: r.volume,
      flow: r.flow,
      power: r.power,
      tFlow: r.t_flow,
      tReturn: r.t_return,
      info: r.info
    };
    const values = Object.fromEntries(SERIES_COLUMNS.map((k) => [k, canonical(raw[k], k)])) as Record<SeriesColumn, number | null>;
    return { meterId, at: r.at, values, units: COLUMN_UNITS, extra: r.extra ? (JSON.parse(r.extra) as Record<string, unknown>) : null };
  }

  /** Installations of a metering point overlapping [from, to]; null when the point is not this tenant's. */
  installations(tenantId: number, pointId: number, from: number, to: number): { meterId: number; from: number; to: number | null }[] | null {
    const point = this.db.prepare('select id from metering_point where id = ? and tenant_id = ?').pluck().get(pointId, tenantId);
    if (point === undefined) return null;
    return this.db
      .prepare(
        `select meter_id as meterId, from_at as "from", to_at as "to" from installation
          where metering_point_id = ? and tenant_id = ? and from_at < ? and (to_at is null or to_at >= ?) order by from_at`
      )
      .all(pointId, tenantId, to, from) as { meterId: number; from: number; to: number | null }[];
  }

  /**
   * Consumption of a metering point per bucket: each installed meter's register values from the
   * last reading before the range (or its installation) to the end, through shared/consumption.
   * `register` defaults to energy when any installed meter has energy readings, else volume.
   */
  consumption(
    tenantId: number,
    pointId: number,
    from: number,
    to: number,
    resolution: Resolution,
    register?: Register
  ): PointConsumption | null {
    const inst = this.installations(tenantId, pointId, from, to);
    if (inst === null) return null;
    const timeZone = this.timeZone(tenantId);
    const boundaries = bucketBoundaries(from, to, resolution, timeZone);
    const start = boundaries[0];
    const end = boundaries[boundaries.length - 1];
    const reg: Register =
      register ??
      (inst.some((i) => this.db.prepare('select 1 from reading where meter_id = ? and energy is not null limit 1').get(i.meterId))
        ? 'energy'
        : 'volume');
    const column = reg; // whitelisted: 'energy' | 'volume'
    const before = this.db.prepare(
      `select at, ${column} as v from reading where meter_id = ? and at < ? and at >= ? and ${column} is not null order by at desc limit 1`
    );
    const within = this.db.prepare(
      `select at, ${column} as v, info from reading where meter_id = ? and at >= ? and at <= ? and ${column} is not null order by at`
    );
    const divisor = COLUMN_DIVISOR[column];
    const readings = new Map<number, RegisterValue[]>();
    const installations: Installation[] = [];
    const codes: { at: number; meterId: number; code: number }[] = [];
    for (const i of inst) {
      installations.push({ meter: i.meterId, from: i.from, to: i.to });
      const lo = Math.max(start, i.from);
      const hi = Math.min(end, i.to ?? end);
      const list: RegisterValue[] = readings.get(i.meterId) ?? [];
      const first = before.get(i.meterId, lo, i.from) as { at: number; v: number } | undefined;
      if (first) list.push({ at: first.at, value: first.v / divisor });
      for (const r of within.all(i.meterId, lo, hi) as { at: number; v: number; info: number | null }[]) {
        list.push({ at: r.at, value: r.v / divisor });
        if (r.info) codes.push({ at: r.at, meterId: i.meterId, code: r.info });
      }
      list.sort((a, b) => a.at - b.at);
      readings.set(i.meterId, list);
    }
    const result: Consumption & { buckets: PointConsumption['buckets'] } = consumption(installations, readings, {
      boundaries,
      tolerance: REGISTER_TOLERANCE[reg]
    });
    // active info codes per bucket (each distinct word once), for the Manager's graph (M2)
    for (const c of codes) {
      const bucket = result.buckets[bucketIndex(boundaries, c.at)];
      if (!bucket) continue;
      bucket.info ??= [];
      if (!bucket.info.some((x) => x.meterId === c.meterId && x.code === c.code)) bucket.info.push({ meterId: c.meterId, code: c.code });
    }
    return {
      meteringPointId: pointId,
      register: reg,
      unit: reg === 'energy' ? 'kWh' : 'm3',
      resolution,
      timeZone,
      installations: inst,
      ...result
    };
  }

  // -- GDPR erasure (M21) -----------------------------------------------------------------------

  /** The address of a metering point of this tenant (what erasure asks to type), or undefined. */
  pointAddress(tenantId: number, pointId: number): string | undefined {
    return this.db.prepare('select address from metering_point where id = ? and tenant_id = ?').pluck().get(pointId, tenantId) as
      | string
      | undefined;
  }

  /**
   * Deletes a metering point's readings in [from, to) — of whichever meters were installed there
   * then, each only for its installed period — and their raw frames, with one audit entry that
   * records the point, the range and the counts, in one transaction. Null when the point is not
   * this tenant's.
   */
  erasePoint(actor: Actor, pointId: number, from: number, to: number, now: number): ErasureResult | null {
    const inst = this.installations(actor.tenantId, pointId, from, to);
    if (inst === null) return null;
    const delReadings = this.db.prepare('delete from reading where meter_id = ? and at >= ? and at < ?');
    const delFrames = this.db.prepare('delete from frame where tenant_id = ? and meter_id = ? and received_at >= ? and received_at < ?');
    return this.db.transaction(() => {
      let readings = 0;
      let frames = 0;
      for (const w of erasureWindows(inst, from, to)) {
        readings += delReadings.run(w.meterId, w.lo, w.hi).changes;
        frames += delFrames.run(actor.tenantId, w.meterId, w.lo, w.hi).changes;
      }
      const meters = [...new Set(inst.map((i) => i.meterId))];
      const result: ErasureResult = { meteringPointId: pointId, from, to, meters, readings, frames };
      audit(this.db, now, {
        tenantId: actor.tenantId,
        event: 'readings.erased',
        userId: actor.userId,
        actor: actor.name,
        device: actor.device,
        details: { ...result }
      });
      return result;
    })();
  }

  /** What erasePoint would delete, counted, deleting nothing (the Manager shows it before asking). */
  countErasable(tenantId: number, pointId: number, from: number, to: number): ErasureResult | null {
    const inst = this.installations(tenantId, pointId, from, to);
    if (inst === null) return null;
    const countReadings = this.db.prepare('select count(*) from reading where meter_id = ? and at >= ? and at < ?').pluck();
    const countFrames = this.db.prepare('select count(*) from frame where tenant_id = ? and meter_id = ? and received_at >= ? and received_at < ?').pluck();
    let readings = 0;
    let frames = 0;
    for (const w of erasureWindows(inst, from, to)) {
      readings += countReadings.get(w.meterId, w.lo, w.hi) as number;
      frames += countFrames.get(tenantId, w.meterId, w.lo, w.hi) as number;
    }
    return { meteringPointId: pointId, from, to, meters: [...new Set(inst.map((i) => i.meterId))], readings, frames };
  }

  // -- thinning (M18), inside the caller's transaction ---------------------------------------

  /** Deletes everything of the tenant before `cutoff` (readings and frames). */
  deleteBefore(tenantId: number, cutoff: number): ThinCounts {
    const readings = this.db
      .prepare('delete from reading where meter_id in (select id from meter where tenant_id = ?) and at < ?')
      .run(tenantId, cutoff).changes;
    const frames = this.db.prepare('delete from frame where tenant_id = ? and received_at < ?').run(tenantId, cutoff).changes;
    return { readings, frames };
  }

  /**
   * Keeps only the last reading per meter, and the last frame per meter (or per address when the
   * meter is unknown), of the day [dayStart, dayEnd).
   */
  keepLastOfDay(tenantId: number, dayStart: number, dayEnd: number): ThinCounts {
    const readings = this.db
      .prepare(
        `delete from reading where meter_id in (select id from meter where tenant_id = ?) and at >= ? and at < ?
           and exists (select 1 from reading n where n.meter_id = reading.meter_id and n.at > reading.at and n.at < ?)`
      )
      .run(tenantId, dayStart, dayEnd, dayEnd).changes;
    const frames = this.db
      .prepare(
        `delete from frame where id in (
           select id from (
             select id, row_number() over (partition by meter_id, address order by received_at desc, id desc) as rn
               from frame where tenant_id = ? and received_at >= ? and received_at < ?) as ranked
            where rn > 1)`
      )
      .run(tenantId, dayStart, dayEnd).changes;
    return { readings, frames };
  }

  /** The earliest reading or frame time of the tenant, or null. */
  earliest(tenantId: number): number | null {
    const r = this.db
      .prepare('select min(at) from reading where meter_id in (select id from meter where tenant_id = ?)')
      .pluck()
      .get(tenantId) as number | null;
    const f = this.db.prepare('select min(received_at) from frame where tenant_id = ?').pluck().get(tenantId) as number | null;
    if (r === null) return f;
    if (f === null) return r;
    return Math.min(r, f);
  }
}

/** Each installation's part of [from, to); the removal instant belongs to the installation (its final reading). */
function erasureWindows(inst: { meterId: number; from: number; to: number | null }[], from: number, to: number) {
  const out: { meterId: number; lo: number; hi: number }[] = [];
  for (const i of inst) {
    const lo = Math.max(from, i.from);
    const hi = i.to === null ? to : Math.min(to, i.to + 1);
    if (hi > lo) out.push({ meterId: i.meterId, lo, hi });
  }
  return out;
}
