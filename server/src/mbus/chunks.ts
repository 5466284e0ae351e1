import type { MbusLink } from '../../../shared/mbus/link.js';

// The receive side of a byte-stream MbusLink (TCP socket, serial port): chunks queue up as the
// transport delivers them, read() takes them or waits (with a timeout and an AbortSignal), and a
// broken transport rejects the waiting and every later read with the transport's sentence.

/** A link failure a person can act on: the message names the gateway or port and the cause. */
export class LinkError extends Error {
  constructor(
    readonly reason: 'connect' | 'lost' | 'missing' | 'busy' | 'denied' | 'io',
    message: string,
    options?: ErrorOptions
  ) {
    super(message, options);
    this.name = 'LinkError';
  }
}

/** An abort as a DOMException-like error with name 'AbortError' (what fetch and timers reject with). */
export function abortError(signal: AbortSignal): Error {
  const reason = signal.reason as unknown;
  if (reason instanceof Error) return reason;
  const e = new Error('The operation was aborted.');
  e.name = 'AbortError';
  return e;
}

export abstract class ChunkLink implements MbusLink {
  readonly #chunks: Uint8Array[] = [];
  #waiter: ((chunk: Uint8Array | null) => void) | null = null;
  #fail: ((err: Error) => void) | null = null;
  #broken: Error | null = null;

  abstract write(bytes: Uint8Array): Promise<void>;
  abstract close(): Promise<void>;

  /** The transport delivered bytes. */
  protected received(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const copy = new Uint8Array(chunk); // a Buffer from a pool must not be shared
    if (this.#waiter) {
      const w = this.#waiter;
      this.#clearWaiter();
      w(copy);
    } else this.#chunks.push(copy);
  }

  /** The transport broke: the waiting read and every later one reject with `err`. */
  protected broke(err: Error): void {
    this.#broken ??= err;
    if (this.#fail) {
      const f = this.#fail;
      this.#clearWaiter();
      f(this.#broken);
    }
  }

  protected get brokenError(): Error | null {
    return this.#broken;
  }

  read(timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.#chunks.length) {
      const all = this.#chunks.splice(0, this.#chunks.length);
      return Promise.resolve(all.length === 1 ? all[0] : concat(all));
    }
    if (this.#broken) return Promise.reject(this.#broken);
    if (this.#waiter) return Promise.reject(new RangeError('read: another read is waiting on this link'));
    return new Promise<Uint8Array | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#clearWaiter();
        resolve(null);
      }, Math.max(0, timeoutMs));
      const onAbort = () => {
        this.#clearWaiter();
        reject(abortError(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.#waiter = (chunk) => {
        cleanup();
        resolve(chunk);
      };
      this.#fail = (err) => {
        cleanup();
        reject(err);
      };
      this.#cleanup = cleanup;
    });
  }

  #cleanup: (() => void) | null = null;

  #clearWaiter(): void {
    this.#cleanup?.();
    this.#cleanup = null;
    this.#waiter = null;
    this.#fail = null;
  }

  discard(): void {
    this.#chunks.length = 0;
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
