import { randomBytes } from 'node:crypto';
import { audit } from '../audit.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { DEVICE_PREFIX, secretHash } from '../middleware/principal.js';

// Field devices (architecture.md decision 5): a signed-in person registers the phone or tablet
// they hold and gets its secret (`rdd_…`) once; the device is pending until someone with
// devices.manage authorises it, and only then may it ingest, read and fetch keys. Revoking is final.

export type DeviceStatus = 'pending' | 'authorised' | 'revoked';

export interface DeviceInfo {
  id: number;
  name: string;
  status: DeviceStatus;
  userAgent: string | null;
  registeredAt: number;
  registeredBy: { id: number; login: string } | null;
  authorisedAt: number | null;
  authorisedBy: { id: number; login: string } | null;
  revokedAt: number | null;
  lastSeenAt: number | null;
}

interface Row {
  id: number;
  name: string;
  userAgent: string | null;
  registeredAt: number;
  registeredById: number | null;
  registeredByLogin: string | null;
  authorisedAt: number | null;
  authorisedById: number | null;
  authorisedByLogin: string | null;
  revokedAt: number | null;
  lastSeenAt: number | null;
}

const SELECT = `select d.id, d.name, d.user_agent as userAgent, d.registered_at as registeredAt,
                       d.registered_by as registeredById, r.login as registeredByLogin,
                       d.authorised_at as authorisedAt, d.authorised_by as authorisedById, a.login as authorisedByLogin,
                       d.revoked_at as revokedAt, d.last_seen_at as lastSeenAt
                  from device d left join app_user r on r.id = d.registered_by left join app_user a on a.id = d.authorised_by`;

const STATUS_SQL: Record<DeviceStatus, string> = {
  pending: 'd.revoked_at is null and d.authorised_at is null',
  authorised: 'd.revoked_at is null and d.authorised_at is not null',
  revoked: 'd.revoked_at is not null'
};

const person = (id: number | null, login: string | null) => (id !== null ? { id, login: login ?? '' } : null);

function info(r: Row): DeviceInfo {
  return {
    id: r.id,
    name: r.name,
    status: r.revokedAt !== null ? 'revoked' : r.authorisedAt !== null ? 'authorised' : 'pending',
    userAgent: r.userAgent,
    registeredAt: r.registeredAt,
    registeredBy: person(r.registeredById, r.registeredByLogin),
    authorisedAt: r.authorisedAt,
    authorisedBy: person(r.authorisedById, r.authorisedByLogin),
    revokedAt: r.revokedAt,
    lastSeenAt: r.lastSeenAt
  };
}

export class DeviceStore {
  constructor(private readonly db: Db) {}

  list(tenantId: number, q: { status?: DeviceStatus; limit: number; offset: number }): { devices: DeviceInfo[]; total: number } {
    const where = `d.tenant_id = ?${q.status ? ` and ${STATUS_SQL[q.status]}` : ''}`;
    const rows = this.db.prepare(`${SELECT} where ${where} order by d.id desc limit ? offset ?`).all(tenantId, q.limit, q.offset) as Row[];
    const total = (this.db.prepare(`select count(*) as n from device d where ${where}`).get(tenantId) as { n: number }).n;
    return { devices: rows.map(info), total };
  }

  get(tenantId: number, id: number): DeviceInfo | null {
    const row = this.db.prepare(`${SELECT} where d.tenant_id = ? and d.id = ?`).get(tenantId, id) as Row | undefined;
    return row ? info(row) : null;
  }

  /** Register the device a person is using; the secret is returned here and nowhere else. */
  register(actor: Actor, d: { name: string; userAgent: string | null }, now: number): { device: DeviceInfo; secret: string } {
    const secret = DEVICE_PREFIX + randomBytes(32).toString('base64url');
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare('insert into device (tenant_id, name, token_hash, user_agent, registered_at, registered_by) values (?, ?, ?, ?, ?, ?)')
          .run(actor.tenantId, d.name, secretHash(secret), d.userAgent?.slice(0, 200) ?? null, now, actor.userId).lastInsertRowid
      );
      this.#audit(actor, now, 'device.registered', { deviceId: id, name: d.name });
      return { device: this.get(actor.tenantId, id)!, secret };
    })();
  }

  /** Pending → authorised. A revoked device stays revoked ('revoked' is returned, nothing changes). */
  authorise(actor: Actor, id: number, now: number): DeviceInfo | null {
    return this.db.transaction(() => {
      const device = this.get(actor.tenantId, id);
      if (!device || device.status !== 'pending') return device;
      this.db.prepare('update device set authorised_at = ?, authorised_by = ? where id = ?').run(now, actor.userId, id);
      this.#audit(actor, now, 'device.authorised', { deviceId: id, name: device.name });
      return this.get(actor.tenantId, id)!;
    })();
  }

  revoke(actor: Actor, id: number, now: number): DeviceInfo | null {
    return this.db.transaction(() => {
      const device = this.get(actor.tenantId, id);
      if (!device || device.status === 'revoked') return device;
      this.db.prepare('update device set revoked_at = ? where id = ?').run(now, id);
      this.#audit(actor, now, 'device.revoked', { deviceId: id, name: device.name, was: device.status });
      return this.get(actor.tenantId, id)!;
    })();
  }

  #audit(actor: Actor, now: number, event: string, details: Record<string, unknown>): void {
    audit(this.db, now, { tenantId: actor.tenantId, event, userId: actor.userId, actor: actor.name, device: actor.device, details });
  }
}
