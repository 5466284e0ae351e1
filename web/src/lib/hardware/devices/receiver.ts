// A wM-Bus receiver on any Transport (style.md §4: devices never touch navigator). Each stick
// family supplies a ReceiverProtocol (framing, commands, telegram extraction); FramedReceiver
// runs it: one read loop, commands that wait for their answer, telegrams out as a stream.

import { TransportError, type Transport } from '../transport';
import type { FrameEvent } from './framing';

export type RadioMode = 'C1' | 'T1' | 'C1T1';

export interface Telegram {
  /** wM-Bus link-layer frame starting with L. */
  bytes: Uint8Array;
  /** Whether the block CRCs are still inside `bytes` (CUL) or the stick removed them (iM871A, iU891A, Amber). */
  crcs: 'present' | 'absent';
  rssiDbm: number | null;
  /** ms since epoch, from the injected clock at the moment the frame was complete. */
  receivedAt: number;
  /** The device frame as received, for the raw store and the hex inspector. */
  raw: Uint8Array;
}

export interface Receiver {
  readonly name: string;
  /** Modes setMode accepts on this device. */
  readonly modes: readonly RadioMode[];
  readonly telegrams: ReadableStream<Telegram>;
  /** Opens the transport and checks the device answers. Rejects only with TransportError. */
  open(signal?: AbortSignal): Promise<void>;
  /** Rejects with TransportError('io') when the device does not confirm; RangeError for a mode not in `modes`. */
  setMode(mode: RadioMode): Promise<void>;
  close(): Promise<void>;
}

/** Bytes to send and how to recognise the device's answer (none: fire and forget). */
export interface Command<F> {
  what: string;
  bytes: Uint8Array;
  isAnswer?: (frame: F) => boolean;
}

export interface ReceiverProtocol<F extends { raw: Uint8Array }> {
  readonly name: string;
  readonly modes: readonly RadioMode[];
  framer(): TransformStream<Uint8Array, FrameEvent<F>>;
  /** Sent in order after the transport opened (a ping, enabling RSSI reports). */
  setup(): Command<F>[];
  setMode(mode: RadioMode): Command<F>[];
  /** The telegram in a frame, or null for answers and status frames. */
  telegram(frame: F): Omit<Telegram, 'receivedAt' | 'raw'> | null;
}

export interface ReceiverOptions {
  /** ms since epoch; tests inject a fake. */
  clock?: () => number;
  /** How long a command waits for its answer. Default 1500 ms. */
  answerTimeoutMs?: number;
  /** Discarded bytes and failed frames, for a diagnostics view. */
  onNoise?: (event: Exclude<FrameEvent<unknown>, { type: 'frame' }>) => void;
}

interface Waiter<F> {
  isAnswer: (frame: F) => boolean;
  resolve: () => void;
  reject: (e: TransportError) => void;
}

export class FramedReceiver<F extends { raw: Uint8Array }> implements Receiver {
  readonly telegrams: ReadableStream<Telegram>;
  #out!: ReadableStreamDefaultController<Telegram>;
  #waiters = new Set<Waiter<F>>();
  #reader: ReadableStreamDefaultReader<FrameEvent<F>> | null = null;
  #pump: Promise<void> | null = null;
  #closed = false;
  readonly #clock: () => number;
  readonly #timeoutMs: number;

  constructor(
    readonly transport: Transport,
    readonly protocol: ReceiverProtocol<F>,
    readonly options: ReceiverOptions = {}
  ) {
    this.#clock = options.clock ?? Date.now;
    this.#timeoutMs = options.answerTimeoutMs ?? 1500;
    this.telegrams = new ReadableStream<Telegram>({ start: (c) => void (this.#out = c) });
  }

  get name(): string {
    return `${this.protocol.name} on ${this.transport.label}`;
  }

  get modes(): readonly RadioMode[] {
    return this.protocol.modes;
  }

  async open(signal?: AbortSignal): Promise<void> {
    await this.transport.open(signal);
    this.#reader = this.transport.readable.pipeThrough(this.protocol.framer()).getReader();
    this.#pump = this.#run(this.#reader);
    try {
      for (const c of this.protocol.setup()) await this.#send(c);
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  async setMode(mode: RadioMode): Promise<void> {
    if (!this.modes.includes(mode)) {
      throw new RangeError(`mode: expected one of ${this.modes.join(', ')} for ${this.protocol.name}, got ${mode}`);
    }
    for (const c of this.protocol.setMode(mode)) await this.#send(c);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failWaiters(new TransportError('lost', `${this.protocol.name}: closed while waiting for an answer`));
    await this.#reader?.cancel().catch(() => undefined);
    await this.transport.close();
    await this.#pump;
    try {
      this.#out.close();
    } catch {
      // already closed or errored by the read loop
    }
  }

  async #send(c: Command<F>): Promise<void> {
    if (this.#closed) throw new TransportError('lost', `${this.protocol.name}: ${c.what} after close`);
    if (!c.isAnswer) return this.transport.write(c.bytes);
    let waiter!: Waiter<F>;
    const answered = new Promise<void>((resolve, reject) => {
      waiter = { isAnswer: c.isAnswer!, resolve, reject };
    });
    answered.catch(() => undefined); // awaited below; this only keeps an early timeout from counting as unhandled
    this.#waiters.add(waiter);
    const timer = setTimeout(
      () => waiter.reject(new TransportError('io', `${this.protocol.name} did not answer ${c.what} within ${this.#timeoutMs} ms`)),
      this.#timeoutMs
    );
    try {
      await this.transport.write(c.bytes);
      await answered;
    } finally {
      clearTimeout(timer);
      this.#waiters.delete(waiter);
    }
  }

  async #run(reader: ReadableStreamDefaultReader<FrameEvent<F>>): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.#handle(value);
      }
      if (!this.#closed) {
        this.#closed = true;
        this.#out.close();
      }
    } catch (e) {
      const err = e instanceof TransportError ? e : new TransportError('lost', `${this.protocol.name}: stream ended`, { cause: e });
      this.#failWaiters(err);
      if (!this.#closed) this.#out.error(err);
    } finally {
      reader.releaseLock();
    }
  }

  #handle(e: FrameEvent<F>): void {
    if (e.type !== 'frame') {
      this.options.onNoise?.(e);
      return;
    }
    for (const w of this.#waiters) {
      if (w.isAnswer(e.frame)) {
        w.resolve();
        this.#waiters.delete(w);
        return;
      }
    }
    const t = this.protocol.telegram(e.frame);
    if (t && !this.#closed) this.#out.enqueue({ ...t, receivedAt: this.#clock(), raw: e.frame.raw });
  }

  #failWaiters(err: TransportError): void {
    for (const w of this.#waiters) w.reject(err);
    this.#waiters.clear();
  }
}
