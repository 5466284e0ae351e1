// The inverse of records.ts: record specs → EN 13757-3 record bytes (protocols.md §3.1–3.4,
// §3.7), for our telegram encoder and the meter simulator. Misuse (a value that does not
// fit its field) throws RangeError/TypeError with the numbers (style.md §3, kind 2).

import type { RecordFunction } from '../model/record.js';
import { encodeDateG, encodeDateTimeF, encodeDateTimeI, encodeTimeJ } from './dates.js';

/** DIF data field types (§3.2) by name. */
export type DataType =
  | 'none'
  | 'int8'
  | 'int16'
  | 'int24'
  | 'int32'
  | 'real32'
  | 'int48'
  | 'int64'
  | 'bcd2'
  | 'bcd4'
  | 'bcd6'
  | 'bcd8'
  | 'bcd12'
  | 'variable';

const DATA_CODE: Record<DataType, number> = {
  none: 0x0,
  int8: 0x1,
  int16: 0x2,
  int24: 0x3,
  int32: 0x4,
  real32: 0x5,
  int48: 0x6,
  int64: 0x7,
  bcd2: 0x9,
  bcd4: 0xa,
  bcd6: 0xb,
  bcd8: 0xc,
  bcd12: 0xe,
  variable: 0xd,
};

const FUNCTION_BITS: Record<RecordFunction, number> = { instantaneous: 0, maximum: 1, minimum: 2, error: 3 };

/** VIF (+VIFE) bytes for the quantities the simulator uses most, by name. */
export const NAMED_VIFS = {
  'energy Wh': [0x03],
  'energy 10 Wh': [0x04],
  'energy kWh': [0x06],
  'energy MJ': [0x0e],
  'energy 10 MJ': [0x0f],
  'energy 0.1 MWh': [0xfb, 0x00],
  'energy kWh backward': [0x86, 0x3c],
  'volume l': [0x13],
  'volume 10 l': [0x14],
  'volume m3': [0x16],
  'power W': [0x2b],
  'power 0.1 kW': [0x2d],
  'power kW': [0x2e],
  'volume flow l/h': [0x3b],
  'volume flow 10 l/h': [0x3c],
  'flow temperature 0.01 °C': [0x59],
  'return temperature 0.01 °C': [0x5d],
  'temperature difference 0.01 K': [0x61],
  'external temperature 0.01 °C': [0x65],
  'on time h': [0x22],
  'operating time h': [0x26],
  date: [0x6c],
  datetime: [0x6d],
  HCA: [0x6e],
  'fabrication number': [0x78],
  'error flags': [0xfd, 0x17],
  'access number': [0xfd, 0x08],
  'firmware version': [0xfd, 0x0e],
  'voltage V': [0xfd, 0x49],
  'current mA': [0xfd, 0x59],
} as const satisfies Record<string, readonly number[]>;

export type NamedVif = keyof typeof NAMED_VIFS;

export interface RecordSpec {
  type: DataType;
  function?: RecordFunction;
  storage?: number;
  tariff?: number;
  subunit?: number;
  /** VIF and VIFE bytes exactly as sent, extension bits included: [0xFD, 0x17]. */
  vif?: readonly number[];
  /** Or a named VIF (ignored when `vif` is given). */
  quantity?: NamedVif;
  /**
   * Raw value, before any VIF scaling: an integer (number or bigint) for intN, the decimal
   * number for bcdN (negative allowed), a float for real32, a date text for int16 (type G
   * "2019-10-31"), int24 (J "13:45:10"), int32 (F "2024-01-15T11:46") and int48 (I, with
   * seconds), ASCII text or bytes for variable.
   */
  value?: number | bigint | string | Uint8Array;
}

export interface EncodeRecordsOptions {
  /** Manufacturer-specific tail after DIF 0F (or 1F when `moreRecordsFollow`). */
  manufacturerData?: Uint8Array;
  moreRecordsFollow?: boolean;
}

function nonNegativeInt(name: string, v: number | undefined, max: number): number {
  const n = v ?? 0;
  if (!Number.isSafeInteger(n) || n < 0 || n > max) throw new RangeError(`${name}: expected 0..${max}, got ${v}`);
  return n;
}

function header(spec: RecordSpec, out: number[]): void {
  const storage = nonNegativeInt('storage', spec.storage, 2 ** 41 - 1);
  const tariff = nonNegativeInt('tariff', spec.tariff, 2 ** 20 - 1);
  const subunit = nonNegativeInt('subunit', spec.subunit, 2 ** 10 - 1);
  const fn = FUNCTION_BITS[spec.function ?? 'instantaneous'];
  if (fn === undefined) throw new RangeError(`function: unknown "${spec.function}"`);
  const code = DATA_CODE[spec.type];
  if (code === undefined) throw new RangeError(`type: unknown "${spec.type}"`);
  // §3.1: storage bit 0 in the DIF, then 4 storage, 2 tariff, 1 subunit bit per DIFE
  const dife: number[] = [];
  let s = Math.floor(storage / 2);
  let t = tariff;
  let u = subunit;
  while (s > 0 || t > 0 || u > 0) {
    dife.push((s % 16) | ((t & 3) << 4) | ((u & 1) << 6));
    s = Math.floor(s / 16);
    t >>= 2;
    u >>= 1;
  }
  out.push(code | (fn << 4) | ((storage & 1) << 6) | (dife.length ? 0x80 : 0));
  for (let i = 0; i < dife.length; i++) out.push(dife[i] | (i < dife.length - 1 ? 0x80 : 0));
  const vif = spec.vif ?? (spec.quantity !== undefined ? NAMED_VIFS[spec.quantity] : undefined);
  if (!vif || vif.length === 0) throw new TypeError('record spec: expected `vif` bytes or a `quantity` name');
  for (const b of vif) {
    if (!Number.isInteger(b) || b < 0 || b > 255) throw new RangeError(`vif: expected bytes 0..255, got ${b}`);
    out.push(b);
  }
}

function writeInt(value: number | bigint, bytes: number, out: number[]): void {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new RangeError(`value: expected an integer for ${bytes * 8}-bit data, got ${value}`);
  }
  let v = BigInt(value);
  const bits = BigInt(bytes * 8);
  const min = -(1n << (bits - 1n));
  const max = (1n << bits) - 1n; // signed or unsigned readings both fit
  if (v < min || v > max) throw new RangeError(`value: ${value} does not fit ${bytes * 8} bits`);
  if (v < 0n) v += 1n << bits;
  for (let i = 0; i < bytes; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
}

function writeBcd(value: number, bytes: number, out: number[]): void {
  const digits = bytes * 2;
  if (!Number.isSafeInteger(value)) throw new RangeError(`value: expected an integer for ${digits}-digit BCD, got ${value}`);
  const negative = value < 0;
  let v = Math.abs(value);
  // a negative value gives up its most significant digit to the F sign nibble (§3.2)
  const room = negative ? digits - 1 : digits;
  if (v >= 10 ** room) throw new RangeError(`value: ${value} does not fit ${digits}-digit BCD`);
  for (let i = 0; i < bytes; i++) {
    const lo = v % 10;
    const hi = Math.floor(v / 10) % 10;
    v = Math.floor(v / 100);
    out.push(lo | ((negative && i === bytes - 1 ? 0xf : hi) << 4));
  }
}

function writeDate(type: DataType, text: string, out: number[]): void {
  switch (type) {
    case 'int16':
      out.push(...encodeDateG(text));
      return;
    case 'int24':
      out.push(...encodeTimeJ(text));
      return;
    case 'int32':
      out.push(...encodeDateTimeF(text));
      return;
    case 'int48':
      out.push(...encodeDateTimeI(text));
      return;
    default:
      throw new RangeError(`value: a date text needs int16, int24, int32 or int48, got ${type}`);
  }
}

function writeVariable(value: RecordSpec['value'], out: number[]): void {
  if (typeof value === 'string') {
    // §3.4 LVAR 00–BF: ASCII, last character first
    if (value.length > 0xbf) throw new RangeError(`value: text of ${value.length} characters, at most 191`);
    out.push(value.length);
    for (let i = value.length - 1; i >= 0; i--) {
      const c = value.charCodeAt(i);
      if (c > 0x7f) throw new RangeError(`value: character ${i} of "${value}" is not ASCII`);
      out.push(c);
    }
    return;
  }
  if (value instanceof Uint8Array) {
    // §3.4 LVAR E0–EF: binary number of LVAR−E0 bytes, least significant first
    if (value.length > 15) throw new RangeError(`value: ${value.length} binary bytes, at most 15`);
    out.push(0xe0 + value.length, ...value);
    return;
  }
  throw new TypeError(`value: variable-length data needs a string or Uint8Array, got ${typeof value}`);
}

const INT_BYTES: Partial<Record<DataType, number>> = { int8: 1, int16: 2, int24: 3, int32: 4, int48: 6, int64: 8 };
const BCD_BYTES: Partial<Record<DataType, number>> = { bcd2: 1, bcd4: 2, bcd6: 3, bcd8: 4, bcd12: 6 };

/** Encodes the records in order, then the optional manufacturer-specific tail. */
export function encodeRecords(specs: readonly RecordSpec[], options?: EncodeRecordsOptions): Uint8Array {
  const out: number[] = [];
  for (const spec of specs) {
    header(spec, out);
    const { type, value } = spec;
    const intBytes = INT_BYTES[type];
    const bcdBytes = BCD_BYTES[type];
    if (type === 'none') continue;
    if (value === undefined) throw new TypeError(`value: a ${type} record needs a value`);
    if (intBytes !== undefined) {
      if (typeof value === 'string') writeDate(type, value, out);
      else if (typeof value === 'number' || typeof value === 'bigint') writeInt(value, intBytes, out);
      else throw new TypeError(`value: ${type} needs a number, bigint or date text`);
    } else if (bcdBytes !== undefined) {
      if (typeof value !== 'number') throw new TypeError(`value: ${type} needs a number, got ${typeof value}`);
      writeBcd(value, bcdBytes, out);
    } else if (type === 'real32') {
      if (typeof value !== 'number') throw new TypeError(`value: real32 needs a number, got ${typeof value}`);
      const view = new DataView(new ArrayBuffer(4));
      view.setFloat32(0, value, true);
      for (let i = 0; i < 4; i++) out.push(view.getUint8(i));
    } else {
      writeVariable(value, out);
    }
  }
  if (options?.manufacturerData || options?.moreRecordsFollow) {
    out.push(options.moreRecordsFollow ? 0x1f : 0x0f);
    if (options.manufacturerData) out.push(...options.manufacturerData);
  }
  return Uint8Array.from(out);
}
