// KMP commands (protocols.md §5.3, §5.6; Kamstrup doc 5512-447 §6): request builders give whole
// wire frames (80 … 0D); response parsers take the answer the KmpReader cut (DST, CID, DATA
// after the CID) and return the value or a KmpError with a sentence. Parsers never throw.

import { KMP, hex2, requestFrame } from './frame.js';
import { decodeValue, encodeValue } from './value.js';
import type { KmpValue } from './value.js';

export const CID = {
  GET_TYPE: 0x01,
  GET_SERIAL_NO: 0x02,
  SET_CLOCK: 0x09,
  GET_REGISTER: 0x10,
  PUT_REGISTER: 0x11,
  GET_EVENT_STATUS: 0x9b,
  CLEAR_EVENT_STATUS: 0x9c,
  GET_LOG_TIME_PRESENT: 0xa0,
  GET_LOG_LAST_PRESENT: 0xa1,
  GET_LOG_ID_PRESENT: 0xa2,
  GET_LOG_TIME_PAST: 0xa3
} as const;

/** A frame as the KmpReader gives it (its 'response' units fit). */
export interface KmpFrame {
  dst: number;
  cid: number;
  data: Uint8Array;
}

export type KmpErrorCode = 'wrong-cid' | 'truncated' | 'trailing-bytes' | 'bad-value';

/** A malformed answer from the meter: returned by the parsers, thrown by callers that want to. */
export class KmpError extends Error {
  constructor(
    readonly code: KmpErrorCode,
    message: string,
    /** Byte position in the frame's data (after the CID). */
    readonly offset?: number
  ) {
    super(message);
    this.name = 'KmpError';
  }
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name}: expected an integer ${min}..${max}, got ${v}`);
}

function u16(v: number): [number, number] {
  return [(v >> 8) & 0xff, v & 0xff];
}

function u32(v: number): [number, number, number, number] {
  return [(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
}

function expectCid(f: KmpFrame, cid: number, name: string): KmpError | null {
  if (f.cid === cid) return null;
  return new KmpError('wrong-cid', `expected a ${name} answer (CID ${hex2(cid)}), got CID ${hex2(f.cid)}`);
}

function expectLength(f: KmpFrame, n: number, name: string): KmpError | null {
  if (f.data.length === n) return null;
  return f.data.length < n
    ? new KmpError('truncated', `${name} answer has ${f.data.length} data byte(s), expected ${n}`, f.data.length)
    : new KmpError('trailing-bytes', `${name} answer has ${f.data.length} data byte(s), expected ${n}`, n);
}

// ---------------------------------------------------------------------------------------------
// GetType, GetSerialNo, SetClock (§5.3; doc §6.2)

/** GetType (CID 01): `80 3F 01 05 8A 0D`. */
export function getType(dst: number = KMP.DST_METER): Uint8Array {
  return requestFrame(dst, CID.GET_TYPE);
}

export interface MeterType {
  /** Meter type, e.g. 0x0004 = MULTICAL 601 Pt100 (doc §6.2.1; other models not public). */
  type: number;
  /** Software revision as printed: 06 01 → "F1" (letter 01 = A). */
  revision: string;
  /** The two raw revision bytes. */
  revisionCode: number;
}

/** GetType answer: meter type (2 bytes), software revision (letter, number). */
export function parseType(f: KmpFrame): MeterType | KmpError {
  const e = expectCid(f, CID.GET_TYPE, 'GetType') ?? expectLength(f, 4, 'GetType');
  if (e) return e;
  const d = f.data;
  const letter = d[2];
  const revision = (letter >= 1 && letter <= 26 ? String.fromCharCode(0x40 + letter) : `?${hex2(letter)}`) + String(d[3]);
  return { type: (d[0] << 8) | d[1], revision, revisionCode: (d[2] << 8) | d[3] };
}

/** GetSerialNo (CID 02): `80 3F 02 35 E9 0D`. */
export function getSerialNo(dst: number = KMP.DST_METER): Uint8Array {
  return requestFrame(dst, CID.GET_SERIAL_NO);
}

/** GetSerialNo answer: the serial number, uint32 big-endian. */
export function parseSerialNo(f: KmpFrame): number | KmpError {
  const e = expectCid(f, CID.GET_SERIAL_NO, 'GetSerialNo') ?? expectLength(f, 4, 'GetSerialNo');
  if (e) return e;
  const d = f.data;
  return ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0;
}

/** A meter-local date and time (KMP has no time zone). */
export interface KmpTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function checkTime(t: KmpTime): void {
  checkInt('year', t.year, 2000, 2099);
  checkInt('month', t.month, 1, 12);
  checkInt('day', t.day, 1, 31);
  checkInt('hour', t.hour, 0, 23);
  checkInt('minute', t.minute, 0, 59);
  checkInt('second', t.second, 0, 59);
}

/**
 * SetClock (CID 09): date and time as uint32 BE of their decimal digits, YYMMDD and hhmmss
 * (§5.3). The meter answers with an ACK.
 */
export function setClock(t: KmpTime, dst: number = KMP.DST_METER): Uint8Array {
  checkTime(t);
  const date = (t.year - 2000) * 10000 + t.month * 100 + t.day;
  const time = t.hour * 10000 + t.minute * 100 + t.second;
  return requestFrame(dst, CID.SET_CLOCK, Uint8Array.of(...u32(date), ...u32(time)));
}

// ---------------------------------------------------------------------------------------------
// GetRegister, PutRegister (§5.3, §5.4; doc §6.2.4, §6.3.7)

export interface KmpRegisterValue {
  id: number;
  value: KmpValue;
  /** NoB as the meter sent it (needed to write the register back). */
  nob: number;
}

/** GetRegister (CID 10) for 1..8 register ids (§5.1: bundle up to 8 per request). */
export function getRegister(ids: readonly number[], dst: number = KMP.DST_METER): Uint8Array {
  checkInt('ids.length', ids.length, 1, 8);
  const data = [ids.length];
  for (const id of ids) {
    checkInt('register id', id, 0, 0xffff);
    data.push(...u16(id));
  }
  return requestFrame(dst, CID.GET_REGISTER, Uint8Array.from(data));
}

/** Reads `ID(2) Unit NoB SiEx Value(NoB)` at `p`; returns the register and the next position. */
function readRegister(d: Uint8Array, p: number, what: string): { r: KmpRegisterValue; next: number } | KmpError {
  if (p + 5 > d.length) return new KmpError('truncated', `${what} at ${p}: needs ID, unit, NoB and SiEx (5 bytes), ${d.length - p} left`, p);
  const id = (d[p] << 8) | d[p + 1];
  const nob = d[p + 3];
  if (p + 5 + nob > d.length) {
    return new KmpError('truncated', `${what} at ${p} (register ${id}): NoB ${nob} announces ${nob} value bytes, ${d.length - p - 5} left`, p + 5);
  }
  const value = decodeValue(d[p + 2], nob, d[p + 4], d.subarray(p + 5, p + 5 + nob));
  return { r: { id, value, nob }, next: p + 5 + nob };
}

/**
 * GetRegister answer: per register ID(2) unit NoB SiEx value. Registers the meter does not
 * know are silently left out (§5.3), so the answer may hold fewer than asked for.
 */
export function parseRegisters(f: KmpFrame): KmpRegisterValue[] | KmpError {
  const e = expectCid(f, CID.GET_REGISTER, 'GetRegister');
  if (e) return e;
  const out: KmpRegisterValue[] = [];
  let p = 0;
  while (p < f.data.length) {
    const r = readRegister(f.data, p, `register ${out.length + 1}`);
    if (r instanceof KmpError) return r;
    out.push(r.r);
    p = r.next;
  }
  return out;
}

/**
 * PutRegister (CID 11): password(2) ID(2) unit NoB SiEx value (doc §6.3.7). The meter answers
 * with an ACK when the value was written and with nothing otherwise (wrong password, read-only).
 * `nob` defaults to 4, the size of every register of MULTICAL 601/801 (doc §4.4.2).
 */
export function putRegister(password: number, id: number, value: KmpValue, nob = 4, dst: number = KMP.DST_METER): Uint8Array {
  checkInt('password', password, 0, 0xffff);
  checkInt('register id', id, 0, 0xffff);
  const v = encodeValue(value, nob);
  return requestFrame(dst, CID.PUT_REGISTER, Uint8Array.of(...u16(password), ...u16(id), v.unit, v.nob, v.siex, ...v.bytes));
}

// ---------------------------------------------------------------------------------------------
// Event status (doc §6.3.5, §6.3.6)

/** GetEventStatus (CID 9B). */
export function getEventStatus(dst: number): Uint8Array {
  return requestFrame(dst, CID.GET_EVENT_STATUS);
}

/**
 * ClearEventStatus (CID 9C) with conditional-clear masks for the four event bytes (doc
 * §6.3.6: only conditional clear exists; byte 2 bit 0 = interval log, bit 1 = RTC log). It moves
 * the "last read" pointer that A1 reads from.
 */
export function clearEventStatus(conditional: readonly [number, number, number, number], dst: number): Uint8Array {
  conditional.forEach((b, i) => checkInt(`conditional[${i}]`, b, 0, 255));
  return requestFrame(dst, CID.CLEAR_EVENT_STATUS, Uint8Array.of(...conditional, 0, 0, 0, 0));
}

export interface EventStatus {
  bytes: [number, number, number, number];
  /** Byte 2 bit 0: the interval log holds records not read yet. */
  intervalLogUnread: boolean;
  /** Byte 2 bit 1: the RTC log holds records not read yet. */
  rtcLogUnread: boolean;
}

/** GetEventStatus / ClearEventStatus answer (both answer with CID 9B). */
export function parseEventStatus(f: KmpFrame): EventStatus | KmpError {
  const e = expectCid(f, CID.GET_EVENT_STATUS, 'GetEventStatus') ?? expectLength(f, 4, 'GetEventStatus');
  if (e) return e;
  const d = f.data;
  return { bytes: [d[0], d[1], d[2], d[3]], intervalLogUnread: (d[2] & 1) !== 0, rtcLogUnread: (d[2] & 2) !== 0 };
}

// ---------------------------------------------------------------------------------------------
// Logger readout A0..A3 (§5.6; doc §6.3)

export type LogCid = 0xa0 | 0xa1 | 0xa2 | 0xa3;

/** One logger read: what A0..A3 send after the CID. */
export interface LogRequest {
  /** A0 from a time towards now, A1 from the "last read" pointer, A2 from a record id towards now, A3 from a time into the past. */
  cid: LogCid;
  /** Log id (LID); see loggers.ts. */
  lid: number;
  /** Register ids, 1..8 (NRgs). */
  registers: readonly number[];
  /** Records wanted in this answer (NRcs), 1..255. */
  records: number;
  /** Longest application-layer answer the meter may send (MaxL), e.g. 0x80. */
  maxL: number;
  /** A0, A3: the search time. */
  time?: KmpTime;
  /** A2: the first record id wanted. */
  recId?: number;
  /** A3: records to skip back from the record found (RecIDOffset). */
  offset?: number;
}

/**
 * Logger timestamp (§5.4, doc §4.3): `YY MM DD hh mm ss WK INFO` (year − 2000; WK, INFO 0).
 * The request tables of doc §6.3.1/§6.3.4 print the same bytes last first ("xxxx001E0A180507"
 * for 2007-05-24 10:30:00); §4.3 and its two examples give the order used here.
 */
export function encodeLogTime(t: KmpTime): Uint8Array {
  checkTime(t);
  return Uint8Array.of(t.year - 2000, t.month, t.day, t.hour, t.minute, t.second, 0, 0);
}

/** The request data of a logger read, from the CID on (application layer). */
export function encodeLogRequest(r: LogRequest): Uint8Array {
  checkInt('lid', r.lid, 0, 255);
  checkInt('registers.length', r.registers.length, 1, 8);
  checkInt('records', r.records, 1, 255);
  checkInt('maxL', r.maxL, 1, 255);
  const out: number[] = [r.lid, r.registers.length];
  for (const id of r.registers) {
    checkInt('register id', id, 0, 0xffff);
    out.push(...u16(id));
  }
  out.push(r.records, r.maxL);
  const need = (name: 'time' | 'recId' | 'offset'): never => {
    throw new RangeError(`${name}: required for CID ${hex2(r.cid)}, got undefined`);
  };
  if (r.cid === 0xa0 || r.cid === 0xa3) out.push(...encodeLogTime(r.time ?? need('time')));
  if (r.cid === 0xa2) {
    const id = r.recId ?? need('recId');
    checkInt('recId', id, 0, 0xffff);
    out.push(...u16(id));
  }
  if (r.cid === 0xa3) {
    const o = r.offset ?? need('offset');
    checkInt('offset', o, 0, 0xffff);
    out.push(...u16(o));
  }
  return Uint8Array.from(out);
}

/** A logger read as a wire frame. Loggers of MULTICAL 601 modules answer at DST 7F/BF (§5.2). */
export function logRequest(r: LogRequest, dst: number): Uint8Array {
  if (r.cid < 0xa0 || r.cid > 0xa3) throw new RangeError(`cid: expected A0..A3, got ${hex2(r.cid)}`);
  return requestFrame(dst, r.cid, encodeLogRequest(r));
}

/** INFO bits of a logger answer (§5.6, doc §6.3). */
export const LOG_INFO = { EMPTY: 0x01, OUT_OF_RANGE: 0x04, MAXL_REACHED: 0x08, END_OF_LOG: 0x10 } as const;

export interface LogRecord {
  recId: number;
  /** One value per returned register, in the order of LogResponse.registers. */
  values: KmpRegisterValue[];
}

export interface LogResponse {
  cid: LogCid;
  /** Log type id (LTID); undefined when a short error answer leaves it out. */
  ltid?: number;
  /** The registers the log holds of those asked for (NRtR), with their format. */
  registers: { id: number; unit: number; nob: number; siex: number }[];
  /** In the order the meter read them: ascending for A0..A2, descending for A3. */
  records: LogRecord[];
  /** The last record in this answer (LRORecID). */
  lastReadRecId?: number;
  /** The newest record in the log (NewestRecID). */
  newestRecId?: number;
  info: number;
  empty: boolean;
  outOfRange: boolean;
  maxLReached: boolean;
  endOfLog: boolean;
}

/** Parses `RecID [RegID Unit NoB SiEx Value]×n` then `(RecID Value×n)*` exactly over d[p..end). */
function readRecords(d: Uint8Array, p: number, end: number, n: number, res: LogResponse): KmpError | null {
  if (p === end) return null;
  if (p + 2 > end) return new KmpError('truncated', `record id at ${p}: needs 2 bytes, ${end - p} left`, p);
  const first: LogRecord = { recId: (d[p] << 8) | d[p + 1], values: [] };
  p += 2;
  const area = d.subarray(0, end);
  for (let i = 0; i < n; i++) {
    const r = readRegister(area, p, `register ${i + 1} of record ${hex2(first.recId >> 8)}${hex2(first.recId & 0xff)}`);
    if (r instanceof KmpError) return r;
    const v = r.r;
    res.registers.push({ id: v.id, unit: v.value.unit, nob: v.nob, siex: area[p + 4] });
    first.values.push(v);
    p = r.next;
  }
  res.records.push(first);
  const size = 2 + res.registers.reduce((s, r) => s + r.nob, 0);
  while (p < end) {
    if (p + size > end) {
      return new KmpError('truncated', `record at ${p}: needs ${size} bytes (record id and ${n} value(s)), ${end - p} left before the trailer`, p);
    }
    const rec: LogRecord = { recId: (d[p] << 8) | d[p + 1], values: [] };
    p += 2;
    for (const f of res.registers) {
      rec.values.push({ id: f.id, nob: f.nob, value: decodeValue(f.unit, f.nob, f.siex, d.subarray(p, p + f.nob)) });
      p += f.nob;
    }
    res.records.push(rec);
  }
  return null;
}

/**
 * A logger answer (§5.6): `LTID NRtR [RecID (RegID Unit NoB SiEx Value)×NRtR] [RecID Value×NRtR]…
 * LRORecID NewestRecID INFO` after the CID. With INFO ≠ 0 the answer may be shorter (doc §6.3.1:
 * only CID first and INFO last are sure); then what can be read is returned.
 */
export function parseLogResponse(f: KmpFrame): LogResponse | KmpError {
  if (f.cid < 0xa0 || f.cid > 0xa3) return new KmpError('wrong-cid', `expected a logger answer (CID A0..A3), got CID ${hex2(f.cid)}`);
  const d = f.data;
  if (d.length === 0) return new KmpError('truncated', 'logger answer has no data: expected at least the INFO byte', 0);
  const info = d[d.length - 1];
  const res: LogResponse = {
    cid: f.cid as LogCid,
    registers: [],
    records: [],
    info,
    empty: (info & LOG_INFO.EMPTY) !== 0,
    outOfRange: (info & LOG_INFO.OUT_OF_RANGE) !== 0,
    maxLReached: (info & LOG_INFO.MAXL_REACHED) !== 0,
    endOfLog: (info & LOG_INFO.END_OF_LOG) !== 0
  };
  if (d.length < 3) {
    if (info !== 0) return res; // error answer: CID … INFO
    return new KmpError('truncated', `logger answer has ${d.length} data byte(s), expected at least LTID, NRtR and INFO`, d.length);
  }
  res.ltid = d[0];
  const n = d[1];
  const last = d.length - 1;
  // Full layout: records, then LRORecID NewestRecID INFO.
  let err: KmpError | null = null;
  if (last - 2 >= 4) {
    err = readRecords(d, 2, last - 4, n, res);
    if (!err) {
      res.lastReadRecId = (d[last - 4] << 8) | d[last - 3];
      res.newestRecId = (d[last - 2] << 8) | d[last - 1];
      return res;
    }
  }
  if (info !== 0) {
    // Short error answer: try records without the trailer, then nothing at all.
    res.registers = [];
    res.records = [];
    if (readRecords(d, 2, last, n, res) === null) return res;
    res.registers = [];
    res.records = [];
    return res;
  }
  return err ?? new KmpError('truncated', `logger answer has ${d.length} data byte(s): too short for LTID, NRtR, LRORecID, NewestRecID and INFO (7)`, d.length);
}

/** Application-layer length of a logger answer with `m` records (doc §6.3.1: 3 + 2m + 5n + m·Σ NoB + 5). */
export function logAnswerLength(m: number, nobs: readonly number[]): number {
  const values = nobs.reduce((s, x) => s + x, 0);
  return 3 + 2 * m + (m > 0 ? 5 * nobs.length : 0) + m * values + 5;
}

/**
 * The request for the page after `res`, or null when the log has nothing more in that
 * direction (empty, end of log, out of range, or no records). Towards now (A0, A1, A2) the next
 * page is an A2 from the record after LRORecID (A1 is not repeated: its pointer moves only with
 * ClearEventStatus, doc §6.3.2); into the past (A3) the same time with RecIDOffset grown by the
 * records read (doc §6.3.4).
 */
export function nextLogPage(req: LogRequest, res: LogResponse): LogRequest | null {
  if (res.empty || res.endOfLog || res.outOfRange || res.records.length === 0) return null;
  if (req.cid === 0xa3) {
    return { ...req, offset: (req.offset ?? 0) + res.records.length };
  }
  const last = res.lastReadRecId ?? res.records[res.records.length - 1].recId;
  if (res.newestRecId !== undefined && last === res.newestRecId) return null;
  const next: LogRequest = { cid: 0xa2, lid: req.lid, registers: req.registers, records: req.records, maxL: req.maxL, recId: (last + 1) & 0xffff };
  return next;
}
