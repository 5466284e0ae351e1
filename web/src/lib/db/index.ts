import Dexie, { type EntityTable } from 'dexie';

// The field app's offline store. Raw frames are append-only and written before decoding
// (architecture.md decision 3); the outbox holds what Send/Receive still has to push.
// Add a new `version(n)` for every schema change; never edit an old one.

export interface FrameRow {
  id?: number;
  raw: Uint8Array;
  receivedAt: number;
  source: string;
  rssi: number | null;
  status: 'new' | 'decoded' | 'pending';
}

export interface ReadingRow {
  id?: number;
  meterKey: string;
  at: number;
  frameId: number;
  fields: Record<string, unknown>;
}

export interface OutboxRow {
  id?: number;
  kind: 'frames' | 'readings';
  ref: number;
  queuedAt: number;
}

export interface MetaRow {
  key: string;
  value: unknown;
}

export type ReadoutDb = Dexie & {
  frames: EntityTable<FrameRow, 'id'>;
  readings: EntityTable<ReadingRow, 'id'>;
  outbox: EntityTable<OutboxRow, 'id'>;
  meta: EntityTable<MetaRow, 'key'>;
};

export const db = new Dexie('readout') as ReadoutDb;

db.version(1).stores({
  frames: '++id, receivedAt, status',
  readings: '++id, [meterKey+at], frameId',
  outbox: '++id, kind, queuedAt',
  meta: '&key'
});

export async function getMeta<T>(key: string): Promise<T | undefined> {
  return (await db.meta.get(key))?.value as T | undefined;
}

export async function setMeta(key: string, value: unknown): Promise<void> {
  await db.meta.put({ key, value });
}

export async function deleteMeta(key: string): Promise<void> {
  await db.meta.delete(key);
}
