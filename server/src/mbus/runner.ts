import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import type { IncomingFrame } from '../ingest/ingest.js';
import type { FoundDevice, MbusDeviceRow, MbusRun, MbusStore, MbusSystem } from '../store/mbus.js';
import type { Stores } from '../store/index.js';
import type { MbusLink } from '../../../shared/mbus/link.js';
import { MbusError, MbusMaster, type MasterOptions, type MbusTarget } from '../../../shared/mbus/master.js';
import type { MbusFrame } from '../../../shared/mbus/frame.js';
import { auditAs } from '../store/registry.js';
import { deviceTarget, identityOf, mbusSource, targetLabel } from './addressing.js';
import { LinkError } from './chunks.js';
import { isAbort, isLinkFailure, message, RunContext } from './run-context.js';
import { SerialLink } from './serial-link.js';
import { TcpLink } from './tcp-link.js';
import { valveProfile } from './valves.js';
import { GENERIC_DIGITAL_OUTPUT, switchValve, valveState, type ValveProfile, type ValveState } from '../../../shared/mbus/valve.js';

// Runs on an M-Bus system (issue 8): a scan (primary addresses in a range, or the wildcard search
// for secondary addresses) or a read of its devices. The cable is one line, so one run per system
// at a time; a second request is refused with a sentence (409). A run's progress, per-meter errors
// and the devices it found are written as it goes (progress throttled); every telegram read is
// stored through Ingest (raw first) with the time it was read. Every wait has a timeout (the
// master's answer timeouts, the link's connect timeout) and a run can be cancelled.

export type BusMaster = MbusMaster;
export type BusTarget = MbusTarget;
export type MasterFactory = (link: MbusLink, o: MasterOptions) => BusMaster;

export interface OpenLink extends MbusLink {
  close(): Promise<void>;
}

export type LinkOpener = (system: MbusSystem, signal: AbortSignal) => Promise<OpenLink>;

/** TCP gateway or local serial port, as the system says. */
export const openSystemLink: LinkOpener = (system, signal) =>
  system.transport === 'tcp' ? TcpLink.connect(system.address, { signal }) : SerialLink.open(system.address, system.baud, { signal });

export interface RunnerDeps {
  db: Db;
  stores: Stores;
  now: () => number;
  log?: (line: string) => void;
}

export interface RunnerOptions {
  master: MasterFactory;
  openLink?: LinkOpener;
  /**
   * Master options for a system besides its baud rate: a simulated bus running N× faster than the
   * line (the demo's, tests) sets timeScale, and a larger answerMarginMs so that a busy event loop
   * in the same process does not look like a silent meter. Default: real line timing.
   */
  masterOptionsFor?: (system: MbusSystem) => Omit<MasterOptions, 'baud'>;
}

/** A run refused because the system is busy (409), or an unusable request (422 from the route). */
export class RunBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunBusyError';
  }
}

interface Active {
  runId: number | null;
  controller: AbortController;
  done: Promise<void>;
  cancelledBy: string | null;
}

const SCHEDULE_ACTOR = (tenantId: number): Actor => ({ tenantId, userId: null, name: 'M-Bus schedule', device: null });

export class MbusRunner {
  readonly #active = new Map<number, Active>();
  readonly #store: MbusStore;

  #options: RunnerOptions;

  constructor(
    private readonly deps: RunnerDeps,
    options: RunnerOptions
  ) {
    this.#options = options;
    this.#store = deps.stores.mbus;
    this.#store.failInterrupted(deps.now());
  }

  configure(o: Partial<RunnerOptions>): void {
    this.#options = { ...this.#options, ...o };
  }

  /** True while a run or a valve command uses the system's line. */
  busy(systemId: number): boolean {
    return this.#active.has(systemId);
  }

  #claim(system: MbusSystem, what: string): Active {
    if (this.#active.has(system.id)) {
      const a = this.#active.get(system.id)!;
      throw new RunBusyError(
        `M-Bus system "${system.name}" is busy${a.runId !== null ? ` with run ${a.runId}` : ''}: one ${what} at a time on a cable; wait for it to end or cancel it.`
      );
    }
    const active: Active = { runId: null, controller: new AbortController(), done: Promise.resolve(), cancelledBy: null };
    this.#active.set(system.id, active);
    return active;
  }

  /** The new run row; the line is released again when it cannot be written. */
  #started(systemId: number, start: () => MbusRun): MbusRun {
    try {
      return start();
    } catch (err) {
      this.#active.delete(systemId);
      throw err;
    }
  }

  /** Starts a scan; returns the run row at once (the scan goes on in the background). */
  scan(actor: Actor, systemId: number, o: { mode: 'primary' | 'secondary'; from?: number; to?: number }): MbusRun {
    const system = this.#store.get(actor.tenantId, systemId);
    const from = o.from ?? 0;
    const to = o.to ?? 250;
    const active = this.#claim(system, 'scan or read');
    const total = o.mode === 'primary' ? to - from + 1 : 0;
    const run = this.#started(system.id, () => this.#store.startRun(actor.tenantId, system.id, 'scan', o.mode, total, this.deps.now(), actor));
    active.runId = run.id;
    active.done = this.#execute(actor, system, run, active, (ctx) => (o.mode === 'primary' ? this.#scanPrimary(ctx, from, to) : this.#scanSecondary(ctx)));
    return run;
  }

  /** Starts a read of the system's devices (all, or those given); returns the run row at once. */
  read(actor: Actor | null, systemId: number, tenantId: number, deviceIds?: readonly number[]): MbusRun {
    const system = this.#store.get(tenantId, systemId);
    const all = this.#store.devices(tenantId, systemId);
    let devices = all;
    if (deviceIds) {
      const wanted = new Set(deviceIds);
      devices = all.filter((d) => wanted.has(d.id));
      const unknown = deviceIds.filter((id) => !all.some((d) => d.id === id));
      if (unknown.length) throw new RangeError(`deviceIds: no device ${unknown.join(', ')} on M-Bus system ${systemId}`);
    }
    const active = this.#claim(system, 'scan or read');
    const who = actor ?? SCHEDULE_ACTOR(tenantId);
    const run = this.#started(system.id, () => this.#store.startRun(tenantId, system.id, 'read', null, devices.length, this.deps.now(), actor));
    active.runId = run.id;
    active.done = this.#execute(who, system, run, active, (ctx) => this.#readDevices(ctx, devices));
    return run;
  }

  /** Cancels a running run (no-op for one that ended); returns the run row. */
  async cancel(actor: Actor, runId: number): Promise<MbusRun> {
    const run = this.#store.run(actor.tenantId, runId);
    const active = this.#active.get(run.systemId);
    if (run.state === 'running' && active?.runId === runId) {
      active.cancelledBy = actor.name;
      auditAs(this.deps.db, actor, this.deps.now(), 'mbus.run.cancelled', { systemId: run.systemId, runId });
      active.controller.abort();
      await active.done;
    }
    return this.#store.run(actor.tenantId, runId);
  }

  /** Resolves when the system's current run (if any) has ended. */
  async idle(systemId: number): Promise<void> {
    await this.#active.get(systemId)?.done;
  }

  /** Aborts every run (server shutdown) and waits for them to end. */
  async stop(): Promise<void> {
    const all = [...this.#active.values()];
    for (const a of all) a.controller.abort();
    await Promise.all(all.map((a) => a.done));
  }

  /**
   * Runs `work` with the system's line: opens the link, makes a master, closes the link after.
   * For commands that answer the caller directly (valve); RunBusyError while a run holds the line.
   */
  async exclusive<T>(system: MbusSystem, signal: AbortSignal | undefined, work: (master: BusMaster, signal: AbortSignal) => Promise<T>): Promise<T> {
    const active = this.#claim(system, 'command or run');
    let release!: () => void;
    active.done = new Promise<void>((r) => (release = r));
    const onAbort = () => active.controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let link: OpenLink | null = null;
    try {
      link = await (this.#options.openLink ?? openSystemLink)(system, active.controller.signal);
      const master = this.#options.master(link, { ...this.#options.masterOptionsFor?.(system), baud: system.baud });
      return await work(master, active.controller.signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await link?.close().catch(() => {});
      this.#active.delete(system.id);
      release();
    }
  }

  /** Stores the telegrams of reads through Ingest (raw first), one batch. */
  ingest(actor: Actor, frames: readonly IncomingFrame[]): void {
    if (frames.length) this.deps.stores.ingest.ingest(actor, frames, this.deps.now());
  }

  async #execute(actor: Actor, system: MbusSystem, run: MbusRun, active: Active, work: (ctx: RunContext) => Promise<void>): Promise<void> {
    const { now, log } = this.deps;
    const ctx = new RunContext((a, f) => this.ingest(a, f), this.#store, actor, system, run, active.controller.signal, now);
    let link: OpenLink | null = null;
    try {
      // let the caller have the run row before anything happens on the line
      await Promise.resolve();
      link = await (this.#options.openLink ?? openSystemLink)(system, ctx.signal);
      ctx.master = this.#options.master(link, { ...this.#options.masterOptionsFor?.(system), baud: system.baud });
      await work(ctx);
      ctx.flush();
      this.#store.finishRun(run.id, 'done', ctx.summary(), now());
    } catch (err) {
      try {
        ctx.flush();
      } catch (e) {
        log?.(`M-Bus run ${run.id}: storing the frames read failed: ${message(e)}`);
      }
      try {
        if (active.controller.signal.aborted || isAbort(err)) {
          this.#store.finishRun(run.id, 'cancelled', `Cancelled${active.cancelledBy ? ` by ${active.cancelledBy}` : ''} after ${ctx.done} of ${ctx.total}. ${ctx.summary()}`, now());
        } else {
          if (!(err instanceof LinkError) && !isLinkFailure(err)) log?.(`M-Bus run ${run.id} on system ${system.id} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          this.#store.finishRun(run.id, 'failed', linkSentence(err), now());
        }
      } catch (e) {
        // the database is gone (shutdown): the next start fails the run as interrupted
        log?.(`M-Bus run ${run.id}: could not record its end: ${message(e)}`);
      }
    } finally {
      await link?.close().catch(() => {});
      this.#active.delete(system.id);
    }
  }

  async #scanPrimary(ctx: RunContext, from: number, to: number): Promise<void> {
    const master = ctx.master!;
    const rows = new Map<number, number>();
    const hits = await master.scanPrimary({
      from,
      to,
      signal: ctx.signal,
      onProgress: (p) => ctx.setProgress(p.done, p.total),
      onFound: (h) => {
        if (h.state === 'collision') {
          ctx.error(null, `primary ${h.primaryAddress}`, `Two or more meters answer at primary address ${h.primaryAddress}: give them different primary addresses (or scan by secondary address).`);
          return;
        }
        // kept at once: a cancelled scan keeps what it found (the identity comes with the read below)
        const { id } = ctx.store.upsertDevice(
          ctx.tenantId,
          ctx.system.id,
          { foundBy: 'primary', primaryAddress: h.primaryAddress, secondary: null, manufacturer: null, serial: null, version: null, deviceType: null },
          ctx.now()
        );
        rows.set(h.primaryAddress, id);
        ctx.found++;
      }
    });
    // a present meter is read once: its header tells who it is, and its telegrams are stored
    for (const h of hits) {
      if (h.state !== 'present') continue;
      const target = { primary: h.primaryAddress };
      let identity: Omit<FoundDevice, 'foundBy' | 'primaryAddress'> = { secondary: null, manufacturer: null, serial: null, version: null, deviceType: null };
      let error: string | null = null;
      let frames: Uint8Array[] = [];
      let decoded: MbusFrame[] = [];
      const at = ctx.now();
      try {
        const read = await master.read(target, { signal: ctx.signal });
        frames = read.frames;
        decoded = read.decoded;
        if (read.address) identity = identityOf(read.address);
      } catch (err) {
        if (ctx.signal.aborted || isAbort(err) || isLinkFailure(err)) throw err;
        error = message(err);
      }
      const { id } = ctx.store.upsertDevice(ctx.tenantId, ctx.system.id, { foundBy: 'primary', primaryAddress: h.primaryAddress, ...identity }, at);
      // the meter was known under another row (it moved to this address): the row made above goes
      const made = rows.get(h.primaryAddress);
      if (made !== undefined && made !== id) ctx.store.deleteUnidentified(made);
      if (error) {
        ctx.store.setReadResult(id, at, error);
        ctx.error(id, targetLabel(target), error);
      } else {
        ctx.queue(frames, at);
        ctx.store.setReadResult(id, at, null);
        this.valveAfterRead(ctx.tenantId, id, ctx.store.device(ctx.tenantId, id).valve?.profileId ?? null, decoded, at);
      }
      ctx.writeProgress(false);
    }
  }

  async #scanSecondary(ctx: RunContext): Promise<void> {
    const master = ctx.master!;
    await master.searchSecondary({
      signal: ctx.signal,
      onProgress: (p) => ctx.setProgress(p.done, p.total),
      onFound: (h) => {
        ctx.store.upsertDevice(ctx.tenantId, ctx.system.id, { foundBy: 'secondary', primaryAddress: h.primaryAddress, ...identityOf(h.address), secondary: h.secondary }, ctx.now());
        ctx.found++;
        ctx.writeProgress(false);
      },
      // meters answer this mask but could not be told apart: say so instead of losing them
      onUnresolved: (mask) => {
        ctx.error(null, `secondary ${mask}`, `Meters answer the selection of secondary address ${mask} but could not be told apart (garbled answers): scan again, or check the line for noise.`);
      }
    });
  }

  async #readDevices(ctx: RunContext, devices: readonly MbusDeviceRow[]): Promise<void> {
    const master = ctx.master!;
    ctx.total = devices.length;
    for (const d of devices) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
      const target = deviceTarget(ctx.system, d);
      const at = ctx.now();
      if (!target) {
        const why = 'The device has neither a primary nor a secondary address: scan the system again.';
        ctx.store.setReadResult(d.id, at, why);
        ctx.error(d.id, `device ${d.id}`, why);
      } else {
        try {
          const read = await master.read(target, { signal: ctx.signal });
          ctx.queue(read.frames, at);
          ctx.store.setReadResult(d.id, at, null);
          ctx.found++;
          this.valveAfterRead(ctx.tenantId, d.id, d.valve?.profileId ?? null, read.decoded, at);
        } catch (err) {
          if (ctx.signal.aborted || isAbort(err) || isLinkFailure(err)) throw err;
          ctx.store.setReadResult(d.id, at, message(err));
          ctx.error(d.id, targetLabel(target), message(err));
        }
      }
      ctx.done++;
      ctx.writeProgress(false);
    }
  }

  /**
   * The valve state a read shows (M11): with the device's profile, or the generic EN 13757-3
   * profile when the meter sends its state record (a valve found by reading it).
   */
  valveAfterRead(tenantId: number, deviceId: number, profileId: string | null, decoded: readonly MbusFrame[], at: number): void {
    const profile = profileId ? valveProfile(this.deps.stores.settings, tenantId, profileId) : GENERIC_DIGITAL_OUTPUT;
    if (!profile) return;
    let state: ValveState = 'unknown';
    for (const f of decoded) {
      const s = valveState(profile, f);
      if (s !== 'unknown') state = s;
    }
    if (profileId || state !== 'unknown') this.#store.setValve(deviceId, profile.id, state, at);
  }

  /**
   * Opens or closes a device's valve with a profile's SND_UD and reads the meter back (M11):
   * the telegrams go through Ingest, the state is stored and the attempt audited ('mbus.valve')
   * whatever the outcome. Rejects with the master's sentence when the meter did not take it.
   */
  async valve(actor: Actor, deviceId: number, action: 'open' | 'close', profile: ValveProfile, signal?: AbortSignal): Promise<MbusDeviceRow> {
    const { db, now } = this.deps;
    const d = this.#store.device(actor.tenantId, deviceId);
    const system = this.#store.get(actor.tenantId, d.systemId);
    const target = deviceTarget(system, d);
    if (!target) throw new RangeError(`device: device ${deviceId} has neither a primary nor a secondary address; scan the system again`);
    const details = { systemId: system.id, deviceId, meterId: d.meterId, address: targetLabel(target), action, profileId: profile.id };
    let result: { state: ValveState; frames: Uint8Array[] };
    try {
      result = await this.exclusive(system, signal, (master, sig) => switchValve(master, target, profile, action, sig));
    } catch (err) {
      if (err instanceof RunBusyError) throw err;
      const at = now();
      db.transaction(() => {
        this.#store.setReadResult(d.id, at, message(err));
        // the meter may have acted on a command whose answer was lost: its state is not known now
        this.#store.setValve(d.id, profile.id, 'unknown', at);
        auditAs(db, actor, at, 'mbus.valve', { ...details, state: 'failed', error: message(err) });
      })();
      throw err;
    }
    const at = now();
    this.ingest(actor, result.frames.map((bytes) => ({ bytes, receivedAt: at, source: mbusSource(system.id), rssi: null, link: 'mbus' as const })));
    db.transaction(() => {
      this.#store.setValve(d.id, profile.id, result.state, at);
      this.#store.setReadResult(d.id, at, null);
      auditAs(db, actor, at, 'mbus.valve', { ...details, state: result.state });
    })();
    return this.#store.device(actor.tenantId, deviceId);
  }
}

/** The link's own sentence ("The M-Bus gateway … closed the connection.") when the master wrapped it. */
function linkSentence(err: unknown): string {
  if (err instanceof MbusError && err.code === 'link' && err.cause instanceof LinkError) return err.cause.message;
  return message(err);
}

const DEFAULT_OPTIONS: RunnerOptions = { master: (link, o) => new MbusMaster(link, o) };

const runners = new WeakMap<Db, MbusRunner>();

/**
 * The runner of a database (one per server process: runs hold the lines). Made on first use with
 * `options`; later calls get the same runner. `configureMbusRunner` replaces its options (the demo's
 * simulated bus, tests).
 */
export function mbusRunner(deps: RunnerDeps, options: RunnerOptions = DEFAULT_OPTIONS): MbusRunner {
  let r = runners.get(deps.db);
  if (!r) runners.set(deps.db, (r = new MbusRunner(deps, options)));
  return r;
}

/** The runner of a database if one was made (shutdown stops it). */
export function existingMbusRunner(db: Db): MbusRunner | undefined {
  return runners.get(db);
}

export function configureMbusRunner(deps: RunnerDeps, options: Partial<RunnerOptions>): MbusRunner {
  const r = mbusRunner(deps);
  r.configure(options);
  return r;
}
