// The receiver connection of the field app (style.md §5): one transport and the receiver on it,
// private to this class; screens see status, failure and the device name. Telegrams go to the
// sink (the reading pipeline) as they arrive. After a drop the same `make` is called again with
// back-off, so `make` must not need a user gesture after the first call (request the port once,
// then build a new transport on the same port each time).

import { amb8465Receiver } from '$lib/hardware/devices/amb8465';
import { culReceiver } from '$lib/hardware/devices/cul';
import { im871aReceiver } from '$lib/hardware/devices/im871a';
import { iu891aReceiver } from '$lib/hardware/devices/iu891a';
import type { RadioMode, Receiver, ReceiverOptions, Telegram } from '$lib/hardware/devices/receiver';
import { toTransportError, TransportError, type Transport } from '$lib/hardware/transport';
import { reading } from './reading.svelte';
import { abortableSleep } from '$lib/util/sleep';

export type ReceiverKind = 'im871a' | 'iu891a' | 'amb8465' | 'cul';

export type ReceiverFactory = (transport: Transport, options: ReceiverOptions) => Receiver;

export const RECEIVERS: Record<ReceiverKind, ReceiverFactory> = {
  im871a: im871aReceiver,
  iu891a: iu891aReceiver,
  amb8465: amb8465Receiver,
  cul: culReceiver
};

export type ConnectionStatus = 'idle' | 'opening' | 'open' | 'lost';

export interface ConnectionOptions {
  /** Where telegrams go, with the receiver's name as the source label. */
  sink: (telegram: Telegram, source: string) => void;
  /** ms since epoch, stamped on each telegram. */
  clock?: () => number;
  /** Resolves after `ms`, rejects when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Reconnect attempts after a drop (default 5), waiting baseDelayMs × 2^n (default 1000). */
  reconnectAttempts?: number;
  reconnectBaseDelayMs?: number;
  receivers?: Partial<Record<ReceiverKind, ReceiverFactory>>;
}


interface Plan {
  make: () => Promise<Transport>;
  kind: ReceiverKind;
  mode: RadioMode | undefined;
  signal: AbortSignal;
}

export class Connection {
  status = $state<ConnectionStatus>('idle');
  failure = $state<TransportError | null>(null);
  /** "iM871A on CP210x USB serial" while connected or reconnecting. */
  name = $state<string | null>(null);
  kind = $state<ReceiverKind | null>(null);
  mode = $state<RadioMode | null>(null);
  /** Reconnect attempt under way (1-based), 0 when none. */
  reconnecting = $state(0);
  /** Telegrams received since connect. */
  telegrams = $state(0);
  isOpen = $derived(this.status === 'open');

  #receiver: Receiver | null = null;
  #session: AbortController | null = null;
  readonly #o: Required<Omit<ConnectionOptions, 'receivers'>> & { receivers: Record<ReceiverKind, ReceiverFactory> };

  constructor(o: ConnectionOptions) {
    this.#o = {
      clock: Date.now,
      sleep: abortableSleep,
      reconnectAttempts: 5,
      reconnectBaseDelayMs: 1000,
      ...o,
      receivers: { ...RECEIVERS, ...o.receivers }
    };
  }

  /**
   * Opens a transport from `make`, builds the receiver for `kind` on it, sets `mode` (default
   * C1+T1 where the device has it, else its first mode) and starts passing telegrams to the sink.
   * Returns false with `failure` set when it could not open ('nothing-picked' included).
   */
  async connect(make: () => Promise<Transport>, kind: ReceiverKind, mode?: RadioMode): Promise<boolean> {
    await this.disconnect();
    const session = new AbortController();
    this.#session = session;
    this.status = 'opening';
    this.failure = null;
    this.kind = kind;
    this.telegrams = 0;
    const plan: Plan = { make, kind, mode, signal: session.signal };
    try {
      await this.#open(plan);
      return true;
    } catch (e) {
      if (this.#session !== session) return false; // disconnected meanwhile
      this.failure = toTransportError(e, 'open', kind);
      this.status = 'idle';
      this.#session = null;
      return false;
    }
  }

  /** Stops reading and reconnecting; closes the receiver and its transport. */
  async disconnect(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    session?.abort(new TransportError('nothing-picked', 'disconnected'));
    const r = this.#receiver;
    this.#receiver = null;
    await r?.close();
    this.status = 'idle';
    this.reconnecting = 0;
    this.name = null;
  }

  async #open(p: Plan): Promise<void> {
    let transport: Transport;
    try {
      transport = await p.make();
    } catch (e) {
      throw toTransportError(e, 'request', p.kind);
    }
    const receiver = this.#o.receivers[p.kind](transport, { clock: this.#o.clock });
    try {
      await receiver.open(p.signal);
      const mode = p.mode && receiver.modes.includes(p.mode) ? p.mode : receiver.modes.includes('C1T1') ? 'C1T1' : receiver.modes[0];
      await receiver.setMode(mode);
      if (p.signal.aborted) throw new TransportError('nothing-picked', `${receiver.name}: disconnected while opening`);
      this.mode = mode;
    } catch (e) {
      await receiver.close();
      throw e;
    }
    this.#receiver = receiver;
    this.name = receiver.name;
    this.status = 'open';
    this.failure = null;
    void this.#pump(receiver, p);
  }

  async #pump(receiver: Receiver, p: Plan): Promise<void> {
    const reader = receiver.telegrams.getReader();
    let why: unknown = null;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.telegrams++;
        this.#o.sink(value, receiver.name);
      }
    } catch (e) {
      why = e;
    } finally {
      reader.releaseLock();
    }
    if (p.signal.aborted || this.#receiver !== receiver) return; // our own disconnect
    this.#receiver = null;
    await receiver.close();
    this.failure = why instanceof TransportError ? why : new TransportError('lost', `${receiver.name}: the receiver stopped sending`, { cause: why });
    this.status = 'lost';
    await this.#reconnect(p);
  }

  async #reconnect(p: Plan): Promise<void> {
    for (let n = 1; n <= this.#o.reconnectAttempts; n++) {
      this.reconnecting = n;
      try {
        await this.#o.sleep(this.#o.reconnectBaseDelayMs * 2 ** (n - 1), p.signal);
        if (p.signal.aborted) return;
        await this.#open(p);
        this.reconnecting = 0;
        return;
      } catch (e) {
        if (p.signal.aborted) return;
        this.failure = toTransportError(e, 'open', p.kind);
        this.status = 'lost';
      }
    }
    this.reconnecting = 0;
  }
}

export const connection = new Connection({ sink: (t, source) => reading.receive(t, source) });
