// The receive pipeline of the field app and its progress (architecture.md decisions 3 and 9):
// receiver telegrams → frames store (raw, status 'new', queued for upload) → batches of
// `batchSize` frames or every `batchMs` → the decoder worker → statuses, readings, read marks
// and outbox entries in one transaction. Bursts wait in memory queues, never dropped; a reload
// decodes the frames still 'new'. Headless: store, decoder, clock and timers are injected.

import { db, meterKeyOf, type FrameStatus, type RouteMeterRow } from '$lib/db';
import type { NewFrame } from '$lib/db/frames';
import { dexiePipelineStore, type Outcome, type PipelineStore } from '$lib/db/pipeline';
import { isPaused, progressOf, setPaused, type Progress } from '$lib/db/route';
import type { Telegram } from '$lib/hardware/devices/receiver';
import type { IssueCode } from '$shared/model/decoded';
import type { BatchAnswer, BatchFrame, BatchResult } from '../../workers/decode-batch';
import { workerDecoder } from '../../workers/decoder';

export interface PipelineDecoder {
  decodeFrames(frames: BatchFrame[]): Promise<BatchAnswer>;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface PipelineOptions {
  store: PipelineStore;
  decoder: PipelineDecoder;
  /** The pause flag's home; default none (kept in memory only). */
  pauseFlag?: { get(): Promise<boolean>; set(paused: boolean): Promise<void> };
  /** ms since epoch. */
  clock?: () => number;
  timers?: Timers;
  /** A batch is decoded when it has this many frames (default 50) … */
  batchSize?: number;
  /** … or this long after its first frame was stored (default 100 ms). */
  batchMs?: number;
  /** Wait before retrying a failed store write or decode (default 1000 ms). */
  retryMs?: number;
  /** Frames per IndexedDB write when a burst queued up (default 500). */
  writeSize?: number;
}

/** Reasons that a key or a learnt compact format can cure: the frame is decoded again then. */
const CURABLE: ReadonlySet<IssueCode> = new Set<IssueCode>(['no-key', 'wrong-key', 'bad-mac', 'unknown-format']);
const KEYLESS: ReadonlySet<IssueCode> = new Set<IssueCode>(['no-key', 'wrong-key', 'bad-mac']);

interface Queued {
  id: number;
  raw: Uint8Array;
  crcs?: 'present' | 'absent';
  receivedAt: number;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>)
};

/** Status of a frame from its decode result. */
export function statusOf(r: BatchResult): Exclude<FrameStatus, 'new'> {
  if (r.ok) return 'decoded';
  return r.reason !== null && CURABLE.has(r.reason) ? 'pending' : 'failed';
}

/** The rows one decoded frame produces (pure). */
export function outcomeOf(f: Queued, r: BatchResult, onRoute: (meterKey: string) => boolean): Outcome {
  const meterKey = r.meter ? meterKeyOf(r.meter) : undefined;
  const on = meterKey !== undefined && onRoute(meterKey);
  const change = { id: f.id, status: statusOf(r), meterKey, reason: r.reason ?? undefined, onRoute: on };
  if (!r.ok || !r.reading || meterKey === undefined) return { change, reading: null, mark: null };
  const reading = {
    meterKey,
    at: f.receivedAt,
    frameId: f.id,
    fields: r.reading.fields,
    driver: r.reading.driver,
    alarms: r.reading.alarms,
    ...(r.reading.primary !== undefined ? { primary: r.reading.primary } : {})
  };
  return { change, reading, mark: on ? { meterKey, at: f.receivedAt, frameId: f.id } : null };
}

export class ReadingPipeline {
  /** Telegrams handed in since start. */
  received = $state(0);
  /** Of those, written to the frames store. */
  stored = $state(0);
  /** Frames decoded into readings (this session, resumed frames included). */
  decoded = $state(0);
  /** Frames kept for a key or a compact format, and those whose bytes are bad. */
  pending = $state(0);
  failed = $state(0);
  /** Frames without a usable key (no-key, wrong-key, bad MAC), and the meters they came from. */
  withoutKey = $state(0);
  metersWithoutKey = $state(0);
  /**
   * Meters whose telegrams this device could not open, with why: 'no-key' (none on the device) or
   * 'wrong-key' (the key it holds does not fit, or the MAC fails). Cleared for a meter once one of
   * its telegrams decodes (a new key arrived).
   */
  keyProblems = $state.raw<ReadonlyMap<string, 'no-key' | 'wrong-key'>>(new Map());
  /** Frames from meters not on the route, and how many such meters. */
  notOnRoute = $state(0);
  metersNotOnRoute = $state(0);
  /** Waiting to be stored or decoded right now. */
  backlog = $state(0);
  progress = $state<Progress>({ read: 0, total: 0, groups: {} });
  paused = $state(false);
  /** The last store or decoder failure (retried); null while all is well. */
  problem = $state<string | null>(null);
  /** Meters of the route read for the first time, newest last (for a "just read" list). */
  lastRead = $state<string[]>([]);

  readonly #o: Required<Omit<PipelineOptions, 'pauseFlag'>> & Pick<PipelineOptions, 'pauseFlag'>;
  #incoming: NewFrame[] = [];
  #toDecode: Queued[] = [];
  #queued = new Set<number>();
  #inWrite = 0;
  #inDecode = 0;
  #route = new Map<string, RouteMeterRow>();
  #keyless = new Set<string>();
  #foreign = new Set<string>();
  #writing: Promise<void> | null = null;
  #decoding: Promise<void> | null = null;
  #timer: unknown = null;
  #retry: unknown = null;
  #started: Promise<void> | null = null;
  #idle: Array<() => void> = [];

  constructor(o: PipelineOptions) {
    this.#o = {
      clock: Date.now,
      timers: realTimers,
      batchSize: 50,
      batchMs: 100,
      retryMs: 1000,
      writeSize: 500,
      ...o
    };
    if (!(this.#o.batchSize >= 1)) throw new RangeError(`batchSize: expected >= 1, got ${this.#o.batchSize}`);
  }

  /** Loads the route and decodes the frames a reload or crash left 'new'. Idempotent. */
  start(): Promise<void> {
    this.#started ??= (async () => {
      await this.reloadRoute();
      this.paused = (await this.#o.pauseFlag?.get()) ?? false;
      this.#enqueue(await this.#o.store.framesWithStatus('new'));
      this.#kickDecode(true);
    })();
    return this.#started;
  }

  /** After the route changed (Send/Receive): its meters and read marks. */
  async reloadRoute(): Promise<void> {
    const meters = await this.#o.store.routeMeters();
    this.#route = new Map(meters.map((m) => [m.meterKey, m]));
    this.progress = progressOf(this.#route.values());
  }

  /** Takes one telegram from the receiver. Never blocks, never drops: it is stored, then decoded. */
  receive(t: Telegram, source: string): void {
    this.#incoming.push({ raw: t.bytes, device: t.raw, crcs: t.crcs, receivedAt: t.receivedAt, source, rssi: t.rssiDbm });
    this.received++;
    this.#sync();
    this.#kickWrite();
  }

  /** Decodes the frames kept for a key or format again (after new keys reached the decoder). */
  async redecodePending(): Promise<number> {
    const n = this.#enqueue(await this.#o.store.framesWithStatus('pending'));
    this.#kickDecode(true);
    return n;
  }

  async pause(): Promise<void> {
    this.paused = true;
    await this.#o.pauseFlag?.set(true);
  }

  async resume(): Promise<void> {
    this.paused = false;
    await this.#o.pauseFlag?.set(false);
  }

  /** Resolves when everything received so far is stored and decoded (disconnect, tests). */
  flush(): Promise<void> {
    if (this.#settled()) return Promise.resolve();
    this.#kickDecode(true);
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Queues stored frames for decoding, each once (a frame already waiting is not added again). */
  #enqueue(rows: readonly { id?: number; raw: Uint8Array; crcs?: 'present' | 'absent'; receivedAt: number }[]): number {
    let n = 0;
    for (const f of rows) {
      if (f.id === undefined || this.#queued.has(f.id)) continue;
      this.#queued.add(f.id);
      this.#toDecode.push({ id: f.id, raw: f.raw, crcs: f.crcs, receivedAt: f.receivedAt });
      n++;
    }
    this.#sync();
    return n;
  }

  #settled(): boolean {
    return this.#incoming.length === 0 && this.#toDecode.length === 0 && !this.#writing && !this.#decoding;
  }

  #sync(): void {
    this.backlog = this.#incoming.length + this.#inWrite + this.#toDecode.length + this.#inDecode;
    if (this.#settled()) for (const done of this.#idle.splice(0)) done();
  }

  #kickWrite(): void {
    if (this.#writing || this.#retry !== null) return;
    this.#writing = this.#write().finally(() => {
      this.#writing = null;
      this.#sync();
    });
  }

  async #write(): Promise<void> {
    while (this.#incoming.length > 0) {
      const batch = this.#incoming.splice(0, this.#o.writeSize);
      let ids: number[];
      this.#inWrite = batch.length;
      try {
        ids = await this.#o.store.appendFrames(batch, this.#o.clock());
      } catch (e) {
        this.#inWrite = 0;
        this.#incoming.unshift(...batch); // not stored: keep them for the retry
        this.#fail('store', e, () => this.#kickWrite());
        return;
      }
      this.stored += ids.length;
      this.#inWrite = 0;
      this.#enqueue(batch.map((f, i) => ({ ...f, id: ids[i] })));
      this.#kickDecode(false);
    }
  }

  /** Starts a decode now when a batch is full (or `now`), else once batchMs passed. */
  #kickDecode(now: boolean): void {
    if (this.#decoding || this.#retry !== null || this.#toDecode.length === 0) return;
    if (now || this.#idle.length > 0 || this.#toDecode.length >= this.#o.batchSize) {
      if (this.#timer !== null) this.#o.timers.clear(this.#timer);
      this.#timer = null;
      this.#decoding = this.#decode().finally(() => {
        this.#decoding = null;
        this.#sync();
        this.#kickDecode(false);
      });
    } else if (this.#timer === null) {
      this.#timer = this.#o.timers.set(() => {
        this.#timer = null;
        this.#kickDecode(true);
      }, this.#o.batchMs);
    }
  }

  async #decode(): Promise<void> {
    while (this.#toDecode.length > 0) {
      const batch = this.#toDecode.splice(0, this.#o.batchSize);
      this.#inDecode = batch.length;
      try {
        const { results } = await this.#o.decoder.decodeFrames(batch.map((f) => ({ bytes: f.raw, crcs: f.crcs })));
        if (results.length !== batch.length) throw new RangeError(`decoder: expected ${batch.length} results, got ${results.length}`);
        const outcomes = batch.map((f, i) => outcomeOf(f, results[i], (k) => this.#route.has(k)));
        const fresh = await this.#o.store.commit(outcomes, this.#o.clock());
        for (const f of batch) this.#queued.delete(f.id);
        this.#inDecode = 0;
        this.#count(outcomes, results);
        this.#applyMarks(fresh);
        this.problem = null;
      } catch (e) {
        this.#inDecode = 0;
        this.#toDecode.unshift(...batch); // still 'new' in the store: nothing lost, retried
        this.#fail('decoder', e, () => this.#kickDecode(true));
        return;
      }
      this.#sync();
    }
  }

  #count(outcomes: readonly Outcome[], results: readonly BatchResult[]): void {
    let problems: Map<string, 'no-key' | 'wrong-key'> | undefined;
    outcomes.forEach(({ change }, i) => {
      if (change.status === 'decoded') this.decoded++;
      else if (change.status === 'pending') this.pending++;
      else this.failed++;
      const reason = results[i].reason;
      if (change.meterKey === undefined) return;
      if (reason !== null && KEYLESS.has(reason)) {
        this.withoutKey++;
        this.#keyless.add(change.meterKey);
        problems ??= new Map(this.keyProblems);
        problems.set(change.meterKey, reason === 'no-key' ? 'no-key' : 'wrong-key');
      } else if (change.status === 'decoded' && this.keyProblems.has(change.meterKey)) {
        problems ??= new Map(this.keyProblems);
        problems.delete(change.meterKey);
      }
      if (!change.onRoute) {
        this.notOnRoute++;
        this.#foreign.add(change.meterKey);
      }
    });
    this.metersWithoutKey = this.#keyless.size;
    this.metersNotOnRoute = this.#foreign.size;
    if (problems) this.keyProblems = problems;
  }

  #applyMarks(fresh: readonly { meterKey: string; at: number; frameId: number }[]): void {
    if (fresh.length === 0) return;
    for (const m of fresh) {
      const row = this.#route.get(m.meterKey);
      if (row) this.#route.set(m.meterKey, { ...row, readAt: m.at, frameId: m.frameId });
    }
    this.progress = progressOf(this.#route.values());
    this.lastRead = [...this.lastRead, ...fresh.map((m) => m.meterKey)].slice(-20);
  }

  #fail(what: 'store' | 'decoder', e: unknown, again: () => void): void {
    this.problem = `${what}: ${e instanceof Error ? e.message : String(e)}`;
    this.#retry = this.#o.timers.set(() => {
      this.#retry = null;
      again();
      this.#kickWrite();
    }, this.#o.retryMs);
  }
}

/** The app's pipeline: Dexie store, decoder worker, pause flag in `meta`. */
export const reading = new ReadingPipeline({
  store: dexiePipelineStore(db),
  decoder: workerDecoder,
  pauseFlag: { get: () => isPaused(db), set: (p) => setPaused(db, p) }
});
