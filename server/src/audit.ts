import type { Db } from './db/connection.js';

export interface AuditEvent {
  tenantId: number | null;
  event: string;
  userId?: number | null;
  /** Who, in words, when there is no user row (a failed sign-in names the login tried). */
  actor?: string | null;
  /** Computer or device name: the browser's user agent or a field device's name. */
  device?: string | null;
  details?: Record<string, unknown>;
}

/** Append one audit entry. Call it inside the transaction of the change it records. */
export function audit(db: Db, at: number, e: AuditEvent): void {
  db.prepare(
    'insert into audit_entry (tenant_id, at, event, user_id, actor, device, details) values (?, ?, ?, ?, ?, ?, ?)'
  ).run(
    e.tenantId,
    at,
    e.event,
    e.userId ?? null,
    e.actor ?? null,
    e.device?.slice(0, 200) ?? null,
    e.details ? JSON.stringify(e.details) : null
  );
}
