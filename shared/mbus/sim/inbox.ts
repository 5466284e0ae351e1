// The receiving end of a simulated byte link (SimLine, the KMP SimOpticalHead): chunks the line has
// delivered wait here for read(timeoutMs, signal), and deliveries still on the line are timers that
// close() stops. Timers are injected, as everywhere in the simulators.

import type { SimTimers } from './line.js';

function abortError(signal: AbortSignal): unknown {
  if (signal.reason !== undefined) return signal.reason;
  const e = new Error('The read was aborted');
  e.name = 'AbortError';
  return e;
}

export class SimInbox {
  readonly #received: Uint8Array[] = [];
  #wake: (() => void) | null = null;
  readonly #pending = new Set<unknown>();
  #closed = false;

  /** `name` goes into the errors: "simulated line", "simulated optical head". */
  constructor(
    private readonly timers: SimTimers,
    private readonly name: string
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  /** A chunk has arrived: the waiting read gets it, else the next one. */
  deliver(chunk: Uint8Array): void {
    this.#received.push(chunk);
    this.#wake?.();
  }

  /** Runs `f` after `ms` unless closed first. */
  after(ms: number, f: () => void): void {
    const h = this.timers.setTimeout(() => {
      this.#pending.delete(h);
      if (!this.#closed) f();
    }, Math.max(0, ms));
    this.#pending.add(h);
  }

  /** The next chunk, or null when none arrived within `timeoutMs`; one read waits at a time. */
  read(timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const ready = this.#received.shift();
    if (ready) return Promise.resolve(ready);
    if (this.#closed) return Promise.reject(new Error(`${this.name} is closed`));
    if (this.#wake) return Promise.reject(new Error(`${this.name}: another read is already waiting`));
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        this.timers.clearTimeout(timer);
        this.#pending.delete(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#wake = null;
      };
      const onAbort = (): void => {
        finish();
        reject(abortError(signal!));
      };
      const timer = this.timers.setTimeout(() => {
        finish();
        resolve(null);
      }, Math.max(0, timeoutMs));
      this.#pending.add(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#wake = () => {
        finish();
        resolve(this.#received.shift() ?? null);
      };
    });
  }

  discard(): void {
    this.#received.length = 0;
  }

  /** Stops every scheduled delivery; a waiting read gets null. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const h of this.#pending) this.timers.clearTimeout(h);
    this.#pending.clear();
    this.#wake?.();
  }
}
