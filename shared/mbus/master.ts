// Wired M-Bus master engine (EN 13757-2 via protocols.md §8.1-§8.8) on any MbusLink: request /
// answer exchanges with the standard's answer timeout, retries, FCB handling for multi-telegram
// reads, collision detection, the primary scan and the secondary wildcard tree search.
// Pure: no clock and no timers of its own; every wait is a link.read with a timeout, and every
// wait honours the caller's AbortSignal.

import type { Decoded } from '../model/decoded.js';
import type { MeterAddress } from '../model/address.js';
import { decodeMbusFrame } from './frame.js';
import type { MbusFrame } from './frame.js';
import { ADDRESS, C, FrameReader, lineMs } from './link.js';
import type { LinkUnit, MbusLink } from './link.js';
import {
  WILDCARD_MASK,
  applicationResetFrame,
  deselectFrame,
  matchesSecondaryMask,
  parseSecondaryMask,
  reqUd2,
  secondaryOf,
  selectFrame,
  setBaudRateFrame,
  setPrimaryAddressFrame,
  sndNke,
  sndUd
} from './requests.js';

export { secondaryOf } from './requests.js';

export type MbusBaud = 300 | 2400 | 9600;
const BAUDS: readonly number[] = [300, 2400, 9600];

export interface MasterOptions {
  baud: MbusBaud;
  /** Extra attempts per exchange, default 2. */
  retries?: number;
  /** Every wait is divided by it (a simulated bus running N× faster); default 1. */
  timeScale?: number;
  /**
   * Added to the standard's longest answer delay (330 bit times + 50 ms) before a meter counts
   * as silent: converters and gateways add latency. Default 100 ms.
   */
  answerMarginMs?: number;
}

export type MbusErrorCode = 'timeout' | 'garbled' | 'collision' | 'unexpected' | 'application-error' | 'aborted' | 'link';

/** A failed exchange; `message` is a sentence for a person, naming the meter. */
export class MbusError extends Error {
  override readonly name = 'MbusError';
  constructor(
    readonly code: MbusErrorCode,
    message: string,
    o?: ErrorOptions & { frames?: Uint8Array[] }
  ) {
    super(message, o);
    this.frames = o?.frames ?? [];
  }
  /** Checksum-valid frames received before the failure (a multi-telegram read cut short). */
  readonly frames: Uint8Array[];
}

export interface MbusStats {
  bytesSent: number;
  bytesReceived: number;
  /** Frames sent and answers awaited, retries included. */
  exchanges: number;
}

export type MbusTarget = { primary: number } | { secondary: string };

export interface MeterRead {
  /** Every RSP_UD telegram received (checksum-valid), in order (multi-telegram). */
  frames: Uint8Array[];
  /** decodeMbusFrame of each: the value, or what could be decoded (records empty) when it failed. */
  decoded: MbusFrame[];
  /** The full decode results, issues included, parallel to `frames`. */
  results: Decoded<MbusFrame>[];
  /** From the CI 72 header of the first telegram. */
  address: MeterAddress | null;
  /** The A field of the answer. */
  primaryAddress: number;
  /** True when the last telegram still said "more records follow" (maxTelegrams reached). */
  truncated: boolean;
}

export interface ScanProgress {
  done: number;
  total: number;
  found: number;
}
export interface PrimaryHit {
  primaryAddress: number;
  state: 'present' | 'collision';
}
export interface SecondaryHit {
  secondary: string;
  address: MeterAddress;
  primaryAddress: number;
}

/** libmbus inter-byte timeouts (protocols.md §8.1): a gap this long ends a broken frame. */
function interByteMs(baud: number): number {
  return baud <= 300 ? 1300 : baud <= 1200 ? 500 : baud <= 2400 ? 300 : 200;
}

/** EN 13757-2 (protocols.md §8.1): a slave answers within 330 bit times + 50 ms; plus a margin. */
export function answerTimeoutMs(baud: number, marginMs = 100): number {
  return (330 * 1000) / baud + 50 + marginMs;
}

/** Longest frame (L = 255) plus slack: a line that keeps sending past this is noise. */
const MAX_ANSWER_BYTES = 2 * 261 + 64;
const MAX_READS = 1024;

/** One awaited answer: what the reader cut from the bytes, and whether anything came. */
interface Heard {
  units: LinkUnit[];
  silent: boolean;
}

type Outcome =
  | { kind: 'ok'; frame: Uint8Array }
  | { kind: 'timeout' }
  | { kind: 'garbled'; reason: string }
  | { kind: 'unexpected'; what: string };

const HEX = '0123456789ABCDEF';
const hex2 = (n: number): string => HEX[(n >> 4) & 15] + HEX[n & 15];

function describeUnit(u: LinkUnit): string {
  if (u.kind === 'garbage') return `garbled bytes (${u.reason})`;
  if (u.type === 'ack') return 'an E5 acknowledgement';
  if (u.type === 'short') return `a short frame (C ${hex2(u.bytes[1])})`;
  return `a ${u.type} frame (C ${hex2(u.bytes[4])}, CI ${hex2(u.bytes[6])})`;
}

/** RSP_UD: C = 08 with the slave's ACD/DFC bits (§8.3). */
function isRspUd(u: LinkUnit): boolean {
  return u.kind === 'frame' && u.type === 'long' && (u.bytes[4] & ~(C.ACD | C.DFC)) === C.RSP_UD;
}

export class MbusMaster {
  readonly stats: MbusStats = { bytesSent: 0, bytesReceived: 0, exchanges: 0 };
  readonly #link: MbusLink;
  readonly #baud: MbusBaud;
  readonly #retries: number;
  readonly #scale: number;
  readonly #answerMs: number;
  readonly #reader = new FrameReader();

  constructor(link: MbusLink, options: MasterOptions) {
    if (!BAUDS.includes(options.baud)) throw new RangeError(`baud: expected 300, 2400 or 9600, got ${options.baud}`);
    const retries = options.retries ?? 2;
    if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new RangeError(`retries: expected an integer 0..10, got ${retries}`);
    const scale = options.timeScale ?? 1;
    if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`timeScale: expected a positive number, got ${scale}`);
    const margin = options.answerMarginMs ?? 100;
    if (!(margin >= 0) || !Number.isFinite(margin)) throw new RangeError(`answerMarginMs: expected a number ≥ 0, got ${margin}`);
    this.#link = link;
    this.#baud = options.baud;
    this.#retries = retries;
    this.#scale = scale;
    this.#answerMs = answerTimeoutMs(options.baud, margin);
  }

  /** Attempts per exchange (1 + retries). */
  get attempts(): number {
    return this.#retries + 1;
  }

  /** The answer timeout in ms on the line (before timeScale). */
  get answerTimeoutMs(): number {
    return this.#answerMs;
  }

  // --- Primary addressing ------------------------------------------------------------------

  /**
   * SND_NKE to a primary address (§8.6): clean E5 → present; silence → absent; garbled bytes on
   * every attempt → collision (two meters share the address). Garbage is retried (noise).
   */
  async ping(primary: number, signal?: AbortSignal): Promise<'present' | 'absent' | 'collision'> {
    checkPrimary(primary);
    const r = await this.#probe(sndNke(primary), signal);
    return r === 'ack' ? 'present' : r;
  }

  /** Pings every address from..to (default 0..250), reporting progress after each. */
  async scanPrimary(
    o: { from?: number; to?: number; signal?: AbortSignal; onProgress?(p: ScanProgress): void; onFound?(h: PrimaryHit): void } = {}
  ): Promise<PrimaryHit[]> {
    const from = o.from ?? 0;
    const to = o.to ?? ADDRESS.MAX_PRIMARY;
    checkPrimary(from, 'from');
    checkPrimary(to, 'to');
    if (from > to) throw new RangeError(`scan range: from (${from}) is above to (${to})`);
    const hits: PrimaryHit[] = [];
    const total = to - from + 1;
    for (let a = from; a <= to; a++) {
      const r = await this.ping(a, o.signal);
      if (r !== 'absent') {
        const hit: PrimaryHit = { primaryAddress: a, state: r };
        hits.push(hit);
        o.onFound?.(hit);
      }
      o.onProgress?.({ done: a - from + 1, total, found: hits.length });
    }
    return hits;
  }

  // --- Secondary addressing ----------------------------------------------------------------

  /**
   * Selects the meter(s) matching a secondary address or mask (§8.5): clean E5 → 'selected';
   * silence → 'absent'; garbled answers on every attempt → 'collision'.
   */
  async select(secondary: string, signal?: AbortSignal): Promise<'selected' | 'absent' | 'collision'> {
    const r = await this.#probe(selectFrame(parseSecondaryMask(secondary)), signal);
    return r === 'ack' ? 'selected' : r;
  }

  /**
   * Wildcard tree search for secondary addresses (libmbus scan via protocols.md §8.6). For the
   * first wildcard ID digit try 0..9: silence → next digit; one clean E5 → REQ_UD2 to 253 reads
   * the full address from the RSP_UD header; a collision (garbled E5 or garbled RSP_UD) → the
   * same at the next wildcard digit. Progress `done`/`total` is the share of the masked ID space
   * searched, in thousandths. Meters that still collide with every ID digit fixed (same ID,
   * other manufacturer/version/type) go to `onUnresolved` with the mask.
   */
  async searchSecondary(
    o: {
      mask?: string;
      signal?: AbortSignal;
      onProgress?(p: ScanProgress): void;
      onFound?(h: SecondaryHit): void;
      onUnresolved?(mask: string): void;
    } = {}
  ): Promise<SecondaryHit[]> {
    const mask = parseSecondaryMask(o.mask ?? WILDCARD_MASK);
    const signal = o.signal;
    const hits: SecondaryHit[] = [];
    const seen = new Set<string>();
    const TOTAL = 1000;
    let covered = 0;
    const progress = (): void => o.onProgress?.({ done: Math.min(TOTAL, Math.round(covered * TOTAL)), total: TOTAL, found: hits.length });
    const nextWildcard = (m: string, from: number): number => {
      for (let i = from; i < 8; i++) if (m[i] === 'F') return i;
      return -1;
    };

    /** Probe one mask; record what it finds; returns true when it must be split further. */
    const probe = async (m: string): Promise<boolean> => {
      const r = await this.select(m, signal);
      if (r === 'absent') return false;
      if (r === 'selected') {
        const id = await this.#identify(signal);
        if (id === 'collision') return true;
        if (id === 'silent') return false;
        if (!matchesSecondaryMask(id.secondary, m)) {
          o.onUnresolved?.(m);
          return false;
        }
        if (!seen.has(id.secondary)) {
          seen.add(id.secondary);
          hits.push(id);
          o.onFound?.(id);
        }
        return false;
      }
      return true;
    };

    const visit = async (m: string, p: number, weight: number): Promise<void> => {
      for (let d = 0; d <= 9; d++) {
        const next = m.slice(0, p) + d + m.slice(p + 1);
        if (await probe(next)) {
          const q = nextWildcard(next, p + 1);
          if (q < 0) o.onUnresolved?.(next);
          else {
            await visit(next, q, weight / 10);
            continue; // the subtree counted itself
          }
        }
        covered += weight / 10;
        progress();
      }
    };

    const first = nextWildcard(mask, 0);
    if (first < 0) {
      if (await probe(mask)) o.onUnresolved?.(mask);
      covered = 1;
      progress();
    } else await visit(mask, first, 1);
    // Leave nobody selected (§8.5: SND_NKE to 253 deselects); the answer does not matter.
    this.#checkAbort(signal);
    await this.#listen(deselectFrame(), signal);
    return hits;
  }

  /** REQ_UD2 to 253 after a clean selection: who is it? Garbled → several meters (§8.6). */
  async #identify(signal?: AbortSignal): Promise<SecondaryHit | 'collision' | 'silent'> {
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      const heard = await this.#listen(reqUd2(ADDRESS.NETWORK, true), signal);
      if (heard.silent) continue;
      const frame = heard.units.length === 1 && isRspUd(heard.units[0]) ? heard.units[0].bytes : null;
      if (frame === null) return 'collision';
      const d = decodeMbusFrame(frame);
      const address = d.ok ? d.value.address : d.partial.address;
      if (address === undefined) return 'collision';
      return { secondary: secondaryOf(address), address, primaryAddress: frame[5] };
    }
    return 'silent';
  }

  // --- Reading -----------------------------------------------------------------------------

  /**
   * Reads a meter (§8.7): SND_NKE (primary) or selection (secondary), then REQ_UD2 with FCB 1,
   * toggled for each next telegram while the last record is DIF 1F; a failed telegram is asked
   * again with the same FCB. Rejects with MbusError naming the meter.
   */
  async read(target: MbusTarget, o: { signal?: AbortSignal; maxTelegrams?: number } = {}): Promise<MeterRead> {
    const max = o.maxTelegrams ?? 16;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxTelegrams: expected an integer ≥ 1, got ${max}`);
    const { a, who } = await this.#address(target, o.signal, true);
    const frames: Uint8Array[] = [];
    const results: Decoded<MbusFrame>[] = [];
    let fcb = true;
    let more = false;
    for (let n = 0; n < max; n++) {
      const label = n === 0 ? 'REQ_UD2' : `REQ_UD2 for telegram ${n + 1}`;
      let frame: Uint8Array;
      try {
        frame = await this.#exchange(reqUd2(a, fcb), who, label, 'data', o.signal);
      } catch (e) {
        if (e instanceof MbusError && frames.length > 0) throw new MbusError(e.code, e.message, { cause: e.cause, frames });
        throw e;
      }
      frames.push(frame);
      const d = decodeMbusFrame(frame);
      results.push(d);
      if (frame[6] === 0x70) {
        const why = d.issues.find((i) => i.severity === 'error')?.message ?? 'application error (CI 70)';
        throw new MbusError('application-error', `${cap(who)} answered ${label} with an ${why}.`, { frames });
      }
      more = (d.ok ? d.value : d.partial).manufacturerData?.moreRecordsFollow === true;
      if (!more) break;
      fcb = !fcb; // §8.7: next telegram, FCB toggled
    }
    const decoded = results.map((d) => (d.ok ? d.value : ({ kind: 'long', records: [], ...d.partial } as MbusFrame)));
    const first = decoded[0];
    return { frames, decoded, results, address: first.address ?? null, primaryAddress: frames[0][5], truncated: more };
  }

  // --- Commands (§8.8) ---------------------------------------------------------------------

  /** SND_UD with a CI and data; the meter must acknowledge with E5. */
  async sendUserData(target: MbusTarget, ci: number, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    const { a, who } = await this.#address(target, signal, false);
    await this.#exchange(sndUd(a, ci, data), who, `SND_UD (CI ${hex2(ci)})`, 'ack', signal);
  }

  /** Application reset (CI 50), optionally with a sub-code. */
  async applicationReset(target: MbusTarget, subcode?: number, signal?: AbortSignal): Promise<void> {
    const frame = applicationResetFrame(0, subcode);
    await this.sendUserData(target, frame[6], frame.subarray(7, frame.length - 2), signal);
  }

  /** Gives the meter a new primary address 0..250 (CI 51, record 01 7A aa). */
  async setPrimaryAddress(target: MbusTarget, next: number, signal?: AbortSignal): Promise<void> {
    const frame = setPrimaryAddressFrame(0, next);
    await this.sendUserData(target, frame[6], frame.subarray(7, frame.length - 2), signal);
  }

  /**
   * Switches the meter's baud rate (CI B8..BF). It acknowledges at the old rate and then
   * listens at the new one: the caller reopens the link at `baud` and makes a new master.
   */
  async setBaudRate(target: MbusTarget, baud: MbusBaud, signal?: AbortSignal): Promise<void> {
    if (!BAUDS.includes(baud)) throw new RangeError(`baud: expected 300, 2400 or 9600, got ${baud}`);
    const frame = setBaudRateFrame(0, baud);
    await this.sendUserData(target, frame[6], new Uint8Array(0), signal);
  }

  // --- Exchanges ---------------------------------------------------------------------------

  /** The A field for a target and the meter's name in messages; selects a secondary target. */
  async #address(target: MbusTarget, signal: AbortSignal | undefined, nke: boolean): Promise<{ a: number; who: string }> {
    if ('primary' in target) {
      checkPrimary(target.primary);
      const who = `meter at primary address ${target.primary}`;
      // §8.7: a read starts with SND_NKE (link reset: the meter expects FCB 1 next).
      if (nke) await this.#exchange(sndNke(target.primary), who, 'SND_NKE', 'ack', signal);
      return { a: target.primary, who };
    }
    const mask = parseSecondaryMask(target.secondary);
    const who = `meter with secondary address ${mask}`;
    const r = await this.select(mask, signal);
    if (r === 'absent') {
      throw new MbusError('timeout', `No meter answered the selection of secondary address ${mask} (${this.#tries()}).`);
    }
    if (r === 'collision') {
      throw new MbusError('collision', `Several meters answered the selection of secondary address ${mask} (garbled answers in ${this.attempts} attempts).`);
    }
    return { a: ADDRESS.NETWORK, who };
  }

  /**
   * Sends a frame and waits for its answer, retrying timeouts and garbage with the same frame
   * (the same FCB: "repeat the last frame", §8.7). Returns the E5 or RSP_UD bytes.
   */
  async #exchange(frame: Uint8Array, who: string, what: string, expect: 'ack' | 'data', signal?: AbortSignal): Promise<Uint8Array> {
    let last: Outcome = { kind: 'timeout' };
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      const heard = await this.#listen(frame, signal);
      last = judge(heard, expect);
      if (last.kind === 'ok') return last.frame;
    }
    switch (last.kind) {
      case 'timeout':
        throw new MbusError('timeout', `${cap(who)} did not answer ${what} (${this.#tries()}).`);
      case 'garbled':
        throw new MbusError('garbled', `${cap(who)} answered ${what} with garbled bytes in all ${this.attempts} attempts (last: ${last.reason}).`);
      default:
        throw new MbusError('unexpected', `${cap(who)} answered ${what} with ${last.what} instead of ${expect === 'ack' ? 'E5' : 'a RSP_UD'} (${this.attempts} attempts).`);
    }
  }

  /**
   * A probe (SND_NKE, selection): retried while the answer is garbled, since noise looks like a
   * collision; a collision stays garbled on every attempt (§8.6).
   */
  async #probe(frame: Uint8Array, signal?: AbortSignal): Promise<'ack' | 'absent' | 'collision'> {
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      const heard = await this.#listen(frame, signal);
      if (heard.silent) return 'absent';
      if (heard.units.length === 1 && heard.units[0].kind === 'frame' && heard.units[0].type === 'ack') return 'ack';
    }
    return 'collision';
  }

  /**
   * Writes a frame and collects the answer: waits the answer timeout for the first byte (plus
   * the request's own time on the line), then an inter-byte gap per chunk; stops the moment a
   * frame is complete and nothing else is pending. Bounded by bytes and reads, so a line that
   * never goes quiet cannot hold it.
   */
  async #listen(frame: Uint8Array, signal?: AbortSignal): Promise<Heard> {
    this.#checkAbort(signal);
    this.#link.discard();
    this.#reader.reset();
    try {
      await this.#link.write(frame);
    } catch (e) {
      throw this.#linkError(e, signal);
    }
    this.stats.bytesSent += frame.length;
    this.stats.exchanges += 1;
    const units: LinkUnit[] = [];
    let wait = (lineMs(frame.length, this.#baud) + this.#answerMs) / this.#scale;
    const gap = interByteMs(this.#baud) / this.#scale;
    let received = 0;
    for (let reads = 0; ; reads++) {
      let chunk: Uint8Array | null;
      try {
        chunk = await this.#link.read(wait, signal);
      } catch (e) {
        throw this.#linkError(e, signal);
      }
      this.#checkAbort(signal);
      if (chunk === null) {
        this.#reader.flush();
        units.push(...this.#reader.take());
        break;
      }
      received += chunk.length;
      this.stats.bytesReceived += chunk.length;
      this.#reader.push(chunk);
      units.push(...this.#reader.take());
      if (!this.#reader.pending && units.some((u) => u.kind === 'frame')) break;
      if (received > MAX_ANSWER_BYTES || reads >= MAX_READS) {
        this.#reader.flush();
        units.push(...this.#reader.take());
        units.push({ kind: 'garbage', bytes: new Uint8Array(0), reason: `the line kept sending (${received} bytes) without a complete frame` });
        break;
      }
      if (received > 0) wait = gap;
    }
    return { units, silent: received === 0 };
  }

  #checkAbort(signal?: AbortSignal): void {
    if (signal?.aborted) throw new MbusError('aborted', 'The M-Bus operation was cancelled.', { cause: signal.reason });
  }

  #linkError(e: unknown, signal?: AbortSignal): MbusError {
    if (e instanceof MbusError) return e;
    if (signal?.aborted) return new MbusError('aborted', 'The M-Bus operation was cancelled.', { cause: signal.reason });
    const msg = e instanceof Error ? e.message : String(e);
    return new MbusError('link', `The connection to the M-Bus failed: ${msg}`, { cause: e });
  }

  #tries(): string {
    const s = (this.#answerMs / this.#scale / 1000).toFixed(2).replace(/0$/, '');
    return `${this.attempts} attempt${this.attempts === 1 ? '' : 's'}, ${s} s timeout each`;
  }
}

/** What an answer means for a command (E5 expected) or a read (RSP_UD expected). */
function judge(heard: Heard, expect: 'ack' | 'data'): Outcome {
  if (heard.silent) return { kind: 'timeout' };
  const frames = heard.units.filter((u) => u.kind === 'frame');
  const garbage = heard.units.find((u) => u.kind === 'garbage');
  if (expect === 'data') {
    // A checksum-valid RSP_UD is good data even after a burst of line noise.
    const rsp = frames.find(isRspUd);
    if (rsp !== undefined && frames.length === 1) return { kind: 'ok', frame: rsp.bytes };
  } else if (frames.length === 1 && frames[0].kind === 'frame' && frames[0].type === 'ack' && garbage === undefined) {
    return { kind: 'ok', frame: frames[0].bytes };
  }
  if (garbage !== undefined && garbage.kind === 'garbage') return { kind: 'garbled', reason: garbage.reason };
  if (frames.length > 1) return { kind: 'garbled', reason: `${frames.length} frames at once` };
  return { kind: 'unexpected', what: describeUnit(frames[0]) };
}

function checkPrimary(a: number, what = 'primary'): void {
  if (!Number.isInteger(a) || a < 0 || a > ADDRESS.MAX_PRIMARY) {
    throw new RangeError(`${what}: expected a primary address 0..${ADDRESS.MAX_PRIMARY} (253 only through a secondary address), got ${a}`);
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
