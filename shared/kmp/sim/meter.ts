// A simulated Kamstrup MULTICAL 603 on its optical eye: takes a KMP request frame as it comes
// off the line and gives the answer's bytes (protocols.md §5.2 framing, §5.3 commands, §5.4
// values, §5.6 loggers), or null where a real meter stays silent (bad CRC, another DST, a
// command it does not know, malformed data). The values come from model.ts at `nowMs`.

import { CID } from '../commands.js';
import type { KmpTime } from '../commands.js';
import { KMP, decodeFrame, responseFrame } from '../frame.js';
import type { LoggerKind } from '../loggers.js';
import { encodeValue } from '../value.js';
import { selectRecords } from './log-read.js';
import type { LogStart } from './log-read.js';
import { SIM_603_REGISTERS, dateNumber, timeNumber } from './config.js';
import type { SimRegisterSpec, SimRegisterValue } from './config.js';
import { SimMeterModel } from './model.js';
import type { SimLogWindow } from './model.js';

/**
 * GetType answer of the sim: [?] the MULTICAL 603's type code is not in the public KMP document
 * (§5.3 lists only 601 codes); sim choice 0x0603 ("603"), SW revision 01 01 = "A1".
 */
export const SIM_603_TYPE = { type: 0x0603, revision: 0x0101 } as const;

/** PutRegister password of the sim (§5.3: password(2)); configurable. */
export const SIM_DEFAULT_PASSWORD = 0x0000;

export interface SimKmpMeterOptions {
  serial: number;
  startEpochMs: number;
  seed?: number;
  password?: number;
  /** Logger ids by kind (defaults in model.ts simLogs; only 01 = hourly is documented). */
  lids?: Partial<Record<LoggerKind, number>>;
}

/** What the meter did with the last request (for tests and the demo's log). */
export type SimKmpOutcome = 'answered' | 'ack' | 'bad-frame' | 'other-dst' | 'unknown-cid' | 'malformed' | 'refused';

const u16 = (d: Uint8Array, i: number): number => (d[i] << 8) | d[i + 1];
const u32 = (d: Uint8Array, i: number): number => ((d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]) >>> 0;

function bytesOf(n: number, nob: number): number[] {
  const out: number[] = [];
  for (let i = nob - 1; i >= 0; i--) out.push(Math.floor(n / 2 ** (8 * i)) & 0xff);
  return out;
}

/** Unit NoB SiEx Value of one register value (§5.4), through value.ts's encoder at the register's NoB. */
function valueBytes(v: SimRegisterValue): number[] {
  const e = encodeValue({ unit: v.unit, negative: v.mantissa < 0, mantissa: BigInt(Math.abs(v.mantissa)), exponent: v.exponent }, v.nob);
  return [e.unit, e.nob, e.siex, ...e.bytes];
}

/** Logger time (§5.4): YY MM DD hh mm ss WK INFO → ms (UTC, the sim's meter clock); null if invalid. */
export function logTimeMs(d: Uint8Array, i: number): number | null {
  const [yy, mo, dd, hh, mi, ss] = d.subarray(i, i + 6);
  if (yy > 99 || mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59) return null;
  return Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss);
}

/** The sim's meter clock is UTC: `ms` as the KmpTime a client sends for it (encodeLogTime, setClock). */
export function simTime(ms: number): KmpTime {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

export class SimKmpMeter {
  readonly model: SimMeterModel;
  readonly #password: number;
  /** A1's "last read" pointer per LID (record index), §5.6. */
  readonly #lastRead = new Map<number, number>();
  /** SetClock moves the meter's clock registers by this much (sim: loggers keep true time). */
  #clockOffsetMs = 0;
  lastOutcome: SimKmpOutcome | null = null;

  constructor(o: SimKmpMeterOptions) {
    this.model = new SimMeterModel(o);
    this.#password = o.password ?? SIM_DEFAULT_PASSWORD;
  }

  get serial(): number {
    return this.model.serial;
  }

  /** The registers the meter answers (id, unit, NoB, exponent). */
  get registers(): readonly SimRegisterSpec[] {
    return SIM_603_REGISTERS;
  }

  /** Register values at `nowMs`, as the meter would send them. */
  values(nowMs: number): SimRegisterValue[] {
    return this.model.values(nowMs).map((v) => this.#clocked(v, nowMs));
  }

  /** The daily logger at `nowMs`: each record's time, RecID and values, oldest first. */
  daily(nowMs: number): { timeMs: number; recId: number; values: SimRegisterValue[] }[] {
    return this.records('daily', nowMs);
  }

  /** Any logger's records at `nowMs`, oldest first. */
  records(kind: LoggerKind, nowMs: number): { timeMs: number; recId: number; values: SimRegisterValue[] }[] {
    const log = this.model.logs.find((l) => l.kind === kind)!;
    const w = this.model.window(log, nowMs);
    const out = [];
    for (let r = w.first; r < w.count; r++) out.push({ timeMs: w.timeOf(r), recId: w.recIdOf(r), values: w.valuesOf(r) });
    return out;
  }

  /** The answer to one request frame (80 … 0D) at `nowMs`: a frame, a single ACK byte, or null (silence). */
  answer(request: Uint8Array, nowMs: number): Uint8Array | null {
    const u = decodeFrame(request);
    if (u.kind !== 'request') return this.#silent('bad-frame');
    if (u.dst !== KMP.DST_METER) return this.#silent('other-dst');
    const d = u.data;
    switch (u.cid) {
      case CID.GET_TYPE:
        if (d.length !== 0) return this.#silent('malformed');
        return this.#reply(u.cid, [...bytesOf(SIM_603_TYPE.type, 2), ...bytesOf(SIM_603_TYPE.revision, 2)]);
      case CID.GET_SERIAL_NO:
        if (d.length !== 0) return this.#silent('malformed');
        return this.#reply(u.cid, bytesOf(this.model.serial, 4));
      case CID.SET_CLOCK: {
        if (d.length !== 8) return this.#silent('malformed');
        const date = u32(d, 0);
        const time = u32(d, 4);
        const ms = Date.UTC(2000 + Math.floor(date / 10000), (Math.floor(date / 100) % 100) - 1, date % 100, Math.floor(time / 10000), Math.floor(time / 100) % 100, time % 100);
        if (!Number.isFinite(ms) || dateNumber(ms) !== date || timeNumber(ms) !== time) return this.#silent('malformed');
        this.#clockOffsetMs = ms - nowMs;
        return this.#ack();
      }
      case CID.GET_REGISTER:
        return this.#getRegister(d, nowMs);
      case CID.PUT_REGISTER:
        return this.#putRegister(d, nowMs);
      case CID.GET_EVENT_STATUS:
        if (d.length !== 0) return this.#silent('malformed');
        return this.#reply(CID.GET_EVENT_STATUS, this.#eventStatus(nowMs));
      case CID.CLEAR_EVENT_STATUS: {
        if (d.length !== 8) return this.#silent('malformed');
        // byte 2 bit 0: the interval log; clearing it marks every record up to now as read
        if ((d[2] | d[6]) & 0x01) {
          const w = this.#intervalLog(nowMs);
          if (w) this.#lastRead.set(w.log.lid, w.count - 1);
        }
        // both answer with the event status (CID 9B), §5.3 "as 9B"
        return this.#reply(CID.GET_EVENT_STATUS, this.#eventStatus(nowMs));
      }
      case CID.GET_LOG_TIME_PRESENT:
      case CID.GET_LOG_LAST_PRESENT:
      case CID.GET_LOG_ID_PRESENT:
      case CID.GET_LOG_TIME_PAST:
        return this.#log(u.cid, d, nowMs);
      default:
        return this.#silent('unknown-cid');
    }
  }

  #silent(outcome: SimKmpOutcome): null {
    this.lastOutcome = outcome;
    return null;
  }

  #reply(cid: number, data: number[]): Uint8Array {
    this.lastOutcome = 'answered';
    return responseFrame(KMP.DST_METER, cid, Uint8Array.from(data));
  }

  #ack(): Uint8Array {
    this.lastOutcome = 'ack';
    return Uint8Array.of(KMP.ACK);
  }

  #clocked(v: SimRegisterValue, nowMs: number): SimRegisterValue {
    if (this.#clockOffsetMs === 0 || (v.id !== 1002 && v.id !== 1003)) return v;
    const ms = nowMs + this.#clockOffsetMs;
    return { ...v, mantissa: v.id === 1002 ? timeNumber(ms) : dateNumber(ms) };
  }

  /** GetRegister (§5.3): n (1..8) ids; unknown ids are silently omitted. */
  #getRegister(d: Uint8Array, nowMs: number): Uint8Array | null {
    const n = d[0];
    if (d.length < 1 || n < 1 || n > 8 || d.length !== 1 + 2 * n) return this.#silent('malformed');
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = u16(d, 1 + 2 * i);
      const v = this.model.value(id, nowMs);
      if (v) out.push(...bytesOf(id, 2), ...valueBytes(this.#clocked(v, nowMs)));
    }
    return this.#reply(CID.GET_REGISTER, out);
  }

  /** PutRegister (§5.3): password(2) ID(2) Unit NoB SiEx Value → ACK, or silence when refused. */
  #putRegister(d: Uint8Array, nowMs: number): Uint8Array | null {
    if (d.length < 7 || d.length !== 7 + d[5]) return this.#silent('malformed');
    const password = u16(d, 0);
    const id = u16(d, 2);
    const [unit, nob, siex] = [d[4], d[5], d[6]];
    const s = this.model.spec(id);
    // sim: the value must come in the register's own unit, NoB and exponent, and be positive
    const expSiex = (s?.exponent ?? 0) < 0 ? 0x40 | -(s?.exponent ?? 0) : (s?.exponent ?? 0);
    if (password !== this.#password || !s || unit !== s.unit || nob !== s.nob || siex !== expSiex) return this.#silent('refused');
    let m = 0;
    for (let i = 0; i < nob; i++) m = m * 256 + d[7 + i];
    if (!this.model.write(id, m, nowMs)) return this.#silent('refused');
    return this.#ack();
  }

  /**
   * Logger reads A0..A3 (§5.6). Request: LID, n, n × RegID, NRcs, MaxL, then Time(8) (A0),
   * nothing (A1), RecID(2) (A2), Time(8) RecIDOffset(2) (A3). Answer APL: CID LTID NRtR, records
   * (the first with RegID Unit NoB SiEx per value, later ones values only), LRORecID NewestRecID INFO.
   * sim: LTID echoes the LID; registers the log does not hold are omitted (NRtR counts the rest).
   * A1 reads from the "last read" pointer, which only ClearEventStatus moves (§5.6).
   */
  #log(cid: number, d: Uint8Array, nowMs: number): Uint8Array | null {
    const lid = d[0];
    const n = d[1];
    if (d.length < 2 || n < 1 || n > 8) return this.#silent('malformed');
    let p = 2 + 2 * n;
    const tail = cid === 0xa0 ? 8 : cid === 0xa1 ? 0 : cid === 0xa2 ? 2 : 10;
    if (d.length !== p + 2 + tail) return this.#silent('malformed');
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(u16(d, 2 + 2 * i));
    const wanted = d[p];
    const maxL = d[p + 1];
    p += 2;
    const log = this.model.log(lid);
    const trailer = (lro: number, newest: number, info: number): number[] => [...bytesOf(lro, 2), ...bytesOf(newest, 2), info];
    if (!log) return this.#reply(cid, [lid, 0, ...trailer(0, 0, 0x01)]); // sim: an unknown LID is an empty log
    const w = this.model.window(log, nowMs);
    const held = ids.filter((id) => log.registers.includes(id));
    let start: LogStart;
    if (cid === 0xa0 || cid === 0xa3) {
      const t = logTimeMs(d, p);
      if (t === null) return this.#silent('malformed');
      start = cid === 0xa0 ? { cid, timeMs: t } : { cid, timeMs: t, offset: u16(d, p + 8) };
    } else if (cid === 0xa2) start = { cid, recId: u16(d, p) };
    else start = { cid: 0xa1, afterIndex: this.#lastRead.get(lid) ?? w.first - 1 };
    const spec = held.map((id) => this.model.spec(id)!);
    const firstLen = 2 + spec.reduce((s, r) => s + 5 + r.nob, 0);
    const laterLen = 2 + spec.reduce((s, r) => s + r.nob, 0);
    // APL = CID LTID NRtR records LRORecID(2) NewestRecID(2) INFO ≤ MaxL
    const fits = (k: number): boolean => 3 + firstLen + (k - 1) * laterLen + 5 <= maxL;
    const sel = selectRecords(w, start, wanted, fits);
    const newestId = w.count > 0 ? w.recIdOf(w.count - 1) : 0;
    const out: number[] = [lid, held.length];
    sel.records.forEach((r, k) => {
      out.push(...bytesOf(w.recIdOf(r), 2));
      for (const id of held) {
        const v = this.model.value(id, w.timeOf(r))!;
        const b = valueBytes(v);
        if (k === 0) out.push(...bytesOf(id, 2), ...b);
        else out.push(...b.slice(3));
      }
    });
    const last = sel.records.at(-1);
    const lro = last === undefined ? (this.#lastReadId(w, lid) ?? 0) : w.recIdOf(last);
    out.push(...trailer(lro, newestId, sel.info));
    return this.#reply(cid, out);
  }

  #lastReadId(w: SimLogWindow, lid: number): number | null {
    const r = this.#lastRead.get(lid);
    return r === undefined ? null : w.recIdOf(r);
  }

  #intervalLog(nowMs: number): SimLogWindow | null {
    const log = this.model.logs.find((l) => l.kind === 'hourly');
    return log ? this.model.window(log, nowMs) : null;
  }

  /**
   * GetEventStatus (§5.3): 4 event bytes; byte 2 bit 0 = the interval log has records not read
   * (after the "last read" pointer), bit 1 = RTC log (the sim has none). Bytes 0, 1, 3: 0.
   */
  #eventStatus(nowMs: number): number[] {
    const w = this.#intervalLog(nowMs);
    const read = w ? (this.#lastRead.get(w.log.lid) ?? w.first - 1) : 0;
    return [0, 0, w && w.count - 1 > read ? 0x01 : 0, 0];
  }
}
