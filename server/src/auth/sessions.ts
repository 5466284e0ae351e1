import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/connection.js';

export type Role = 'user' | 'superuser' | 'administrator';

export interface SessionUser {
  id: number;
  tenantId: number;
  tenantName: string;
  /** The utility's IANA time zone: days, months and reports follow its clock. */
  timeZone: string;
  login: string;
  displayName: string;
  role: Role;
}

export const SESSION_COOKIE = 'readout_session';

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function createSession(db: Db, userId: number, now: number, hours: number, userAgent: string | null): string {
  const token = randomBytes(32).toString('base64url');
  db.prepare('insert into session (token_hash, user_id, created_at, expires_at, user_agent) values (?, ?, ?, ?, ?)').run(
    tokenHash(token),
    userId,
    now,
    now + hours * 3_600_000,
    userAgent?.slice(0, 200) ?? null
  );
  return token;
}

export function findSessionUser(db: Db, token: string, now: number): SessionUser | null {
  const row = db
    .prepare(
      `select u.id, u.tenant_id as tenantId, t.name as tenantName, t.time_zone as timeZone, u.login, u.display_name as displayName, u.role
         from session s join app_user u on u.id = s.user_id join tenant t on t.id = u.tenant_id
        where s.token_hash = ? and s.expires_at > ? and u.disabled_at is null`
    )
    .get(tokenHash(token), now) as SessionUser | undefined;
  return row ?? null;
}

export function deleteSession(db: Db, token: string): void {
  db.prepare('delete from session where token_hash = ?').run(tokenHash(token));
}

export function deleteExpiredSessions(db: Db, now: number): number {
  return db.prepare('delete from session where expires_at <= ?').run(now).changes;
}

/** End every session of a user, except (optionally) the one presenting `keepToken`; returns how many ended. */
export function deleteUserSessions(db: Db, userId: number, keepToken?: string | null): number {
  if (keepToken) {
    return db.prepare('delete from session where user_id = ? and token_hash <> ?').run(userId, tokenHash(keepToken)).changes;
  }
  return db.prepare('delete from session where user_id = ?').run(userId).changes;
}
