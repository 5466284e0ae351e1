// Raw frames: append-only (architecture.md decision 3). A frame is added once, before it is
// decoded; afterwards only its decode status fields change (FrameStatusChange leaves out raw,
// receivedAt, source and rssi by type). Nothing here deletes a frame.

import type { FrameRow, FrameStatus, ReadoutDb } from './index';

export type NewFrame = Omit<FrameRow, 'id' | 'status' | 'meterKey' | 'reason' | 'onRoute' | 'clientId'>;

/** The only fields decoding may set on a stored frame. */
export interface FrameStatusChange {
  id: number;
  status: Exclude<FrameStatus, 'new'>;
  meterKey?: string;
  reason?: string;
  onRoute?: boolean;
}

/**
 * Stores frames with status 'new' and queues each for Send/Receive, in one transaction.
 * Returns their ids in input order.
 */
export async function appendFrames(db: ReadoutDb, frames: readonly NewFrame[], queuedAt: number): Promise<number[]> {
  if (frames.length === 0) return [];
  return db.transaction('rw', db.frames, db.outbox, async () => {
    const ids = (await db.frames.bulkAdd(
      frames.map((f) => ({
        ...f,
        raw: own(f.raw),
        ...(f.device ? { device: own(f.device) } : {}),
        status: 'new' as const,
        clientId: crypto.randomUUID()
      })),
      { allKeys: true }
    )) as number[];
    await db.outbox.bulkAdd(ids.map((ref) => ({ kind: 'frames' as const, ref, queuedAt })));
    return ids;
  });
}

/**
 * The bytes of a view alone. IndexedDB clones a view's whole ArrayBuffer, so a telegram that is
 * a subarray of the stick's frame (iU891A) would be stored with the header and CRC around it.
 */
function own(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
}

/** The decode status of frames; raw bytes and reception data are untouched. */
export async function setFrameStatus(db: ReadoutDb, changes: readonly FrameStatusChange[]): Promise<void> {
  if (changes.length === 0) return;
  await db.frames.bulkUpdate(
    changes.map(({ id, status, meterKey, reason, onRoute }) => ({
      key: id,
      changes: { status, meterKey, reason, onRoute }
    }))
  );
}

/** Frames in one status, oldest first: 'new' after a reload, 'pending' when a key arrived. */
export function framesWithStatus(db: ReadoutDb, status: FrameStatus, limit = Infinity): Promise<FrameRow[]> {
  const q = db.frames.where('status').equals(status);
  return (Number.isFinite(limit) ? q.limit(limit) : q).sortBy('id');
}

export async function countFramesByStatus(db: ReadoutDb): Promise<Record<FrameStatus, number>> {
  const statuses: FrameStatus[] = ['new', 'decoded', 'pending', 'failed'];
  const counts = await Promise.all(statuses.map((s) => db.frames.where('status').equals(s).count()));
  return Object.fromEntries(statuses.map((s, i) => [s, counts[i]])) as Record<FrameStatus, number>;
}
