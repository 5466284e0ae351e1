// Wired M-Bus reads (issue 8, R5): the telegrams of one read through a USB level converter are
// stored raw with link 'mbus' and queued for Send/Receive, in one transaction. They share one
// receivedAt, so the server makes one reading of a multi-telegram read (ingest.ts). The page has
// decoded them already (decodeMbusFrame), so they are stored with their status and never reach
// the radio pipeline (state/reading.svelte.ts decodes frames still 'new' as wM-Bus telegrams).

import type { FrameRow, ReadoutDb } from './index';
import { markRead, type ReadMark } from './route';

export interface WiredTelegram {
  /** The RSP_UD long frame, 68 L L 68 … 16, checksum-valid as the master received it. */
  raw: Uint8Array;
  /** Whether decodeMbusFrame read it: 'decoded', else 'failed' with the first error's code. */
  status: 'decoded' | 'failed';
  reason?: string;
}

export interface WiredRead {
  telegrams: readonly WiredTelegram[];
  /** One time for every telegram of the read (the server groups a read by it). */
  receivedAt: number;
  /** "mbus 2400 baud": the server stores "device <id>/<source>". At most 60 characters. */
  source: string;
  /** "KAM-77447744" from the CI 72 header, when it was read. */
  meterKey?: string;
  /** The values shown for the read; stored as a local reading when there are any and a meterKey. */
  fields?: Record<string, unknown>;
}

export interface StoredWiredRead {
  frameIds: number[];
  readingId: number | null;
  /** Set when the meter is on the route and this is its first reading. */
  mark: ReadMark | null;
}

/**
 * Stores a read's telegrams (link 'mbus', with their decode status), queues them for
 * Send/Receive, and adds the read's reading and read mark, in one transaction.
 */
export async function storeWiredRead(db: ReadoutDb, read: WiredRead, queuedAt: number): Promise<StoredWiredRead> {
  if (read.telegrams.length === 0) throw new RangeError('storeWiredRead: a read has at least one telegram, got 0');
  return db.transaction('rw', [db.frames, db.outbox, db.readings, db.route], async () => {
    const onRoute = read.meterKey !== undefined && (await db.route.get(read.meterKey)) !== undefined;
    const rows: FrameRow[] = read.telegrams.map((t) => ({
      raw: own(t.raw),
      receivedAt: read.receivedAt,
      source: read.source,
      rssi: null,
      status: t.status,
      link: 'mbus',
      clientId: crypto.randomUUID(),
      onRoute,
      ...(read.meterKey !== undefined ? { meterKey: read.meterKey } : {}),
      ...(t.reason !== undefined ? { reason: t.reason } : {})
    }));
    const frameIds = (await db.frames.bulkAdd(rows, { allKeys: true })) as number[];
    await db.outbox.bulkAdd(frameIds.map((ref) => ({ kind: 'frames' as const, ref, queuedAt })));
    const first = frameIds[0]!;
    let readingId: number | null = null;
    let mark: ReadMark | null = null;
    if (read.meterKey !== undefined && read.fields && Object.keys(read.fields).length > 0 && read.telegrams[0]!.status === 'decoded') {
      readingId = (await db.readings.add({ meterKey: read.meterKey, at: read.receivedAt, frameId: first, fields: read.fields, driver: 'mbus-records' })) as number;
      await db.outbox.add({ kind: 'readings', ref: readingId, queuedAt });
      if (onRoute) mark = (await markRead(db, [{ meterKey: read.meterKey, at: read.receivedAt, frameId: first }]))[0] ?? null;
    }
    return { frameIds, readingId, mark };
  });
}

/** The frame's bytes alone (IndexedDB clones a view's whole buffer), as frames.ts does. */
function own(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
}
