import type { Db } from '../db/connection.js';
import type { Page } from '../store/registry.js';

// The delivery log (M9): one row per message and recipient, written as "queued" when a rule fires
// and moved on by the sender (sender.ts): sent, or retrying with the reason and the time of the
// next attempt, or failed after the last one. Pending rows survive a restart: the sender picks
// them up when it starts.

export const DELIVERY_STATUSES = ['queued', 'sent', 'retrying', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export type Channel = 'email' | 'sms';

/** Attempts per message before it counts as failed. */
export const MAX_ATTEMPTS = 3;

export interface Message {
  tenantId: number;
  ruleId: number;
  ruleName: string;
  channel: Channel;
  recipient: string;
  subject: string;
  body: string;
  meters: number;
}

export interface Delivery extends Omit<Message, 'ruleId'> {
  id: number;
  /** null once the rule was deleted (ruleName still says which it was). */
  ruleId: number | null;
  status: DeliveryStatus;
  attempts: number;
  reason: string | null;
  createdAt: number;
  nextAt: number | null;
  sentAt: number | null;
  updatedAt: number;
}

export interface DeliveryQuery {
  status?: DeliveryStatus;
  rule?: number;
  /** created_at range, ms: [from, to). */
  from?: number;
  to?: number;
  limit: number;
  offset: number;
}

const SELECT = `select id, tenant_id as tenantId, rule_id as ruleId, rule_name as ruleName, channel, recipient, subject, body, meters, status,
  attempts, reason, created_at as createdAt, next_at as nextAt, sent_at as sentAt, updated_at as updatedAt from notification_delivery`;

export class DeliveryStore {
  constructor(private readonly db: Db) {}

  /** Queues the messages (call inside the transaction that decided them). */
  queue(messages: Message[], now: number): void {
    const add = this.db.prepare(
      `insert into notification_delivery (tenant_id, rule_id, rule_name, channel, recipient, subject, body, meters, status, attempts, created_at,
         next_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)`
    );
    for (const m of messages) add.run(m.tenantId, m.ruleId, m.ruleName, m.channel, m.recipient, m.subject, m.body, m.meters, now, now, now);
  }

  list(tenantId: number, q: DeliveryQuery): Page<Delivery> {
    const where = ['tenant_id = ?'];
    const args: unknown[] = [tenantId];
    if (q.status) {
      where.push('status = ?');
      args.push(q.status);
    }
    if (q.rule !== undefined) {
      where.push('rule_id = ?');
      args.push(q.rule);
    }
    if (q.from !== undefined) {
      where.push('created_at >= ?');
      args.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('created_at < ?');
      args.push(q.to);
    }
    const sql = where.join(' and ');
    const total = this.db.prepare(`select count(*) from notification_delivery where ${sql}`).pluck().get(...args) as number;
    const items = this.db.prepare(`${SELECT} where ${sql} order by created_at desc, id desc limit ? offset ?`).all(...args, q.limit, q.offset) as Delivery[];
    return { items, total, limit: q.limit, offset: q.offset };
  }

  /** Pending rows due by `now`, oldest first. */
  due(now: number, limit: number): Delivery[] {
    return this.db
      .prepare(`${SELECT} where status in ('queued', 'retrying') and next_at <= ? order by next_at, id limit ?`)
      .all(now, limit) as Delivery[];
  }

  /** When the next pending row is due; null when none is pending. */
  nextDue(): number | null {
    return (this.db.prepare(`select min(next_at) from notification_delivery where status in ('queued', 'retrying')`).pluck().get() as number | null) ?? null;
  }

  sent(id: number, now: number): void {
    this.db
      .prepare(`update notification_delivery set status = 'sent', attempts = attempts + 1, reason = null, sent_at = ?, next_at = null, updated_at = ? where id = ?`)
      .run(now, now, id);
  }

  /** A failed attempt: retrying after `delayMs` while attempts remain and trying again can help, else failed. */
  failed(id: number, reason: string, retryable: boolean, delayMs: number, now: number): DeliveryStatus {
    const { attempts } = this.db.prepare('select attempts from notification_delivery where id = ?').get(id) as { attempts: number };
    const again = retryable && attempts + 1 < MAX_ATTEMPTS;
    this.db
      .prepare(`update notification_delivery set status = ?, attempts = attempts + 1, reason = ?, next_at = ?, updated_at = ? where id = ?`)
      .run(again ? 'retrying' : 'failed', reason.slice(0, 1000), again ? now + delayMs : null, now, id);
    return again ? 'retrying' : 'failed';
  }
}

const stores = new WeakMap<Db, DeliveryStore>();

export function deliveriesOf(db: Db): DeliveryStore {
  let s = stores.get(db);
  if (!s) stores.set(db, (s = new DeliveryStore(db)));
  return s;
}
