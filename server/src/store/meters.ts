import type { Actor } from '../auth/principal.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/connection.js';
import type { UpsertOutcome } from './customers.js';
import { infoAlarms, type ListAlarm } from './meter-alarms.js';
import { auditAs, changes, conflict, invalid, notFound, type Page, type Paging } from './registry.js';

export const READING_MODES = ['drive-by', 'fixed-network', 'point-to-point', 'wired', 'optical'] as const;
export type ReadingMode = (typeof READING_MODES)[number];
export const METER_SORTS = ['serial', 'customer', 'address', 'postalCode', 'customerNumber', 'type', 'lastReading', 'reading'] as const;
export type MeterSort = (typeof METER_SORTS)[number];

export interface MeterInput {
  manufacturer: string;
  serial: string;
  version?: number | null;
  deviceType?: number | null;
  medium?: string | null;
  model?: string | null;
  driver?: string | null;
  readingMode?: ReadingMode;
  intervalS?: number | null;
}

export interface Meter extends Required<MeterInput> {
  id: number;
  hasKey: boolean;
  meteringPoint: { id: number; number: string | null; address: string; postalCode: string | null; city: string | null } | null;
  customer: { id: number; number: string | null; name: string } | null;
  /** Time of the newest reading, or null. */
  lastReadingAt: number | null;
  /** The newest reading's billing register: energy (heat, cooling, electricity), else volume (water). */
  latest: { at: number; register: 'energy' | 'volume'; value: number; unit: 'kWh' | 'm3' } | null;
  /** What the newest reading's info code says, most important first; [] when it is 0. */
  alarms: ListAlarm[];
  /** The meter's most pressing consumption alert (M10): exceeded before armed before disarmed. */
  alert: { state: 'armed' | 'exceeded' | 'disarmed'; period: 'day' | 'week' | 'month'; limit: number; value: number | null; unit: 'kWh' | 'm3' } | null;
  createdAt: number;
  updatedAt: number;
}

export interface Installation {
  id: number;
  meteringPointId: number;
  address: string;
  from: number;
  to: number | null;
}

export interface MeterDetail extends Meter {
  installations: Installation[];
  groups: { id: number; name: string }[];
  key: { source: string; updatedAt: number } | null;
}

export interface MeterQuery extends Paging {
  /** Search words, see searchFilter(). */
  q?: string;
  sort?: MeterSort;
  desc?: boolean;
  /** A group id, 'ungrouped', or 'last-imported' (the meters of the newest import that named any). */
  group?: number | 'ungrouped' | 'last-imported';
  key?: 'present' | 'missing';
}

interface Row {
  id: number;
  manufacturer: string;
  serial: string;
  version: number | null;
  deviceType: number | null;
  medium: string | null;
  model: string | null;
  driver: string | null;
  readingMode: ReadingMode;
  intervalS: number | null;
  hasKey: number;
  pointId: number | null;
  pointNumber: string | null;
  address: string | null;
  postalCode: string | null;
  city: string | null;
  customerId: number | null;
  customerNumber: string | null;
  customerName: string | null;
  lastReadingAt: number | null;
  energy: number | null;
  volume: number | null;
  info: number | null;
  alertState: 'armed' | 'exceeded' | 'disarmed' | null;
  alertPeriod: 'day' | 'week' | 'month';
  alertLimit: number;
  alertValue: number | null;
  alertRegister: 'energy' | 'volume';
  createdAt: number;
  updatedAt: number;
}

const SELECT = `select m.id, m.manufacturer, m.serial, m.version, m.device_type as deviceType, m.medium, m.model, m.driver,
    m.reading_mode as readingMode, m.interval_s as intervalS,
    exists (select 1 from meter_key k where k.meter_id = m.id) as hasKey,
    p.id as pointId, p.number as pointNumber, p.address, p.postal_code as postalCode, p.city,
    c.id as customerId, c.number as customerNumber, c.name as customerName,
    ml.at as lastReadingAt, ml.energy, ml.volume, ml.info,
    ca.state as alertState, ca.period as alertPeriod, ca.limit_value as alertLimit, ca.value as alertValue, ca.register as alertRegister,
    m.created_at as createdAt, m.updated_at as updatedAt`;
const JOINS = `left join installation i on i.meter_id = m.id and i.to_at is null
  left join metering_point p on p.id = i.metering_point_id
  left join customer c on c.id = p.customer_id
  left join meter_latest ml on ml.meter_id = m.id
  left join consumption_alert ca on ca.id = (select x.id from consumption_alert x where x.meter_id = m.id
    order by x.state = 'exceeded' desc, x.state = 'armed' desc, x.period = 'day' desc, x.period = 'week' desc limit 1)`;

/** Stored integers (reading table units: J, mL) → the list's register. */
function latestOf(r: Row): Meter['latest'] {
  if (r.lastReadingAt === null) return null;
  if (r.energy !== null) return { at: r.lastReadingAt, register: 'energy', value: r.energy / 3.6e6, unit: 'kWh' };
  if (r.volume !== null) return { at: r.lastReadingAt, register: 'volume', value: r.volume / 1e6, unit: 'm3' };
  return null;
}

/** Where each sort reads its key (an index on (tenant, key), but meter_latest's are scanned: 007), and the id column. */
const SORT_SOURCE: Record<MeterSort, { from: string; id: string; key: string; groups?: string }> = {
  serial: { from: 'meter m', id: 'm.id', key: 'm.serial' },
  type: { from: 'meter m', id: 'm.id', key: 'm.medium, m.model' },
  customer: { from: 'meter_listing l', id: 'l.meter_id', key: 'l.customer_name' },
  address: { from: 'meter_listing l', id: 'l.meter_id', key: 'l.address' },
  postalCode: { from: 'meter_listing l', id: 'l.meter_id', key: 'l.postal_code' },
  customerNumber: { from: 'meter_listing l', id: 'l.meter_id', key: 'l.customer_number' },
  lastReading: { from: 'meter_latest x', id: 'x.meter_id', key: 'x.at' },
  // kWh and m3 do not compare: energy registers first, then volumes, meters without a reading last, either way
  reading: { from: 'meter_latest x', id: 'x.meter_id', key: 'x.main', groups: 'x.main is null, x.energy is null' }
};

function toMeter(r: Row): Meter {
  return {
    id: r.id,
    manufacturer: r.manufacturer,
    serial: r.serial,
    version: r.version,
    deviceType: r.deviceType,
    medium: r.medium,
    model: r.model,
    driver: r.driver,
    readingMode: r.readingMode,
    intervalS: r.intervalS,
    hasKey: r.hasKey === 1,
    meteringPoint:
      r.pointId === null ? null : { id: r.pointId, number: r.pointNumber, address: r.address ?? '', postalCode: r.postalCode, city: r.city },
    customer: r.customerId === null ? null : { id: r.customerId, number: r.customerNumber, name: r.customerName ?? '' },
    lastReadingAt: r.lastReadingAt,
    latest: latestOf(r),
    alarms: infoAlarms(r, r.info),
    alert:
      r.alertState === null
        ? null
        : { state: r.alertState, period: r.alertPeriod, limit: r.alertLimit, value: r.alertValue, unit: r.alertRegister === 'energy' ? 'kWh' : 'm3' },
    createdAt: r.createdAt,
    updatedAt: r.updatedAt
  };
}

/**
 * Search words → SQL over the trigram index; everything is a bound parameter.
 * - Words of 3+ characters must occur anywhere (serial, manufacturer, model, medium, customer
 *   name and number, metering point number, address, postal code, city): one MATCH of quoted phrases.
 * - Words of 1-2 characters (trigrams cannot find them): next to a longer word they must occur
 *   anywhere in the rows it found ("hovedgaden 12"); alone they match the start of the serial or
 *   the postal code ("7", "80"), through indexes, as type-ahead does.
 */
export function searchFilter(q: string, idCol: string, tenantId: number): { sql: string[]; args: unknown[] } {
  const words = q.trim().split(/\s+/).filter(Boolean).slice(0, 10);
  const long = words.filter((w) => [...w].length >= 3);
  const short = words.filter((w) => [...w].length < 3);
  if (!words.length) return { sql: [], args: [] };
  if (long.length) {
    const match = long.map((w) => `"${w.replaceAll('"', '""')}"`).join(' ');
    const instr = short.map(() => ' and instr(lower(text), ?) > 0').join('');
    return {
      sql: [`${idCol} in (select rowid from meter_search where meter_search match ?${instr})`],
      args: [match, ...short.map((w) => w.toLowerCase())]
    };
  }
  const sql: string[] = [];
  const args: unknown[] = [];
  for (const w of short) {
    sql.push(
      `${idCol} in (select id from meter where tenant_id = ? and serial >= ? and serial < ?
                    union all select meter_id from meter_listing where tenant_id = ? and postal_code >= ? and postal_code < ?)`
    );
    args.push(tenantId, w, w + '\uffff', tenantId, w, w + '\uffff');
  }
  return { sql, args };
}

/** The newest import run that named meters (import_run_meter, 006-import-runs.sql): "Last imported" (M3). */
export function lastImportRun(db: Db, tenantId: number): { id: number; startedAt: number; source: string; kind: string } | undefined {
  return db
    .prepare(
      `select r.id, r.started_at as startedAt, r.source, r.kind from import_run r
        where r.tenant_id = ? and exists (select 1 from import_run_meter x where x.run_id = r.id)
        order by r.started_at desc, r.id desc limit 1`
    )
    .get(tenantId) as { id: number; startedAt: number; source: string; kind: string } | undefined;
}

export class MeterStore {
  /** Compiled statements by SQL text: an import of 100,000 meters prepared the same few statements
   *  per row, half its time (the installation insert compiles the search triggers). */
  readonly #statements = new Map<string, Statement>();

  constructor(private readonly db: Db) {}

  #prepare(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  list(tenantId: number, query: MeterQuery): Page<Meter> {
    const { from, where, args, order, idCol } = this.#filter(tenantId, query);
    const total = (this.#prepare(`select count(*) as n from ${from} where ${where}`).get(...args) as { n: number }).n;
    const ids = this.db
      .prepare(`select ${idCol} as id from ${from} where ${where} order by ${order} limit ? offset ?`)
      .pluck()
      .all(...args, query.limit, query.offset) as number[];
    return { items: this.#rows(ids), total, limit: query.limit, offset: query.offset };
  }

  /** The ids of every matching meter in list order (a selection of "all matching", M4). */
  ids(tenantId: number, query: Omit<MeterQuery, 'limit' | 'offset'>): number[] {
    const { from, where, args, order, idCol } = this.#filter(tenantId, query);
    return this.#prepare(`select ${idCol} from ${from} where ${where} order by ${order}`).pluck().all(...args) as number[];
  }

  #filter(tenantId: number, query: Omit<MeterQuery, 'limit' | 'offset'>): { from: string; where: string; args: unknown[]; order: string; idCol: string } {
    const source = SORT_SOURCE[query.sort ?? 'serial'];
    const idCol = source.id;
    const filters: string[] = [`${source.from.split(' ')[1]}.tenant_id = ?`];
    const args: unknown[] = [tenantId];
    if (query.q) {
      const search = searchFilter(query.q, idCol, tenantId);
      filters.push(...search.sql);
      args.push(...search.args);
    }
    if (query.group === 'ungrouped') {
      filters.push(`${idCol} not in (select meter_id from group_member)`);
    } else if (query.group === 'last-imported') {
      filters.push(`${idCol} in (select meter_id from import_run_meter where run_id = ?)`);
      args.push(lastImportRun(this.db, tenantId)?.id ?? 0);
    } else if (query.group !== undefined) {
      if (!this.#prepare('select 1 from meter_group where tenant_id = ? and id = ?').get(tenantId, query.group)) throw notFound('Group', query.group);
      filters.push(`${idCol} in (select meter_id from group_member where group_id = ?)`);
      args.push(query.group);
    }
    if (query.key) filters.push(`${query.key === 'missing' ? 'not ' : ''}exists (select 1 from meter_key k where k.meter_id = ${idCol})`);
    const dir = query.desc ? ' desc' : '';
    const order = [...(source.groups ? [source.groups] : []), ...[...source.key.split(', '), idCol].map((k) => k + dir)].join(', ');
    return { from: source.from, where: filters.join(' and '), args, order, idCol };
  }

  /** Full rows for ids, in the order given (the ids are already the tenant's). */
  #rows(ids: number[]): Meter[] {
    if (!ids.length) return [];
    const rows = this.db
      .prepare(`${SELECT} from json_each(?) j cross join meter m on m.id = j.value ${JOINS} order by j.key`)
      .all(JSON.stringify(ids)) as Row[];
    return rows.map(toMeter);
  }

  find(tenantId: number, id: number): Meter | undefined {
    const row = this.#prepare(`${SELECT} from meter m ${JOINS} where m.tenant_id = ? and m.id = ?`).get(tenantId, id) as Row | undefined;
    return row && toMeter(row);
  }

  get(tenantId: number, id: number): Meter {
    const m = this.find(tenantId, id);
    if (!m) throw notFound('Meter', id);
    return m;
  }

  detail(tenantId: number, id: number): MeterDetail {
    const meter = this.get(tenantId, id);
    const installations = this.db
      .prepare(
        `select i.id, i.metering_point_id as meteringPointId, p.address, i.from_at as "from", i.to_at as "to"
           from installation i join metering_point p on p.id = i.metering_point_id
          where i.meter_id = ? order by i.from_at desc, i.id desc`
      )
      .all(id) as Installation[];
    const groups = this.db
      .prepare('select g.id, g.name from group_member gm join meter_group g on g.id = gm.group_id where gm.meter_id = ? order by g.name')
      .all(id) as { id: number; name: string }[];
    const key =
      (this.#prepare('select source, updated_at as updatedAt from meter_key where meter_id = ?').get(id) as MeterDetail['key'] | undefined) ?? null;
    return { ...meter, installations, groups, key };
  }

  idByIdentity(tenantId: number, manufacturer: string, serial: string): number | undefined {
    return (
      this.#prepare('select id from meter where tenant_id = ? and manufacturer = ? and serial = ?').get(tenantId, manufacturer, serial) as
        | { id: number }
        | undefined
    )?.id;
  }

  /** Meters of the tenant with this serial, any manufacturer (key files often name only the serial). */
  idsBySerial(tenantId: number, serial: string): number[] {
    return this.#prepare('select id from meter where tenant_id = ? and serial = ? order by id').pluck().all(tenantId, serial) as number[];
  }

  create(actor: Actor, input: MeterInput, now: number): Meter {
    return this.db.transaction(() => {
      const id = this.insert(actor.tenantId, input, now);
      auditAs(this.db, actor, now, 'meter.created', { meterId: id, manufacturer: input.manufacturer, serial: input.serial });
      return this.get(actor.tenantId, id);
    })();
  }

  /** Insert without an audit entry (callers write one: create, or one per import). 409 on a duplicate. */
  insert(tenantId: number, input: MeterInput, now: number): number {
    const other = this.idByIdentity(tenantId, input.manufacturer, input.serial);
    if (other !== undefined) throw conflict(`serial: meter ${input.manufacturer} ${input.serial} already exists (meter ${other}).`);
    const { id } = this.db
      .prepare(
        `insert into meter (tenant_id, manufacturer, serial, version, device_type, medium, model, driver, reading_mode, interval_s, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`
      )
      .get(
        tenantId,
        input.manufacturer,
        input.serial,
        input.version ?? null,
        input.deviceType ?? null,
        input.medium ?? null,
        input.model ?? null,
        input.driver ?? null,
        input.readingMode ?? 'drive-by',
        input.intervalS ?? null,
        now,
        now
      ) as { id: number };
    return id;
  }

  update(actor: Actor, id: number, patch: Partial<MeterInput>, now: number): Meter {
    return this.db.transaction(() => {
      const before = this.get(actor.tenantId, id);
      const diff = changes(before, patch);
      if (!Object.keys(diff).length) return before;
      const next = { ...before, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as Meter;
      if (diff.manufacturer || diff.serial) {
        const other = this.idByIdentity(actor.tenantId, next.manufacturer, next.serial);
        if (other !== undefined && other !== id) throw conflict(`serial: meter ${next.manufacturer} ${next.serial} already exists (meter ${other}).`);
      }
      this.#write(id, next, now);
      auditAs(this.db, actor, now, 'meter.changed', { meterId: id, changes: diff });
      return this.get(actor.tenantId, id);
    })();
  }

  #write(id: number, m: Required<MeterInput>, now: number): void {
    this.db
      .prepare(
        `update meter set manufacturer = ?, serial = ?, version = ?, device_type = ?, medium = ?, model = ?, driver = ?,
                reading_mode = ?, interval_s = ?, updated_at = ? where id = ?`
      )
      .run(m.manufacturer, m.serial, m.version, m.deviceType, m.medium, m.model, m.driver, m.readingMode, m.intervalS, now, id);
  }

  /** Import: create or update by manufacturer + serial; mapped fields only. No audit entry. */
  upsert(tenantId: number, row: MeterInput, now: number): { id: number; outcome: UpsertOutcome } {
    const id = this.idByIdentity(tenantId, row.manufacturer, row.serial);
    if (id === undefined) return { id: this.insert(tenantId, row, now), outcome: 'created' };
    const before = this.get(tenantId, id);
    if (!Object.keys(changes(before, row)).length) return { id, outcome: 'unchanged' };
    const next = { ...before, ...Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined)) } as Meter;
    this.#write(id, next, now);
    return { id, outcome: 'updated' };
  }

  /**
   * 409 while the meter has installations, readings or raw frames, unless `force`: then its
   * installation history and readings are deleted with it (counted in the audit entry) and its
   * raw frames are kept, unlinked, for a later decode.
   */
  delete(actor: Actor, id: number, force: boolean, now: number): void {
    this.db.transaction(() => {
      const m = this.get(actor.tenantId, id);
      const count = (sql: string) => (this.#prepare(sql).get(id) as { n: number }).n;
      const installations = count('select count(*) as n from installation where meter_id = ?');
      const readings = count('select count(*) as n from reading where meter_id = ?');
      const frames = count('select count(*) as n from frame where meter_id = ?');
      if ((installations || readings || frames) && !force) {
        const what = [
          installations && `${installations} installation(s)`,
          readings && `${readings} reading(s)`,
          frames && `${frames} raw frame(s)`
        ].filter(Boolean);
        throw conflict(
          `Meter ${m.manufacturer} ${m.serial} (id ${id}) has ${what.join(', ')}. Delete with force=true to delete the meter ` +
            'with its installation history and readings (raw frames are kept).'
        );
      }
      this.#prepare('delete from installation where meter_id = ?').run(id);
      this.#prepare('delete from reading where meter_id = ?').run(id);
      if (frames) {
        this.#prepare(`update frame set meter_id = null, status = 'unknown-meter', reason = 'meter deleted' where meter_id = ?`).run(id);
      }
      this.#prepare('delete from meter where id = ? and tenant_id = ?').run(id, actor.tenantId);
      auditAs(this.db, actor, now, 'meter.deleted', {
        meterId: id,
        manufacturer: m.manufacturer,
        serial: m.serial,
        removedInstallations: installations,
        deletedReadings: readings,
        unlinkedFrames: frames
      });
    })();
  }

  // --- Installations (M12) ---------------------------------------------------------------

  #point(tenantId: number, pointId: number): { id: number; address: string } {
    const p = this.#prepare('select id, address from metering_point where tenant_id = ? and id = ?').get(tenantId, pointId) as
      | { id: number; address: string }
      | undefined;
    if (!p) throw notFound('Metering point', pointId);
    return p;
  }

  #current(column: 'meter_id' | 'metering_point_id', id: number) {
    return this.db
      .prepare(`select id, meter_id as meterId, metering_point_id as pointId, from_at as fromAt from installation where ${column} = ? and to_at is null`)
      .get(id) as { id: number; meterId: number; pointId: number; fromAt: number } | undefined;
  }

  #lastEnd(column: 'meter_id' | 'metering_point_id', id: number): number | null {
    return (this.#prepare(`select max(to_at) as t from installation where ${column} = ?`).get(id) as { t: number | null }).t;
  }

  #checkFree(meter: Meter, pointId: number, from: number): void {
    const cur = this.#current('meter_id', meter.id);
    if (cur) {
      throw conflict(
        `Meter ${meter.manufacturer} ${meter.serial} is installed at metering point ${cur.pointId} since ${new Date(cur.fromAt).toISOString()}; uninstall it first.`
      );
    }
    const end = this.#lastEnd('meter_id', meter.id);
    if (end !== null && from < end) {
      throw conflict(`from: meter ${meter.manufacturer} ${meter.serial} was installed elsewhere until ${new Date(end).toISOString()}.`);
    }
    const pointEnd = this.#lastEnd('metering_point_id', pointId);
    if (pointEnd !== null && from < pointEnd) {
      throw conflict(`from: metering point ${pointId} had another meter until ${new Date(pointEnd).toISOString()}.`);
    }
  }

  /** Install a meter at a metering point from `from` on (the point must have no meter now). */
  install(actor: Actor, meterId: number, pointId: number, from: number, now: number): MeterDetail {
    this.db.transaction(() => {
      this.#installNoAudit(actor.tenantId, meterId, pointId, from);
      auditAs(this.db, actor, now, 'meter.installed', { meterId, meteringPointId: pointId, from });
    })();
    return this.detail(actor.tenantId, meterId);
  }

  #installNoAudit(tenantId: number, meterId: number, pointId: number, from: number): void {
    const meter = this.get(tenantId, meterId);
    this.#point(tenantId, pointId);
    const there = this.#current('metering_point_id', pointId);
    if (there) {
      throw conflict(
        `Metering point ${pointId} has meter ${there.meterId} installed; exchange meters with POST /api/metering-points/${pointId}/exchange.`
      );
    }
    this.#checkFree(meter, pointId, from);
    this.#prepare('insert into installation (tenant_id, meter_id, metering_point_id, from_at) values (?, ?, ?, ?)').run(tenantId, meterId, pointId, from);
  }

  /** Import: install at a point unless already installed there; an installation elsewhere is a 409. */
  ensureInstalled(tenantId: number, meterId: number, pointId: number, from: number): boolean {
    const cur = this.#current('meter_id', meterId);
    if (cur?.pointId === pointId) return false;
    this.#installNoAudit(tenantId, meterId, pointId, from);
    return true;
  }

  /** Where a meter is installed now, for import validation. */
  currentPointOf(meterId: number): number | null {
    return this.#current('meter_id', meterId)?.pointId ?? null;
  }

  currentMeterAt(pointId: number): number | null {
    return this.#current('metering_point_id', pointId)?.meterId ?? null;
  }

  uninstall(actor: Actor, meterId: number, at: number, now: number): MeterDetail {
    this.db.transaction(() => {
      const meter = this.get(actor.tenantId, meterId);
      const cur = this.#current('meter_id', meterId);
      if (!cur) throw conflict(`Meter ${meter.manufacturer} ${meter.serial} is not installed anywhere.`);
      if (at <= cur.fromAt) throw invalid('at', `must be after the installation began (${new Date(cur.fromAt).toISOString()})`);
      this.#prepare('update installation set to_at = ? where id = ?').run(at, cur.id);
      auditAs(this.db, actor, now, 'meter.uninstalled', { meterId, meteringPointId: cur.pointId, at });
    })();
    return this.detail(actor.tenantId, meterId);
  }

  /**
   * Meter exchange (M12): close the old meter's installation and open the new one's at the same instant, atomically.
   * `details` add to the audit entry (a field exchange names its client id and readings).
   */
  exchange(actor: Actor, pointId: number, oldMeterId: number, newMeterId: number, at: number, now: number, details: Record<string, unknown> = {}) {
    this.db.transaction(() => {
      this.#point(actor.tenantId, pointId);
      const oldMeter = this.get(actor.tenantId, oldMeterId);
      const newMeter = this.get(actor.tenantId, newMeterId);
      if (oldMeterId === newMeterId) throw invalid('newMeterId', 'must differ from oldMeterId');
      const cur = this.#current('metering_point_id', pointId);
      if (!cur || cur.meterId !== oldMeterId) {
        throw conflict(
          `Meter ${oldMeter.manufacturer} ${oldMeter.serial} is not the meter installed at metering point ${pointId}` +
            (cur ? ` (meter ${cur.meterId} is).` : ' (no meter is installed there).')
        );
      }
      if (at <= cur.fromAt) throw invalid('at', `must be after the old meter's installation began (${new Date(cur.fromAt).toISOString()})`);
      this.#prepare('update installation set to_at = ? where id = ?').run(at, cur.id);
      this.#checkFree(newMeter, pointId, at);
      this.db
        .prepare('insert into installation (tenant_id, meter_id, metering_point_id, from_at) values (?, ?, ?, ?)')
        .run(actor.tenantId, newMeterId, pointId, at);
      auditAs(this.db, actor, now, 'meter.exchanged', { meteringPointId: pointId, oldMeterId, newMeterId, at, ...details });
    })();
  }
}
