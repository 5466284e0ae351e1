import { bucketStart } from '../../../shared/consumption.js';
import type { Db } from '../db/connection.js';
import { notFound } from '../store/registry.js';
import type { ExportRow } from './fields.js';

// The rows of a billing export (M13): for each selected meter, who and where it is at the cut-off
// and its billing reading — the last reading at or before the cut-off. One SQL query per chunk
// of meters (json_each of the ids), each reading found by one seek on the (meter_id, at) key.
// Optionally, water meters without a reading on the cut-off day get their volume interpolated
// linearly between the readings around the cut-off, and the row says it is estimated.

export type Selection = { kind: 'all' } | { kind: 'group'; groupId: number } | { kind: 'meters'; meterIds: number[] };

export interface RowOptions {
  /** Interpolate the volume of water meters that have no reading on the cut-off day. */
  interpolate?: boolean;
  /** No estimate across a longer gap between the readings around the cut-off: no reading (missing) instead. */
  maxGapDays?: number;
  /** At most this many rows (a preview). */
  limit?: number;
}

/** Meters per query: json_each of 1,000 ids keeps each statement small and the plan index-only. */
const CHUNK = 1000;

/**
 * Water meters by medium text or by the M-Bus device type (EN 13757-7:2018 table 12: 0x06 warm
 * water, 0x07 water, 0x15 hot water, 0x16 cold water, 0x28 waste water).
 */
const WATER_DEVICE_TYPES = new Set([0x06, 0x07, 0x15, 0x16, 0x28]);
function isWater(medium: string | null, deviceType: number | null): boolean {
  return (medium !== null && /water/i.test(medium)) || (deviceType !== null && WATER_DEVICE_TYPES.has(deviceType));
}

interface Raw {
  id: number;
  manufacturer: string;
  serial: string;
  medium: string | null;
  model: string | null;
  device_type: number | null;
  p_number: string | null;
  address: string | null;
  postal_code: string | null;
  city: string | null;
  c_number: string | null;
  c_name: string | null;
  at: number | null;
  energy: number | null;
  volume: number | null;
  flow: number | null;
  power: number | null;
  t_flow: number | null;
  t_return: number | null;
  info: number | null;
  pv_at?: number | null;
  pv?: number | null;
  nv_at?: number | null;
  nv?: number | null;
}

const BASE = `
  select m.id, m.manufacturer, m.serial, m.medium, m.model, m.device_type,
         p.number as p_number, p.address, p.postal_code, p.city, c.number as c_number, c.name as c_name,
         r.at, r.energy, r.volume, r.flow, r.power, r.t_flow, r.t_return, r.info /*EXTRA*/
    from json_each(@ids) j
    -- cross join: walk the id list, not the tenant's meters (as KeyStore.keysForMeters)
    cross join meter m on m.id = j.value and m.tenant_id = @tenant
    -- the installation at the cut-off, or the meter's last one that began before it
    left join installation i on i.id = (
      select id from installation where meter_id = m.id and from_at <= @at order by from_at desc, id desc limit 1)
    left join metering_point p on p.id = i.metering_point_id
    left join customer c on c.id = p.customer_id
    left join reading r on r.meter_id = m.id and r.at = (select max(at) from reading where meter_id = m.id and at <= @at)
    /*JOIN*/
   order by j.key`;

// the volume readings around the cut-off, for interpolation
const AROUND = {
  extra: ', pv.at as pv_at, pv.volume as pv, nv.at as nv_at, nv.volume as nv',
  join: `left join reading pv on pv.meter_id = m.id and pv.at = (
           select at from reading where meter_id = m.id and at <= @at and volume is not null order by at desc limit 1)
         left join reading nv on nv.meter_id = m.id and nv.at = (
           select at from reading where meter_id = m.id and at > @at and volume is not null order by at limit 1)`
};

export class ExportRows {
  readonly #plain;
  readonly #around;

  constructor(private readonly db: Db) {
    this.#plain = db.prepare(BASE.replace('/*EXTRA*/', '').replace('/*JOIN*/', ''));
    this.#around = db.prepare(BASE.replace('/*EXTRA*/', AROUND.extra).replace('/*JOIN*/', AROUND.join));
  }

  /** The selected meters of the tenant, by serial; 404 for another tenant's group or meters. */
  meterIds(tenantId: number, selection: Selection): number[] {
    const order = 'order by m.serial, m.manufacturer, m.id';
    if (selection.kind === 'all') {
      return this.db.prepare(`select m.id from meter m where m.tenant_id = ? ${order}`).pluck().all(tenantId) as number[];
    }
    if (selection.kind === 'group') {
      const g = this.db.prepare('select id from meter_group where id = ? and tenant_id = ?').get(selection.groupId, tenantId);
      if (!g) throw notFound('Group', selection.groupId);
      return this.db
        .prepare(`select m.id from group_member gm join meter m on m.id = gm.meter_id where gm.group_id = ? and m.tenant_id = ? ${order}`)
        .pluck()
        .all(selection.groupId, tenantId) as number[];
    }
    const wanted = [...new Set(selection.meterIds)];
    const ids = this.db
      .prepare(`select m.id from json_each(?) j join meter m on m.id = j.value where m.tenant_id = ? ${order}`)
      .pluck()
      .all(JSON.stringify(wanted), tenantId) as number[];
    if (ids.length !== wanted.length) {
      const found = new Set(ids);
      const missing = wanted.filter((i) => !found.has(i));
      throw notFound(missing.length === 1 ? 'Meter' : 'Meters', missing.slice(0, 10).join(', ') + (missing.length > 10 ? ` and ${missing.length - 10} more` : ''));
    }
    return ids;
  }

  /** The rows for the meters at the cut-off `at`, in the order of `meterIds`. */
  rows(tenantId: number, meterIds: readonly number[], at: number, timeZone: string, opts: RowOptions = {}): ExportRow[] {
    const ids = opts.limit !== undefined ? meterIds.slice(0, opts.limit) : meterIds;
    const out: ExportRow[] = [];
    for (const chunk of this.chunks(tenantId, ids, at, timeZone, opts)) out.push(...chunk);
    return out;
  }

  /** The same rows, 1,000 meters at a time, for files too large to hold as one list. */
  *chunks(tenantId: number, meterIds: readonly number[], at: number, timeZone: string, opts: RowOptions = {}): Generator<ExportRow[]> {
    // the cut-off day: the utility's calendar day that ends at (or holds) the cut-off
    const dayStart = bucketStart(at - 1, 'day', timeZone);
    const stmt = opts.interpolate ? this.#around : this.#plain;
    const maxGapMs = opts.maxGapDays !== undefined ? opts.maxGapDays * DAY_MS : Infinity;
    for (let k = 0; k < meterIds.length; k += CHUNK) {
      const raw = stmt.all({ ids: JSON.stringify(meterIds.slice(k, k + CHUNK)), tenant: tenantId, at }) as Raw[];
      yield raw.map((r) => toRow(r, at, dayStart, opts.interpolate === true, maxGapMs));
    }
  }
}

const DAY_MS = 86_400_000;

function toRow(r: Raw, cutoff: number, dayStart: number, interpolate: boolean, maxGapMs: number): ExportRow {
  const row: ExportRow = {
    meter: { id: r.id, manufacturer: r.manufacturer, serial: r.serial, medium: r.medium, model: r.model },
    point: r.address === null ? null : { number: r.p_number, address: r.address, postalCode: r.postal_code, city: r.city },
    customer: r.c_name === null ? null : { number: r.c_number, name: r.c_name },
    reading:
      r.at === null
        ? null
        : { at: r.at, energy: r.energy, volume: r.volume, flow: r.flow, power: r.power, tFlow: r.t_flow, tReturn: r.t_return, info: r.info },
    estimated: false,
    cutoff
  };
  if (!interpolate || !isWater(r.medium, r.device_type)) return row;
  if (r.at !== null && r.at >= dayStart) return row; // read on the cut-off day: that reading bills
  if (r.pv_at == null || r.pv == null || r.nv_at == null || r.nv == null) return row; // nothing on one side
  if (r.nv < r.pv) return row; // a reset or an exchanged register: a line through it would be wrong
  if (r.nv_at - r.pv_at > maxGapMs) {
    // too long without a reading to guess the cut-off value: the file says missing rather than bill an old reading
    row.reading = null;
    return row;
  }
  const volume = Math.round(r.pv + ((r.nv - r.pv) * (cutoff - r.pv_at)) / (r.nv_at - r.pv_at));
  // only the volume is estimated; the other registers are not carried over from another day
  row.reading = { at: cutoff, energy: null, volume, flow: null, power: null, tFlow: null, tReturn: null, info: null };
  row.estimated = true;
  return row;
}

const cache = new WeakMap<Db, ExportRows>();

/** One ExportRows per database (its statements are prepared once). */
export function exportRowsOf(db: Db): ExportRows {
  let r = cache.get(db);
  if (!r) cache.set(db, (r = new ExportRows(db)));
  return r;
}
