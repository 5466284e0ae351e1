import Dexie, { type EntityTable } from 'dexie';
import type { Alarm } from '$shared/model/alarm';

// The field app's offline store. Raw frames are append-only and written before decoding
// (architecture.md decision 3); the outbox holds what Send/Receive still has to push.
// Add a new `version(n)` for every schema change; never edit an old one.
// Repositories, one per concern: frames.ts (append-only), readings.ts, route.ts, keys.ts, outbox.ts.

/**
 * What became of a frame:
 * - new: stored, not decoded yet (a reload decodes it again);
 * - decoded: a reading was made from it;
 * - pending: kept until a key or compact format arrives (no-key, wrong-key, unknown-format);
 * - failed: the bytes themselves are bad (CRC, truncated, unknown CI); kept raw for the server.
 */
export type FrameStatus = 'new' | 'decoded' | 'pending' | 'failed';

export interface FrameRow {
  id?: number;
  /** The wM-Bus frame from its L field as the receiver handed it over, or a wired long frame (link 'mbus'). Never rewritten. */
  raw: Uint8Array;
  receivedAt: number;
  source: string;
  rssi: number | null;
  status: FrameStatus;
  /** v2: whether the link-layer CRC blocks are still in `raw` (CUL) or the stick removed them. */
  crcs?: 'present' | 'absent';
  /** v2: the device frame the telegram came in (HCI, Amber, CUL line), for the hex inspector. */
  device?: Uint8Array;
  /** v2, set by decoding: "KAM-76348799" from the link header, when it could be read. */
  meterKey?: string;
  /** v2, set by decoding: the first error issue's code ('no-key', 'bad-crc', …). */
  reason?: string;
  /** v2, set by decoding: whether the meter is on the route. */
  onRoute?: boolean;
  /** v3: the id Send/Receive gives the server for this frame (UUID), set when it is stored; the server recognises a re-sent frame by it. */
  clientId?: string;
  /**
   * How the frame came: 'mbus' is a wired RSP_UD long frame (from 68) read through a level
   * converter (db/wired.ts); 'kmp' is a KMP response frame from 40 through an
   * optical head (db/optical.ts); absent or 'wmbus' is a radio telegram from its L field. Not indexed,
   * so no schema version: rows stored before it are radio telegrams.
   */
  link?: 'wmbus' | 'mbus' | 'kmp';
  /**
   * "KAM 12345678" for a KMP answer (link 'kmp', db/optical.ts): a KMP response does not name its
   * meter, so the serial read with GetSerialNo in the same session goes with it to the server.
   * Not indexed, so no schema version.
   */
  meter?: string;
}

export interface ReadingRow {
  id?: number;
  meterKey: string;
  at: number;
  frameId: number;
  fields: Record<string, unknown>;
  /** v2: driver id and primary field name of the shared Reading. */
  driver?: string;
  primary?: string;
  alarms?: Alarm[];
}

export interface OutboxRow {
  id?: number;
  kind: 'frames' | 'readings' | 'exchanges';
  ref: number;
  queuedAt: number;
}

export interface MetaRow {
  key: string;
  value: unknown;
}

/** v2: one meter of the route received from the server. */
export interface RouteMeterRow {
  /** "KAM-76348799": manufacturer and serial as the radio sends them (meterKeyOf). */
  meterKey: string;
  /** The server's meter id. */
  id: number;
  manufacturer: string;
  /** 8 digits as printed. */
  serial: string;
  position: { lat: number; lon: number } | null;
  group: string;
  /** "Kamstrup MULTICAL 21", for the list. */
  make: string;
  /** Where it hangs, as the server knows it (search and the list); absent on routes received before. */
  address?: string | null;
  postalCode?: string | null;
  city?: string | null;
  /** 'heat', 'water', … as the server knows it (the exchange flow's register and unit). */
  medium?: string | null;
  /** When a reading of this meter was first stored; null while unread. */
  readAt: number | null;
  /** The frame that made it read. */
  frameId: number | null;
}

/** v2: a meter key wrapped with AES-GCM under the device's non-extractable key (keys.ts). */
export interface KeyRow {
  meterKey: string;
  manufacturer: string;
  serial: string;
  iv: Uint8Array;
  wrapped: Uint8Array;
}

/** v3: a meter exchange done in the field (M12), kept until the server confirmed it. */
export interface ExchangeRow {
  id?: number;
  /** UUID: the server applies an exchange once, however often it is sent. A corrected exchange gets a new one. */
  clientId: string;
  /** The old meter: route key and the server's meter id. */
  meterKey: string;
  meterId: number;
  /** The old meter's address when the route had it, for the list. */
  address?: string;
  /** When the old meter came off and the new one went on, ms since epoch. */
  at: number;
  /**
   * The old meter's last register value, by radio (with the reading's frame and receive time) or typed.
   * The register (energy or volume) follows from the unit (lib/sync/exchange-draft.ts).
   */
  final: { register: 'energy' | 'volume'; value: number; unit: string; source: 'radio' | 'typed'; frameId?: number; readAt?: number };
  /** The new meter as printed on it, and its register at installation. */
  newMeter: { manufacturer: string; serial: string };
  start: { register: 'energy' | 'volume'; value: number; unit: string };
  note?: string;
  createdAt: number;
  /** queued: waiting for Send/Receive; done: applied by the server; rejected: the server refused it (error says why). */
  status: 'queued' | 'done' | 'rejected';
  error?: string;
  /** With a rejection: the parts of the exchange at fault, as the server named them ("newMeter.serial"). */
  fields?: { field: string; message: string }[];
  /** The server's answer once done: where, which new meter, and whether the office must add its key. */
  answer?: { meteringPointId: number; newMeterId: number; newMeterNeedsKey: boolean; newMeterCreated: boolean; duplicate: boolean };
  /** When the server answered (done or rejected). */
  answeredAt?: number;
}

export type ReadoutDb = Dexie & {
  frames: EntityTable<FrameRow, 'id'>;
  readings: EntityTable<ReadingRow, 'id'>;
  outbox: EntityTable<OutboxRow, 'id'>;
  meta: EntityTable<MetaRow, 'key'>;
  route: EntityTable<RouteMeterRow, 'meterKey'>;
  keys: EntityTable<KeyRow, 'meterKey'>;
  exchanges: EntityTable<ExchangeRow, 'id'>;
};

/** Opens (lazily) the named database; tests pass their own name and IndexedDB. */
export function openDb(name = 'readout', options?: ConstructorParameters<typeof Dexie>[1]): ReadoutDb {
  const d = new Dexie(name, options) as ReadoutDb;
  d.version(1).stores({
    frames: '++id, receivedAt, status',
    readings: '++id, [meterKey+at], frameId',
    outbox: '++id, kind, queuedAt',
    meta: '&key'
  });
  // v2: the route and its wrapped keys; frames and readings findable by meter.
  d.version(2).stores({
    frames: '++id, receivedAt, status, meterKey',
    readings: '++id, [meterKey+at], frameId, meterKey',
    route: '&meterKey, id, group',
    keys: '&meterKey'
  });
  // v3: client ids for Send/Receive, and meter exchanges done in the field.
  d.version(3).stores({
    frames: '++id, receivedAt, status, meterKey, &clientId',
    exchanges: '++id, &clientId, status, meterKey'
  }).upgrade((tx) =>
    tx
      .table('frames')
      .toCollection()
      .modify((f: FrameRow) => {
        f.clientId ??= crypto.randomUUID();
      })
  );
  return d;
}

export const db = openDb();

/** The key the app uses for a meter everywhere: "KAM-76348799". */
export function meterKeyOf(m: { manufacturer: string; id: string }): string {
  return `${m.manufacturer.toUpperCase()}-${m.id}`;
}

export async function getMeta<T>(key: string): Promise<T | undefined> {
  return (await db.meta.get(key))?.value as T | undefined;
}

export async function setMeta(key: string, value: unknown): Promise<void> {
  await db.meta.put({ key, value });
}

export async function deleteMeta(key: string): Promise<void> {
  await db.meta.delete(key);
}
