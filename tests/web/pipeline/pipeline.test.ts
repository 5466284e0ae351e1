// The receive pipeline on an in-memory store and the real decoder (decodeFrames, as the worker
// runs it) against telegrams of the simulated drive-by: raw first, bursts kept, route marks,
// frames of strangers and keyless meters kept and counted, resume after a reload.
import { describe, expect, it } from 'vitest';
import { DriveBySimulation } from '../../../web/src/lib/hardware/sim/drive-by';
import { sampleDrive } from '../../../web/src/lib/hardware/sim/sample';
import type { Telegram } from '../../../web/src/lib/hardware/devices/receiver';
import { meterKeyOf } from '../../../web/src/lib/db/index';
import { toRouteRow } from '../../../web/src/lib/db/route';
import { decodeFrames, type BatchAnswer, type BatchFrame } from '../../../web/src/workers/decode-batch';
import { ReadingPipeline, statusOf, type PipelineDecoder, type Timers } from '../../../web/src/lib/state/reading.svelte';
import { KeyRing } from '../../../shared/wmbus/keyring';
import { CompactFormatTable } from '../../../shared/wmbus/compact';
import { toHex } from '../../../shared/bytes/hex';
import { MemoryStore } from './memory-store';

const START = Date.UTC(2026, 2, 14, 9, 30);
const drive = sampleDrive(5, { streets: 2, length: 300 });
const events = new DriveBySimulation({ seed: 5, meters: drive.meters, route: drive.route, startEpochMs: START }).advance(5 * 60_000);
const meters = drive.meters;

const telegramOf = (e: (typeof events)[number]): Telegram => ({
  bytes: e.telegram,
  crcs: 'absent',
  rssiDbm: e.rssiDbm,
  receivedAt: START + e.atMs,
  raw: e.telegram
});

const routeRow = (m: (typeof meters)[number], i: number, group = i % 2 ? 'odd' : 'even') =>
  toRouteRow({ id: i + 1, manufacturer: m.manufacturer, serial: m.id, position: m.position, group, make: m.kind });

/** The worker's decoding in-process; records what it was given. */
class Decoder implements PipelineDecoder {
  keys = new KeyRing();
  formats = new CompactFormatTable();
  batches: BatchFrame[][] = [];
  seen: string[] = [];
  failNext = 0;
  constructor(readonly store?: MemoryStore) {}
  async decodeFrames(frames: BatchFrame[]): Promise<BatchAnswer> {
    await Promise.resolve();
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('worker crashed (simulated)');
    }
    this.batches.push(frames);
    // Raw first: every frame handed to the decoder is already in the store.
    if (this.store) for (const f of frames) expect(this.store.frames.some((r) => toHex(r.raw) === toHex(f.bytes))).toBe(true);
    return decodeFrames(frames, this.keys, this.formats);
  }
  addKeys(list: typeof meters): void {
    for (const m of list) this.keys.set({ manufacturer: m.manufacturer, id: m.id }, m.key);
  }
}

/** Timers run when the test says so. */
class ManualTimers implements Timers {
  jobs = new Map<number, () => void>();
  #n = 0;
  set(fn: () => void): unknown {
    this.jobs.set(++this.#n, fn);
    return this.#n;
  }
  clear(h: unknown): void {
    this.jobs.delete(h as number);
  }
  runAll(): void {
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    for (const j of jobs) j();
  }
}

function setup(o: { route?: typeof meters; keys?: typeof meters; batchSize?: number } = {}) {
  const store = new MemoryStore((o.route ?? meters).map((m, i) => routeRow(m, i)));
  const decoder = new Decoder(store);
  decoder.addKeys(o.keys ?? meters);
  const timers = new ManualTimers();
  const pipeline = new ReadingPipeline({ store, decoder, timers, clock: () => START, batchSize: o.batchSize ?? 50 });
  return { store, decoder, timers, pipeline };
}

describe('receive pipeline', () => {
  it('has simulated telegrams to work with', () => {
    expect(events.length).toBeGreaterThan(60);
    expect(new Set(events.map((e) => e.meter.id)).size).toBeGreaterThan(3);
  });

  it('stores every telegram raw before decoding it, then makes readings and read marks', async () => {
    const { store, decoder, pipeline } = setup();
    await pipeline.start();
    for (const e of events) pipeline.receive(telegramOf(e), 'iM871A on test');
    await pipeline.flush();

    expect(store.frames).toHaveLength(events.length);
    store.frames.forEach((f, i) => {
      expect(toHex(f.raw)).toBe(toHex(events[i].telegram));
      expect(f).toMatchObject({ source: 'iM871A on test', rssi: events[i].rssiDbm, receivedAt: START + events[i].atMs, crcs: 'absent' });
    });
    // For each frame: its append is logged before the commit that carries its status.
    const firstAppend = (id: number) => store.log.findIndex((l) => l.startsWith('append') && l.slice(7).split(',').includes(String(id)));
    const commitOf = (id: number) => store.log.findIndex((l) => l.startsWith('commit') && l.slice(7).split(',').includes(String(id)));
    for (const f of store.frames) expect(firstAppend(f.id!)).toBeLessThan(commitOf(f.id!));

    expect(store.frames.every((f) => f.status === 'decoded' && f.onRoute === true)).toBe(true);
    expect(store.readings).toHaveLength(events.length);
    expect(pipeline.decoded).toBe(events.length);
    expect(pipeline.stored).toBe(events.length);
    const heard = new Set(events.map((e) => meterKeyOf({ manufacturer: e.meter.manufacturer, id: e.meter.id })));
    expect(pipeline.progress.read).toBe(heard.size);
    expect(pipeline.progress.total).toBe(meters.length);
    expect(pipeline.progress.groups.even.total + pipeline.progress.groups.odd.total).toBe(meters.length);
    expect([...store.route.values()].filter((r) => r.readAt !== null)).toHaveLength(heard.size);
    // Outbox: every raw frame and every reading.
    expect(store.outbox.filter((o) => o.kind === 'frames')).toHaveLength(events.length);
    expect(store.outbox.filter((o) => o.kind === 'readings')).toHaveLength(events.length);
    expect(decoder.batches.every((b) => b.length <= 50)).toBe(true);
    expect(pipeline.backlog).toBe(0);
  });

  it('a reading carries the driver fields and points at its frame', async () => {
    const { store, pipeline } = setup();
    await pipeline.start();
    pipeline.receive(telegramOf(events[0]), 'x');
    await pipeline.flush();
    const r = store.readings[0];
    expect(r).toMatchObject({ meterKey: meterKeyOf({ manufacturer: events[0].meter.manufacturer, id: events[0].meter.id }), frameId: 1, at: START + events[0].atMs });
    expect(typeof r.driver).toBe('string');
    expect(Object.keys(r.fields).length).toBeGreaterThan(0);
  });

  it('waits for a full batch or the batch timer', async () => {
    const { decoder, timers, pipeline } = setup({ batchSize: 10 });
    await pipeline.start();
    for (const e of events.slice(0, 3)) pipeline.receive(telegramOf(e), 'x');
    await new Promise((r) => setTimeout(r, 0));
    expect(decoder.batches).toHaveLength(0); // 3 < 10: waits for the timer
    expect(timers.jobs.size).toBe(1);
    timers.runAll();
    await pipeline.flush();
    expect(decoder.batches.map((b) => b.length)).toEqual([3]);
  });

  it('keeps a burst of 1000 telegrams, in order, none dropped', async () => {
    const { store, decoder, pipeline } = setup();
    await pipeline.start();
    const burst = Array.from({ length: 1000 }, (_, i) => events[i % events.length]);
    for (const e of burst) pipeline.receive(telegramOf(e), 'x');
    expect(pipeline.received).toBe(1000);
    expect(pipeline.backlog).toBe(1000);
    await pipeline.flush();
    expect(store.frames.map((f) => toHex(f.raw))).toEqual(burst.map((e) => toHex(e.telegram)));
    expect(decoder.batches.flat()).toHaveLength(1000);
    expect(pipeline.decoded).toBe(1000);
  });

  it('keeps and counts telegrams of meters not on the route and meters without a key', async () => {
    const onRoute = meters.slice(0, 2);
    const withKey = meters.slice(1);
    const { store, pipeline } = setup({ route: onRoute, keys: withKey });
    await pipeline.start();
    for (const e of events) pipeline.receive(telegramOf(e), 'x');
    await pipeline.flush();

    const keyOf = (m: (typeof meters)[number]) => meterKeyOf({ manufacturer: m.manufacturer, id: m.id });
    const keyless = keyOf(meters[0]);
    const routeKeys = new Set(onRoute.map(keyOf));
    const fromKeyless = events.filter((e) => keyOf(e.meter) === keyless).length;
    const strangers = events.filter((e) => !routeKeys.has(keyOf(e.meter)));
    expect(fromKeyless).toBeGreaterThan(0);

    expect(store.frames).toHaveLength(events.length); // every one kept raw
    const pending = store.frames.filter((f) => f.status === 'pending');
    expect(pending).toHaveLength(fromKeyless);
    expect(pending.every((f) => f.reason === 'no-key' && f.meterKey === keyless && f.onRoute)).toBe(true);
    expect(pipeline.withoutKey).toBe(fromKeyless);
    expect(pipeline.metersWithoutKey).toBe(1);
    expect([...pipeline.keyProblems]).toEqual([[keyless, 'no-key']]);
    expect(pipeline.notOnRoute).toBe(strangers.length);
    expect(pipeline.metersNotOnRoute).toBe(new Set(strangers.map((e) => keyOf(e.meter))).size);
    expect(store.frames.filter((f) => f.onRoute === false)).toHaveLength(strangers.length);
    // A stranger's frame still makes a reading (it had a key) but marks nothing.
    expect(store.readings).toHaveLength(events.length - fromKeyless);
    expect(pipeline.progress.read).toBe(1);
    expect(pipeline.progress.total).toBe(2);
  });

  it('decodes the pending frames again once the key arrived', async () => {
    const { store, decoder, pipeline } = setup({ route: meters, keys: meters.slice(1) });
    await pipeline.start();
    for (const e of events) pipeline.receive(telegramOf(e), 'x');
    await pipeline.flush();
    const waiting = store.frames.filter((f) => f.status === 'pending').length;
    expect(waiting).toBeGreaterThan(0);
    const readBefore = pipeline.progress.read;

    expect(pipeline.keyProblems.size).toBe(1);
    decoder.addKeys(meters.slice(0, 1));
    expect(await pipeline.redecodePending()).toBe(waiting);
    await pipeline.flush();
    expect(store.frames.every((f) => f.status === 'decoded')).toBe(true);
    expect(pipeline.keyProblems.size).toBe(0); // the flag goes once the meter's telegrams decode
    expect(store.readings).toHaveLength(events.length);
    expect(pipeline.progress.read).toBe(readBefore + 1);
  });

  it('resumes after a reload: frames still new are decoded on start', async () => {
    const { store, decoder, pipeline } = setup();
    await pipeline.start();
    for (const e of events.slice(0, 20)) pipeline.receive(telegramOf(e), 'x');
    await pipeline.flush();
    // A crash after storing, before decoding: 5 frames appended but never committed.
    await store.appendFrames(events.slice(20, 25).map((e) => ({ raw: e.telegram, receivedAt: START + e.atMs, source: 'x', rssi: null, crcs: 'absent' })), START);

    const again = new ReadingPipeline({ store, decoder, timers: new ManualTimers(), clock: () => START });
    await again.start();
    await again.flush();
    expect(store.frames).toHaveLength(25);
    expect(store.frames.every((f) => f.status === 'decoded')).toBe(true);
    expect(again.decoded).toBe(5);
    expect(store.readings).toHaveLength(25);
  });

  it('a decoder failure loses nothing: the batch is retried', async () => {
    const { store, decoder, timers, pipeline } = setup();
    await pipeline.start();
    decoder.failNext = 1;
    for (const e of events.slice(0, 60)) pipeline.receive(telegramOf(e), 'x');
    await new Promise((r) => setTimeout(r, 10));
    expect(pipeline.problem).toMatch(/worker crashed/);
    expect(store.frames.filter((f) => f.status === 'new').length).toBeGreaterThan(0);
    timers.runAll(); // the retry timer
    await pipeline.flush();
    expect(pipeline.problem).toBeNull();
    expect(store.frames.every((f) => f.status === 'decoded')).toBe(true);
    expect(store.readings).toHaveLength(60);
  });

  it('a store failure keeps the telegrams in memory and retries', async () => {
    const { store, timers, pipeline } = setup();
    await pipeline.start();
    store.failAppends = 1;
    for (const e of events.slice(0, 5)) pipeline.receive(telegramOf(e), 'x');
    await new Promise((r) => setTimeout(r, 10));
    expect(pipeline.problem).toMatch(/Quota/);
    expect(store.frames).toHaveLength(0);
    expect(pipeline.backlog).toBe(5);
    timers.runAll();
    await pipeline.flush();
    expect(store.frames).toHaveLength(5);
    expect(store.readings).toHaveLength(5);
  });

  it('keeps the pause flag where it is told to', async () => {
    let saved = true;
    const store = new MemoryStore();
    const pipeline = new ReadingPipeline({ store, decoder: new Decoder(), pauseFlag: { get: async () => saved, set: async (p) => void (saved = p) } });
    await pipeline.start();
    expect(pipeline.paused).toBe(true);
    await pipeline.resume();
    expect(saved).toBe(false);
    await pipeline.pause();
    expect(saved && pipeline.paused).toBe(true);
  });

  it('sorts decode results into statuses', () => {
    const base = { meter: null, issues: [], reading: null };
    expect(statusOf({ ...base, ok: true, reason: null })).toBe('decoded');
    expect(statusOf({ ...base, ok: false, reason: 'no-key' })).toBe('pending');
    expect(statusOf({ ...base, ok: false, reason: 'unknown-format' })).toBe('pending');
    expect(statusOf({ ...base, ok: false, reason: 'bad-crc' })).toBe('failed');
  });
});
