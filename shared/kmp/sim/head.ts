// A simulated optical head on the simulated meter's eye, as the byte link a KMP client reads
// through (the MbusLink shape: write, read with a timeout and AbortSignal, discard). What a real
// IR head does and the sim reproduces (protocols.md §5.1):
// - 1200 baud 8N2: 11 bit times per byte (start, 8 data, 2 stop), the same count as 8E1, so
//   mbus/link.ts's lineMs applies; everything runs `speed` times faster than real.
// - The head echoes every byte it sends on its receive line (the IR LED shines into its own
//   receiver), at line pace, before the meter's answer.
// - The meter hears a request when its last byte is in, answers after `responseDelayMs`
//   (< 1.6 s per §5.1; default 50 ms), and its bytes arrive at line pace in chunks.
// - A request with more than 27 ms between two of its bytes is dropped by the meter (§5.1).
// - Faults from a seeded PRNG, per answer: silence, a dropped byte, a broken CRC, a stray 00.
//   Timers are injected (VirtualTimers in tests), so nothing here reads a clock.
// - Half duplex: bytes written while the meter is still answering wait until the line is free
//   (sim: a real head would garble both; a client should not do it).

import { lineMs } from '../../mbus/link.js';
import type { MbusLink } from '../../mbus/link.js';
import type { SimTimers } from '../../mbus/sim/line.js';
import { SimInbox } from '../../mbus/sim/inbox.js';
import { randomInt, seededRandom } from '../../mbus/sim/random.js';
import type { Random } from '../../mbus/sim/random.js';
import { KMP, KmpReader } from '../frame.js';
import type { SimKmpMeter } from './meter.js';

/** A byte pipe to the meter as a KMP client sees it (same contract as the wired M-Bus link). */
export type KmpByteLink = MbusLink;

/** Line rate of the optical eye (§5.1). */
export const KMP_BAUD = 1200;

/** Default largest chunk of received bytes handed on at once, as a USB head's UART buffer does. */
export const SIM_HEAD_CHUNK_BYTES = 16;

/** Longest pause between two bytes of a request the meter tolerates (§5.1, MULTICAL 601 doc). */
export const METER_INTER_BYTE_MS = 27;

/**
 * silence: the meter does not answer; drop-byte: one byte of the answer is lost; bad-crc: one
 * bit of the answer flips (the frame stays a frame, its CRC fails); stray-zero: an unsolicited
 * 00 comes before the answer (§5.1: it may appear and must be ignored), the answer is intact.
 */
export type SimHeadFault = 'silence' | 'drop-byte' | 'bad-crc' | 'stray-zero';

/** Probabilities (0..1) per answer. */
export interface SimHeadFaults {
  silence?: number;
  dropByte?: number;
  badCrc?: number;
  strayZero?: number;
}

export interface SimOpticalHeadOptions {
  meter: SimKmpMeter;
  timers: SimTimers;
  /** The simulation runs this many times faster than real time; default 1 (real speed). */
  speed?: number;
  /** Default 1200 (§5.1). */
  baud?: number;
  /** From the request's last byte to the answer's first, at speed 1; default 50 ms. */
  responseDelayMs?: number;
  /** Default true: IR heads echo what they send. */
  echo?: boolean;
  faults?: SimHeadFaults;
  seed?: number;
  /** Largest chunk handed on at once; default SIM_HEAD_CHUNK_BYTES (a BLE head: 20, its notification size). */
  chunkBytes?: number;
}

export interface SimHeadStats {
  requests: number;
  answers: number;
  /** Bytes sent to the meter and bytes of its answers (line bytes, echo not counted twice). */
  txBytes: number;
  rxBytes: number;
  faults: Record<SimHeadFault, number>;
}


/** One byte of a stuffed frame that can be changed so the frame stays a frame but its CRC fails. */
function spoilOneByte(frame: Uint8Array, random: Random): Uint8Array {
  const special = (b: number): boolean => b === 0x80 || b === 0x40 || b === 0x0d || b === 0x06 || b === 0x1b;
  const candidates: number[] = [];
  for (let i = 1; i < frame.length - 1; i++) if (!special(frame[i]) && frame[i - 1] !== KMP.ESC) candidates.push(i);
  const out = frame.slice();
  if (candidates.length === 0) return out;
  const i = candidates[randomInt(random, candidates.length)];
  // flip one bit so that the result is no special byte either: the frame still ends at its 0D,
  // only its CRC no longer holds (CRC-16 detects every single-bit error)
  for (const bit of [0x01, 0x02, 0x04, 0x08, 0x10, 0x20]) {
    if (!special(out[i] ^ bit)) {
      out[i] ^= bit;
      break;
    }
  }
  return out;
}

export class SimOpticalHead implements KmpByteLink {
  readonly meter: SimKmpMeter;
  readonly #timers: SimTimers;
  readonly #speed: number;
  readonly #baud: number;
  readonly #delayMs: number;
  readonly #echo: boolean;
  readonly #chunk: number;
  readonly #faults: Required<SimHeadFaults>;
  readonly #random: Random;
  readonly #forced: SimHeadFault[] = [];
  /** The meter's side: cuts the head's bytes into frames. */
  readonly #meterSide = new KmpReader();
  #lastHeardAt = -Infinity;
  /** When the line is free again (our last byte or the meter's answer is out). */
  #lineFreeAt = -Infinity;
  readonly #inbox: SimInbox;
  readonly stats: SimHeadStats = { requests: 0, answers: 0, txBytes: 0, rxBytes: 0, faults: { silence: 0, 'drop-byte': 0, 'bad-crc': 0, 'stray-zero': 0 } };

  constructor(o: SimOpticalHeadOptions) {
    const speed = o.speed ?? 1;
    if (!(speed > 0)) throw new RangeError(`speed: expected > 0, got ${speed}`);
    const baud = o.baud ?? KMP_BAUD;
    if (!(baud > 0)) throw new RangeError(`baud: expected a positive rate, got ${baud}`);
    const delay = o.responseDelayMs ?? 50;
    if (!(delay >= 0)) throw new RangeError(`responseDelayMs: expected >= 0, got ${delay}`);
    const chunk = o.chunkBytes ?? SIM_HEAD_CHUNK_BYTES;
    if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`chunkBytes: expected an integer >= 1, got ${chunk}`);
    for (const [k, p] of Object.entries(o.faults ?? {})) {
      if (!(p >= 0 && p <= 1)) throw new RangeError(`faults.${k}: expected a probability 0..1, got ${p}`);
    }
    this.meter = o.meter;
    this.#timers = o.timers;
    this.#inbox = new SimInbox(o.timers, 'simulated optical head');
    this.#speed = speed;
    this.#baud = baud;
    this.#delayMs = delay;
    this.#echo = o.echo ?? true;
    this.#chunk = chunk;
    this.#faults = { silence: 0, dropByte: 0, badCrc: 0, strayZero: 0, ...o.faults };
    this.#random = seededRandom(o.seed ?? 1);
  }

  /** Milliseconds `bytes` take on this line at this speed (11 bit times each, §5.1). */
  lineMs(bytes: number): number {
    return lineMs(bytes, this.#baud) / this.#speed;
  }

  /** The next answers get these faults, in order, before any random ones (for tests). */
  injectFault(...faults: SimHeadFault[]): void {
    this.#forced.push(...faults);
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#inbox.closed) return Promise.reject(new Error('simulated optical head is closed'));
    if (bytes.length === 0) return Promise.resolve();
    const copy = bytes.slice();
    const now = this.#timers.now();
    const start = Math.max(now, this.#lineFreeAt);
    this.#lineFreeAt = start + this.lineMs(copy.length);
    this.stats.txBytes += copy.length;
    this.#inChunks(copy, start - now, (chunk) => {
      if (this.#echo) this.#inbox.deliver(chunk);
      this.#heard(chunk);
    });
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

  /** Hands `bytes` on in chunks, each when its last byte has crossed the line, from `startMs` on. */
  #inChunks(bytes: Uint8Array, startMs: number, f: (chunk: Uint8Array) => void): void {
    for (let from = 0; from < bytes.length; from += this.#chunk) {
      const to = Math.min(bytes.length, from + this.#chunk);
      const chunk = bytes.slice(from, to);
      this.#inbox.after(startMs + this.lineMs(to), () => f(chunk));
    }
  }

  /** Bytes of ours are in at the meter's eye. */
  #heard(chunk: Uint8Array): void {
    const now = this.#timers.now();
    // the chunk's first byte arrived lineMs(chunk) before now; a longer pause before it drops a partial request
    const gap = now - this.lineMs(chunk.length) - this.#lastHeardAt;
    if (this.#meterSide.pending && gap > METER_INTER_BYTE_MS / this.#speed + 1e-9) {
      this.#meterSide.flush();
      this.#meterSide.take();
    }
    this.#lastHeardAt = now;
    this.#meterSide.push(chunk);
    for (const unit of this.#meterSide.take()) {
      if (unit.kind !== 'request' && !(unit.kind === 'garbage' && unit.bytes[0] === KMP.TO_METER)) continue;
      this.stats.requests++;
      const answer = this.meter.answer(unit.bytes, now);
      if (answer) this.#send(answer);
    }
  }

  #nextFault(): SimHeadFault | null {
    const forced = this.#forced.shift();
    if (forced) return forced;
    // one draw per kind and answer, in a fixed order: the same seed gives the same faults
    const s = this.#random();
    const d = this.#random();
    const c = this.#random();
    const z = this.#random();
    if (s < this.#faults.silence) return 'silence';
    if (d < this.#faults.dropByte) return 'drop-byte';
    if (c < this.#faults.badCrc) return 'bad-crc';
    if (z < this.#faults.strayZero) return 'stray-zero';
    return null;
  }

  #send(answer: Uint8Array): void {
    const fault = this.#nextFault();
    if (fault) this.stats.faults[fault]++;
    if (fault === 'silence' || (fault === 'drop-byte' && answer.length === 1)) return;
    let bytes = answer;
    if (fault === 'drop-byte') {
      const i = randomInt(this.#random, answer.length);
      bytes = new Uint8Array(answer.length - 1);
      bytes.set(answer.subarray(0, i));
      bytes.set(answer.subarray(i + 1), i);
    } else if (fault === 'bad-crc' && answer.length > 1) {
      bytes = spoilOneByte(answer, this.#random);
    } else if (fault === 'stray-zero') {
      bytes = new Uint8Array(answer.length + 1);
      bytes.set(answer, 1);
    }
    const now = this.#timers.now();
    const start = Math.max(now + this.#delayMs / this.#speed, this.#lineFreeAt);
    this.#lineFreeAt = start + this.lineMs(bytes.length);
    this.stats.answers++;
    this.stats.rxBytes += bytes.length;
    this.#inChunks(bytes, start - now, (chunk) => this.#inbox.deliver(chunk));
  }

}
