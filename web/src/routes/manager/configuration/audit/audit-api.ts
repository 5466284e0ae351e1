import { ApiError, failureText, request } from '$lib/api/client';
import type { AuditEntry } from '$server/store/audit';

// The Manager's calls for the audit log (server/src/routes/audit.ts, permission audit.read) and
// the filters as they travel in the page's query string, so a view can be bookmarked or shared.

export type { AuditEntry };

export interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

export interface Person {
  id: number;
  login: string;
  displayName: string;
}

export interface Filters {
  /** Local calendar days, YYYY-MM-DD, both inclusive. */
  from: string;
  to: string;
  userId: number | null;
  /** An exact type ("group.renamed") or a family ending in "." ("group."). */
  event: string;
  limit: number;
}

export const DEFAULT_DAYS = 7;
export const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500; // the server's own bound

/**
 * The event families written by the server (the audit() calls in server/src), offered in the
 * event filter; families seen in loaded entries are added to these.
 */
export const FAMILIES = [
  'auth.', 'customer.', 'demo.', 'device.', 'export.', 'frames.', 'gateway.', 'group.', 'import.',
  'key.', 'meter.', 'permissions.', 'readings.', 'settings.', 'token.', 'user.'
];

const DAY = /^(\d{4})-(\d\d)-(\d\d)$/;

/** YYYY-MM-DD of a date in the browser's zone (toISOString would give the UTC day). */
export function dayOf(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** Local midnight starting `day`, plus `plusDays` days, as UTC ms; null for a malformed day. */
export function midnight(day: string, plusDays = 0): number | null {
  const m = DAY.exec(day);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays);
  return Number.isNaN(d.getTime()) ? null : d.getTime();
}

export function defaultFilters(now = new Date()): Filters {
  const from = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (DEFAULT_DAYS - 1));
  return { from: dayOf(from), to: dayOf(now), userId: null, event: '', limit: DEFAULT_LIMIT };
}

/** The filters in a query string; anything missing or malformed falls back to the default. */
export function filtersFrom(q: URLSearchParams, now = new Date()): Filters {
  const f = defaultFilters(now);
  const day = (k: string, fallback: string) => {
    const v = q.get(k) ?? '';
    return midnight(v) === null ? fallback : v;
  };
  const user = Number(q.get('user'));
  const limit = Number(q.get('limit'));
  return {
    from: day('from', f.from),
    to: day('to', f.to),
    userId: Number.isSafeInteger(user) && user > 0 ? user : null,
    event: (q.get('event') ?? '').trim().slice(0, 100),
    limit: Number.isInteger(limit) && limit >= 1 ? Math.min(limit, MAX_LIMIT) : DEFAULT_LIMIT
  };
}

/** The query string for filters; defaults are left out so a shared link stays short. */
export function queryOf(f: Filters, now = new Date()): string {
  const d = defaultFilters(now);
  const q = new URLSearchParams();
  if (f.from !== d.from || f.to !== d.to) (q.set('from', f.from), q.set('to', f.to));
  if (f.userId !== null) q.set('user', String(f.userId));
  if (f.event) q.set('event', f.event);
  if (f.limit !== DEFAULT_LIMIT) q.set('limit', String(f.limit));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Why these filters cannot be asked for, or null when they can. */
export function problemOf(f: Filters): string | null {
  if (f.from > f.to) return 'The period starts after it ends: choose a "From" day on or before the "To" day.';
  return null;
}

/** One page of entries, newest first. "To" is inclusive for people, exclusive for the server. */
export function fetchPage(f: Filters, cursor: string | null, signal?: AbortSignal): Promise<AuditPage> {
  const q = new URLSearchParams({ from: String(midnight(f.from)), to: String(midnight(f.to, 1)), limit: String(f.limit) });
  if (f.userId !== null) q.set('userId', String(f.userId));
  if (f.event) q.set('event', f.event);
  if (cursor) q.set('cursor', cursor);
  return request<AuditPage>('GET', `/audit?${q}`, undefined, { signal });
}

/**
 * Everyone who can appear in the log, disabled people included (their entries stay). Null when
 * the role may read the log but not list people (users.manage): the page then offers the people
 * seen in the entries.
 */
export async function listPeople(): Promise<Person[] | null> {
  try {
    return (await request<{ users: Person[] }>('GET', '/users?includeDisabled=true&limit=500')).users;
  } catch (e) {
    if (e instanceof ApiError && e.reason === 'forbidden') return null;
    throw e;
  }
}

/** One sentence for a failed call, naming what the person can do about it. */
export const explain = (e: unknown): string =>
  failureText(e, 'Your role may not read the audit log: ask an administrator for the audit.read permission.');
