import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { auditAs, changes, conflict, likeContains, notFound, type Page, type Paging } from './registry.js';
import type { UpsertOutcome } from './customers.js';

export interface MeteringPoint {
  id: number;
  number: string | null;
  address: string;
  postalCode: string | null;
  city: string | null;
  lat: number | null;
  lon: number | null;
  customer: { id: number; number: string | null; name: string } | null;
  /** The meter installed now, if any. */
  meter: { id: number; manufacturer: string; serial: string; installedAt: number } | null;
  createdAt: number;
  updatedAt: number;
}

export interface MeteringPointInstallation {
  id: number;
  meterId: number;
  manufacturer: string;
  serial: string;
  from: number;
  to: number | null;
}

export interface MeteringPointInput {
  number?: string | null;
  address: string;
  postalCode?: string | null;
  city?: string | null;
  lat?: number | null;
  lon?: number | null;
  customerId?: number | null;
}

export interface MeteringPointQuery extends Paging {
  q?: string;
  customerId?: number;
  sort?: 'address' | 'number' | 'postalCode';
}

interface Row {
  id: number;
  number: string | null;
  address: string;
  postalCode: string | null;
  city: string | null;
  lat: number | null;
  lon: number | null;
  customerId: number | null;
  customerNumber: string | null;
  customerName: string | null;
  meterId: number | null;
  manufacturer: string | null;
  serial: string | null;
  installedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

const SELECT = `select p.id, p.number, p.address, p.postal_code as postalCode, p.city, p.lat, p.lon,
    p.customer_id as customerId, c.number as customerNumber, c.name as customerName,
    m.id as meterId, m.manufacturer, m.serial, i.from_at as installedAt,
    p.created_at as createdAt, p.updated_at as updatedAt
  from metering_point p
  left join customer c on c.id = p.customer_id
  left join installation i on i.metering_point_id = p.id and i.to_at is null
  left join meter m on m.id = i.meter_id`;

function toPoint(r: Row): MeteringPoint {
  return {
    id: r.id,
    number: r.number,
    address: r.address,
    postalCode: r.postalCode,
    city: r.city,
    lat: r.lat,
    lon: r.lon,
    customer: r.customerId === null ? null : { id: r.customerId, number: r.customerNumber, name: r.customerName ?? '' },
    meter:
      r.meterId === null ? null : { id: r.meterId, manufacturer: r.manufacturer ?? '', serial: r.serial ?? '', installedAt: r.installedAt ?? 0 },
    createdAt: r.createdAt,
    updatedAt: r.updatedAt
  };
}

export class MeteringPointStore {
  constructor(private readonly db: Db) {}

  list(tenantId: number, query: MeteringPointQuery): Page<MeteringPoint> {
    const where = ['p.tenant_id = ?'];
    const args: unknown[] = [tenantId];
    if (query.customerId !== undefined) {
      where.push('p.customer_id = ?');
      args.push(query.customerId);
    }
    if (query.q) {
      const like = likeContains(query.q);
      where.push(
        `(p.address like ? escape '\\' or p.number like ? escape '\\' or p.postal_code like ? escape '\\' or p.city like ? escape '\\' or c.name like ? escape '\\')`
      );
      args.push(like, like, like, like, like);
    }
    const order = { address: 'p.address, p.id', number: 'p.number, p.id', postalCode: 'p.postal_code, p.id' }[query.sort ?? 'address'];
    const total = (
      this.db
        .prepare(`select count(*) as n from metering_point p left join customer c on c.id = p.customer_id where ${where.join(' and ')}`)
        .get(...args) as { n: number }
    ).n;
    const rows = this.db
      .prepare(`${SELECT} where ${where.join(' and ')} order by ${order} limit ? offset ?`)
      .all(...args, query.limit, query.offset) as Row[];
    return { items: rows.map(toPoint), total, limit: query.limit, offset: query.offset };
  }

  find(tenantId: number, id: number): MeteringPoint | undefined {
    const row = this.db.prepare(`${SELECT} where p.tenant_id = ? and p.id = ?`).get(tenantId, id) as Row | undefined;
    return row && toPoint(row);
  }

  get(tenantId: number, id: number): MeteringPoint {
    const p = this.find(tenantId, id);
    if (!p) throw notFound('Metering point', id);
    return p;
  }

  /** The point with every meter that was ever installed there, newest first. */
  detail(tenantId: number, id: number): MeteringPoint & { installations: MeteringPointInstallation[] } {
    const point = this.get(tenantId, id);
    const installations = this.db
      .prepare(
        `select i.id, i.meter_id as meterId, m.manufacturer, m.serial, i.from_at as "from", i.to_at as "to"
           from installation i join meter m on m.id = i.meter_id
          where i.metering_point_id = ? order by i.from_at desc, i.id desc`
      )
      .all(id) as MeteringPointInstallation[];
    return { ...point, installations };
  }

  idByNumber(tenantId: number, number: string): number | undefined {
    return (this.db.prepare('select id from metering_point where tenant_id = ? and number = ?').get(tenantId, number) as { id: number } | undefined)
      ?.id;
  }

  create(actor: Actor, input: MeteringPointInput, now: number): MeteringPoint {
    return this.db.transaction(() => {
      this.#checkCustomer(actor.tenantId, input.customerId ?? null);
      this.#checkNumberFree(actor.tenantId, input.number ?? null, null);
      const { id } = this.db
        .prepare(
          `insert into metering_point (tenant_id, customer_id, number, address, postal_code, city, lat, lon, created_at, updated_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`
        )
        .get(
          actor.tenantId,
          input.customerId ?? null,
          input.number ?? null,
          input.address,
          input.postalCode ?? null,
          input.city ?? null,
          input.lat ?? null,
          input.lon ?? null,
          now,
          now
        ) as { id: number };
      auditAs(this.db, actor, now, 'metering-point.created', { meteringPointId: id, number: input.number ?? null, address: input.address });
      return this.get(actor.tenantId, id);
    })();
  }

  update(actor: Actor, id: number, patch: Partial<MeteringPointInput>, now: number): MeteringPoint {
    return this.db.transaction(() => {
      const before = this.get(actor.tenantId, id);
      if (patch.customerId !== undefined) this.#checkCustomer(actor.tenantId, patch.customerId);
      if (patch.number !== undefined) this.#checkNumberFree(actor.tenantId, patch.number, id);
      const flat = { ...before, customerId: before.customer?.id ?? null };
      const diff = changes(flat, patch);
      if (!Object.keys(diff).length) return before;
      const pick = <K extends keyof MeteringPointInput>(k: K) => (patch[k] !== undefined ? patch[k] : flat[k]);
      this.db
        .prepare(
          `update metering_point set customer_id = ?, number = ?, address = ?, postal_code = ?, city = ?, lat = ?, lon = ?, updated_at = ?
            where id = ? and tenant_id = ?`
        )
        .run(pick('customerId'), pick('number'), pick('address'), pick('postalCode'), pick('city'), pick('lat'), pick('lon'), now, id, actor.tenantId);
      auditAs(this.db, actor, now, 'metering-point.changed', { meteringPointId: id, changes: diff });
      return this.get(actor.tenantId, id);
    })();
  }

  /** 409 while meters are or were installed here, unless `force` removes that installation history
   *  (the meters and their readings stay). */
  delete(actor: Actor, id: number, force: boolean, now: number): void {
    this.db.transaction(() => {
      const p = this.get(actor.tenantId, id);
      const n = (this.db.prepare('select count(*) as n from installation where metering_point_id = ?').get(id) as { n: number }).n;
      if (n > 0 && !force) {
        throw conflict(
          `Metering point ${id} has ${n} installation(s)${p.meter ? `, with meter ${p.meter.manufacturer} ${p.meter.serial} installed now` : ''}. ` +
            'Delete with force=true to remove the point and its installation history (the meters and their readings stay).'
        );
      }
      this.db.prepare('delete from installation where metering_point_id = ?').run(id);
      this.db.prepare('delete from metering_point where id = ? and tenant_id = ?').run(id, actor.tenantId);
      auditAs(this.db, actor, now, 'metering-point.deleted', { meteringPointId: id, number: p.number, address: p.address, removedInstallations: n });
    })();
  }

  /** Import: create or update by metering point number, no audit entry (the import writes one). */
  upsertByNumber(tenantId: number, row: MeteringPointInput & { number: string }, now: number): UpsertOutcome {
    const existing = this.db
      .prepare(
        `select id, number, address, postal_code as postalCode, city, lat, lon, customer_id as customerId
           from metering_point where tenant_id = ? and number = ?`
      )
      .get(tenantId, row.number) as (Required<MeteringPointInput> & { id: number }) | undefined;
    if (!existing) {
      this.db
        .prepare(
          `insert into metering_point (tenant_id, customer_id, number, address, postal_code, city, lat, lon, created_at, updated_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
        )
        .run(tenantId, row.customerId ?? null, row.number, row.address, row.postalCode ?? null, row.city ?? null, row.lat ?? null, row.lon ?? null, now, now);
      return 'created';
    }
    if (!Object.keys(changes(existing, row)).length) return 'unchanged';
    const pick = <K extends keyof MeteringPointInput>(k: K) => (row[k] !== undefined ? row[k] : existing[k]);
    this.db
      .prepare(
        `update metering_point set customer_id = ?, address = ?, postal_code = ?, city = ?, lat = ?, lon = ?, updated_at = ? where id = ?`
      )
      .run(pick('customerId'), row.address, pick('postalCode'), pick('city'), pick('lat'), pick('lon'), now, existing.id);
    return 'updated';
  }

  #checkCustomer(tenantId: number, customerId: number | null): void {
    if (customerId === null) return;
    if (!this.db.prepare('select 1 from customer where tenant_id = ? and id = ?').get(tenantId, customerId)) throw notFound('Customer', customerId);
  }

  #checkNumberFree(tenantId: number, number: string | null, self: number | null): void {
    if (number === null) return;
    const other = this.idByNumber(tenantId, number);
    if (other !== undefined && other !== self) throw conflict(`number: metering point number "${number}" is already metering point ${other}.`);
  }
}
