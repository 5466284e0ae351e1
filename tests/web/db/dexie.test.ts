// The field app's offline store: the real Dexie repositories on fake-indexeddb (IndexedDB in
// Node), each test on a database of its own. The pipeline runs here with the real Dexie store
// and the real decoder against the simulated drive-by, as pipeline.test.ts does in memory.
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { meterKeyOf, openDb, type FrameRow, type ReadingRow, type ReadoutDb } from '../../../web/src/lib/db/index';
import { appendFrames, countFramesByStatus, framesWithStatus, setFrameStatus, type FrameStatusChange, type NewFrame } from '../../../web/src/lib/db/frames';
import { addReadings, latestReading, readingsOf } from '../../../web/src/lib/db/readings';
import { confirmSent, enqueue, nextBatch, outboxCounts } from '../../../web/src/lib/db/outbox';
import { isPaused, markRead, progressOf, replaceRoute, resetReads, routeMeters, setPaused, type RouteMeter } from '../../../web/src/lib/db/route';
import { KeyStore, type MeterKey } from '../../../web/src/lib/db/keys';
import { dexiePipelineStore, type PipelineStore } from '../../../web/src/lib/db/pipeline';
import { DriveBySimulation } from '../../../web/src/lib/hardware/sim/drive-by';
import { sampleDrive } from '../../../web/src/lib/hardware/sim/sample';
import type { Telegram } from '../../../web/src/lib/hardware/devices/receiver';
import { decodeFrames, type BatchAnswer, type BatchFrame } from '../../../web/src/workers/decode-batch';
import { ReadingPipeline, type PipelineDecoder, type Timers } from '../../../web/src/lib/state/reading.svelte';
import { KeyRing } from '../../../shared/wmbus/keyring';
import { CompactFormatTable } from '../../../shared/wmbus/compact';
import { toHex } from '../../../shared/bytes/hex';

let n = 0;
const opened: ReadoutDb[] = [];
/** A fresh database (or, with `name`, the same one again as a reload would open it). */
function open(name = `readout-test-${++n}-${Math.random().toString(36).slice(2)}`): ReadoutDb {
  const d = openDb(name, { indexedDB, IDBKeyRange });
  opened.push(d);
  return d;
}
afterEach(() => {
  for (const d of opened.splice(0)) d.close();
});

const bytes = (...b: number[]) => Uint8Array.from(b);
const frame = (i: number, o: Partial<NewFrame> = {}): NewFrame => ({
  raw: bytes(0x2e, 0x44, 0x2d, 0x2c, i, 0x00, 0xff, i ^ 0x5a),
  receivedAt: 1_000 + i,
  source: 'iM871A on test',
  rssi: -60 - i,
  crcs: 'absent',
  ...o
});

describe('frames (append-only)', () => {
  it('stores raw bytes unchanged with status new, and queues each in the outbox', async () => {
    const db = open();
    const input = [frame(1), frame(2, { device: bytes(0xa5, 1, 2), rssi: null }), frame(3)];
    const ids = await appendFrames(db, input, 777);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    const rows = await db.frames.bulkGet(ids);
    rows.forEach((r, i) => {
      expect(r).toBeDefined();
      expect(r!.raw).toBeInstanceOf(Uint8Array);
      expect(toHex(r!.raw)).toBe(toHex(input[i].raw));
      expect(r).toMatchObject({ status: 'new', receivedAt: input[i].receivedAt, source: input[i].source, rssi: input[i].rssi, crcs: 'absent' });
      expect(r!.meterKey).toBeUndefined();
    });
    expect(toHex(rows[1]!.device!)).toBe('A50102');
    expect(await db.outbox.toArray()).toEqual(ids.map((ref) => ({ id: expect.any(Number), kind: 'frames', ref, queuedAt: 777 })));
    expect(await appendFrames(db, [], 1)).toEqual([]);
    expect(await db.frames.count()).toBe(3);
  });

  it('stores only the frame when a receiver hands over a view into a larger buffer', async () => {
    // iU891A: the telegram is payload.subarray(8) of the SLIP body. IndexedDB clones a view's
    // whole ArrayBuffer, so the stored row would carry the stick's header, metadata and CRC.
    const body = bytes(0x03, 0x03, 0x00, 9, 9, 9, 9, 9, 9, 9, 0xc4, 0x04, 0x44, 0x2d, 0x2c, 0x01, 0xbe, 0xef);
    const telegram = body.subarray(11, 16);
    const device = body.subarray(0, 18);
    const db = open();
    const [id] = await appendFrames(db, [frame(1, { raw: telegram, device })], 1);
    const row = (await db.frames.get(id))!;
    expect(toHex(row.raw)).toBe('04442D2C01');
    expect(row.raw.byteLength).toBe(5);
    expect(row.raw.buffer.byteLength).toBe(5);
    expect(toHex(new Uint8Array(row.raw.buffer))).toBe('04442D2C01');
    expect(toHex(row.device!)).toBe(toHex(body));
    expect(row.device!.buffer.byteLength).toBe(body.length);
  });

  it('frames and their outbox entries are written in one transaction', async () => {
    const db = open();
    await appendFrames(db, [frame(1)], 1);
    // The outbox write fails: the frames of that call must not stay behind unqueued.
    const fail = () => {
      throw new Error('outbox full (simulated)');
    };
    db.outbox.hook('creating', fail);
    await expect(appendFrames(db, [frame(2), frame(3)], 2)).rejects.toThrow();
    db.outbox.hook('creating').unsubscribe(fail);
    expect((await db.frames.toArray()).map((f) => toHex(f.raw))).toEqual([toHex(frame(1).raw)]);
    expect(await db.outbox.count()).toBe(1);
  });

  it('setFrameStatus changes status, meterKey, reason and onRoute, never the raw bytes', async () => {
    const db = open();
    const [a, b, c] = await appendFrames(db, [frame(1), frame(2), frame(3)], 5);
    const before = await db.frames.bulkGet([a, b, c]);
    await setFrameStatus(db, [
      { id: a, status: 'decoded', meterKey: 'KAM-76348799', onRoute: true },
      { id: b, status: 'pending', meterKey: 'KAM-11111111', reason: 'no-key', onRoute: false },
      // Whatever else a caller slips in is not written.
      { id: c, status: 'failed', reason: 'bad-crc', raw: bytes(0), receivedAt: 0, source: 'x', rssi: 0 } as FrameStatusChange
    ]);
    const [ra, rb, rc] = (await db.frames.bulkGet([a, b, c])) as FrameRow[];
    expect(ra).toMatchObject({ status: 'decoded', meterKey: 'KAM-76348799', onRoute: true });
    expect(ra.reason).toBeUndefined();
    expect(rb).toMatchObject({ status: 'pending', meterKey: 'KAM-11111111', reason: 'no-key', onRoute: false });
    expect(rc).toMatchObject({ status: 'failed', reason: 'bad-crc' });
    [ra, rb, rc].forEach((r, i) => {
      expect(toHex(r.raw)).toBe(toHex(before[i]!.raw));
      expect(r).toMatchObject({ receivedAt: before[i]!.receivedAt, source: before[i]!.source, rssi: before[i]!.rssi, crcs: 'absent' });
    });

    // Decoded again later (a key arrived): the new outcome replaces the old one.
    await setFrameStatus(db, [{ id: b, status: 'decoded', meterKey: 'KAM-11111111', onRoute: false }]);
    const rb2 = (await db.frames.get(b))!;
    expect(rb2).toMatchObject({ status: 'decoded', meterKey: 'KAM-11111111', onRoute: false });
    expect(rb2.reason).toBeUndefined();
    expect(toHex(rb2.raw)).toBe(toHex(frame(2).raw));
    expect((await db.frames.where('meterKey').equals('KAM-11111111').primaryKeys()) as number[]).toEqual([b]);
  });

  it('framesWithStatus gives one status oldest first, up to a limit; countFramesByStatus counts all four', async () => {
    const db = open();
    const ids = await appendFrames(db, Array.from({ length: 8 }, (_, i) => frame(i)), 1);
    expect(await countFramesByStatus(db)).toEqual({ new: 8, decoded: 0, pending: 0, failed: 0 });
    await setFrameStatus(db, [
      { id: ids[0], status: 'decoded' },
      { id: ids[6], status: 'pending', reason: 'no-key' },
      { id: ids[2], status: 'pending', reason: 'no-key' },
      { id: ids[5], status: 'failed', reason: 'bad-crc' }
    ]);
    expect((await framesWithStatus(db, 'new')).map((f) => f.id)).toEqual([ids[1], ids[3], ids[4], ids[7]]);
    expect((await framesWithStatus(db, 'new', 2)).map((f) => f.id)).toEqual([ids[1], ids[3]]);
    expect((await framesWithStatus(db, 'pending')).map((f) => f.id)).toEqual([ids[2], ids[6]]);
    expect((await framesWithStatus(db, 'pending'))[1].raw).toEqual(frame(6).raw);
    expect(await framesWithStatus(db, 'decoded', 0)).toEqual([]);
    expect(await countFramesByStatus(db)).toEqual({ new: 4, decoded: 1, pending: 2, failed: 1 });
  });

  it('nothing deletes a frame: statuses, outbox confirmation, route and reading changes leave every frame in place', async () => {
    const db = open();
    const ids = await appendFrames(db, Array.from({ length: 5 }, (_, i) => frame(i)), 1);
    await setFrameStatus(db, ids.map((id) => ({ id, status: 'failed' as const, reason: 'bad-crc' })));
    await setFrameStatus(db, ids.map((id) => ({ id, status: 'decoded' as const })));
    await confirmSent(db, (await nextBatch(db, 'frames', 100)).map((o) => o.id!));
    await replaceRoute(db, []);
    await resetReads(db);
    await framesWithStatus(db, 'decoded');
    await countFramesByStatus(db);
    expect(await db.outbox.count()).toBe(0);
    const rows = await db.frames.toArray();
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows.map((r) => toHex(r.raw))).toEqual(ids.map((_, i) => toHex(frame(i).raw)));
  });
});

describe('readings', () => {
  const reading = (meterKey: string, at: number, frameId: number): Omit<ReadingRow, 'id'> => ({
    meterKey,
    at,
    frameId,
    fields: { volume: at / 10, unit: 'm3' },
    driver: 'kamstrup-multical21',
    primary: 'volume',
    alarms: []
  });

  it('adds readings, ids in order, and finds a meter’s readings oldest first and its newest', async () => {
    const db = open();
    const ids = await addReadings(db, [reading('KAM-1', 300, 3), reading('KAM-2', 100, 1), reading('KAM-1', 100, 4), reading('KAM-1', 200, 5)]);
    expect(ids).toHaveLength(4);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(await addReadings(db, [])).toEqual([]);

    const of1 = await readingsOf(db, 'KAM-1');
    expect(of1.map((r) => [r.at, r.frameId])).toEqual([
      [100, 4],
      [200, 5],
      [300, 3]
    ]);
    expect(of1[2]).toEqual({ ...reading('KAM-1', 300, 3), id: ids[0] });
    expect((await readingsOf(db, 'KAM-2')).map((r) => r.id)).toEqual([ids[1]]);
    expect(await readingsOf(db, 'KAM-3')).toEqual([]);
    expect((await latestReading(db, 'KAM-1'))?.at).toBe(300);
    expect((await latestReading(db, 'KAM-2'))?.frameId).toBe(1);
    expect(await latestReading(db, 'KAM-3')).toBeUndefined();
    // 'KAM-1' is a prefix of 'KAM-10': not the same meter.
    await addReadings(db, [reading('KAM-10', 999, 9)]);
    expect((await latestReading(db, 'KAM-1'))?.at).toBe(300);
    expect(await readingsOf(db, 'KAM-1')).toHaveLength(3);
  });
});

describe('outbox', () => {
  it('queues, hands out the oldest of a kind first, and removes only what was confirmed', async () => {
    const db = open();
    await enqueue(db, 'readings', [10, 11], 1);
    await enqueue(db, 'frames', [1, 2, 3], 2);
    await enqueue(db, 'readings', [12], 3);
    await enqueue(db, 'frames', [], 4);
    expect(await outboxCounts(db)).toEqual({ frames: 3, readings: 3, exchanges: 0 });

    const first = await nextBatch(db, 'readings', 2);
    expect(first.map((o) => [o.kind, o.ref, o.queuedAt])).toEqual([
      ['readings', 10, 1],
      ['readings', 11, 1]
    ]);
    expect((await nextBatch(db, 'frames', 10)).map((o) => o.ref)).toEqual([1, 2, 3]);

    // The server confirmed only the second of the batch.
    await confirmSent(db, [first[1].id!]);
    expect(await outboxCounts(db)).toEqual({ frames: 3, readings: 2, exchanges: 0 });
    expect((await nextBatch(db, 'readings', 10)).map((o) => o.ref)).toEqual([10, 12]);
    await confirmSent(db, []);
    await confirmSent(db, [9999]);
    expect(await outboxCounts(db)).toEqual({ frames: 3, readings: 2, exchanges: 0 });
    await confirmSent(db, (await nextBatch(db, 'frames', 2)).map((o) => o.id!));
    expect((await nextBatch(db, 'frames', 10)).map((o) => o.ref)).toEqual([3]);
    expect(await outboxCounts(db)).toEqual({ frames: 1, readings: 2, exchanges: 0 });
  });
});

describe('route', () => {
  const m = (serial: string, group: string, id = Number(serial.slice(-3))): RouteMeter => ({
    id,
    manufacturer: 'KAM',
    serial,
    position: { lat: 56, lon: 9 },
    group,
    make: 'Kamstrup MULTICAL 21'
  });

  it('replaceRoute keeps the read marks of meters still on the route and drops removed meters', async () => {
    const db = open();
    await replaceRoute(db, [m('00000001', 'A'), m('00000002', 'A'), m('00000003', 'B')]);
    expect(await markRead(db, [{ meterKey: 'KAM-00000001', at: 10, frameId: 1 }, { meterKey: 'KAM-00000002', at: 11, frameId: 2 }])).toHaveLength(2);

    // Send/Receive during the day: 1 handed to someone else, 2 moved to group C, 4 added.
    await replaceRoute(db, [m('00000002', 'C'), m('00000003', 'B'), m('00000004', 'B')]);
    const rows = new Map((await routeMeters(db)).map((r) => [r.meterKey, r]));
    expect([...rows.keys()].sort()).toEqual(['KAM-00000002', 'KAM-00000003', 'KAM-00000004']);
    expect(rows.get('KAM-00000002')).toMatchObject({ group: 'C', readAt: 11, frameId: 2, serial: '00000002', id: 2 });
    expect(rows.get('KAM-00000003')).toMatchObject({ readAt: null, frameId: null });
    expect(rows.get('KAM-00000004')).toMatchObject({ readAt: null, frameId: null, make: 'Kamstrup MULTICAL 21' });
    expect(progressOf(rows.values())).toEqual({ read: 1, total: 3, groups: { B: { read: 0, total: 2 }, C: { read: 1, total: 1 } } });

    // Meter 1 comes back: its earlier read mark is gone with it.
    await replaceRoute(db, [m('00000001', 'A')]);
    expect(await routeMeters(db)).toEqual([expect.objectContaining({ meterKey: 'KAM-00000001', readAt: null, frameId: null })]);
  });

  it('markRead returns only first-time reads and keeps the first mark', async () => {
    const db = open();
    await replaceRoute(db, [m('00000001', 'A'), m('00000002', 'A'), m('00000003', 'B')]);
    expect(await markRead(db, [])).toEqual([]);
    const fresh = await markRead(db, [
      { meterKey: 'KAM-00000001', at: 10, frameId: 1 },
      { meterKey: 'KAM-99999999', at: 11, frameId: 2 }, // not on the route
      { meterKey: 'KAM-00000001', at: 12, frameId: 3 }, // same meter again in the batch
      { meterKey: 'KAM-00000003', at: 13, frameId: 4 }
    ]);
    expect(fresh).toEqual([
      { meterKey: 'KAM-00000001', at: 10, frameId: 1 },
      { meterKey: 'KAM-00000003', at: 13, frameId: 4 }
    ]);
    expect(await markRead(db, [{ meterKey: 'KAM-00000003', at: 20, frameId: 9 }, { meterKey: 'KAM-00000002', at: 21, frameId: 10 }])).toEqual([
      { meterKey: 'KAM-00000002', at: 21, frameId: 10 }
    ]);
    const rows = new Map((await routeMeters(db)).map((r) => [r.meterKey, r]));
    expect(rows.get('KAM-00000001')).toMatchObject({ readAt: 10, frameId: 1 });
    expect(rows.get('KAM-00000003')).toMatchObject({ readAt: 13, frameId: 4 });
    expect(rows.get('KAM-00000002')).toMatchObject({ readAt: 21, frameId: 10 });
    expect(rows.size).toBe(3);
    expect(progressOf(rows.values())).toEqual({ read: 3, total: 3, groups: { A: { read: 2, total: 2 }, B: { read: 1, total: 1 } } });

    await resetReads(db);
    expect(progressOf(await routeMeters(db))).toEqual({ read: 0, total: 3, groups: { A: { read: 0, total: 2 }, B: { read: 0, total: 1 } } });
    expect(await markRead(db, [{ meterKey: 'KAM-00000003', at: 30, frameId: 11 }])).toHaveLength(1);
  });

  it('the paused flag survives a reload', async () => {
    const db = open();
    expect(await isPaused(db)).toBe(false);
    await setPaused(db, true);
    const again = open(db.name);
    expect(await isPaused(again)).toBe(true);
    await setPaused(again, false);
    expect(await isPaused(open(db.name))).toBe(false);
  });
});

describe('KeyStore', () => {
  const k = (serial: string, first: number): MeterKey => ({ manufacturer: 'KAM', serial, key: Uint8Array.from({ length: 16 }, (_, i) => first + i) });
  const a = k('76348799', 0xa0);
  const b = k('76348800', 0x10);
  const c = k('76348801', 0x40);
  const hex = (m: MeterKey) => Buffer.from(m.key).toString('hex');
  const sorted = (keys: MeterKey[]) => [...keys].sort((x, y) => x.serial.localeCompare(y.serial));

  it('replaceAll and put store wrapped keys that unwrapAll gives back; no plaintext in the database', async () => {
    const db = open();
    const ks = new KeyStore(db);
    expect(await ks.replaceAll([a, b])).toBe(2);
    expect(await ks.count()).toBe(2);
    expect(sorted((await ks.unwrapAll()).keys)).toEqual([a, b]);
    const dump = (await db.keys.toArray()).map((r) => Buffer.from(r.wrapped).toString('hex') + Buffer.from(r.iv).toString('hex')).join();
    expect(dump).not.toContain(hex(a).slice(0, 12));
    expect(dump).not.toContain(hex(b).slice(0, 12));

    // A new route: the old keys go.
    expect(await ks.replaceAll([b, c])).toBe(2);
    expect(sorted((await ks.unwrapAll()).keys)).toEqual([b, c]);
    // A key for a pending meter, and a replaced key.
    const b2 = k('76348800', 0x77);
    await ks.put([a, b2]);
    expect(await ks.count()).toBe(3);
    expect(sorted((await ks.unwrapAll()).keys)).toEqual([a, b2, c]);
    await ks.clear();
    expect(await ks.unwrapAll()).toEqual({ keys: [], broken: [] });
    expect(await db.meta.get('keys.wrapping-key')).toBeDefined(); // the device key stays
  });

  it('the device key is a stored non-extractable CryptoKey that still unwraps after a reload', async () => {
    const db = open();
    await new KeyStore(db).replaceAll([a, b]);
    db.close();

    const again = open(db.name);
    const stored = (await again.meta.get('keys.wrapping-key'))?.value as CryptoKey;
    expect(stored).toBeInstanceOf(CryptoKey);
    expect(stored.extractable).toBe(false);
    expect(stored.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
    const ks = new KeyStore(again);
    expect(await ks.unwrapAll()).toEqual({ keys: sorted([a, b]), broken: [] });
    // Still one device key, not a second one made by the reload.
    expect(await again.meta.where('key').startsWith('keys.').count()).toBe(1);
  });

  it('two stores on one database agree on one device key', async () => {
    const db = open();
    const [k1, k2] = await Promise.all([new KeyStore(db).wrappingKey(), new KeyStore(open(db.name)).wrappingKey()]);
    const iv = new Uint8Array(12);
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, k1, new Uint8Array(16));
    await expect(crypto.subtle.decrypt({ name: 'AES-GCM', iv }, k2, ct)).resolves.toBeInstanceOf(ArrayBuffer);
  });

  it('a tampered row is reported in broken by meter, without the key', async () => {
    const db = open();
    const ks = new KeyStore(db);
    await ks.replaceAll([a, b, c]);
    const row = (await db.keys.get('KAM-76348800'))!;
    const wrapped = new Uint8Array(row.wrapped);
    wrapped[0] ^= 0x01;
    await db.keys.update('KAM-76348800', { wrapped });
    // A row copied onto another meter does not unwrap either (the meter is the GCM AAD).
    const moved = (await db.keys.get('KAM-76348801'))!;
    await db.keys.put({ ...moved, meterKey: 'KAM-76348802', serial: '76348802' });

    const res = await new KeyStore(open(db.name)).unwrapAll();
    expect(sorted(res.keys)).toEqual([a, c]);
    expect(res.broken.sort()).toEqual(['KAM-76348800', 'KAM-76348802']);
    const text = JSON.stringify(res.broken);
    for (const m of [a, b, c]) expect(text).not.toContain(hex(m).slice(0, 8));
  });
});

// ---- the receive pipeline on the Dexie store -------------------------------------------------

const START = Date.UTC(2026, 2, 14, 9, 30);
const drive = sampleDrive(5, { streets: 2, length: 300 });
const events = new DriveBySimulation({ seed: 5, meters: drive.meters, route: drive.route, startEpochMs: START }).advance(5 * 60_000);
const meters = drive.meters;
type SimMeter = (typeof meters)[number];
const keyOf = (m: SimMeter) => meterKeyOf({ manufacturer: m.manufacturer, id: m.id });
const telegramOf = (e: (typeof events)[number]): Telegram => ({ bytes: e.telegram, crcs: 'absent', rssiDbm: e.rssiDbm, receivedAt: START + e.atMs, raw: e.telegram });
const routeOf = (list: readonly SimMeter[]): RouteMeter[] =>
  list.map((m, i) => ({ id: i + 1, manufacturer: m.manufacturer, serial: m.id, position: m.position, group: i % 2 ? 'odd' : 'even', make: m.kind }));

/** The worker's decoding in-process; checks that what it is given is stored and still 'new'. */
class Decoder implements PipelineDecoder {
  keys = new KeyRing();
  formats = new CompactFormatTable();
  handed = 0;
  constructor(
    readonly db: ReadoutDb,
    list: readonly SimMeter[]
  ) {
    for (const m of list) this.keys.set({ manufacturer: m.manufacturer, id: m.id }, m.key);
  }
  async decodeFrames(frames: BatchFrame[]): Promise<BatchAnswer> {
    const waiting = new Set((await this.db.frames.where('status').equals('new').toArray()).map((f) => toHex(f.raw)));
    for (const f of frames) expect(waiting.has(toHex(f.bytes)), 'a frame reached the decoder before it was stored').toBe(true);
    this.handed += frames.length;
    return decodeFrames(frames, this.keys, this.formats);
  }
}

const timers: Timers = { set: () => 0, clear: () => {} }; // flush() drives the batches

/** The Dexie store, with a log of calls (append ids, commit ids) in the order they finished. */
function logged(store: PipelineStore, log: string[]): PipelineStore {
  return {
    ...store,
    appendFrames: async (f, at) => {
      const ids = await store.appendFrames(f, at);
      log.push(`append ${ids.join(',')}`);
      return ids;
    },
    commit: async (o, at) => {
      log.push(`commit ${o.map((x) => x.change.id).join(',')}`);
      return store.commit(o, at);
    }
  };
}

/** What the database holds after the pipeline ran, checked against the telegrams it was given. */
async function expectStored(db: ReadoutDb, given: readonly (typeof events)[number][]) {
  const frames = await db.frames.orderBy('id').toArray();
  expect(frames).toHaveLength(given.length);
  frames.forEach((f, i) => {
    expect(toHex(f.raw)).toBe(toHex(given[i].telegram));
    expect(f).toMatchObject({ status: 'decoded', onRoute: true, meterKey: keyOf(given[i].meter), receivedAt: START + given[i].atMs, crcs: 'absent' });
  });
  expect(await countFramesByStatus(db)).toEqual({ new: 0, decoded: given.length, pending: 0, failed: 0 });

  const readings = await db.readings.orderBy('id').toArray();
  expect(readings).toHaveLength(given.length);
  const byId = new Map(frames.map((f) => [f.id!, f]));
  for (const r of readings) {
    const f = byId.get(r.frameId)!;
    expect(f, `reading ${r.id} points at no frame`).toBeDefined();
    expect(r).toMatchObject({ meterKey: f.meterKey, at: f.receivedAt });
    expect(typeof r.driver).toBe('string');
    expect(Object.keys(r.fields).length).toBeGreaterThan(0);
  }
  expect(new Set(readings.map((r) => r.frameId)).size).toBe(given.length);

  // Read marks: each heard meter is marked by its first frame, the others are unread.
  const route = await routeMeters(db);
  expect(route).toHaveLength(meters.length);
  for (const row of route) {
    const first = frames.find((f) => f.meterKey === row.meterKey);
    expect({ meter: row.meterKey, readAt: row.readAt, frameId: row.frameId }).toEqual({
      meter: row.meterKey,
      readAt: first ? first.receivedAt : null,
      frameId: first ? first.id : null
    });
  }

  // Outbox: every raw frame and every reading, once.
  const outbox = await db.outbox.toArray();
  expect(outbox.filter((o) => o.kind === 'frames').map((o) => o.ref).sort((x, y) => x - y)).toEqual(frames.map((f) => f.id));
  expect(outbox.filter((o) => o.kind === 'readings').map((o) => o.ref).sort((x, y) => x - y)).toEqual(readings.map((r) => r.id));
  return { frames, readings, route };
}

describe('receive pipeline on Dexie', () => {
  it('has telegrams of several meters', () => {
    expect(events.length).toBeGreaterThan(60);
    expect(new Set(events.map((e) => keyOf(e.meter))).size).toBeGreaterThan(3);
  });

  it('every frame is stored before its decode result is written', async () => {
    const db = open();
    await replaceRoute(db, routeOf(meters));
    const log: string[] = [];
    const decoder = new Decoder(db, meters);
    const pipeline = new ReadingPipeline({ store: logged(dexiePipelineStore(db), log), decoder, timers, clock: () => START, batchSize: 50 });
    await pipeline.start();
    for (const e of events) pipeline.receive(telegramOf(e), 'iM871A on test');
    await pipeline.flush();

    const { frames, route } = await expectStored(db, events);
    const firstAppend = (id: number) => log.findIndex((l) => l.startsWith('append') && l.slice(7).split(',').includes(String(id)));
    const commitOf = (id: number) => log.findIndex((l) => l.startsWith('commit') && l.slice(7).split(',').includes(String(id)));
    for (const f of frames) {
      expect(firstAppend(f.id!)).toBeGreaterThanOrEqual(0);
      expect(firstAppend(f.id!)).toBeLessThan(commitOf(f.id!));
    }
    expect(decoder.handed).toBe(events.length);
    expect(frames.every((f) => f.source === 'iM871A on test' && f.device !== undefined)).toBe(true);
    frames.forEach((f, i) => expect(f.rssi).toBe(events[i].rssiDbm));

    const heard = new Set(events.map((e) => keyOf(e.meter)));
    expect(route.filter((r) => r.readAt !== null)).toHaveLength(heard.size);
    expect(pipeline.progress).toEqual(progressOf(route));
    expect(pipeline.progress.read).toBe(heard.size);
    expect(pipeline).toMatchObject({ stored: events.length, decoded: events.length, backlog: 0, problem: null });
    expect(await outboxCounts(db)).toEqual({ frames: events.length, readings: events.length, exchanges: 0 });
  });

  it('frames left new by a crash are decoded after a restart', async () => {
    const db = open();
    await replaceRoute(db, routeOf(meters));
    const first = new ReadingPipeline({ store: dexiePipelineStore(db), decoder: new Decoder(db, meters), timers, clock: () => START });
    await first.start();
    for (const e of events.slice(0, 20)) first.receive(telegramOf(e), 'iM871A on test');
    await first.flush();
    await expectStored(db, events.slice(0, 20));

    // The crash: 5 frames stored (and queued), never decoded.
    const crashed = events.slice(20, 25);
    const newIds = await appendFrames(db, crashed.map((e) => ({ raw: e.telegram, receivedAt: START + e.atMs, source: 'x', rssi: null, crcs: 'absent' })), START);
    expect((await framesWithStatus(db, 'new')).map((f) => f.id)).toEqual(newIds);
    db.close();

    // The reload: a new Dexie instance on the same database, a new pipeline.
    const again = open(db.name);
    const decoder = new Decoder(again, meters);
    const second = new ReadingPipeline({ store: dexiePipelineStore(again), decoder, timers, clock: () => START });
    await second.start();
    await second.flush();
    expect(decoder.handed).toBe(5); // only the 5 left 'new', not the 20 decoded before
    expect(second.decoded).toBe(5);
    const { readings } = await expectStored(again, events.slice(0, 25));
    expect(readings.slice(20).map((r) => r.frameId)).toEqual(newIds);
    expect(second.progress).toEqual(progressOf(await routeMeters(again)));
  });

  it('a commit is all or nothing: a failed reading write leaves the frame new and nothing queued', async () => {
    const db = open();
    await replaceRoute(db, routeOf(meters.slice(0, 1)));
    const store = dexiePipelineStore(db);
    const [id] = await store.appendFrames([frame(1)], 1);
    const meterKey = keyOf(meters[0]);
    const fail = () => {
      throw new Error('disk full (simulated)');
    };
    db.readings.hook('creating', fail);
    const outcome = {
      change: { id, status: 'decoded' as const, meterKey, onRoute: true },
      reading: { meterKey, at: 5, frameId: id, fields: { v: 1 } },
      mark: { meterKey, at: 5, frameId: id }
    };
    await expect(store.commit([outcome], 2)).rejects.toThrow();
    db.readings.hook('creating').unsubscribe(fail);
    expect((await db.frames.get(id))?.status).toBe('new');
    expect(await db.readings.count()).toBe(0);
    expect(await outboxCounts(db)).toEqual({ frames: 1, readings: 0, exchanges: 0 });
    expect((await routeMeters(db))[0].readAt).toBeNull();

    expect(await store.commit([outcome], 2)).toEqual([outcome.mark]);
    expect((await db.frames.get(id))?.status).toBe('decoded');
    expect(await outboxCounts(db)).toEqual({ frames: 1, readings: 1, exchanges: 0 });
    expect((await routeMeters(db))[0]).toMatchObject({ readAt: 5, frameId: id });
  });
});

