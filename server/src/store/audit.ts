import type { Db } from '../db/connection.js';

// Reading the audit trail (M19). Writing is server/src/audit.ts, inside each change's own
// transaction; nothing changes or removes an entry (triggers in 002-core.sql refuse it).

export interface AuditQuery {
  /** Inclusive start, UTC ms. */
  from?: number;
  /** Exclusive end, UTC ms. */
  to?: number;
  userId?: number;
  /** An exact event type ('auth.sign-in'), or with `prefix` every type starting with it ('auth.'). */
  event?: string;
  prefix?: boolean;
  limit: number;
  /** From a previous page's `nextCursor`. */
  cursor?: { at: number; id: number };
}

export interface AuditEntry {
  id: number;
  at: number;
  event: string;
  userId: number | null;
  userLogin: string | null;
  actor: string | null;
  device: string | null;
  details: unknown;
}

/** Above every character a prefix can be followed by (UTF-8 byte order, SQLite's binary collation). */
const AFTER_ALL = '\u{10FFFF}';

export function encodeCursor(c: { at: number; id: number }): string {
  return `${c.at}.${c.id}`;
}

export function decodeCursor(s: string): { at: number; id: number } | null {
  const m = /^(-?\d{1,16})\.(\d{1,16})$/.exec(s);
  return m ? { at: Number(m[1]), id: Number(m[2]) } : null;
}

export class AuditStore {
  constructor(private readonly db: Db) {}

  /** Newest first, one page; `nextCursor` is null on the last page. Another tenant's entries never appear. */
  query(tenantId: number, q: AuditQuery): { entries: AuditEntry[]; nextCursor: string | null } {
    const where = ['a.tenant_id = ?'];
    const args: unknown[] = [tenantId];
    if (q.from !== undefined) (where.push('a.at >= ?'), args.push(q.from));
    if (q.to !== undefined) (where.push('a.at < ?'), args.push(q.to));
    if (q.userId !== undefined) (where.push('a.user_id = ?'), args.push(q.userId));
    if (q.event !== undefined) {
      // a range, not LIKE: no wildcard characters to escape, and the (tenant, event, at) index serves it
      if (q.prefix) (where.push('a.event >= ? and a.event < ?'), args.push(q.event, q.event + AFTER_ALL));
      else (where.push('a.event = ?'), args.push(q.event));
    }
    if (q.cursor) (where.push('(a.at < ? or (a.at = ? and a.id < ?))'), args.push(q.cursor.at, q.cursor.at, q.cursor.id));
    const rows = this.db
      .prepare(
        `select a.id, a.at, a.event, a.user_id as userId, u.login as userLogin, a.actor, a.device, a.details
           from audit_entry a left join app_user u on u.id = a.user_id
          where ${where.join(' and ')} order by a.at desc, a.id desc limit ?`
      )
      .all(...args, q.limit + 1) as (Omit<AuditEntry, 'details'> & { details: string | null })[];
    const more = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      entries: page.map((r) => ({ ...r, details: parseDetails(r.details) })),
      nextCursor: more && last ? encodeCursor(last) : null
    };
  }
}

function parseDetails(s: string | null): unknown {
  if (s === null) return null;
  try {
    return JSON.parse(s);
  } catch {
    return s; // written by an older version as plain text: show it as it is
  }
}
