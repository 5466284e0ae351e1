// A Transport over a recorded capture, with its timing: tests, e2e and the demo for anyone
// without a receiver (architecture.md decision 10). Optionally answers writes, so a device's
// setup commands (a ping) get their reply as they would from the stick.

import { fromHex } from '$shared/bytes/hex';
import { TransportError, WriteQueue, type Transport } from './transport';

export interface ReplayChunk {
  /** ms after open() at which the chunk arrives. Non-decreasing. */
  atMs: number;
  bytes: Uint8Array;
}

export interface ReplayOptions {
  label?: string;
  /** 1 = recorded timing, 10 = ten times faster, Infinity = no waiting. Default 1. */
  speed?: number;
  /** Start again from the first chunk after the last (demo). Default false: readable closes at the end
   *  (with `answer`, it stays open until close(), like a device that is still plugged in). */
  loop?: boolean;
  /** Bytes the "device" sends back for bytes written (each reply arrives right away), or null. */
  answer?: (written: Uint8Array) => Uint8Array | null;
  /** Injected in tests; the default waits with setTimeout. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

export class ReplayTransport implements Transport {
  readonly label: string;
  readonly readable: ReadableStream<Uint8Array>;
  /** Everything written, in order (assertions in tests). */
  readonly written: Uint8Array[] = [];
  #out!: ReadableStreamDefaultController<Uint8Array>;
  #queue = new WriteQueue();
  #stop = new AbortController();
  #state: 'idle' | 'open' | 'closed' = 'idle';
  #opened!: () => void;
  readonly #openedP = new Promise<void>((r) => (this.#opened = r));

  constructor(
    readonly chunks: readonly ReplayChunk[],
    readonly options: ReplayOptions = {}
  ) {
    for (let i = 1; i < chunks.length; i++) {
      if (chunks[i]!.atMs < chunks[i - 1]!.atMs) {
        throw new RangeError(`chunks[${i}].atMs: expected ≥ ${chunks[i - 1]!.atMs} (non-decreasing), got ${chunks[i]!.atMs}`);
      }
    }
    const speed = options.speed ?? 1;
    if (!(speed > 0)) throw new RangeError(`speed: expected > 0, got ${speed}`);
    this.label = options.label ?? 'Recorded capture';
    const sleep = options.sleep ?? defaultSleep;
    let i = 0;
    let lapStart = 0; // atMs of the current lap's origin, in capture time
    let prevAt = 0;
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => void (this.#out = c),
        pull: async (c) => {
          await this.#openedP;
          if (this.#isClosed()) return;
          if (i >= chunks.length) {
            if (options.loop && chunks.length > 0) {
              i = 0;
              lapStart = prevAt;
            }
          }
          if (i >= chunks.length) {
            // A capture that answers writes stands for a device still plugged in: stay open until close().
            if (options.answer) return;
            return c.close();
          }
          const chunk = chunks[i++]!;
          const at = lapStart + chunk.atMs;
          const waitMs = speed === Infinity ? 0 : (at - prevAt) / speed;
          prevAt = at;
          if (waitMs > 0) await sleep(waitMs, this.#stop.signal);
          if (this.#isClosed()) return; // close() during the wait
          c.enqueue(chunk.bytes.slice());
        }
      },
      { highWaterMark: 0 }
    );
  }

  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  async open(signal?: AbortSignal): Promise<void> {
    if (this.#state !== 'idle') throw new TransportError('busy', `${this.label}: already ${this.#state}`);
    if (signal?.aborted) throw new TransportError('nothing-picked', `${this.label}: cancelled`, { cause: signal.reason });
    this.#state = 'open';
    this.#opened();
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.#queue.run(async () => {
      if (this.#state !== 'open') throw new TransportError('lost', `${this.label}: not open (${this.#state})`);
      this.written.push(bytes.slice());
      const reply = this.options.answer?.(bytes);
      if (reply) {
        try {
          this.#out.enqueue(reply);
        } catch (e) {
          throw new TransportError('lost', `${this.label}: capture already ended`, { cause: e });
        }
      }
    });
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#stop.abort();
    this.#opened();
    try {
      this.#out.close();
    } catch {
      // the capture had already ended
    }
  }
}

/** Chunks from `[atMs, hex]` pairs, the format of recorded captures in tests/fixtures. */
export function chunksFromHex(rows: ReadonlyArray<readonly [number, string]>): ReplayChunk[] {
  return rows.map(([atMs, hex]) => ({ atMs, bytes: fromHex(hex) }));
}
