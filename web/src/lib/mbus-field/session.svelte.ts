// The wired M-Bus page's state (issue 8, R5): one level converter on a Transport (Web Serial at
// 300/2400/9600 8E1), the master engine on it (shared/mbus/master.ts), a primary scan or a
// secondary wildcard search with progress and Cancel, reads with per-meter errors, and each read's
// telegrams stored raw first (db/wired.ts) and queued for Send/Receive. Headless: the transport,
// the store and the clock are injected, so tests run it against a simulated bus.

import { storeWiredRead, type StoredWiredRead, type WiredRead } from '$lib/db/wired';
import { meterKeyOf } from '$lib/db';
import { TransportMbusLink } from '$lib/hardware/devices/mbus-link';
import { isTransportError, TransportError, type Transport } from '$lib/hardware/transport';
import type { MbusBaud, MbusTarget, MeterRead } from '$shared/mbus/master';
import { decodeMbusFrame } from '$shared/mbus/frame';
import { MbusError, MbusMaster, secondaryOf } from '$shared/mbus/master';
import type { MeterAddress } from '$shared/model/address';
import { mainValues, readingFields, type ShownValue } from './values';

export type MeterReadState =
  | { state: 'unread' }
  | { state: 'reading' }
  | { state: 'read'; at: number; telegrams: number; values: ShownValue[]; truncated: boolean; frameIds: number[] }
  | { state: 'error'; code: string; message: string; at: number; frameIds: number[] };

export interface FoundMeter {
  /** "p5" for primary address 5, the secondary address for a meter found by the search. */
  key: string;
  target: MbusTarget;
  primaryAddress: number | null;
  /** "IIIIIIIIMMMMVVTT" (requests.ts secondaryOf), once known. */
  secondary: string | null;
  /** From the search or the first read's CI 72 header; null for a primary hit not read yet. */
  address: MeterAddress | null;
  /** Two or more meters answered this primary address at once: read them by secondary address. */
  collision: boolean;
  read: MeterReadState;
}

export type ScanKind = 'primary' | 'secondary';

export interface Progress {
  what: 'scan' | 'search' | 'read';
  done: number;
  total: number;
  found: number;
}

export interface SessionDeps {
  /** Stores a read; default db/wired.ts storeWiredRead on the app's database. */
  store: (read: WiredRead, at: number) => Promise<StoredWiredRead>;
  clock?: () => number;
  /** Waits divided by this (a simulated converter running N× faster than a cable); default 1. */
  timeScale?: number;
  /** Extra attempts per exchange; default the master's (2). */
  retries?: number;
}

export class MbusFieldSession {
  status = $state<'idle' | 'connecting' | 'open'>('idle');
  /** Why the converter could not be opened or went away (support.ts failureHelp). */
  failure = $state<TransportError | null>(null);
  label = $state('');
  baud = $state<MbusBaud>(2400);
  busy = $state<'scan' | 'search' | 'read' | null>(null);
  progress = $state<Progress | null>(null);
  meters = $state<FoundMeter[]>([]);
  /** The last scan's or read-all's outcome, as a sentence; null while none. */
  notice = $state<string | null>(null);
  /** An error of the whole operation (the link failed), as a sentence. */
  error = $state<string | null>(null);

  readonly #deps: SessionDeps;
  #transport: Transport | null = null;
  #link: TransportMbusLink | null = null;
  #master: MbusMaster | null = null;
  #abort: AbortController | null = null;
  #cancelled = false;

  constructor(deps: SessionDeps) {
    this.#deps = deps;
  }

  get isOpen(): boolean {
    return this.status === 'open';
  }

  /** Opens the converter at `baud` (8E1 is the caller's SerialSettings); false with `failure` set when it could not. */
  async connect(baud: MbusBaud, make: () => Promise<Transport>): Promise<boolean> {
    await this.disconnect();
    this.status = 'connecting';
    this.failure = null;
    this.error = null;
    try {
      const t = await make();
      await t.open();
      this.#transport = t;
      this.#link = new TransportMbusLink(t);
      this.#master = new MbusMaster(this.#link, { baud, timeScale: this.#deps.timeScale ?? 1, ...(this.#deps.retries !== undefined ? { retries: this.#deps.retries } : {}) });
      this.baud = baud;
      this.label = t.label;
      this.status = 'open';
      return true;
    } catch (e) {
      this.status = 'idle';
      this.failure = isTransportError(e) ? e : new TransportError('io', e instanceof Error ? e.message : String(e), { cause: e });
      return false;
    }
  }

  /** Cancels what runs, gives the port back and closes it. Idempotent. */
  async disconnect(): Promise<void> {
    this.#abort?.abort(new DOMException('Disconnected', 'AbortError'));
    const link = this.#link;
    const t = this.#transport;
    this.#link = null;
    this.#transport = null;
    this.#master = null;
    await link?.release().catch(() => undefined);
    await t?.close().catch(() => undefined);
    this.status = 'idle';
  }

  /** Stops the running scan, search or read at its next wait. */
  cancel(): void {
    this.#abort?.abort(new DOMException('Cancelled', 'AbortError'));
  }

  /**
   * Finds the meters on the bus: pings primary addresses from..to (EN 13757-2 SND_NKE, §8.6), or
   * the secondary wildcard tree search. Replaces the list; meters already read keep their results
   * when found again.
   */
  async scan(kind: ScanKind, range: { from: number; to: number } = { from: 0, to: 250 }): Promise<void> {
    const master = this.#ready();
    const old = new Map(this.meters.map((m) => [m.key, m]));
    const found: FoundMeter[] = [];
    const keep = (m: FoundMeter): FoundMeter => {
      const was = old.get(m.key);
      return was ? { ...m, address: m.address ?? was.address, secondary: m.secondary ?? was.secondary, read: was.read } : m;
    };
    this.meters = [];
    await this.#run(kind === 'primary' ? 'scan' : 'search', async (signal) => {
      if (kind === 'primary') {
        await master.scanPrimary({
          from: range.from,
          to: range.to,
          signal,
          onProgress: (p) => (this.progress = { what: 'scan', ...p }),
          onFound: (h) => {
            found.push(keep({ key: `p${h.primaryAddress}`, target: { primary: h.primaryAddress }, primaryAddress: h.primaryAddress, secondary: null, address: null, collision: h.state === 'collision', read: { state: 'unread' } }));
            this.meters = [...found];
          }
        });
      } else {
        const unresolved: string[] = [];
        await master.searchSecondary({
          signal,
          onProgress: (p) => (this.progress = { what: 'search', ...p }),
          onFound: (h) => {
            found.push(keep({ key: h.secondary, target: { secondary: h.secondary }, primaryAddress: h.primaryAddress, secondary: h.secondary, address: h.address, collision: false, read: { state: 'unread' } }));
            this.meters = [...found];
          },
          onUnresolved: (mask) => unresolved.push(mask)
        });
        if (unresolved.length > 0) this.notice = `Meters under ${unresolved.join(', ')} answered together with the same identification number and could not be told apart.`;
      }
    });
    this.meters = [...found];
    if (this.notice === null || !this.notice.startsWith('Meters under')) this.notice = foundText(found.length, this.#cancelled);
  }

  /** Reads every meter in the list, one after another; a failed one does not stop the rest. */
  async readAll(): Promise<void> {
    const todo = this.meters.filter((m) => !m.collision);
    this.#ready();
    let ok = 0;
    await this.#run('read', async (signal) => {
      this.progress = { what: 'read', done: 0, total: todo.length, found: 0 };
      for (const [i, m] of todo.entries()) {
        if (signal.aborted) break;
        if (await this.#readOne(m, signal)) ok++;
        this.progress = { what: 'read', done: i + 1, total: todo.length, found: ok };
      }
    });
    const failed = todo.filter((m) => this.#current(m).read.state === 'error').length;
    this.notice = this.#cancelled ? `Reading cancelled: ${ok} of ${todo.length} meters read.` : `${ok} of ${todo.length} meters read${failed ? `, ${failed} failed` : ''}.`;
  }

  /** Reads one meter of the list. */
  async read(key: string): Promise<void> {
    const m = this.meters.find((x) => x.key === key);
    if (!m) throw new RangeError(`read: no meter ${key} in the list`);
    this.#ready();
    await this.#run('read', async (signal) => {
      this.progress = { what: 'read', done: 0, total: 1, found: 0 };
      const ok = await this.#readOne(m, signal);
      this.progress = { what: 'read', done: 1, total: 1, found: ok ? 1 : 0 };
    });
    this.notice = null;
  }

  /** One read: the telegrams are stored (raw first) whether or not the read completed. */
  async #readOne(m: FoundMeter, signal: AbortSignal): Promise<boolean> {
    this.#update(m.key, { read: { state: 'reading' } });
    const master = this.#ready();
    let result: MeterRead | null = null;
    let failure: MbusError | null = null;
    try {
      result = await master.read(m.target, { signal });
    } catch (e) {
      if (!(e instanceof MbusError)) throw e;
      failure = e;
    }
    const at = (this.#deps.clock ?? Date.now)();
    const frames = result?.frames ?? failure?.frames ?? [];
    const decoded = result?.results ?? frames.map((f) => decodeMbusFrame(f));
    let frameIds: number[] = [];
    // a read cut short still names its meter when its first telegram's CI 72 header was read
    const head = decoded[0];
    let address = result?.address ?? (head ? ((head.ok ? head.value.address : head.partial.address) ?? null) : null);
    if (frames.length > 0) {
      const telegrams = frames.map((raw, i) => {
        const d = decoded[i];
        const bad = d?.issues.find((x) => x.severity === 'error');
        return d.ok ? { raw, status: 'decoded' as const } : { raw, status: 'failed' as const, ...(bad ? { reason: bad.code } : {}) };
      });
      const values = result ? mainValues(result.decoded) : [];
      const stored = await this.#deps.store(
        {
          telegrams,
          receivedAt: at,
          source: `mbus ${this.baud} baud`,
          ...(address ? { meterKey: meterKeyOf(address) } : {}),
          ...(values.length > 0 ? { fields: readingFields(values) } : {})
        },
        at
      );
      frameIds = stored.frameIds;
    }
    if (result) {
      address ??= this.#current(m).address;
      this.#update(m.key, {
        address,
        secondary: address ? secondaryOf(address) : this.#current(m).secondary,
        read: { state: 'read', at, telegrams: result.frames.length, values: mainValues(result.decoded), truncated: result.truncated, frameIds }
      });
      return true;
    }
    const e = failure!;
    const message = e.code === 'aborted' ? 'Cancelled before the meter answered.' : e.message;
    this.#update(m.key, { read: { state: 'error', code: e.code, message, at, frameIds } });
    if (e.code === 'link' || e.code === 'aborted') throw e; // the converter is gone, or the person cancelled: not this meter's fault
    return false;
  }

  async #run(what: 'scan' | 'search' | 'read', body: (signal: AbortSignal) => Promise<void>): Promise<void> {
    if (this.busy) throw new Error(`the M-Bus is busy with a ${this.busy}: cancel it first`);
    const ac = new AbortController();
    this.#abort = ac;
    this.busy = what;
    this.notice = null;
    this.error = null;
    this.#cancelled = false;
    try {
      await body(ac.signal);
    } catch (e) {
      if (e instanceof MbusError && e.code === 'aborted') this.#cancelled = true;
      else if (e instanceof MbusError && e.code === 'link') {
        this.error = e.message;
        this.failure = new TransportError('lost', e.message, { cause: e });
        await this.disconnect();
      } else if (e instanceof MbusError) this.error = e.message;
      else throw e;
    } finally {
      if (ac.signal.aborted) this.#cancelled = true;
      this.busy = null;
      this.#abort = null;
    }
  }

  #ready(): MbusMaster {
    if (!this.#master || this.status !== 'open') throw new Error('connect a level converter first');
    return this.#master;
  }

  #current(m: FoundMeter): FoundMeter {
    return this.meters.find((x) => x.key === m.key) ?? m;
  }

  #update(key: string, change: Partial<FoundMeter>): void {
    this.meters = this.meters.map((x) => (x.key === key ? { ...x, ...change } : x));
  }
}

function foundText(n: number, cancelled: boolean): string {
  const meters = `${n} meter${n === 1 ? '' : 's'}`;
  return cancelled ? `Cancelled: ${meters} found so far.` : n === 0 ? 'No meter answered. Check the cable, the baud rate and the converter.' : `${meters} found.`;
}
