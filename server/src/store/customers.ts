import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { auditAs, changes, conflict, likeContains, notFound, type Page, type Paging } from './registry.js';

export interface Customer {
  id: number;
  number: string | null;
  name: string;
  email: string | null;
  phone: string | null;
  createdAt: number;
  updatedAt: number;
  /** How many metering points name this customer. */
  meteringPoints: number;
}

export interface CustomerInput {
  number?: string | null;
  name: string;
  email?: string | null;
  phone?: string | null;
}

export interface CustomerQuery extends Paging {
  q?: string;
  sort?: 'name' | 'number';
}

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

const COLUMNS = `c.id, c.number, c.name, c.email, c.phone, c.created_at as createdAt, c.updated_at as updatedAt,
  (select count(*) from metering_point p where p.customer_id = c.id) as meteringPoints`;

export class CustomerStore {
  constructor(private readonly db: Db) {}

  list(tenantId: number, query: CustomerQuery): Page<Customer> {
    const where = ['c.tenant_id = ?'];
    const args: unknown[] = [tenantId];
    if (query.q) {
      where.push(`(c.name like ? escape '\\' or c.number like ? escape '\\' or c.email like ? escape '\\')`);
      const like = likeContains(query.q);
      args.push(like, like, like);
    }
    const order = query.sort === 'number' ? 'c.number, c.id' : 'c.name, c.id';
    const total = (this.db.prepare(`select count(*) as n from customer c where ${where.join(' and ')}`).get(...args) as { n: number }).n;
    const items = this.db
      .prepare(`select ${COLUMNS} from customer c where ${where.join(' and ')} order by ${order} limit ? offset ?`)
      .all(...args, query.limit, query.offset) as Customer[];
    return { items, total, limit: query.limit, offset: query.offset };
  }

  find(tenantId: number, id: number): Customer | undefined {
    return this.db.prepare(`select ${COLUMNS} from customer c where c.tenant_id = ? and c.id = ?`).get(tenantId, id) as
      | Customer
      | undefined;
  }

  get(tenantId: number, id: number): Customer {
    const c = this.find(tenantId, id);
    if (!c) throw notFound('Customer', id);
    return c;
  }

  idByNumber(tenantId: number, number: string): number | undefined {
    return (this.db.prepare('select id from customer where tenant_id = ? and number = ?').get(tenantId, number) as { id: number } | undefined)?.id;
  }

  create(actor: Actor, input: CustomerInput, now: number): Customer {
    return this.db.transaction(() => {
      this.#checkNumberFree(actor.tenantId, input.number ?? null, null);
      const { id } = this.db
        .prepare(
          'insert into customer (tenant_id, number, name, email, phone, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?) returning id'
        )
        .get(actor.tenantId, input.number ?? null, input.name, input.email ?? null, input.phone ?? null, now, now) as { id: number };
      auditAs(this.db, actor, now, 'customer.created', { customerId: id, number: input.number ?? null, name: input.name });
      return this.get(actor.tenantId, id);
    })();
  }

  update(actor: Actor, id: number, patch: Partial<CustomerInput>, now: number): Customer {
    return this.db.transaction(() => {
      const before = this.get(actor.tenantId, id);
      if (patch.number !== undefined) this.#checkNumberFree(actor.tenantId, patch.number, id);
      const diff = changes(before, patch);
      if (!Object.keys(diff).length) return before;
      this.db
        .prepare(
          `update customer set number = ?, name = ?, email = ?, phone = ?, updated_at = ? where id = ? and tenant_id = ?`
        )
        .run(
          patch.number !== undefined ? patch.number : before.number,
          patch.name ?? before.name,
          patch.email !== undefined ? patch.email : before.email,
          patch.phone !== undefined ? patch.phone : before.phone,
          now,
          id,
          actor.tenantId
        );
      auditAs(this.db, actor, now, 'customer.changed', { customerId: id, changes: diff });
      return this.get(actor.tenantId, id);
    })();
  }

  /** 409 while metering points name the customer, unless `force` unlinks them (points and meters stay). */
  delete(actor: Actor, id: number, force: boolean, now: number): void {
    this.db.transaction(() => {
      const c = this.get(actor.tenantId, id);
      if (c.meteringPoints > 0 && !force) {
        throw conflict(
          `Customer ${id} is the customer of ${c.meteringPoints} metering point(s). Move them to another customer, ` +
            'or delete with force=true to unlink them (the metering points, meters and readings stay).'
        );
      }
      if (c.meteringPoints > 0) this.db.prepare('update metering_point set customer_id = null, updated_at = ? where customer_id = ?').run(now, id);
      this.db.prepare('delete from customer where id = ? and tenant_id = ?').run(id, actor.tenantId);
      auditAs(this.db, actor, now, 'customer.deleted', {
        customerId: id,
        number: c.number,
        name: c.name,
        unlinkedMeteringPoints: c.meteringPoints
      });
    })();
  }

  /** Import: create or update by customer number, no audit entry (the import writes one). */
  upsertByNumber(tenantId: number, row: CustomerInput & { number: string }, now: number): UpsertOutcome {
    const existing = this.db
      .prepare('select id, number, name, email, phone from customer where tenant_id = ? and number = ?')
      .get(tenantId, row.number) as Omit<Customer, 'createdAt' | 'updatedAt' | 'meteringPoints'> | undefined;
    if (!existing) {
      this.db
        .prepare('insert into customer (tenant_id, number, name, email, phone, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)')
        .run(tenantId, row.number, row.name, row.email ?? null, row.phone ?? null, now, now);
      return 'created';
    }
    if (!Object.keys(changes(existing, row)).length) return 'unchanged';
    this.db
      .prepare('update customer set name = ?, email = ?, phone = ?, updated_at = ? where id = ?')
      .run(
        row.name,
        row.email !== undefined ? row.email : existing.email,
        row.phone !== undefined ? row.phone : existing.phone,
        now,
        existing.id
      );
    return 'updated';
  }

  #checkNumberFree(tenantId: number, number: string | null, self: number | null): void {
    if (number === null) return;
    const other = this.idByNumber(tenantId, number);
    if (other !== undefined && other !== self) throw conflict(`number: customer number "${number}" is already customer ${other}.`);
  }
}
