import type { AuditEntry } from './audit-api';

// How an entry reads in the table: local time, who, and its details as short key: value text.

/** "14 Mar 2026, 10:32:05" in the browser's zone: seconds matter when events follow each other. */
export function when(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** The person's login; the actor's words when there is no user row or they differ. */
export function who(e: AuditEntry): { main: string; also: string | null } {
  if (e.userLogin) return { main: e.userLogin, also: e.actor && e.actor !== e.userLogin ? e.actor : null };
  return { main: e.actor ?? 'System', also: null };
}

const MAX_VALUE = 60;

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
}

/** "name: North, groupId: 4"; the full JSON is one click away in the expanded row. */
export function compact(details: unknown): string {
  if (details === null || details === undefined) return '';
  if (typeof details !== 'object' || Array.isArray(details)) return short(details);
  return Object.entries(details as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${short(v)}`)
    .join(', ');
}

export function full(details: unknown): string {
  return typeof details === 'string' ? details : JSON.stringify(details, null, 2);
}
