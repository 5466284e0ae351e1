// Wired M-Bus frames (EN 13757-2 via protocols.md §8.2): ACK E5, short frame 10 C A CS 16,
// control and long frames 68 L L 68 C A CI … CS 16, and the transport header of a RSP_UD
// (CI 72 long, 7A short, 78 none) before the EN 13757-3 records. Only the frame decode; the
// bus master (requests, FCB, multi-telegram reads) lives elsewhere.

import type { Decoded, Issue, Span } from '../model/decoded.js';
import type { MeterAddress } from '../model/address.js';
import type { DataRecord } from '../model/record.js';
import { decodeRecords } from './records.js';
import type { ManufacturerData } from './records.js';

export type MbusFrameKind = 'ack' | 'short' | 'control' | 'long';

export interface MbusFrame {
  kind: MbusFrameKind;
  /** C field (not for ACK). */
  control?: number;
  /** Primary address field A. */
  primaryAddress?: number;
  ci?: number;
  /** Long transport header (CI 72): the meter's secondary address. */
  address?: MeterAddress;
  accessNumber?: number;
  status?: number;
  /** The two bytes after the status ("signature", configuration word; 0000 = unencrypted). */
  config?: number;
  /** Fixed data structure (CI 73): id and medium; it has no manufacturer or version. */
  fixed?: { id: string; medium: number };
  records: DataRecord[];
  manufacturerData?: ManufacturerData;
}

const HEX = '0123456789ABCDEF';
function hex2(n: number): string {
  return HEX[(n >> 4) & 15] + HEX[n & 15];
}

function manufacturerName(code: number): string {
  return String.fromCharCode(((code >> 10) & 0x1f) + 64, ((code >> 5) & 0x1f) + 64, (code & 0x1f) + 64);
}

function bcdId(b: Uint8Array, at: number): string {
  return hex2(b[at + 3]) + hex2(b[at + 2]) + hex2(b[at + 1]) + hex2(b[at]);
}

function sum(b: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += b[i];
  return s & 0xff;
}

/** Decodes one wired M-Bus frame. Never throws on bad bytes. */
/** `explain: true` builds the byte map (spans). */
export function decodeMbusFrame(bytes: Uint8Array, opts: { explain?: boolean } = {}): Decoded<MbusFrame> {
  const explain = opts.explain === true;
  const issues: Issue[] = [];
  const spans: Span[] = [];
  const n = bytes.length;
  const fail = (partial: Partial<MbusFrame>): Decoded<MbusFrame> => ({ ok: false, raw: bytes, partial, issues, spans });

  if (n === 0) {
    issues.push({ code: 'truncated', severity: 'error', offset: 0, message: 'empty frame: 0 bytes' });
    return fail({});
  }
  const start = bytes[0];
  if (start === 0xe5) {
    if (n > 1) issues.push(trailing(1, n));
    if (explain) spans.push({ offset: 0, length: 1, label: 'ACK', text: 'E5 single character' });
    return done({ kind: 'ack', records: [] });
  }
  if (start === 0x10) {
    // Short frame: 10 C A CS 16 (§8.2)
    if (n < 5) {
      issues.push({ code: 'truncated', severity: 'error', offset: n, message: `short frame needs 5 bytes, got ${n}` });
      return fail({ kind: 'short' });
    }
    const f: MbusFrame = { kind: 'short', control: bytes[1], primaryAddress: bytes[2], records: [] };
    const cs = (bytes[1] + bytes[2]) & 0xff;
    if (cs !== bytes[3]) issues.push(checksum(3, bytes[3], cs));
    if (bytes[4] !== 0x16) issues.push(stopByte(4, bytes[4]));
    if (n > 5) issues.push(trailing(5, n));
    if (explain) {
      spans.push({ offset: 0, length: 1, label: 'start', text: '10 short frame' });
      spans.push({ offset: 1, length: 1, label: 'C', text: hex2(bytes[1]) });
      spans.push({ offset: 2, length: 1, label: 'A', text: `${bytes[2]}` });
      spans.push({ offset: 3, length: 1, label: 'checksum', text: hex2(bytes[3]) });
    }
    return done(f);
  }
  if (start !== 0x68) {
    issues.push({
      code: 'bad-frame',
      severity: 'error',
      offset: 0,
      message: `start byte ${hex2(start)}: expected 68 (long/control frame), 10 (short frame) or E5 (ACK)`
    });
    return fail({});
  }
  if (n < 6) {
    issues.push({ code: 'truncated', severity: 'error', offset: n, message: `long frame header needs 4 bytes and C A CI, got ${n}` });
    return fail({ kind: 'long' });
  }
  const l = bytes[1];
  if (bytes[2] !== l || bytes[3] !== 0x68) {
    issues.push({
      code: 'bad-frame',
      severity: 'error',
      offset: 1,
      message: `long frame header 68 ${hex2(l)} ${hex2(bytes[2])} ${hex2(bytes[3])}: expected 68 L L 68 with equal L`
    });
    return fail({ kind: 'long' });
  }
  const end = 4 + l; // CS position
  if (l < 3) {
    issues.push({ code: 'bad-frame', severity: 'error', offset: 1, message: `L = ${l}: a control or long frame has at least C A CI (3)` });
    return fail({ kind: 'long' });
  }
  if (n < end + 2) {
    issues.push({
      code: 'truncated',
      severity: 'error',
      offset: n,
      message: `L = ${l} announces ${end + 2} bytes with checksum and stop byte, got ${n}`
    });
  } else {
    const cs = sum(bytes, 4, end);
    if (cs !== bytes[end]) issues.push(checksum(end, bytes[end], cs));
    if (bytes[end + 1] !== 0x16) issues.push(stopByte(end + 1, bytes[end + 1]));
    if (n > end + 2) issues.push(trailing(end + 2, n));
  }
  const dataEnd = Math.min(end, n);
  const f: MbusFrame = {
    kind: l === 3 ? 'control' : 'long',
    control: bytes[4],
    primaryAddress: bytes[5],
    ci: bytes[6],
    records: []
  };
  if (explain) {
    spans.push({ offset: 0, length: 4, label: 'start', text: `68 L=${l} long frame` });
    spans.push({ offset: 4, length: 1, label: 'C', text: hex2(bytes[4]) });
    spans.push({ offset: 5, length: 1, label: 'A', text: `${bytes[5]}` });
    spans.push({ offset: 6, length: 1, label: 'CI', text: hex2(bytes[6]) });
    if (n >= end + 2) spans.push({ offset: end, length: 1, label: 'checksum', text: hex2(bytes[end]) });
  }
  if (issues.some((i) => i.severity === 'error')) return fail(f);
  let p = 7;
  const ci = f.ci!;
  if (ci === 0x72) {
    if (p + 12 > dataEnd) {
      issues.push({ code: 'truncated', severity: 'error', offset: dataEnd, message: `long transport header needs 12 bytes at 7, frame data ends at ${dataEnd}` });
      return fail(f);
    }
    f.address = {
      manufacturer: manufacturerName(bytes[p + 4] | (bytes[p + 5] << 8)),
      id: bcdId(bytes, p),
      version: bytes[p + 6],
      deviceType: bytes[p + 7]
    };
    if (explain) {
      spans.push({ offset: p, length: 4, label: 'ID', text: f.address.id });
      spans.push({ offset: p + 4, length: 2, label: 'M', text: f.address.manufacturer });
      spans.push({ offset: p + 6, length: 1, label: 'version', text: hex2(f.address.version) });
      spans.push({ offset: p + 7, length: 1, label: 'device type', text: hex2(f.address.deviceType) });
    }
    p += 8;
  } else if (ci === 0x7a) {
    if (p + 4 > dataEnd) {
      issues.push({ code: 'truncated', severity: 'error', offset: dataEnd, message: `short transport header needs 4 bytes at 7, frame data ends at ${dataEnd}` });
      return fail(f);
    }
  } else if (ci === 0x78) {
    // no transport header
  } else if (ci === 0x73) {
    return fixedFrame(bytes, f, dataEnd, issues, spans, explain) ? done(f) : fail(f);
  } else if (ci === 0x70) {
    issues.push({
      code: 'bad-frame',
      severity: 'error',
      offset: 6,
      message: `application error (CI 70)${p < dataEnd ? `: code ${hex2(bytes[p])} (${appError(bytes[p])})` : ''}`
    });
    return fail(f);
  } else {
    if (l === 3) return done(f); // control frame: C A CI only
    issues.push({ code: 'unknown-ci', severity: 'error', offset: 6, message: `CI ${hex2(ci)} is not a RSP_UD data frame (72, 7A or 78)` });
    return fail(f);
  }
  if (ci !== 0x78) {
    f.accessNumber = bytes[p];
    f.status = bytes[p + 1];
    f.config = bytes[p + 2] | (bytes[p + 3] << 8);
    if (explain) {
      spans.push({ offset: p, length: 1, label: 'access number', text: `${bytes[p]}` });
      spans.push({ offset: p + 1, length: 1, label: 'status', text: hex2(bytes[p + 1]) });
      spans.push({ offset: p + 2, length: 2, label: 'signature', text: hex2(bytes[p + 3]) + hex2(bytes[p + 2]) });
    }
    p += 4;
  }
  const r = decodeRecords(bytes, p, dataEnd, { spans: explain, manufacturer: f.address?.manufacturer });
  const mode = f.config === undefined ? 0 : (f.config >> 8) & 0x1f;
  if (mode !== 0) {
    // Many wired meters fill the "signature" with other things (FFFF, product codes) and send
    // plain records (libmbus ignores the field): accept data that reads as records.
    const plain = r.records.length > 0 && !r.issues.some((i) => i.severity === 'error');
    issues.push({
      code: 'unsupported-security',
      severity: plain ? 'warning' : 'error',
      offset: p - 2,
      message: plain
        ? `configuration ${hex2(f.config! >> 8)}${hex2(f.config! & 0xff)} says security mode ${mode}, but the data reads as plain records`
        : `wired frame with security mode ${mode} (configuration ${hex2(f.config! >> 8)}${hex2(f.config! & 0xff)}): decryption of wired frames is not supported yet`
    });
    if (!plain) return fail(f);
  }
  f.records = r.records;
  if (r.manufacturerData !== undefined) f.manufacturerData = r.manufacturerData;
  for (const i of r.issues) issues.push(i);
  if (explain) for (const s of r.spans) spans.push(s);
  return done(f);

  function done(v: MbusFrame): Decoded<MbusFrame> {
    if (issues.some((i) => i.severity === 'error')) return { ok: false, raw: bytes, partial: v, issues, spans };
    return { ok: true, raw: bytes, value: v, issues, spans };
  }
}

// Fixed data structure (CI 73; EN 13757-3 annex, as libmbus reads it): ID(4 BCD) ACC STS
// U1 U2 counter1(4) counter2(4). Medium = top two bits of U1 (low) and U2 (high); the low six
// bits are a unit code. STS bit 7: counters binary (1) or BCD (0).

/** Unit code → [unit, factor] in the contract's units; '' for codes without a unit. */
const FIXED_UNITS: Record<number, [string, number, string]> = {};
{
  const put = (code: number, unit: string, factor: number, quantity: string): void => {
    FIXED_UNITS[code] = [unit, factor, quantity];
  };
  const decades = (first: number, unit: string, base: number, quantity: string): void => {
    put(first, unit, base, quantity);
    put(first + 1, unit, base * 10, quantity);
    put(first + 2, unit, base * 100, quantity);
  };
  decades(0x02, 'Wh', 1, 'energy');
  decades(0x05, 'kWh', 1, 'energy');
  decades(0x08, 'MWh', 1, 'energy');
  decades(0x0b, 'J', 1e3, 'energy');
  decades(0x0e, 'J', 1e6, 'energy');
  decades(0x11, 'GJ', 1, 'energy');
  decades(0x14, 'W', 1, 'power');
  decades(0x17, 'kW', 1, 'power');
  decades(0x1a, 'kW', 1e3, 'power');
  decades(0x1d, 'kJ/h', 1, 'power');
  decades(0x20, 'MJ/h', 1, 'power');
  decades(0x23, 'GJ/h', 1, 'power');
  decades(0x26, 'l', 1e-3, 'volume');
  decades(0x29, 'l', 1, 'volume');
  decades(0x2c, 'm3', 1, 'volume');
  decades(0x2f, 'l/h', 1e-3, 'volume flow');
  decades(0x32, 'l/h', 1, 'volume flow');
  decades(0x35, 'm3/h', 1, 'volume flow');
  put(0x38, '°C', 1e-3, 'temperature');
  put(0x39, '', 1, 'HCA units');
}

function scaled(v: number, factor: number): number {
  return factor < 1 ? v / Math.round(1 / factor) : v * factor;
}

function fixedFrame(b: Uint8Array, f: MbusFrame, end: number, issues: Issue[], spans: Span[], explain: boolean): boolean {
  const p = 7;
  if (p + 16 > end) {
    issues.push({ code: 'truncated', severity: 'error', offset: end, message: `fixed data structure needs 16 bytes at 7, frame data ends at ${end}` });
    return false;
  }
  const sts = b[p + 5];
  const u1 = b[p + 6];
  const u2 = b[p + 7];
  f.fixed = { id: bcdId(b, p), medium: ((u1 & 0xc0) >> 6) | ((u2 & 0xc0) >> 4) };
  f.accessNumber = b[p + 4];
  f.status = sts;
  const binary = (sts & 0x80) !== 0;
  const counter = (at: number): number => {
    if (binary) return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
    let v = 0;
    for (let i = at + 3; i >= at; i--) {
      const hi = b[i] >> 4;
      const lo = b[i] & 15;
      if (hi > 9 || lo > 9) return NaN;
      v = v * 100 + hi * 10 + lo;
    }
    return v;
  };
  const unit1 = FIXED_UNITS[u1 & 0x3f];
  const code2 = u2 & 0x3f;
  const historic = code2 === 0x3e; // "same unit, historic value"
  const unit2 = historic ? unit1 : FIXED_UNITS[code2];
  const make = (at: number, u: [string, number, string] | undefined, storage: number): DataRecord => {
    const raw = counter(at);
    return {
      value: u === undefined ? raw : scaled(raw, u[1]),
      unit: u === undefined ? '' : u[0],
      quantity: u === undefined ? 'counter' : u[2],
      storage,
      tariff: 0,
      subunit: 0,
      function: 'instantaneous',
      difvif: '',
      offset: at,
      length: 4
    };
  };
  f.records = [make(p + 8, unit1, 0), make(p + 12, unit2, historic ? 1 : 0)];
  if (explain) {
    spans.push({ offset: p, length: 4, label: 'ID', text: f.fixed.id });
    spans.push({ offset: p + 4, length: 1, label: 'access number', text: `${b[p + 4]}` });
    spans.push({ offset: p + 5, length: 1, label: 'status', text: `${hex2(sts)}${binary ? ' binary counters' : ' BCD counters'}` });
    spans.push({ offset: p + 6, length: 2, label: 'medium/units', text: `medium ${f.fixed.medium}` });
    spans.push({ offset: p + 8, length: 4, label: 'counter 1', text: `${f.records[0].value} ${f.records[0].unit}` });
    spans.push({ offset: p + 12, length: 4, label: 'counter 2', text: `${f.records[1].value} ${f.records[1].unit}` });
  }
  if (p + 16 < end) issues.push(trailing(p + 16, end));
  return true;
}

/** Application error codes of CI 70 (EN 13757-3). */
function appError(code: number): string {
  switch (code) {
    case 0:
      return 'unspecified error';
    case 1:
      return 'unimplemented CI';
    case 2:
      return 'buffer too long, truncated';
    case 3:
      return 'too many records';
    case 4:
      return 'premature end of record';
    case 5:
      return 'more than 10 DIFEs';
    case 6:
      return 'more than 10 VIFEs';
    case 8:
      return 'application busy';
    case 9:
      return 'too many readouts';
    default:
      return 'reserved';
  }
}

function checksum(at: number, want: number, got: number): Issue {
  return { code: 'bad-checksum', severity: 'error', offset: at, message: `checksum ${hex2(want)}, computed ${hex2(got)}` };
}

function stopByte(at: number, b: number): Issue {
  return { code: 'bad-frame', severity: 'error', offset: at, message: `stop byte ${hex2(b)} at ${at}, expected 16` };
}

function trailing(at: number, n: number): Issue {
  return { code: 'trailing-bytes', severity: 'warning', offset: at, message: `${n - at} byte(s) after the end of the frame at ${at} (got ${n})` };
}
