// The simulated bus as a byte transport (MbusLink) with line timing: what a level converter on a
// serial port would give the master. A written frame takes lineMs(bytes, baud) to go out, the
// meters answer after a turnaround, and the answer arrives in chunks at line pace, so the
// master's framing and timeouts meet what they meet on a cable. Timers are injected.

import { FrameReader, lineMs } from '../link.js';
import type { MbusLink } from '../link.js';
import { SimInbox } from './inbox.js';
import type { SimBus } from './bus.js';

export interface SimTimers {
  now(): number;
  setTimeout(f: () => void, ms: number): unknown;
  clearTimeout(h: unknown): void;
}

/**
 * Turnaround of a simulated meter, in bit times, from the end of the request to its answer's
 * first start bit. EN 13757-2 allows 11 bit times up to 330 bit times + 50 ms (protocols.md
 * §8.1); we answer after 33 (three character times, 13.75 ms at 2400 baud), near what
 * quick meters do.
 */
export const SIM_TURNAROUND_BITS = 33;

/** Largest chunk of an answer handed to the master at once (after the first 4 bytes). */
export const SIM_CHUNK_BYTES = 16;

export interface SimLineOptions {
  baud: number;
  /** The simulated line runs this many times faster than a real one; default 1. */
  timeScale?: number;
  timers: SimTimers;
  turnaroundBits?: number;
}


export class SimLine implements MbusLink {
  readonly #bus: SimBus;
  readonly #timers: SimTimers;
  readonly #scale: number;
  readonly #turnaroundBits: number;
  #baud: number;
  /** The meters' side of the line: cuts the master's bytes into frames. */
  readonly #meterSide = new FrameReader();
  #lastRxAt = -Infinity;
  /** When the master's last byte written so far has left the line. */
  #txFreeAt = -Infinity;
  readonly #inbox: SimInbox;

  constructor(bus: SimBus, o: SimLineOptions) {
    if (!(o.baud > 0)) throw new RangeError(`baud: expected a positive rate, got ${o.baud}`);
    const scale = o.timeScale ?? 1;
    if (!(scale > 0)) throw new RangeError(`timeScale: expected > 0, got ${scale}`);
    this.#bus = bus;
    this.#timers = o.timers;
    this.#inbox = new SimInbox(o.timers, 'simulated line');
    this.#scale = scale;
    this.#baud = o.baud;
    this.#turnaroundBits = o.turnaroundBits ?? SIM_TURNAROUND_BITS;
  }

  /** The rate the master's converter sends and listens at (change it after a CI B8..BF command). */
  get baud(): number {
    return this.#baud;
  }
  set baud(b: number) {
    if (!(b > 0)) throw new RangeError(`baud: expected a positive rate, got ${b}`);
    this.#baud = b;
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#inbox.closed) return Promise.reject(new Error('simulated line is closed'));
    const copy = bytes.slice();
    const now = this.#timers.now();
    const start = Math.max(now, this.#txFreeAt);
    const end = start + lineMs(copy.length, this.#baud) / this.#scale;
    this.#txFreeAt = end;
    const baud = this.#baud;
    this.#inbox.after(end - now, () => this.#heard(copy, baud));
    return Promise.resolve();
  }

  read(timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    return this.#inbox.read(timeoutMs, signal);
  }

  discard(): void {
    this.#inbox.discard();
  }

  /** Stops every scheduled delivery; a waiting read gets null. Idempotent. */
  close(): void {
    this.#inbox.close();
  }

  /** The master's bytes are in at the meters: answer each complete frame. */
  #heard(bytes: Uint8Array, baud: number): void {
    const now = this.#timers.now();
    // A meter's UART drops a partial frame after a pause of a few character times.
    if (this.#meterSide.pending && now - this.#lastRxAt > lineMs(3, baud) / this.#scale + lineMs(bytes.length, baud) / this.#scale) {
      this.#meterSide.reset();
    }
    this.#lastRxAt = now;
    this.#meterSide.push(bytes);
    for (const unit of this.#meterSide.take()) {
      if (unit.kind !== 'frame') continue;
      const answer = this.#bus.answer(unit.bytes, now, baud);
      if (answer) this.#send(answer, baud);
    }
  }

  /**
   * The answer goes out after the turnaround in chunks, each when its last byte is in: the
   * first 4 bytes (a frame's header), then at most SIM_CHUNK_BYTES at a time, as a USB
   * converter hands them on. Short gaps keep a master's inter-byte timeout safe when the line
   * runs faster than real and the machine is busy.
   */
  #send(answer: Uint8Array, baud: number): void {
    const start = (this.#turnaroundBits * 1000) / baud / this.#scale;
    const cuts: number[] = [];
    for (let to = Math.min(4, answer.length); ; to = Math.min(to + SIM_CHUNK_BYTES, answer.length)) {
      cuts.push(to);
      if (to === answer.length) break;
    }
    let from = 0;
    for (const to of cuts) {
      if (to <= from) continue;
      const chunk = answer.slice(from, to);
      const at = start + lineMs(to, baud) / this.#scale;
      this.#inbox.after(at, () => this.#inbox.deliver(chunk));
      from = to;
    }
  }

}
