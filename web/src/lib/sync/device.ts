// This browser as a field device (architecture.md decision 5): a person signed in registers it
// and gets its secret (rdd_…) once; the device then calls /api/sync/* with that token. An
// administrator authorises it in the Manager; until then the token grants nothing. The secret
// lives in IndexedDB `meta` only, never in a log or an error.

import { ApiError, request } from '$lib/api/client';
import type { ReadoutDb } from '$lib/db';
import type { SyncContext } from './context';

export const TOKEN_META = 'device.token';
export const DEVICE_META = 'device.info';

export type DeviceStatus = 'pending' | 'authorised' | 'revoked';

/** The server's device (routes/devices.ts), as far as the app uses it. */
export interface ServerDevice {
  id: number;
  name: string;
  status: DeviceStatus;
  registeredAt: number;
  authorisedAt: number | null;
  revokedAt: number | null;
}

/** What this browser remembers about itself next to the secret. */
export interface StoredDevice {
  id: number;
  name: string;
  /** The last status the server told; 'unknown' after a 401 (revoked, or removed from the server). */
  status: DeviceStatus | 'unknown';
  registeredAt: number;
  /** When the status was last confirmed by the server. */
  checkedAt: number;
}

export async function deviceToken(db: ReadoutDb): Promise<string | null> {
  const v = (await db.meta.get(TOKEN_META))?.value;
  return typeof v === 'string' && v.length > 0 ? v : null;
}

export async function storedDevice(db: ReadoutDb): Promise<StoredDevice | null> {
  if (!(await deviceToken(db))) return null;
  return ((await db.meta.get(DEVICE_META))?.value as StoredDevice | undefined) ?? null;
}

/**
 * Registers this browser under `name` with the signed-in person's session cookie and keeps the
 * secret. Throws ApiError (401: nobody signed in; 422: a bad name; offline).
 */
export async function registerDevice(ctx: SyncContext, name: string): Promise<StoredDevice> {
  // a second secret would orphan the first device on the server: forgetDevice comes first
  if (await deviceToken(ctx.db)) throw new Error('This browser is registered already: forget that registration first.');
  const answer = await request<{ device: ServerDevice; secret: string }>('POST', '/devices/register', { name: name.trim() }, { fetch: ctx.fetch, signal: ctx.signal });
  const stored: StoredDevice = {
    id: answer.device.id,
    name: answer.device.name,
    status: answer.device.status,
    registeredAt: answer.device.registeredAt,
    checkedAt: ctx.now()
  };
  await ctx.db.transaction('rw', ctx.db.meta, async () => {
    await ctx.db.meta.put({ key: TOKEN_META, value: answer.secret });
    await ctx.db.meta.put({ key: DEVICE_META, value: stored });
  });
  return stored;
}

/**
 * Asks the server (GET /api/devices/me) whether this device is authorised and remembers the
 * answer. A 401 means the token is revoked or unknown: status 'unknown'. Other failures
 * (offline, server error) throw and leave what is stored as it was.
 */
export async function checkDevice(ctx: SyncContext): Promise<StoredDevice | null> {
  const token = await deviceToken(ctx.db);
  if (!token) return null;
  const before = await storedDevice(ctx.db);
  let next: StoredDevice;
  try {
    const { device } = await request<{ device: ServerDevice }>('GET', '/devices/me', undefined, { token, fetch: ctx.fetch, signal: ctx.signal });
    next = { id: device.id, name: device.name, status: device.status, registeredAt: device.registeredAt, checkedAt: ctx.now() };
  } catch (e) {
    if (!(e instanceof ApiError && e.reason === 'unauthorised')) throw e;
    next = { id: before?.id ?? 0, name: before?.name ?? 'this device', registeredAt: before?.registeredAt ?? 0, status: 'unknown', checkedAt: ctx.now() };
  }
  await ctx.db.meta.put({ key: DEVICE_META, value: next });
  return next;
}

/** Marks the stored device unknown after a sync call answered 401 (revoked while in use). */
export async function markUnknown(ctx: SyncContext): Promise<void> {
  const before = await storedDevice(ctx.db);
  if (before) await ctx.db.meta.put({ key: DEVICE_META, value: { ...before, status: 'unknown', checkedAt: ctx.now() } });
}

/**
 * Forgets the device token and the route's keys (they were given to that device only), so this
 * browser can be registered anew. Frames, readings and the outbox stay.
 */
export async function forgetDevice(db: ReadoutDb): Promise<void> {
  await db.transaction('rw', db.meta, db.keys, async () => {
    await db.meta.delete(TOKEN_META);
    await db.meta.delete(DEVICE_META);
    await db.keys.clear();
  });
}
