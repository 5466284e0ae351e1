// EN 13757-3 data records: DIF [DIFE…] VIF [VIFE…] DATA → DataRecord (protocols.md §3).
// The one record decoder that wireless M-Bus, wired M-Bus and KMP reuse. Never throws on
// bad bytes: what runs past `end` or cannot be read becomes an Issue, and the records
// decoded before it are kept (style.md §3).
//
// Hot path: one pass, table lookups by code (vif-table.ts), no regexes, no per-record
// allocations beyond the record (and its span unless `spans: false`).

import type { Issue, Span } from '../model/decoded.js';
import type { DataRecord, RecordFunction } from '../model/record.js';
import { decodeDateG, decodeDateTimeF, decodeDateTimeI, decodeTimeJ, type DateTimeText } from './dates.js';
import {
  FB_VIF,
  FD_VIF,
  ORTHOGONAL_EXTENSION,
  ORTHOGONAL_VIFE,
  PRIMARY_VIF,
  type VifEntry,
  type VifKind,
} from './vif-table.js';
import { vendorVifs } from './vendor-vifs.js';

export interface ManufacturerData {
  /** Offset of the first byte after the 0F/1F DIF. */
  offset: number;
  bytes: Uint8Array;
  /** DIF 1F: the meter has more records for the next request (§3.3, §8.7). */
  moreRecordsFollow: boolean;
}

export interface RecordsResult {
  records: DataRecord[];
  issues: Issue[];
  spans: Span[];
  manufacturerData?: ManufacturerData;
}

export interface DecodeRecordsOptions {
  /** Build a Span per record (default true). The pipeline may turn it off for speed. */
  spans?: boolean;
  /**
   * Three-letter code of the manufacturer whose meter wrote the records (TPL long header, else
   * DLL): selects its table of manufacturer-specific VIFs (vendor-vifs.ts).
   */
  manufacturer?: string;
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => (b < 16 ? '0' : '') + b.toString(16).toUpperCase());

const FUNCTIONS: readonly RecordFunction[] = ['instantaneous', 'maximum', 'minimum', 'error'];

/** Data bytes per DIF data field code (§3.2); -1 = variable (D) or special (F). */
const DATA_LENGTH: readonly number[] = [0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, -1, 6, -1];

const POW10: readonly number[] = Array.from({ length: 40 }, (_, i) => Number(`1e${i}`));
const POW2: readonly number[] = Array.from({ length: 64 }, (_, i) => 2 ** i);
const MAX_EXTENSIONS = 10; // §3.1: at most 10 DIFE and 10 VIFE

/** raw × 10^exp, correctly rounded for negative exponents (divide, do not multiply by 0.01). */
function pow10(raw: number, exp: number): number {
  return exp >= 0 ? raw * POW10[exp] : raw / POW10[-exp];
}

function scale(raw: number, e: VifEntry, extraExp: number): number {
  let v = pow10(e.mul === 1 ? raw : raw * e.mul, e.exp + extraExp);
  if (e.div !== 1) v /= e.div;
  return v;
}

/** Little-endian two's complement (or unsigned) integer of 1..8 bytes (§3.2). */
function readInt(buf: Uint8Array, p: number, len: number, signed: boolean): number {
  switch (len) {
    case 1:
      return signed ? (buf[p] << 24) >> 24 : buf[p];
    case 2: {
      const v = buf[p] | (buf[p + 1] << 8);
      return signed ? (v << 16) >> 16 : v;
    }
    case 3: {
      const v = buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16);
      return signed ? (v << 8) >> 8 : v;
    }
    case 4: {
      const v = buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24);
      return signed ? v : v >>> 0;
    }
    default: {
      // 6 or 8 bytes (or LVAR binary up to 8): low 32 bits unsigned + high part × 2^32
      const lo = (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
      let hi = 0;
      for (let i = len - 1; i >= 4; i--) hi = hi * 256 + buf[p + i];
      if (signed && buf[p + len - 1] & 0x80) hi -= POW2[8 * (len - 4)];
      return hi * 4294967296 + lo;
    }
  }
}

/**
 * BCD, least significant byte first (§3.2). A high nibble F in the most significant byte
 * marks a negative value (EN 13757-3 convention). NaN when another nibble is A–F.
 */
function readBcd(buf: Uint8Array, p: number, len: number, negative: boolean): number {
  let v = 0;
  let sign = negative ? -1 : 1;
  for (let i = len - 1; i >= 0; i--) {
    const b = buf[p + i];
    let hi = b >> 4;
    const lo = b & 0x0f;
    if (i === len - 1 && hi === 0x0f) {
      sign = -sign;
      hi = 0;
    }
    if (hi > 9 || lo > 9) return NaN;
    v = v * 100 + hi * 10 + lo;
  }
  return sign * v;
}

/** Digits of a BCD field most significant first, as sent (leading zeros kept; A–F as hex). */
function bcdDigits(buf: Uint8Array, p: number, len: number): string {
  let s = '';
  for (let i = len - 1; i >= 0; i--) s += HEX[buf[p + i]];
  return s;
}

function hexBytes(buf: Uint8Array, p: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += HEX[buf[p + i]];
  return s;
}

/** Hex of a binary number, most significant byte first (LVAR E0–F6, like a number). */
function hexNumber(buf: Uint8Array, p: number, len: number): string {
  return bcdDigits(buf, p, len);
}

/**
 * LVAR 00–BF text is sent last character first (§3.4). Bytes that are not printable ASCII
 * (keys, binary blobs sent as "text") are returned as hex in transmission order instead.
 */
function lvarText(buf: Uint8Array, p: number, len: number): string {
  for (let i = 0; i < len; i++) {
    const c = buf[p + i];
    if (c < 0x20 || c > 0x7e) return hexBytes(buf, p, len);
  }
  return reversedAscii(buf, p, len);
}

function reversedAscii(buf: Uint8Array, p: number, len: number): string {
  let s = '';
  for (let i = len - 1; i >= 0; i--) s += String.fromCharCode(buf[p + i]);
  return s;
}

/** Data bytes after an LVAR byte (§3.4); -1 for the reserved F7–FF. */
function lvarLength(lvar: number): number {
  if (lvar <= 0xbf) return lvar; // ASCII text
  if (lvar <= 0xcf) return lvar - 0xc0; // positive BCD, 2 digits per byte
  if (lvar <= 0xdf) return lvar - 0xd0; // negative BCD
  if (lvar <= 0xef) return lvar - 0xe0; // binary number
  if (lvar <= 0xf4) return (lvar - 0xec) * 4; // binary, 16..32 bytes
  if (lvar === 0xf5) return 48;
  if (lvar === 0xf6) return 64;
  return -1;
}

function dateFromBytes(buf: Uint8Array, p: number, len: number): DateTimeText | undefined {
  switch (len) {
    case 2:
      return decodeDateG(buf[p], buf[p + 1]);
    case 3:
      return decodeTimeJ(buf[p], buf[p + 1], buf[p + 2]);
    case 4:
      return decodeDateTimeF(buf[p], buf[p + 1], buf[p + 2], buf[p + 3]);
    case 6:
      return decodeDateTimeI(buf[p], buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4]);
    default:
      return undefined;
  }
}

function dateUnit(len: number): string {
  return len === 2 ? 'date' : len === 3 ? 'time' : 'datetime';
}

function truncated(issues: Issue[], at: number, what: string, need: number, end: number): void {
  issues.push({
    code: 'truncated',
    severity: 'error',
    offset: at,
    message: `record at ${at}: ${what} needs ${need} byte(s) but the record area ends at ${end}`,
  });
}

/**
 * Decodes the records in `buf[start..end)`. Records stay in frame order; the
 * manufacturer-specific tail after DIF 0F/1F is returned apart, not as a record.
 */
export function decodeRecords(
  buf: Uint8Array,
  start = 0,
  end = buf.length,
  options?: DecodeRecordsOptions,
): RecordsResult {
  const records: DataRecord[] = [];
  const issues: Issue[] = [];
  const spans: Span[] = [];
  const withSpans = options?.spans !== false;
  const vendor = vendorVifs(options?.manufacturer);
  let manufacturerData: ManufacturerData | undefined;
  if (start < 0) start = 0;
  if (end > buf.length) {
    truncated(issues, buf.length, 'the record area', end - buf.length, buf.length);
    end = buf.length;
  }

  let p = start;
  records: while (p < end) {
    const at = p;
    const dif = buf[p++];

    // §3.3 special DIFs
    if ((dif & 0x0f) === 0x0f) {
      if (dif === 0x2f) {
        // idle filler: one span for the whole run
        while (p < end && buf[p] === 0x2f) p++;
        if (withSpans) spans.push({ offset: at, length: p - at, label: '2F filler', text: `${p - at} byte(s)` });
        continue;
      }
      if (dif === 0x0f || dif === 0x1f) {
        manufacturerData = { offset: p, bytes: buf.subarray(p, end), moreRecordsFollow: dif === 0x1f };
        if (withSpans) {
          const label = dif === 0x1f ? '1F more records follow' : '0F manufacturer data';
          spans.push({ offset: at, length: end - at, label, text: `${end - p} byte(s)` });
        }
        break;
      }
      if (dif === 0x7f || dif === 0x3f) {
        // global readout request: master → meter only, carries nothing
        if (withSpans) spans.push({ offset: at, length: 1, label: `${HEX[dif]} global readout`, text: '' });
        continue;
      }
      issues.push({
        code: 'unknown-dif',
        severity: 'error',
        offset: at,
        message: `record at ${at}: reserved special DIF ${HEX[dif]}, record length unknown; ${end - at} byte(s) left undecoded`,
      });
      break;
    }

    // §3.1 DIF and DIFE chain
    let difvif = HEX[dif];
    let storage = (dif >> 6) & 1;
    let tariff = 0;
    let subunit = 0;
    let more = dif & 0x80;
    for (let n = 0; more; n++) {
      if (p >= end) {
        truncated(issues, at, `DIFE ${n + 1}`, 1, end);
        break records;
      }
      if (n === MAX_EXTENSIONS) {
        issues.push({
          code: 'unknown-dif',
          severity: 'error',
          offset: p,
          message: `record at ${at}: more than ${MAX_EXTENSIONS} DIFE`,
        });
        break records;
      }
      const d = buf[p++];
      difvif += HEX[d];
      storage += (d & 0x0f) * POW2[1 + 4 * n];
      tariff += ((d >> 4) & 0x03) * POW2[2 * n];
      subunit += ((d >> 6) & 0x01) << n;
      more = d & 0x80;
    }

    // §3.5 VIF
    if (p >= end) {
      truncated(issues, at, 'VIF', 1, end);
      break;
    }
    const vif = buf[p++];
    difvif += HEX[vif];
    more = vif & 0x80;
    const vifCode = vif & 0x7f;
    let entry: VifEntry;
    let unitText = '';
    let vifeCount = 0;
    if (vifCode === 0x7b || vifCode === 0x7d) {
      // FB / FD: the first VIFE selects the entry of the extension table (§3.6)
      if (!more) {
        entry = PRIMARY_VIF[vifCode]; // table selector without its VIFE: reserved ("reserved VIF 7B")
      } else {
        if (p >= end) {
          truncated(issues, at, 'extension VIFE', 1, end);
          break;
        }
        const e = buf[p++];
        vifeCount++;
        difvif += HEX[e];
        more = e & 0x80;
        entry = (vifCode === 0x7b ? FB_VIF : FD_VIF)[e & 0x7f];
      }
    } else {
      entry = PRIMARY_VIF[vifCode];
      if (vifCode === 0x7c) {
        // plain-text VIF: length byte, then the unit text, last character first
        if (p >= end) {
          truncated(issues, at, 'plain-text VIF length', 1, end);
          break;
        }
        const n = buf[p++];
        if (p + n > end) {
          truncated(issues, at, 'plain-text VIF', n, end);
          break;
        }
        unitText = reversedAscii(buf, p, n);
        p += n;
      }
    }
    let manufacturerVife = vifCode === 0x7f;
    if (manufacturerVife && vendor !== undefined && more && p < end && (buf[p] & 0x80) === 0) {
      // VIF FF + one VIFE the manufacturer documents (vendor-vifs.ts)
      const v = vendor.get(buf[p]);
      if (v !== undefined) {
        entry = v;
        difvif += HEX[buf[p++]];
        vifeCount++;
        more = 0;
        manufacturerVife = false;
      }
    }
    if (!entry.known) {
      issues.push({
        code: 'unknown-vif',
        severity: 'warning',
        offset: at,
        message: `record at ${at}: ${entry.quantity} (${difvif}) is not in the tables; raw value kept`,
      });
    }

    // §3.6 orthogonal VIFEs
    let tags: string[] | undefined;
    let quantity = entry.kind === 'text' ? unitText : entry.quantity;
    let unit = entry.kind === 'text' ? unitText : entry.unit;
    let kind: VifKind = entry.kind;
    let corrExp = 0;
    let addExp = NaN;
    let durationMul = 0; // > 0: a VIFE turned the value into a duration or count
    let profile = false; // a compact profile (EN 13757-3:2018 Annex F) in the LVAR data
    while (more) {
      if (p >= end) {
        truncated(issues, at, 'VIFE', 1, end);
        break records;
      }
      if (vifeCount === MAX_EXTENSIONS) {
        issues.push({
          code: 'unknown-vif',
          severity: 'error',
          offset: p,
          message: `record at ${at}: more than ${MAX_EXTENSIONS} VIFE`,
        });
        break records;
      }
      const b = buf[p++];
      vifeCount++;
      difvif += HEX[b];
      more = b & 0x80;
      if (manufacturerVife) {
        (tags ??= []).push(`manufacturer ${HEX[b & 0x7f]}`);
        continue;
      }
      const o = ORTHOGONAL_VIFE[b & 0x7f];
      switch (o.action) {
        case 'multiply':
          corrExp += o.exp;
          (tags ??= []).push(o.tag);
          break;
        case 'add':
          addExp = o.exp;
          (tags ??= []).push(o.tag);
          break;
        case 'per':
          unit += o.unit;
          quantity += ' ' + o.tag;
          (tags ??= []).push(o.tag);
          break;
        case 'date':
          kind = 'date';
          quantity += ' ' + o.tag;
          (tags ??= []).push(o.tag);
          break;
        case 'duration':
          durationMul = o.mul;
          unit = o.unit;
          quantity += ' ' + o.tag;
          (tags ??= []).push(o.tag);
          break;
        case 'count':
          durationMul = 1;
          unit = '';
          quantity += ' ' + o.tag;
          (tags ??= []).push(o.tag);
          break;
        case 'extension': {
          if (!more) break;
          if (p >= end) {
            truncated(issues, at, 'VIFE', 1, end);
            break records;
          }
          const x = buf[p++];
          vifeCount++;
          difvif += HEX[x];
          more = x & 0x80;
          const tag = ORTHOGONAL_EXTENSION[x & 0x7f];
          quantity += ' ' + tag;
          (tags ??= []).push(tag);
          break;
        }
        case 'manufacturer':
          manufacturerVife = true;
          break;
        case 'profile':
          profile = true;
          quantity += ' ' + o.tag;
          (tags ??= []).push(o.tag);
          break;
        case 'unknown':
          issues.push({
            code: 'unknown-vif',
            severity: 'warning',
            offset: p - 1,
            message: `record at ${at}: reserved orthogonal VIFE ${HEX[b]}`,
          });
          quantity += ' ' + o.tag;
          (tags ??= []).push(o.tag);
          break;
        default:
          quantity += ' ' + o.tag;
          (tags ??= []).push(o.tag);
      }
    }

    // §3.2 / §3.4 data
    const code = dif & 0x0f;
    let len = DATA_LENGTH[code];
    let value: number | string;
    let raw: number | undefined; // the number as sent, before VIF scaling
    if (code === 0x0d) {
      if (p >= end) {
        truncated(issues, at, 'LVAR', 1, end);
        break;
      }
      const lvar = buf[p++];
      len = lvarLength(lvar);
      if (len < 0) {
        issues.push({
          code: 'unknown-dif',
          severity: 'error',
          offset: p - 1,
          message: `record at ${at}: reserved LVAR ${HEX[lvar]}, data length unknown`,
        });
        break;
      }
      if (p + len > end) {
        truncated(issues, at, `LVAR ${HEX[lvar]} data`, len, end);
        break;
      }
      if (lvar <= 0xbf) {
        value = lvarText(buf, p, len);
      } else if (lvar <= 0xdf) {
        const v = readBcd(buf, p, len, lvar >= 0xd0);
        if (v === v) raw = v;
        value =
          Number.isNaN(v) || kind === 'digits'
            ? bcdDigits(buf, p, len)
            : scaleValue(v, entry, kind, corrExp, addExp, durationMul);
      } else if (len <= 6 && len > 0) {
        raw = readInt(buf, p, len, kind !== 'flags' && kind !== 'digits');
        value = scaleValue(raw, entry, kind, corrExp, addExp, durationMul);
      } else {
        value = hexNumber(buf, p, len);
      }
    } else {
      if (p + len > end) {
        truncated(issues, at, `data field ${HEX[dif]}`, len, end);
        break;
      }
      if (len === 0) {
        value = ''; // no data (0) or selection for readout (8)
      } else if (kind === 'date' && code < 8 && code !== 5 && durationMul === 0) {
        const d = dateFromBytes(buf, p, len);
        if (d === undefined) {
          value = readInt(buf, p, len, false);
          unit = '';
        } else {
          // an invalid date keeps its digits but is no longer a date string: "invalid 2000-00-00"
          value = d.valid ? d.text : `invalid ${d.text}`;
          unit = dateUnit(len);
          if (!d.valid) {
            issues.push({
              code: 'bad-value',
              severity: 'warning',
              offset: p,
              message: `record at ${at}: invalid or unset ${unit} ${d.text} (bytes ${hexBytes(buf, p, len)})`,
            });
          }
        }
      } else if (code === 0x05) {
        // IEEE-754 binary32, little-endian
        const f = float32((buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0);
        if (Number.isFinite(f)) {
          value = scaleValue(f, entry, kind, corrExp, addExp, durationMul);
        } else {
          value = hexBytes(buf, p, len);
          issues.push({
            code: 'bad-value',
            severity: 'warning',
            offset: p,
            message: `record at ${at}: float32 ${value} is not a finite number; kept as hex`,
          });
        }
      } else if (code < 8) {
        raw = readInt(buf, p, len, kind !== 'flags' && kind !== 'digits');
        value = scaleValue(raw, entry, kind, corrExp, addExp, durationMul);
      } else {
        const v = readBcd(buf, p, len, false);
        if (v === v) raw = v;
        if (kind === 'digits' || (kind === 'flags' && !Number.isNaN(v))) {
          value = kind === 'digits' ? bcdDigits(buf, p, len) : v;
        } else if (Number.isNaN(v)) {
          value = bcdDigits(buf, p, len);
          issues.push({
            code: 'bad-value',
            severity: 'warning',
            offset: p,
            message: `record at ${at}: BCD ${value} has non-decimal digits; kept as text`,
          });
        } else {
          value = scaleValue(v, entry, kind, corrExp, addExp, durationMul);
        }
      }
    }
    p += len;
    if (kind === 'date' && typeof value === 'number' && durationMul === 0) unit = '';

    const record: DataRecord = {
      value,
      unit,
      quantity,
      storage,
      tariff,
      subunit,
      function: FUNCTIONS[(dif >> 4) & 0x03],
      difvif,
      offset: at,
      length: p - at,
      vife: tags,
      raw,
    };
    records.push(record);
    if (profile && code === 0x0d && len > 2) {
      pushProfile(records, record, buf, p - len, len, entry, kind, corrExp, addExp);
    }
    if (withSpans) {
      spans.push({
        offset: at,
        length: p - at,
        label: `${difvif} ${quantity}`,
        text: unit === '' || unit === 'date' || unit === 'datetime' || unit === 'time' ? String(value) : `${value} ${unit}`,
      });
    }
  }

  return manufacturerData ? { records, issues, spans, manufacturerData } : { records, issues, spans };
}

const PROFILE_MODE = ['', ' increment', ' decrement', ' difference'];

/**
 * The elements of a compact profile (EN 13757-3:2018 Annex F) as records after their parent:
 * byte 0 is the spacing control (bits 7–6 increment mode: absolute, increments, decrements,
 * signed differences; bits 5–4 spacing unit; bits 3–0 the element's data field code as in a
 * DIF), byte 1 the spacing value, then the elements. Element k gets storage parent + 1 + k;
 * elements that are not valid numbers (BCD FF…, "no value") are skipped.
 */
function pushProfile(
  records: DataRecord[],
  parent: DataRecord,
  buf: Uint8Array,
  p: number,
  len: number,
  entry: VifEntry,
  kind: VifKind,
  corrExp: number,
  addExp: number,
): void {
  const control = buf[p];
  const code = control & 0x0f;
  const size = DATA_LENGTH[code];
  if (size < 1 || size > 4 || code === 5) return;
  const mode = control >> 6;
  const quantity = parent.quantity + PROFILE_MODE[mode];
  for (let at = p + 2, k = 0; at + size <= p + len; at += size, k++) {
    const raw = code >= 8 ? readBcd(buf, at, size, false) : readInt(buf, at, size, mode === 3);
    if (Number.isNaN(raw)) continue;
    records.push({
      value: scaleValue(raw, entry, kind, corrExp, addExp, 0),
      unit: parent.unit,
      quantity,
      storage: parent.storage + 1 + k,
      tariff: parent.tariff,
      subunit: parent.subunit,
      function: parent.function,
      difvif: parent.difvif,
      offset: parent.offset,
      length: parent.length,
      vife: parent.vife,
      raw,
    });
  }
}

/** Numeric value: VIF scale, then correction VIFEs (§3.6: ×10^(n−6), + 10^(n−3) VIF units). */
function scaleValue(
  raw: number,
  entry: VifEntry,
  kind: VifKind,
  corrExp: number,
  addExp: number,
  durationMul: number,
): number {
  if (durationMul > 0) return raw * durationMul;
  if (kind === 'flags' || kind === 'digits' || kind === 'date') return raw;
  let v = corrExp === 0 ? raw : pow10(raw, corrExp);
  if (addExp === addExp) v += pow10(1, addExp); // not NaN: an additive VIFE was present
  if (kind === 'text') return v;
  v = scale(v, entry, 0);
  if (kind === 'fahrenheit') v = entry.unit === 'K' ? (v * 5) / 9 : ((v - 32) * 5) / 9;
  return v;
}

/** IEEE-754 binary32 from its bit pattern, without a typed-array scratch buffer. */
function float32(bits: number): number {
  const sign = bits >>> 31 ? -1 : 1;
  const e = (bits >>> 23) & 0xff;
  const m = bits & 0x7fffff;
  if (e === 0xff) return m ? NaN : sign * Infinity;
  if (e === 0) return sign * m * 2 ** -149;
  return sign * (m + 0x800000) * 2 ** (e - 150);
}
