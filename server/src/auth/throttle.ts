import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Db } from '../db/connection.js';

// Sign-in throttling: at most 5 failed attempts for one login and 20 from one client address
// within 15 minutes (OWASP Authentication Cheat Sheet, "account lockout"). Beyond that the
// attempt is refused before the password is looked at, until the oldest failures leave the window.

export const THROTTLE = { windowMs: 15 * 60_000, perLogin: 5, perAddress: 20 } as const;

export type Throttled = { retryAfterS: number; by: 'login' | 'address' };

/** A pending attempt: recorded as a failure up front, so parallel guesses cannot slip past the count. */
export interface Attempt {
  /** Failures in the window counting this attempt, should it fail. */
  readonly counts: { login: number; address: number };
  /** The password was right: forget this login's failures and the one this attempt recorded. */
  succeeded(): void;
}

const loginSubject = (login: string) => `login:${login.trim().toLowerCase()}`;
const addressSubject = (address: string) => `ip:${address}`;

/**
 * The caller's address: the socket's, or with TRUST_PROXY the last X-Forwarded-For entry (the
 * address our own proxy saw; entries further left are whatever the client claimed). In
 * `app.request` tests there is no socket: then 'unknown', which still counts as one address.
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for');
    const last = forwarded?.split(',').map((s) => s.trim()).filter(Boolean).at(-1);
    if (last) return last.slice(0, 100);
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function failuresSince(db: Db, subject: string, since: number): number[] {
  return (db.prepare('select at from login_failure where subject = ? and at > ? order by at').all(subject, since) as { at: number }[]).map(
    (r) => r.at
  );
}

/** Seconds until fewer than `limit` of these failures remain in the window (at least 1). */
function retryAfter(times: number[], limit: number, now: number): number {
  const freeing = times[times.length - limit]; // once this one leaves the window, limit-1 remain
  return Math.max(1, Math.ceil((freeing + THROTTLE.windowMs - now) / 1000));
}

/**
 * Check the limits and, when the attempt may go ahead, record it as a failure at once (the
 * caller calls `succeeded()` when the password was right). Synchronous on purpose: nothing can
 * run between the count and the insert.
 */
export function beginAttempt(db: Db, login: string, address: string, now: number): Throttled | Attempt {
  const since = now - THROTTLE.windowMs;
  db.prepare('delete from login_failure where at <= ?').run(since);
  const byLogin = failuresSince(db, loginSubject(login), since);
  if (byLogin.length >= THROTTLE.perLogin) return { by: 'login', retryAfterS: retryAfter(byLogin, THROTTLE.perLogin, now) };
  const byAddress = failuresSince(db, addressSubject(address), since);
  if (byAddress.length >= THROTTLE.perAddress) {
    return { by: 'address', retryAfterS: retryAfter(byAddress, THROTTLE.perAddress, now) };
  }
  const insert = db.prepare('insert into login_failure (subject, at) values (?, ?)');
  const ids = db.transaction(() => [
    insert.run(loginSubject(login), now).lastInsertRowid,
    insert.run(addressSubject(address), now).lastInsertRowid
  ])();
  return {
    counts: { login: byLogin.length + 1, address: byAddress.length + 1 },
    succeeded() {
      db.transaction(() => {
        db.prepare('delete from login_failure where subject = ?').run(loginSubject(login));
        db.prepare('delete from login_failure where rowid = ?').run(ids[1]);
      })();
    }
  };
}

export function isThrottled(r: Throttled | Attempt): r is Throttled {
  return 'retryAfterS' in r;
}

/** Did this failed attempt reach a limit? For the audit entry of the failure that locks. */
export function lockedBy(a: Attempt): 'login' | 'address' | null {
  if (a.counts.login === THROTTLE.perLogin) return 'login';
  if (a.counts.address === THROTTLE.perAddress) return 'address';
  return null;
}

export function throttledMessage(t: Throttled): string {
  const minutes = Math.ceil(t.retryAfterS / 60);
  const wait = minutes <= 1 ? 'a minute' : `${minutes} minutes`;
  return t.by === 'login'
    ? `Too many failed sign-ins for this user name. Try again in ${wait}.`
    : `Too many failed sign-ins from this address. Try again in ${wait}.`;
}
