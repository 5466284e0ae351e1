// A wired M-Bus master over any Transport (style.md §4): a USB level converter opened with Web
// Serial at 300/2400/9600 8E1 (web-serial.ts mbusSerialSettings), or anything else that carries
// the bus's bytes. It gives the master (shared/mbus/master.ts) the MbusLink it expects: write,
// read with a timeout and an AbortSignal, discard. Framing stays in the master (FrameReader).

import type { MbusLink } from '$shared/mbus/link';
import { TransportError, type Transport } from '../transport';

/**
 * Takes the transport's readable (it holds its reader until release()) and queues what arrives,
 * so bytes that come between two reads are never lost. The transport stays the caller's: open
 * it before, close it after.
 */
export class TransportMbusLink implements MbusLink {
  readonly #transport: Transport;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #queue: Uint8Array[] = [];
  /** Why no more bytes will come: the transport closed, went away, or release() was called. */
  #ended: Error | null = null;
  #wake: (() => void) | null = null;
  readonly #pumping: Promise<void>;
  /** What the link is in messages: "M-Bus link", "optical head link" (the KMP client uses this class too). */
  readonly #what: string;

  constructor(transport: Transport, what = 'M-Bus link') {
    this.#transport = transport;
    this.#what = what;
    this.#reader = transport.readable.getReader();
    this.#pumping = this.#pump();
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#ended) return Promise.reject(this.#ended);
    return this.#transport.write(bytes);
  }

  read(timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    if (!(timeoutMs >= 0)) return Promise.reject(new RangeError(`read: timeoutMs must be ≥ 0, got ${timeoutMs}`));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#queue.length > 0) return Promise.resolve(this.#takeAll());
    if (this.#ended) return Promise.reject(this.#ended);
    if (this.#wake) return Promise.reject(new Error(`${this.#what}: another read is already waiting (one reader per link)`));
    return new Promise<Uint8Array | null>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#wake = null;
      };
      const onAbort = (): void => {
        finish();
        reject(abortReason(signal!));
      };
      const timer = setTimeout(() => {
        finish();
        resolve(null);
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#wake = () => {
        finish();
        if (this.#queue.length > 0) resolve(this.#takeAll());
        else reject(this.#ended ?? new TransportError('io', `${this.#transport.label}: woken without bytes`));
      };
    });
  }

  discard(): void {
    this.#queue = [];
  }

  /** Stops reading and gives the readable back to the transport (it is not closed). */
  async release(): Promise<void> {
    this.#ended ??= new TransportError('lost', `${this.#transport.label}: ${this.#what} released`);
    this.#wake?.();
    try {
      this.#reader.releaseLock(); // rejects a pending read(); the pump ends
    } catch {
      // already released
    }
    await this.#pumping;
  }

  #takeAll(): Uint8Array {
    const q = this.#queue;
    this.#queue = [];
    if (q.length === 1) return q[0]!;
    const out = new Uint8Array(q.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of q) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  async #pump(): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await this.#reader.read();
        if (done) {
          this.#ended ??= new TransportError('lost', `${this.#transport.label}: closed, no more bytes from the bus`);
          break;
        }
        if (value && value.length > 0) {
          this.#queue.push(value);
          this.#wake?.();
        }
      }
    } catch (e) {
      // The transport errors its readable with TransportError('lost') when the port goes away.
      this.#ended ??= e instanceof Error ? e : new TransportError('lost', `${this.#transport.label}: ${String(e)}`);
    }
    this.#wake?.();
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The read was aborted', 'AbortError');
}
