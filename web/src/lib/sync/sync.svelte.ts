// Send/Receive as one button (issue 5): send first, so nothing read waits, then receive the
// route, its keys and the compact formats, then hand them to the decoder and decode the frames
// that waited for a key. The screen and the button read this state. Headless: store, network,
// clock, decoder and pipeline are injected (as ReadingPipeline injects its store and decoder).

import { db as appDb, type ReadoutDb } from '$lib/db';
import { outboxCounts } from '$lib/db/outbox';
import { persistIfRoute } from '$lib/db/persist';
import { reading } from '$lib/state/reading.svelte';
import { ApiError } from '$lib/api/client';
import { isAbort, type SyncContext } from './context';
import { loadDecoder, workerHooks, type DecoderHooks, type LoadedDecoder } from './decoder-state';
import { checkDevice, deviceToken, forgetDevice, registerDevice, storedDevice, type StoredDevice } from './device';
import { sendExchanges } from './exchanges';
import { appendRun, emptySent, syncLog, syncProblems, type SyncProblem, type SyncRun } from './log';
import { fetchRoute, storeRoute } from './receive';
import { sendFrames, settleReadings } from './send';
import { errorText, type SyncPhase } from './text';

export interface SyncDeps {
  db: ReadoutDb;
  fetch: typeof fetch;
  clock: () => number;
  decoder: DecoderHooks;
  /** The receive pipeline: its route and the frames that waited for a key. */
  pipeline: { reloadRoute(): Promise<void>; redecodePending(): Promise<number> };
  exchanges: (ctx: { db: ReadoutDb; fetch: typeof fetch; token: string; now: () => number }) => Promise<{ sent: number; rejected: number }>;
  /** Whether the browser thinks it is online (navigator.onLine); default always. */
  online?: () => boolean;
  batchSize?: number;
  pageSize?: number;
}

export interface Waiting {
  frames: number;
  readings: number;
  exchanges: number;
}

/** Frames kept raw for a key or a format: on the route (no key yet) and from meters not on the route. */
export interface Kept {
  withoutKey: number;
  notOnRoute: number;
}

export class SyncState {
  device = $state<StoredDevice | null>(null);
  running = $state(false);
  phase = $state<SyncPhase>('idle');
  done = $state(0);
  total = $state(0);
  online = $state(true);
  waiting = $state<Waiting>({ frames: 0, readings: 0, exchanges: 0 });
  kept = $state<Kept>({ withoutKey: 0, notOnRoute: 0 });
  /** Newest first, the last 20 runs. */
  log = $state<SyncRun[]>([]);
  problems = $state<SyncProblem[]>([]);
  /** The last run's or the last device action's failure, for a person. */
  error = $state<string | null>(null);
  /** What the decoder holds after the last Receive. */
  decoder = $state<LoadedDecoder | null>(null);
  lastRun = $derived<SyncRun | null>(this.log[0] ?? null);
  /** Telegrams and exchanges not on the server yet (readings go with their telegrams). */
  toSend = $derived(this.waiting.frames + this.waiting.exchanges);
  /** Why the button cannot run now; null when it can. */
  blocked = $derived.by(() => (this.running ? null : this.#blockedBy()));

  readonly #d: SyncDeps;
  #abort: AbortController | null = null;
  #countsTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(deps: SyncDeps) {
    this.#d = deps;
  }

  #blockedBy(): string | null {
    if (!this.device) return 'Register this device first.';
    if (this.device.status === 'unknown' || this.device.status === 'revoked') return 'This device is no longer accepted: register it anew.';
    if (!this.online) return 'Offline: Send/Receive needs a network connection. Everything read stays on this device.';
    return null;
  }

  #ctx(signal?: AbortSignal): SyncContext {
    return { db: this.#d.db, fetch: this.#d.fetch, now: this.#d.clock, signal };
  }

  /** Device, counts, log and problems from the store (screen opened, app started). */
  async refresh(): Promise<void> {
    this.online = this.#d.online?.() ?? true;
    this.device = await storedDevice(this.#d.db);
    this.log = await syncLog(this.#d.db);
    this.problems = await syncProblems(this.#d.db);
    await this.refreshCounts();
  }

  async refreshCounts(): Promise<void> {
    const { db } = this.#d;
    this.waiting = await outboxCounts(db);
    const kept: Kept = { withoutKey: 0, notOnRoute: 0 };
    await db.frames.where('status').equals('pending').each((f) => {
      if (f.onRoute === false) kept.notOnRoute++;
      else kept.withoutKey++;
    });
    this.kept = kept;
  }

  /** Counts again soon (a telegram arrived); at most every 2 s while telegrams stream in. */
  countsSoon(): void {
    this.#countsTimer ??= setTimeout(() => {
      this.#countsTimer = null;
      void this.refreshCounts();
    }, 2000);
  }

  setOnline(online: boolean): void {
    this.online = online;
  }

  /** Registers this browser under `name` (the person must be signed in). Returns false with `error` set. */
  async register(name: string): Promise<boolean> {
    this.error = null;
    try {
      this.device = await registerDevice(this.#ctx(), name);
      return true;
    } catch (e) {
      if (!(e instanceof ApiError)) this.error = e instanceof Error ? e.message : String(e);
      else if (e.reason === 'unauthorised') this.error = 'Sign in with your user name and password first, then register this device.';
      else this.error = e.reason === 'offline' ? errorText(e, name) : e.message;
      return false;
    }
  }

  /** Asks the server whether this device is authorised yet. */
  async check(): Promise<void> {
    this.error = null;
    try {
      this.device = await checkDevice(this.#ctx());
    } catch (e) {
      this.error = errorText(e, this.device?.name ?? 'this device');
    }
  }

  /** Forgets the token and the route's keys (after a revocation) so the device can be registered anew. */
  async forget(): Promise<void> {
    await forgetDevice(this.#d.db);
    this.device = null;
    this.error = null;
    this.decoder = await loadDecoder(this.#d.db, this.#d.decoder).catch(() => null);
  }

  cancel(): void {
    this.#abort?.abort();
  }

  /** One Send/Receive. Resolves with the run as logged, or null when it could not start (see `blocked`). */
  async run(): Promise<SyncRun | null> {
    if (this.running) return null;
    this.running = true; // claimed at once: a second tap while this one starts is ignored
    try {
      this.online = this.#d.online?.() ?? true;
      const token = await deviceToken(this.#d.db);
      this.device = await storedDevice(this.#d.db);
      const why = token ? this.#blockedBy() : 'Register this device first.';
      if (why) {
        this.error = why;
        return null;
      }
      this.error = null;
      return await this.#run(token!);
    } finally {
      this.#abort = null;
      this.phase = 'idle';
      this.running = false;
    }
  }

  async #run(token: string): Promise<SyncRun> {
    await this.refreshCounts();
    const abort = (this.#abort = new AbortController());
    const ctx = this.#ctx(abort.signal);
    const run: SyncRun = { startedAt: this.#d.clock(), finishedAt: 0, outcome: 'done', sent: emptySent(), readings: 0, exchanges: null, received: null };
    run.sent.waiting = this.waiting.frames;
    try {
      await this.#steps(ctx, token, run);
    } catch (e) {
      run.outcome = isAbort(e) ? 'cancelled' : 'failed';
      run.error = errorText(e, this.device?.name ?? 'this device');
      if (e instanceof ApiError && (e.reason === 'unauthorised' || e.reason === 'forbidden')) {
        this.device = await checkDevice(this.#ctx()).catch(() => this.device);
      }
    }
    // local only: readings whose frames reached the server, also after a failure half-way
    run.readings += await settleReadings(this.#d.db).catch(() => 0);
    run.finishedAt = this.#d.clock();
    this.log = await appendRun(this.#d.db, run);
    this.problems = await syncProblems(this.#d.db);
    this.error = run.error ?? null;
    await this.refreshCounts();
    return run;
  }

  async #steps(ctx: SyncContext, token: string, run: SyncRun): Promise<void> {
    const progress = (done: number, total: number) => {
      this.done = done;
      this.total = total;
    };
    this.#enter('checking');
    const device = await checkDevice(ctx);
    this.device = device;
    if (device?.status === 'unknown') throw new ApiError('unauthorised', 'device token refused', 401);
    if (device?.status === 'pending') throw new ApiError('forbidden', 'device not authorised', 403);

    this.#enter('sending');
    await sendFrames(ctx, token, { batchSize: this.#d.batchSize, onProgress: progress, into: run.sent });
    run.readings += await settleReadings(ctx.db);
    this.#enter('exchanges');
    run.exchanges = await this.#d.exchanges({ db: ctx.db, fetch: ctx.fetch, token, now: ctx.now });

    this.#enter('receiving');
    const route = await fetchRoute(ctx, token, { pageSize: this.#d.pageSize, onPage: progress });
    this.#enter('storing');
    const r = await storeRoute(ctx.db, route);
    run.received = { meters: r.meters, keys: r.keys, formats: r.formats, groups: r.groups, badKeys: r.badKeys };
    this.#enter('decoding');
    this.decoder = await loadDecoder(ctx.db, this.#d.decoder);
    await this.#d.pipeline.reloadRoute();
    await this.#d.pipeline.redecodePending();
  }

  #enter(phase: SyncPhase): void {
    this.phase = phase;
    this.done = 0;
    this.total = 0;
  }
}

/** The app's Send/Receive: IndexedDB, the browser's network, the decoder worker, the receive pipeline. */
export const sync = new SyncState({
  db: appDb,
  fetch: (input, init) => fetch(input, init),
  clock: Date.now,
  decoder: workerHooks,
  pipeline: {
    // the first route on this device: ask the browser to keep the storage from now on
    reloadRoute: () => reading.reloadRoute().then(() => void persistIfRoute()),
    redecodePending: () => reading.redecodePending()
  },
  exchanges: sendExchanges,
  online: () => (typeof navigator === 'undefined' ? true : navigator.onLine)
});
