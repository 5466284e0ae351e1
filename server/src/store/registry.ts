// Shared pieces of the registry stores (customers, metering points, meters, groups, keys):
// errors that routes answer as 404/409/422, paging, and LIKE escaping.
import { HTTPException } from 'hono/http-exception';
import { unprocessableError } from '../validate.js';
import type { Actor } from '../auth/principal.js';
import { audit } from '../audit.js';
import type { Db } from '../db/connection.js';

/** A record that is missing or belongs to another tenant: both answer the same 404. */
export function notFound(what: string, id: number | string): HTTPException {
  return new HTTPException(404, { message: `${what} ${id} not found.` });
}

export function conflict(message: string): HTTPException {
  return new HTTPException(409, { message });
}

/** Input that is well-formed but not acceptable (422), naming the field. */
export function invalid(field: string, message: string): HTTPException {
  return unprocessableError([{ field, message }]);
}

export interface Paging {
  limit: number;
  offset: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** `%text%` for LIKE … escape '\', with the caller's % and _ taken literally. */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (ch) => '\\' + ch)}%`;
}

export function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (ch) => '\\' + ch)}%`;
}

/** Write one audit entry for an actor (inside the caller's transaction). */
export function auditAs(db: Db, actor: Actor, at: number, event: string, details?: Record<string, unknown>): void {
  audit(db, at, { tenantId: actor.tenantId, event, userId: actor.userId, actor: actor.name, device: actor.device, details });
}

/** Only the fields that changed, as {field: [before, after]}, for audit details. */
export function changes<T extends object>(before: T, after: Partial<T>): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  for (const [k, v] of Object.entries(after)) {
    if (v === undefined) continue;
    const old = (before as Record<string, unknown>)[k];
    if (old !== v) out[k] = [old ?? null, v];
  }
  return out;
}
