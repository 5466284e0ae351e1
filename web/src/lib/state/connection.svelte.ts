// The receiver connection of the field app (style.md §5): one transport and the receiver on it,
// private to this class; screens see status, failure and the device name. Telegrams go to the
// sink (the reading pipeline) as they arrive. After a drop the same `make` is called again with
// back-off, so `make` must not need a user gesture after the first call (request the port once,
// then build a new transport on the same port or Bluetooth device each time).
// Over Bluetooth the receiver sits behind a BLE UART bridge (devices/ble-uart.ts): the same byte
// protocol as on USB, so the same kinds; this class does the reconnecting for both links, and
// sends the receiver's setup and mode again after each one (a bridge that lost power resets its stick).

import { amb8465Receiver, amberProtocol } from '$lib/hardware/devices/amb8465';
import { bleUartReceiver } from '$lib/hardware/devices/ble-uart';
import { culProtocol, culReceiver } from '$lib/hardware/devices/cul';
import { im871aProtocol, im871aReceiver } from '$lib/hardware/devices/im871a';
import { iu891aProtocol, iu891aReceiver } from '$lib/hardware/devices/iu891a';
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

/** The same receivers behind a BLE UART bridge. */
export const BLE_RECEIVERS: Record<ReceiverKind, ReceiverFactory> = {
  im871a: (t, o) => bleUartReceiver(t, im871aProtocol, o),
  iu891a: (t, o) => bleUartReceiver(t, iu891aProtocol, o),
  amb8465: (t, o) => bleUartReceiver(t, amberProtocol(), o),
  cul: (t, o) => bleUartReceiver(t, culProtocol, o)
};

/** How the receiver is reached: a serial port (USB, or Bluetooth Classic on Android) or a BLE UART bridge. */
export type ReceiverLink = 'serial' | 'bluetooth';

export type ConnectionStatus = 'idle' | 'opening' | 'open' | 'lost';

/** Builds a transport; `step` shows what it is doing ("Connecting to …", "Looking for a UART service"). */
export type MakeTransport = (step: (text: string) => void) => Promise<Transport>;

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
  bleReceivers?: Partial<Record<ReceiverKind, ReceiverFactory>>;
}


interface Plan {
  make: MakeTransport;
  kind: ReceiverKind;
  link: ReceiverLink;
  mode: RadioMode | undefined;
  signal: AbortSignal;
}

export class Connection {
  status = $state<ConnectionStatus>('idle');
  failure = $state<TransportError | null>(null);
  /** Why the open connection went away, kept while reconnect attempts fail for their own reasons. */
  dropped = $state<TransportError | null>(null);
  /** "iM871A on CP210x USB serial" while connected or reconnecting. */
  name = $state<string | null>(null);
  kind = $state<ReceiverKind | null>(null);
  link = $state<ReceiverLink | null>(null);
  mode = $state<RadioMode | null>(null);
  /** What opening is doing now, for the panel; null when nothing is under way. */
  step = $state<string | null>(null);
  /** Reconnect attempt under way (1-based), 0 when none: status 'lost' with 0 means it gave up. */
  reconnecting = $state(0);
  /** Telegrams received since connect. */
  telegrams = $state(0);
  isOpen = $derived(this.status === 'open');

  #receiver: Receiver | null = null;
  #session: AbortController | null = null;
  readonly #o: Required<Omit<ConnectionOptions, 'receivers' | 'bleReceivers'>> & {
    receivers: Record<ReceiverKind, ReceiverFactory>;
    bleReceivers: Record<ReceiverKind, ReceiverFactory>;
  };

  constructor(o: ConnectionOptions) {
    this.#o = {
      clock: Date.now,
      sleep: abortableSleep,
      reconnectAttempts: 5,
      reconnectBaseDelayMs: 1000,
      ...o,
      receivers: { ...RECEIVERS, ...o.receivers },
      bleReceivers: { ...BLE_RECEIVERS, ...o.bleReceivers }
    };
  }

  /** How many reconnects follow a drop before it gives up. */
  get attempts(): number {
    return this.#o.reconnectAttempts;
  }

  /**
   * Opens a transport from `make`, builds the receiver for `kind` on it (behind a BLE UART bridge
   * when `link` is 'bluetooth'), sets `mode` (default C1+T1 where the device has it, else its
   * first mode) and starts passing telegrams to the sink.
   * Returns false with `failure` set when it could not open ('nothing-picked' included).
   */
  async connect(make: MakeTransport, kind: ReceiverKind, mode?: RadioMode, link: ReceiverLink = 'serial'): Promise<boolean> {
    await this.disconnect();
    const session = new AbortController();
    this.#session = session;
    this.status = 'opening';
    this.failure = null;
    this.dropped = null;
    this.kind = kind;
    this.link = link;
    this.telegrams = 0;
    const plan: Plan = { make, kind, link, mode, signal: session.signal };
    try {
      await this.#open(plan);
      return true;
    } catch (e) {
      if (this.#session !== session) return false; // disconnected meanwhile
      this.failure = toTransportError(e, 'open', kind);
      this.status = 'idle';
      this.step = null;
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
    this.step = null;
    this.name = null;
  }

  async #open(p: Plan): Promise<void> {
    let transport: Transport;
    const step = (text: string): void => {
      if (!p.signal.aborted) this.step = text;
    };
    try {
      transport = await p.make(step);
    } catch (e) {
      throw toTransportError(e, 'request', p.kind);
    }
    const factory = p.link === 'bluetooth' ? this.#o.bleReceivers[p.kind] : this.#o.receivers[p.kind];
    const receiver = factory(transport, { clock: this.#o.clock });
    try {
      step(`Waiting for an answer from ${receiver.name}`);
      await receiver.open(p.signal);
      const mode = p.mode && receiver.modes.includes(p.mode) ? p.mode : receiver.modes.includes('C1T1') ? 'C1T1' : receiver.modes[0];
      step(`Setting link mode ${mode}`);
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
    this.step = null;
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
    this.failure = why instanceof TransportError ? why : new TransportError('lost', `${receiver.name}: the receiver stopped sending`, { cause: why });
    this.dropped = this.failure;
    this.status = 'lost';
    this.reconnecting = this.#o.reconnectAttempts > 0 ? 1 : 0; // at once: 'lost' with 0 would read as "gave up"
    await receiver.close();
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
