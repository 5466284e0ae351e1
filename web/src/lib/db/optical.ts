// Optical head reads (issue 9, R2/R6/R7): the KMP answers of one read (current registers, or a
// part of a logger read) are stored raw with link 'kmp' and the meter "KAM <serial>" their session
// identified, queued for Send/Receive, with the local readings made from them, in one transaction.
// A KMP answer does not name its meter (protocols.md §5.3), hence `meter` on every frame. The page
// has decoded them already, so they are stored 'decoded' and never reach the radio pipeline.

import type { FrameRow, ReadingRow, ReadoutDb } from './index';

export interface OpticalReading {
  /** Register time: receivedAt for current registers, the record's time for a logger record (ms UTC). */
  at: number;
  fields: Record<string, unknown>;
}

export interface OpticalRead {
  /** The response frames from 40 to 0D, as the client received them (CRC-valid). */
  frames: readonly Uint8Array[];
  /** One time for every frame of the read. */
  receivedAt: number;
  /** "kmp optical head (usb)": the server stores "device <id>/<source>". At most 60 characters. */
  source: string;
  /** The serial number GetSerialNo answered in the same session. */
  serial: number;
  /** What the frames were read for: current registers, or a logger. */
  what: 'registers' | 'hourly' | 'daily' | 'monthly' | 'yearly' | 'info';
  /** Readings made from the frames; each refers to the read's first frame. */
  readings?: readonly OpticalReading[];
}

export interface StoredOpticalRead {
  frameIds: number[];
  readingIds: number[];
}

/** "KAM 12345678", as the server's sync route takes it (`meter`). */
export function kmpMeterName(serial: number): string {
  if (!Number.isInteger(serial) || serial < 0) throw new RangeError(`serial: expected a non-negative integer, got ${serial}`);
  return `KAM ${String(serial).padStart(8, '0')}`;
}

/** "KAM-12345678": the app's meter key (db/index.ts meterKeyOf). */
export function kmpMeterKey(serial: number): string {
  return kmpMeterName(serial).replace(' ', '-');
}

/** Stores a read's frames (link 'kmp', meter named), queues them, and adds its readings. */
export async function storeOpticalRead(db: ReadoutDb, read: OpticalRead, queuedAt: number): Promise<StoredOpticalRead> {
  if (read.frames.length === 0) throw new RangeError('storeOpticalRead: a read has at least one frame, got 0');
  const meter = kmpMeterName(read.serial);
  const meterKey = kmpMeterKey(read.serial);
  return db.transaction('rw', [db.frames, db.outbox, db.readings], async () => {
    const rows: FrameRow[] = read.frames.map((raw) => ({
      raw: own(raw),
      receivedAt: read.receivedAt,
      source: read.source.slice(0, 60),
      rssi: null,
      status: 'decoded',
      link: 'kmp',
      meter,
      meterKey,
      clientId: crypto.randomUUID()
    }));
    const frameIds = (await db.frames.bulkAdd(rows, { allKeys: true })) as number[];
    await db.outbox.bulkAdd(frameIds.map((ref) => ({ kind: 'frames' as const, ref, queuedAt })));
    const first = frameIds[0]!;
    let readingIds: number[] = [];
    const readings: ReadingRow[] = (read.readings ?? [])
      .filter((r) => Object.keys(r.fields).length > 0)
      .map((r) => ({ meterKey, at: r.at, frameId: first, fields: r.fields, driver: `kmp-${read.what}` }));
    if (readings.length > 0) {
      readingIds = (await db.readings.bulkAdd(readings, { allKeys: true })) as number[];
      await db.outbox.bulkAdd(readingIds.map((ref) => ({ kind: 'readings' as const, ref, queuedAt })));
    }
    return { frameIds, readingIds };
  });
}

/** The frame's bytes alone (IndexedDB clones a view's whole buffer), as frames.ts does. */
function own(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
}
