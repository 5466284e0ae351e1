import type { Actor } from '../auth/principal.js';
import type { IncomingFrame } from '../ingest/ingest.js';
import type { MbusRun, MbusRunError, MbusStore, MbusSystem } from '../store/mbus.js';
import { RUN_ERRORS_KEPT } from '../store/mbus.js';
import type { MbusMaster } from '../../../shared/mbus/master.js';
import { mbusSource } from './addressing.js';
import { LinkError } from './chunks.js';

// One run's state while it runs (runner.ts): counters, per-meter errors, the telegrams read and
// not yet stored. Progress goes to the run row at most every PROGRESS_MS; telegrams go to Ingest
// in batches of INGEST_BATCH_METERS meters (one transaction and one audit entry per batch).

/** How often a run's progress is written at most. */
const PROGRESS_MS = 250;
/** Meters read before their telegrams go to Ingest as one batch (one audit entry per batch). */
const INGEST_BATCH_METERS = 20;

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isAbort(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'AbortError' || (err as { code?: string }).code === 'aborted';
}

/** A link failure ends the run: the cable or gateway is gone for every meter. */
export function isLinkFailure(err: unknown): boolean {
  return err instanceof LinkError || (err instanceof Error && (err as { code?: string }).code === 'link');
}

/** One run's counters, errors and telegrams waiting for Ingest. */
export class RunContext {
  master: MbusMaster | null = null;
  done = 0;
  total: number;
  found = 0;
  readonly errors: MbusRunError[] = [];
  #errorCount = 0;
  #pending: IncomingFrame[] = [];
  #pendingMeters = 0;
  #lastWrite = 0;
  readonly tenantId: number;

  constructor(
    /** Stores telegrams through Ingest (raw first). */
    private readonly ingest: (actor: Actor, frames: readonly IncomingFrame[]) => void,
    readonly store: MbusStore,
    readonly actor: Actor,
    readonly system: MbusSystem,
    readonly run: MbusRun,
    readonly signal: AbortSignal,
    readonly now: () => number
  ) {
    this.tenantId = actor.tenantId;
    this.total = run.total;
  }

  setProgress(done: number, total: number): void {
    this.done = done;
    this.total = total;
    this.writeProgress(false);
  }

  error(deviceId: number | null, address: string, text: string): void {
    this.#errorCount++;
    if (this.errors.length < RUN_ERRORS_KEPT) this.errors.push({ deviceId, address, message: text });
    this.writeProgress(true);
  }

  /** Writes the counters at most every PROGRESS_MS (always when `force`). */
  writeProgress(force: boolean): void {
    const t = Date.now();
    if (!force && t - this.#lastWrite < PROGRESS_MS) return;
    this.#lastWrite = t;
    this.store.progress(this.run.id, { done: this.done, total: this.total, found: this.found, errors: this.errors });
  }

  /** A read's telegrams, all with the read's time (Ingest makes one reading of them). */
  queue(frames: readonly Uint8Array[], at: number): void {
    const source = mbusSource(this.system.id);
    for (const bytes of frames) this.#pending.push({ bytes, receivedAt: at, source, rssi: null, link: 'mbus' });
    if (++this.#pendingMeters >= INGEST_BATCH_METERS) this.flush();
  }

  flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    this.#pendingMeters = 0;
    this.ingest(this.actor, batch);
    this.writeProgress(true);
  }

  summary(): string {
    const kind = this.run.kind;
    const errs = this.#errorCount ? `, ${this.#errorCount} error(s)` : '';
    if (kind === 'read') return `${this.found} of ${this.total} meter(s) read${errs}.`;
    return `${this.found} meter(s) found${errs}.`;
  }
}

