// The simulated M-Bus segment: who hears a master frame, what each meter answers, and what the
// master gets back on the line: nothing, one answer, or the superposition of several (a
// collision, never a clean frame), with optional faults. Pure: time comes in as `nowMs`.

import { decodeRecords } from '../records.js';
import { ACK, ADDRESS, C, FrameReader } from '../link.js';
import { GENERIC_DIGITAL_OUTPUT } from '../valve.js';
import { BAUD_BY_CI, SimMeter } from './meter.js';
import type { SimMbusMeter, SimReading } from './models.js';
import { seededRandom } from './random.js';
import type { Random } from './random.js';

/** Per-answer probabilities (0..1) of a fault; `seed` makes them repeat. */
export interface SimFaults {
  seed?: number;
  /** Bytes damaged by noise (never a clean frame). */
  garble?: number;
  /** The answer never reaches the master. */
  silence?: number;
  /** The frame arrives whole but with a wrong checksum (answers without one, E5, are left alone). */
  badChecksum?: number;
}

export interface SimBusOptions {
  meters: SimMbusMeter[];
  faults?: SimFaults;
  /** Epoch of the simulation: registers start from their initial values here. */
  startEpochMs: number;
}

/** What the bus did with the last request, for tests and logs. */
export interface SimExchange {
  /** Meters that answered (by id). */
  answered: string[];
  collision: boolean;
  fault: 'garble' | 'silence' | 'bad-checksum' | null;
}

const VALVE = GENERIC_DIGITAL_OUTPUT;
/** DIF+VIF of the profile's open command ("01FD1A01" → "01FD1A"), the record that sets the output. */
const VALVE_SET = VALVE.open.data.slice(0, 6).toUpperCase();

/** Counts since the bus was made: requests heard, answers put on the line, collisions, faults. */
export interface SimBusStats {
  requests: number;
  answers: number;
  collisions: number;
  faults: { garble: number; silence: number; badChecksum: number };
}

export class SimBus {
  readonly stats: SimBusStats = { requests: 0, answers: 0, collisions: 0, faults: { garble: 0, silence: 0, badChecksum: 0 } };
  readonly #meters: SimMeter[];
  #faults: SimFaults = {};
  #random: Random = seededRandom(1);
  #last: SimExchange = { answered: [], collision: false, fault: null };

  constructor(o: SimBusOptions) {
    if (o.meters.length > ADDRESS.MAX_PRIMARY) {
      // EN 13757-2: a segment carries at most 250 unit loads; more needs a repeater.
      throw new RangeError(`meters: a segment carries at most 250 meters, got ${o.meters.length}`);
    }
    const ids = new Set<string>();
    for (const m of o.meters) {
      if (ids.has(m.id)) throw new RangeError(`meters: id ${m.id} appears twice`);
      ids.add(m.id);
    }
    checkClock('startEpochMs', o.startEpochMs);
    this.#meters = o.meters.map((m) => new SimMeter(m, o.startEpochMs));
    this.setFaults(o.faults ?? {});
  }

  /** The meters as configured now (primary address and baud rate follow commands). */
  get meters(): readonly SimMbusMeter[] {
    return this.#meters.map((m) => ({ ...m.config, primaryAddress: m.primaryAddress, baud: m.baud }));
  }

  /** Secondary address of every meter, "IIIIIIIIMMMMVVTT", in meter order. */
  get secondaries(): readonly string[] {
    return this.#meters.map((m) => m.secondary);
  }

  /** Valve state of a valve meter, undefined for a meter without one or an unknown id. */
  valve(id: string): 'open' | 'closed' | undefined {
    const m = this.#meters.find((x) => x.config.id === id);
    if (!m || m.valveOpen === undefined) return undefined;
    return m.valveOpen ? 'open' : 'closed';
  }

  /** What meter `id` holds at `nowMs`, at the resolution of its telegram. */
  reading(id: string, nowMs: number): SimReading {
    checkClock('nowMs', nowMs);
    const m = this.#meters.find((x) => x.config.id === id);
    if (!m) throw new RangeError(`reading: no meter with id ${id}`);
    return m.reading(nowMs);
  }

  /** Whether meter `id` is selected by secondary address. */
  isSelected(id: string): boolean {
    return this.#meters.some((x) => x.config.id === id && x.selected);
  }

  setFaults(f: SimFaults): void {
    for (const k of ['garble', 'silence', 'badChecksum'] as const) {
      const p = f[k];
      if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`faults.${k}: expected a probability 0..1, got ${p}`);
    }
    this.#faults = { ...f };
    this.#random = seededRandom(f.seed ?? 1);
  }

  get lastExchange(): SimExchange {
    return this.#last;
  }

  /**
   * The bytes the bus puts on the line after this master frame at `nowMs` (null: silence).
   * `baud` is the rate the frame was sent at: a meter fixed at another rate does not hear it
   * (omitted: every meter hears it). Anything but one clean frame is ignored, as a meter's
   * UART would.
   */
  answer(request: Uint8Array, nowMs: number, baud?: number): Uint8Array | null {
    checkClock('nowMs', nowMs);
    this.#last = { answered: [], collision: false, fault: null };
    const reader = new FrameReader();
    reader.push(request);
    reader.flush();
    const units = reader.take();
    if (units.length !== 1 || units[0].kind !== 'frame') return null;
    const f = units[0].bytes;
    this.stats.requests++;
    const hears = (m: SimMeter): boolean => baud === undefined || m.baud === undefined || m.baud === baud;
    const answers: { meter: SimMeter; bytes: Uint8Array }[] = [];

    if (units[0].type === 'short') {
      const c = f[1];
      const a = f[2];
      for (const m of this.#addressed(a)) {
        if (!hears(m)) continue;
        let out: Uint8Array | null = null;
        if (c === C.SND_NKE) {
          out = m.linkReset();
          if (a === ADDRESS.NETWORK) m.selected = false; // §8.3: SND_NKE to FD deselects
        } else if ((c & 0xcf) === (C.REQ_UD2 & 0xcf)) {
          out = m.requestData(c, nowMs);
        } else if ((c & 0xcf) === (C.REQ_UD1 & 0xcf)) {
          out = Uint8Array.of(ACK); // no class-1 (alarm) data
        }
        if (out && a !== ADDRESS.BROADCAST) answers.push({ meter: m, bytes: out });
      }
    } else if (units[0].type === 'long' || units[0].type === 'control') {
      const c = f[4];
      const a = f[5];
      const ci = f[6];
      const data = f.subarray(7, f.length - 2);
      if ((c & 0xcf) !== (C.SND_UD & 0xcf)) return null;
      if (ci === 0x52 || ci === 0x56) {
        // §8.5: selection goes to FD; a match selects, a mismatch deselects. Other lengths
        // (enhanced selection with a fabrication number) are not understood: nobody changes.
        if (a !== ADDRESS.NETWORK || data.length !== 8) return null;
        for (const m of this.#meters) {
          if (!hears(m)) continue;
          const match = m.matchesSelection(ci, data);
          if (match && !m.selected) m.linkReset(); // a fresh selection starts a new read (sim choice)
          m.selected = match;
          if (match) answers.push({ meter: m, bytes: Uint8Array.of(ACK) });
        }
      } else {
        for (const m of this.#addressed(a)) {
          if (!hears(m)) continue;
          const out = this.#userData(m, ci, data);
          if (out && a !== ADDRESS.BROADCAST) answers.push({ meter: m, bytes: out });
        }
      }
    }

    this.#last.answered = answers.map((x) => x.meter.config.id);
    if (answers.length === 0) return null;
    let out = answers[0].bytes;
    if (answers.length > 1) {
      this.#last.collision = true;
      this.stats.collisions++;
      out = superpose(answers.map((x) => x.bytes));
    }
    const sent = this.#fault(out);
    if (sent) this.stats.answers++;
    return sent;
  }

  #addressed(a: number): SimMeter[] {
    if (a === ADDRESS.NETWORK) return this.#meters.filter((m) => m.selected);
    if (a === ADDRESS.BROADCAST_REPLY || a === ADDRESS.BROADCAST) return this.#meters;
    if (a > ADDRESS.MAX_PRIMARY) return [];
    return this.#meters.filter((m) => m.primaryAddress === a);
  }

  /** SND_UD with CI 50, 51 or B8..BF (§8.8, §8.9); other CI values are not understood: no answer. */
  #userData(m: SimMeter, ci: number, data: Uint8Array): Uint8Array | null {
    if (ci === 0x50) return m.applicationReset();
    const baud = BAUD_BY_CI[ci];
    if (baud !== undefined) {
      // §8.8: acknowledged at the old rate, then the meter listens at the new one only.
      m.baud = baud;
      return Uint8Array.of(ACK);
    }
    if (ci !== 0x51) return null;
    const r = decodeRecords(data, 0, data.length, { spans: false });
    if (r.issues.some((i) => i.severity === 'error')) return null;
    for (const rec of r.records) {
      const last = data[rec.offset + rec.length - 1];
      if (rec.difvif === '017A') {
        // set primary address (§8.8, record 01 7A aa)
        if (last <= ADDRESS.MAX_PRIMARY) m.primaryAddress = last;
      } else if (rec.difvif === VALVE_SET && m.valveOpen !== undefined) {
        // GENERIC_DIGITAL_OUTPUT (protocols.md §8.9): digital output 01 FD 1A xx, bit 0 1 = open.
        m.valveOpen = (last & VALVE.state.mask) === VALVE.state.openValue;
      }
      // anything else (date/time, readout selection, …) is a generic data write: acknowledged
    }
    return Uint8Array.of(ACK);
  }

  #fault(out: Uint8Array): Uint8Array | null {
    const f = this.#faults;
    const silence = f.silence ?? 0;
    const garble = f.garble ?? 0;
    const badChecksum = f.badChecksum ?? 0;
    if (silence + garble + badChecksum === 0) return out;
    const r = this.#random();
    if (r < silence) {
      this.#last.fault = 'silence';
      this.stats.faults.silence++;
      return null;
    }
    if (r < silence + garble) {
      this.#last.fault = 'garble';
      this.stats.faults.garble++;
      return garbleBytes(out, this.#random);
    }
    if (r < silence + garble + badChecksum && out.length >= 5) {
      this.#last.fault = 'bad-checksum';
      this.stats.faults.badChecksum++;
      const copy = out.slice();
      copy[copy.length - 2] ^= 1 + Math.floor(this.#random() * 255);
      return copy;
    }
    return out;
  }
}

// The meters' clocks send dates as EN 13757-3 types F and G (protocols.md §3.7), which our
// encoder writes for the years 1981..2080.
const CLOCK_FROM = Date.UTC(1981, 0, 1);
const CLOCK_TO = Date.UTC(2081, 0, 1);

function checkClock(name: string, ms: number): void {
  if (!(ms >= CLOCK_FROM && ms < CLOCK_TO)) {
    const shown = Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(ms);
    throw new RangeError(`${name}: the meters' clock (date types F/G) covers 1981..2080, got ${shown}; pass epoch milliseconds such as Date.now()`);
  }
}

/**
 * Several meters answering at once: the line carries the wired-AND of their currents, which a
 * UART reads as the OR of the bits of unaligned characters, with framing errors. We OR the
 * answers byte by byte and then spoil every byte that could start a frame, so the master always
 * sees garbage, never a clean frame (what libmbus calls a collision, §8.6).
 */
export function superpose(answers: Uint8Array[]): Uint8Array {
  const n = Math.max(...answers.map((a) => a.length));
  const out = new Uint8Array(n);
  for (const a of answers) for (let i = 0; i < a.length; i++) out[i] |= a[i];
  return spoil(out);
}

/** Flips bits at a few random places, then makes sure no clean frame is left. */
function garbleBytes(bytes: Uint8Array, random: Random): Uint8Array {
  const out = bytes.slice();
  const flips = 1 + Math.floor(random() * 3);
  for (let k = 0; k < flips; k++) out[Math.floor(random() * out.length)] ^= 1 << Math.floor(random() * 8);
  return spoil(out);
}

/** Turns every frame start byte (E5, 10, 68) into a neighbour, so no frame can be found. */
function spoil(bytes: Uint8Array): Uint8Array {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === ACK || b === 0x10 || b === 0x68) bytes[i] = b ^ 0x01;
  }
  return bytes;
}
