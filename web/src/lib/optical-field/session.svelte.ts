// The doorstep optical read's state (issue 9, R2/R6/R7): an optical head on a Transport (Web
// Serial USB head at 1200 8N2, or a Web Bluetooth BLE UART head), the KMP client on it
// (hardware/devices/kmp-head.ts), identify (GetType + GetSerialNo), current registers, and the
// daily and hourly loggers with progress, Cancel and Resume. Every answer is stored raw first
// (db/optical.ts) with the meter "KAM <serial>" and queued for Send/Receive; a cancelled or failed
// logger read keeps what it read. Headless: transport, client, store and clock are injected.

import { isTransportError, TransportError, type Transport } from '$lib/hardware/transport';
import type { OpticalRead, StoredOpticalRead } from '$lib/db/optical';
import { MULTICAL_MODELS, registerById, type MulticalModel } from '$shared/kmp/registers';
import type { KmpValue } from '$shared/kmp/value';
import { recordFields, type LogRecord } from './logs';

/** The client of contract A (kmp-head.ts KmpClient) as this session uses it. */
export interface OpticalClient {
  identify(signal?: AbortSignal): Promise<{ meterType: number; revision: string; serial: number; model: string }>;
  readRegisters(ids: number[], signal?: AbortSignal): Promise<{ frames: Uint8Array[]; values: { id: number; name: string; value: KmpValue; text: string; unit: string }[] }>;
  readLog(
    kind: LogKind,
    o: { model: string; signal?: AbortSignal; onProgress?(done: number, total: number): void; resume?: unknown; since?: number }
  ): Promise<{ frames: Uint8Array[]; records: LogRecord[]; complete: boolean; resumeFrom: unknown; error?: { code: string; message: string } }>;
}

export type LogKind = 'hourly' | 'daily' | 'monthly' | 'yearly' | 'info';
export type HeadKind = 'serial' | 'bluetooth';

export interface OpenHead {
  client: OpticalClient;
  /** Gives the transport's reader back (kmp-head.ts transportKmpLink release). */
  release(): void;
}

export interface OpticalSessionDeps {
  store: (read: OpticalRead, at: number) => Promise<StoredOpticalRead>;
  /** Puts the KMP client on an opened transport. */
  open: (t: Transport) => OpenHead;
  clock?: () => number;
}

export interface Identity {
  meterType: number;
  revision: string;
  serial: number;
  model: string;
}

export interface ShownRegister {
  id: number;
  key: string;
  name: string;
  text: string;
  unit: string;
}

export interface LogState {
  records: LogRecord[];
  complete: boolean;
  resumeFrom: unknown;
  /** Frames stored for this logger in this session. */
  frames: number;
}

/** The current registers read on the doorstep: energies, volumes, hour counters, temperatures, flow, power, info code, tariffs, pulse inputs, analog inputs (registers.ts). */
export const DOORSTEP_REGISTERS = [60, 63, 68, 69, 1004, 175, 86, 87, 89, 74, 80, 99, 64, 65, 84, 85, 91, 92] as const;

/** Those of DOORSTEP_REGISTERS the model has (P1/P2 only on 601/603/801/803); all of them for an unknown model. */
export function doorstepRegisters(model: string): number[] {
  return DOORSTEP_REGISTERS.filter((id) => {
    const r = registerById(id);
    return !r || !(MULTICAL_MODELS as readonly string[]).includes(model) || r.models.includes(model as MulticalModel);
  });
}

export class OpticalFieldSession {
  status = $state<'idle' | 'connecting' | 'open'>('idle');
  failure = $state<TransportError | null>(null);
  via = $state<HeadKind | null>(null);
  label = $state('');
  identity = $state<Identity | null>(null);
  registers = $state<ShownRegister[]>([]);
  registersAt = $state<number | null>(null);
  logs = $state<Partial<Record<LogKind, LogState>>>({});
  busy = $state<'identify' | 'registers' | LogKind | null>(null);
  progress = $state<{ kind: LogKind; done: number; total: number } | null>(null);
  notice = $state<string | null>(null);
  error = $state<string | null>(null);

  readonly #deps: OpticalSessionDeps;
  #transport: Transport | null = null;
  #head: OpenHead | null = null;
  #abort: AbortController | null = null;

  constructor(deps: OpticalSessionDeps) {
    this.#deps = deps;
  }

  get isOpen(): boolean {
    return this.status === 'open';
  }

  /** Opens the head; false with `failure` set when it could not (support.ts failureHelp says what to do). */
  async connect(via: HeadKind, make: () => Promise<Transport>): Promise<boolean> {
    await this.disconnect();
    this.status = 'connecting';
    this.failure = null;
    this.error = null;
    try {
      const t = await make();
      await t.open();
      this.#transport = t;
      this.#head = this.#deps.open(t);
      this.via = via;
      this.label = t.label;
      this.status = 'open';
      return true;
    } catch (e) {
      this.status = 'idle';
      this.failure = isTransportError(e) ? e : new TransportError('io', e instanceof Error ? e.message : String(e), { cause: e });
      return false;
    }
  }

  /** Cancels what runs, gives the head back and closes it. Idempotent; what was read stays. */
  async disconnect(): Promise<void> {
    this.#abort?.abort(new DOMException('Disconnected', 'AbortError'));
    const head = this.#head;
    const t = this.#transport;
    this.#head = null;
    this.#transport = null;
    try {
      head?.release();
    } catch {
      // the reader is gone already
    }
    await t?.close().catch(() => undefined);
    this.status = 'idle';
  }

  /** Stops the running read at its next wait; a logger read keeps its records for Resume. */
  cancel(): void {
    this.#abort?.abort(new DOMException('Cancelled', 'AbortError'));
  }

  /** GetType + GetSerialNo (protocols.md §5.3): which meter is behind the head. */
  async identify(): Promise<Identity | null> {
    const client = this.#ready();
    await this.#run('identify', async (signal) => {
      const id = await client.identify(signal);
      if (this.identity && this.identity.serial !== id.serial) {
        // another meter: what was read belongs to the one before
        this.registers = [];
        this.registersAt = null;
        this.logs = {};
      }
      this.identity = id;
    });
    return this.identity;
  }

  /** Reads the current registers of DOORSTEP_REGISTERS the model has, stores the answers and one reading. */
  async readRegisters(ids?: readonly number[]): Promise<void> {
    const client = this.#ready();
    const who = this.#identified();
    await this.#run('registers', async (signal) => {
      const read = await client.readRegisters([...(ids ?? doorstepRegisters(who.model))], signal);
      const at = this.#now();
      this.registers = read.values.map((v) => ({ id: v.id, key: registerById(v.id)?.key ?? `#${v.id}`, name: v.name, text: v.text, unit: v.unit }));
      this.registersAt = at;
      if (read.frames.length > 0) {
        const values = new Map(read.values.map((v) => [v.id, v.value]));
        await this.#deps.store({ frames: read.frames, receivedAt: at, source: this.#source(), serial: who.serial, what: 'registers', readings: [{ at, fields: recordFields(values, keyOf) }] }, at);
      }
    });
  }

  /**
   * Reads a logger with progress. Cancel (or a failure after retries) keeps the records read so
   * far and `resumeFrom`; `resume: true` continues from there. The frames of each run are stored
   * when it ends, whatever way it ends.
   */
  async readLog(kind: LogKind, o: { resume?: boolean; since?: number } = {}): Promise<void> {
    const client = this.#ready();
    const who = this.#identified();
    const before = this.logs[kind];
    const resume = o.resume && before && !before.complete ? before.resumeFrom : undefined;
    await this.#run(kind, async (signal) => {
      this.progress = { kind, done: 0, total: 0 };
      const read = await client.readLog(kind, {
        model: who.model,
        signal,
        onProgress: (done, total) => (this.progress = { kind, done, total }),
        ...(resume !== undefined ? { resume } : {}),
        ...(o.since !== undefined ? { since: o.since } : {})
      });
      const merged = new Map((resume !== undefined ? (before?.records ?? []) : []).map((r) => [r.at, r]));
      const fresh = read.records.filter((r) => !merged.has(r.at));
      for (const r of read.records) merged.set(r.at, r);
      this.logs = {
        ...this.logs,
        [kind]: { records: [...merged.values()].sort((a, b) => a.at - b.at), complete: read.complete, resumeFrom: read.resumeFrom, frames: (resume !== undefined ? (before?.frames ?? 0) : 0) + read.frames.length }
      };
      if (read.frames.length > 0) {
        const at = this.#now();
        await this.#deps.store(
          { frames: read.frames, receivedAt: at, source: this.#source(), serial: who.serial, what: kind, readings: fresh.map((r) => ({ at: r.at, fields: recordFields(r.values, keyOf) })) },
          at
        );
      }
      const n = merged.size;
      this.notice = read.complete ? `${n} ${kind} records read.` : `Stopped after ${n} ${kind} records. Resume continues from there.`;
      if (!read.complete && read.error && read.error.code !== 'aborted') this.error = `${read.error.message} The ${n} records read are kept.`;
      if (read.error?.code === 'link') throw read.error; // the head is gone: #run disconnects
    });
  }

  #source(): string {
    return `kmp optical head (${this.via === 'bluetooth' ? 'bluetooth' : 'usb'})`;
  }

  #now(): number {
    return (this.#deps.clock ?? Date.now)();
  }

  async #run(what: NonNullable<OpticalFieldSession['busy']>, body: (signal: AbortSignal) => Promise<void>): Promise<void> {
    if (this.busy) throw new Error(`the optical head is busy with ${this.busy}: cancel it first`);
    const ac = new AbortController();
    this.#abort = ac;
    this.busy = what;
    this.notice = null;
    this.error = null;
    try {
      await body(ac.signal);
    } catch (e) {
      const code = (e as { code?: unknown } | null)?.code;
      const message = e instanceof Error ? e.message : String(e);
      if (code === 'aborted' || ac.signal.aborted) this.notice = 'Cancelled.';
      else if (code === 'link' || isTransportError(e)) {
        this.error = message;
        this.failure = isTransportError(e) ? e : new TransportError('lost', message, { cause: e });
        await this.disconnect();
      } else if (typeof code === 'string') this.error = message;
      else throw e;
    } finally {
      this.busy = null;
      this.#abort = null;
      this.progress = null;
    }
  }

  #ready(): OpticalClient {
    if (!this.#head || this.status !== 'open') throw new Error('connect an optical head first');
    return this.#head.client;
  }

  #identified(): Identity {
    if (!this.identity) throw new Error('identify the meter first');
    return this.identity;
  }
}

const keyOf = (id: number): string => registerById(id)?.key ?? `#${id}`;
