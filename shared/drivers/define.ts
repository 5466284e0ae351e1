// A driver is one declarative object (style.md §7): which meters it serves (manufacturer,
// version, device type), which fields it takes from the records (by meaning, see select.ts),
// how status words become alarms, and the published telegrams it is checked against.

import type { Alarm, AlarmKind } from '../model/alarm.js';
import { makeAlarm } from '../model/alarm.js';
import type { MeterAddress } from '../model/address.js';
import type { DataRecord } from '../model/record.js';
import type { Medium, ReadingField, Unit } from '../model/reading.js';
import type { Selector } from './select.js';
import { convertUnit, isUnit, matchesSelector, parseDifVif } from './select.js';

/** What a driver reads: the decoded telegram's address, TPL status byte and records. */
export interface DriverInput {
  address: MeterAddress;
  /** TPL status byte (protocols.md §2.4); null or absent when the frame has no TPL header. */
  status?: number | null;
  records: readonly DataRecord[];
  manufacturerData?: { bytes: Uint8Array } | null;
  /** The transport layer's CI, for drivers that match on it (DriverMatch.ci). */
  tpl?: { ci: number } | null;
}

/** Status bits decoded: the names of the bits that are set, and the alarms they mean. */
export interface StatusDecoding {
  flags: string[];
  alarms: Alarm[];
}

export interface StatusTable {
  /** What this table decodes, for documentation: "Kamstrup heat meter info code, 32 bit". */
  name: string;
  /** `value` is the unsigned status word. */
  decode(value: number): StatusDecoding;
}

/** The meaning of one status bit. */
export interface BitMeaning {
  flag: string;
  kind: AlarmKind;
  where?: string;
  detail?: string;
  /** false when the bit reports something that happened rather than a state (default true). */
  active?: boolean;
}

/**
 * A status table from one meaning per bit. A set bit the table does not list becomes flag
 * "bit N" and an 'unknown' alarm, so nothing the meter says is dropped.
 */
export function bitTable(name: string, source: string, bits: Readonly<Record<number, BitMeaning>>): StatusTable {
  return {
    name,
    decode(value) {
      const out: StatusDecoding = { flags: [], alarms: [] };
      for (let n = 0; n < 53 && 2 ** n <= value; n++) {
        if (Math.floor(value / 2 ** n) % 2 === 0) continue;
        const m = bits[n];
        if (m === undefined) {
          out.flags.push(`bit ${n}`);
          out.alarms.push(makeAlarm('unknown', `${source} bit ${n}`, { detail: `undocumented bit ${n}` }));
          continue;
        }
        out.flags.push(m.flag);
        const options: { where?: string; detail?: string; active?: boolean } = {};
        if (m.where !== undefined) options.where = m.where;
        if (m.detail !== undefined) options.detail = m.detail;
        if (m.active !== undefined) options.active = m.active;
        out.alarms.push(makeAlarm(m.kind, `${source} bit ${n}`, options));
      }
      return out;
    },
  };
}

/** What a field holds; decides the default unit. */
export type FieldQuantity =
  | 'energy' | 'volume' | 'power' | 'flow' | 'temperature' | 'temperature-difference' | 'pressure'
  | 'duration' | 'mass' | 'voltage' | 'current' | 'hca' | 'humidity' | 'date' | 'flags' | 'number'
  | 'text'; // identifiers kept as digits/text (leading zeros matter)

const DEFAULT_UNIT: Readonly<Record<FieldQuantity, Unit>> = {
  energy: 'kWh', volume: 'm3', power: 'kW', flow: 'm3/h', temperature: '°C',
  'temperature-difference': 'K', pressure: 'bar', duration: 'h', mass: 'kg', voltage: 'V',
  current: 'A', hca: 'HCA', humidity: '%RH', date: 'date', flags: '', number: '', text: '',
};

/** A value computed from other fields of the same reading (wmbusmeters' `formula`/`calculate`). */
export interface Formula {
  /** 'sum': a + b + …; 'hypot': √(a² + b² + …) (apparent from active and reactive energy). */
  op: 'sum' | 'hypot';
  /** Names of numeric fields of the same driver; the formula is null when one is missing. */
  of: readonly string[];
}

/** A number at a fixed place of the manufacturer-specific bytes (proprietary CI or 0F/1F tail). */
export interface ByteField {
  /** Offset of the first byte within the manufacturer data. */
  offset: number;
  length: number;
  /** Default 'uint-le'. */
  encoding?: 'uint-le' | 'uint-be' | 'int-le' | 'bcd-le';
  /** Keeps these bits of the number after shifting it right by `shift` (default: all). */
  mask?: number;
  shift?: number;
  /**
   * A tag-value layout starting at `offset`: each item is a tag byte and a value whose length
   * the tag decides (`lengths`). The field is the value after tag `tag` (`length` bytes); the
   * walk stops at a tag it does not know.
   */
  tagged?: { tag: number; lengths: Readonly<Record<number, number>> };
  /**
   * Optional blocks announced by the bits of the byte at `offset`: they follow that byte in the
   * listed order, each present when its bit is set. The field sits `at` bytes into block
   * `block`, and is missing when that block is absent.
   */
  flagged?: { blocks: readonly { bit: number; length: number }[]; block: number; at?: number };
  /** The layout's check byte: the field is read only when the byte at `offset` is `value`. */
  check?: { offset: number; value: number };
  /** Numbers at or above this read as 0 (a source's "not yet recorded", e.g. FF FF FF). */
  zeroFrom?: number;
}

export interface FieldSpec {
  quantity: FieldQuantity;
  /**
   * The first selector (in order) that finds a record wins; within one, the first record.
   * Exactly one of `select`, `formula` and `bytes` says where the value comes from.
   */
  select?: Selector | readonly Selector[];
  /**
   * 'none': the number as sent in the record (DataRecord.raw), without the VIF's scale or
   * correction VIFEs: what a source defines as "vif_scaling None". Needs `unit`.
   */
  scaling?: 'none';
  /** Keeps these low bits of the number read with `scaling` 'none' (a 2^n − 1 mask). */
  mask?: number;
  /** Replaces a code read from `bytes` by the number it stands for (a source's lookup table). */
  map?: Readonly<Record<number, number>>;
  /** Multiplies the value after `scaling` (a source's "raw / 100" is 0.01); the result is in `unit`. */
  factor?: number;
  /** An input of formulas only: not reported as a field of its own. */
  hidden?: boolean;
  formula?: Formula;
  bytes?: ByteField;
  /** Unit of the field; default per quantity (kWh, m3, kW, m3/h, °C, K, bar, h …). For 'number' a label. */
  unit?: Unit;
  /** Short label for the UI: "A+ imported active energy". */
  label?: string;
  /** Record values (as decoded, before unit conversion) that mean "not available": field is null. */
  unavailable?: readonly number[];
  /** For 'flags': how the status word becomes flags and alarms. */
  status?: StatusTable;
}

/** A value a published source gives for an example telegram. */
export type ExpectedField = readonly [number | null, Unit] | string | readonly string[] | null;

export interface ExpectedAlarm {
  kind: AlarmKind;
  active?: boolean;
  where?: string;
  detail?: string;
  /** Duration text, "22-31 days". */
  duration?: string;
}

export interface DriverExample {
  note: string;
  /** Where the telegram and the expected values come from: "protocols.md TV-4 (wmbusmeters tests/test_aes.sh)". */
  source: string;
  hex: string;
  /** 'mbus': a wired M-Bus frame (68 L L 68 …); default a wireless telegram from its L field. */
  link?: 'wmbus' | 'mbus';
  key?: string;
  /** Telegrams decoded first with the same format store (the full frame before a compact one). */
  context?: readonly string[];
  /** Expected meter id. */
  id?: string;
  /** Fields by name; [value, unit] for quantities, a string for dates, flag names for status words. */
  expect: Readonly<Record<string, ExpectedField>>;
  /** When given, the reading's alarms are exactly these (in any order). */
  alarms?: readonly ExpectedAlarm[];
}

export interface DriverMatch {
  /** Three-letter manufacturer code. */
  mfct: string;
  version?: number | readonly number[];
  type?: number | readonly number[];
  /**
   * Transport CIs of the telegrams this entry reads (default any): for meters whose address
   * bytes are not a fixed version and type (Diehl PRIOS puts serial digits there).
   */
  ci?: readonly number[];
}

export interface DriverSpec<F extends string = string> {
  /** Stable id stored with every reading: "kamstrup-multical21". */
  id: string;
  /** Human name for the meters table: "Kamstrup MULTICAL 21 / flowIQ 2101". */
  name: string;
  aliases?: readonly string[];
  medium: Medium;
  /** Which meters; empty only for the generic fallback driver. */
  match: readonly DriverMatch[];
  /** The billing register; with a list, the first the reading has (the generic driver). */
  primary?: NoInfer<F> | readonly NoInfer<F>[];
  fields: Readonly<Record<F, FieldSpec>>;
  /**
   * DIF/VIF sequences (hex) of the full frames these meters send, so that their compact frames
   * (CI 79/7B/73) read without first receiving a full frame (protocols.md §4.2).
   */
  compactFormats?: readonly string[];
  /**
   * 'proprietary': the application data of these meters is the manufacturer's own layout (read
   * by `bytes` fields), not EN 13757-3 records, so decoders should not walk it as records.
   */
  payload?: 'proprietary';
  examples?: readonly DriverExample[];
}

export type Driver = Readonly<DriverSpec>;

/** Checks a driver declaration (our own misuse throws, style.md §3) and freezes it. */
export function defineDriver<F extends string>(spec: DriverSpec<F>): Driver {
  if (!/^[a-z0-9-]+$/.test(spec.id)) throw new TypeError(`id: expected kebab-case, got "${spec.id}"`);
  for (const m of spec.match) {
    if (!/^[A-Z]{3}$/.test(m.mfct)) throw new TypeError(`${spec.id}: mfct: expected 3 capitals, got "${m.mfct}"`);
  }
  for (const p of [spec.primary ?? []].flat()) {
    if (!(p in spec.fields)) throw new TypeError(`${spec.id}: primary: "${p}" is not a field`);
  }
  for (const [name, f] of Object.entries<FieldSpec>(spec.fields)) {
    const sources = (f.select !== undefined ? 1 : 0) + (f.formula !== undefined ? 1 : 0) + (f.bytes !== undefined ? 1 : 0);
    if (sources !== 1) throw new TypeError(`${spec.id}.${name}: expected one of select, formula, bytes; got ${sources}`);
    if ((f.scaling !== undefined || f.formula !== undefined || f.bytes !== undefined) && f.unit === undefined) {
      throw new TypeError(`${spec.id}.${name}: a field read without the VIF's scale, from bytes or by a formula needs a unit`);
    }
    for (const other of f.formula?.of ?? []) {
      if (!(other in spec.fields)) throw new TypeError(`${spec.id}.${name}: formula: "${other}" is not a field`);
    }
    for (const s of selectors(f)) {
      if (s.difvif !== undefined && parseDifVif(s.difvif) === null) {
        throw new TypeError(`${spec.id}.${name}: difvif: expected DIF/VIF hex, got "${s.difvif}"`);
      }
    }
    if (f.quantity === 'flags' && f.status === undefined) {
      throw new TypeError(`${spec.id}.${name}: a 'flags' field needs a status table`);
    }
  }
  return Object.freeze({ ...spec }) as Driver;
}

export function selectors(f: FieldSpec): readonly Selector[] {
  if (f.select === undefined) return [];
  return Array.isArray(f.select) ? (f.select as readonly Selector[]) : [f.select as Selector];
}

function isOneOf(want: number | readonly number[] | undefined, actual: number): boolean {
  if (want === undefined) return true;
  return typeof want === 'number' ? want === actual : want.includes(actual);
}

/** Whether `driver` declares the meter at `address` (sending transport CI `ci`, when known). */
export function driverMatches(driver: Driver, address: MeterAddress, ci?: number): boolean {
  return driver.match.some(
    (m) =>
      m.mfct === address.manufacturer.toUpperCase() &&
      isOneOf(m.version, address.version) &&
      isOneOf(m.type, address.deviceType) &&
      (m.ci === undefined || (ci !== undefined && m.ci.includes(ci))),
  );
}

/** The unsigned status word of a record (drivers see raw 16/32-bit words, decoders may sign them). */
function statusWord(r: DataRecord): number | null {
  const bits = parseDifVif(r.difvif)?.dataBits ?? 0;
  if (typeof r.value === 'number') {
    if (!Number.isInteger(r.value)) return null;
    return r.value < 0 && bits > 0 ? r.value + 2 ** bits : r.value;
  }
  // A byte string in transmission order (least significant byte first).
  if (!/^([0-9A-Fa-f]{2})+$/.test(r.value)) return null;
  let v = 0;
  for (let i = r.value.length - 2; i >= 0; i -= 2) v = v * 256 + parseInt(r.value.slice(i, i + 2), 16);
  return v;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}/;

/** A computed number in the field's unit (scaling none, factor), or null when not available. */
export function computedNumber(f: FieldSpec, value: number | undefined): ReadingField {
  const unit = f.unit ?? DEFAULT_UNIT[f.quantity];
  if (value === undefined || Number.isNaN(value) || (f.unavailable?.includes(value) ?? false)) return { value: null, unit };
  return { value: f.factor === undefined ? value : tidy(value * f.factor), unit };
}

function tidy(v: number): number {
  return Number(v.toPrecision(12));
}

/** The number at `b` in the manufacturer bytes; undefined when they are too short. */
export function readByteField(b: ByteField, bytes: Uint8Array | undefined): number | undefined {
  if (bytes === undefined) return undefined;
  if (b.check !== undefined && bytes[b.check.offset] !== b.check.value) return undefined;
  let at = b.offset;
  if (b.flagged !== undefined) {
    if (at >= bytes.length) return undefined;
    const flags = bytes[at++]!;
    const { blocks, block } = b.flagged;
    for (let i = 0; i < block; i++) if (flags & blocks[i]!.bit) at += blocks[i]!.length;
    if ((flags & blocks[block]!.bit) === 0) return undefined;
    at += b.flagged.at ?? 0;
  }
  if (b.tagged !== undefined) {
    for (;;) {
      if (at >= bytes.length) return undefined;
      const tag = bytes[at]!;
      if (tag === b.tagged.tag) break;
      const n = b.tagged.lengths[tag];
      if (n === undefined) return undefined;
      at += 1 + n;
    }
    at++;
  }
  if (at + b.length > bytes.length) return undefined;
  let v = 0;
  const enc = b.encoding ?? 'uint-le';
  for (let k = 0; k < b.length; k++) {
    const i = enc === 'uint-be' ? k : b.length - 1 - k;
    const x = bytes[at + i]!;
    if (enc === 'bcd-le') {
      if ((x >> 4) > 9 || (x & 15) > 9) return undefined;
      v = v * 100 + (x >> 4) * 10 + (x & 15);
    } else v = v * 256 + x;
  }
  if (enc === 'int-le' && bytes[at + b.length - 1]! & 0x80) v -= 2 ** (8 * b.length);
  if (b.shift !== undefined) v = Math.floor(v / 2 ** b.shift);
  if (b.mask !== undefined) v %= b.mask + 1; // masks are 2^n − 1
  if (b.zeroFrom !== undefined && v >= b.zeroFrom) v = 0;
  return v;
}

/** A `bytes` field's value: the number read, looked up in `map`, times `factor`. */
export function byteFieldValue(f: FieldSpec, bytes: Uint8Array | undefined): ReadingField {
  let v = readByteField(f.bytes!, bytes);
  if (v !== undefined && f.map !== undefined) v = f.map[v];
  return computedNumber(f, v);
}

/** A formula over already read fields; null when one of them is missing or not a number. */
export function evalFormula(f: Formula, fields: Readonly<Record<string, ReadingField>>): number | null {
  let acc = 0;
  for (const name of f.of) {
    const v = fields[name]?.value;
    if (typeof v !== 'number') return null;
    acc += f.op === 'hypot' ? v * v : v;
  }
  return tidy(f.op === 'hypot' ? Math.sqrt(acc) : acc);
}

export function fieldValue(f: FieldSpec, r: DataRecord): { field: ReadingField; alarms: Alarm[] } {
  const none: Alarm[] = [];
  if (f.scaling === 'none') {
    const raw = f.mask !== undefined && r.raw !== undefined ? r.raw % (f.mask + 1) : r.raw;
    return { field: computedNumber(f, raw), alarms: none };
  }
  if (f.quantity === 'flags') {
    const word = statusWord(r);
    if (word === null) return { field: { value: null, unit: '' }, alarms: none };
    const d = f.status!.decode(word);
    return { field: { value: word, unit: '', flags: d.flags }, alarms: d.alarms };
  }
  if (f.quantity === 'date') {
    const unit: Unit = r.unit === 'datetime' ? 'datetime' : 'date';
    return { field: { value: typeof r.value === 'string' && DATE_RE.test(r.value) ? r.value : null, unit }, alarms: none };
  }
  if (f.quantity === 'text') return { field: { value: String(r.value), unit: f.unit ?? '' }, alarms: none };
  const raw = typeof r.value === 'number' ? r.value : Number(r.value);
  if (Number.isNaN(raw) || (f.unavailable?.includes(raw) ?? false)) {
    return { field: { value: null, unit: f.unit ?? DEFAULT_UNIT[f.quantity] }, alarms: none };
  }
  if (f.quantity === 'number') {
    const unit: Unit = f.unit ?? (isUnit(r.unit) ? r.unit : '');
    return { field: { value: f.factor === undefined ? raw : tidy(raw * f.factor), unit }, alarms: none };
  }
  const unit = f.unit ?? DEFAULT_UNIT[f.quantity];
  const v = convertUnit(raw, r.unit, unit);
  // A unit we cannot convert: keep what the decoder said rather than guess.
  if (v === null) return { field: { value: raw, unit: isUnit(r.unit) ? r.unit : '' }, alarms: none };
  return { field: { value: v, unit }, alarms: none };
}

export interface FieldsRead {
  fields: Record<string, ReadingField>;
  alarms: Alarm[];
  unclaimed: string[];
}

/** Applies a driver's field declarations to a record list (and the manufacturer bytes). */
export function readFields(driver: Driver, records: readonly DataRecord[], manufacturerBytes?: Uint8Array): FieldsRead {
  const out: FieldsRead = { fields: {}, alarms: [], unclaimed: [] };
  const claimed = new Set<DataRecord>();
  const formulas: [string, FieldSpec][] = [];
  for (const [name, f] of Object.entries<FieldSpec>(driver.fields)) {
    if (f.formula !== undefined) {
      formulas.push([name, f]);
      continue;
    }
    if (f.bytes !== undefined) {
      const field = byteFieldValue(f, manufacturerBytes);
      if (field.value !== null) out.fields[name] = field;
      continue;
    }
    let found: DataRecord | undefined;
    for (const s of selectors(f)) {
      found = records.find((r) => matchesSelector(r, s));
      if (found !== undefined) break;
    }
    if (found === undefined) continue;
    claimed.add(found);
    const { field, alarms } = fieldValue(f, found);
    out.fields[name] = field;
    out.alarms.push(...alarms);
  }
  for (const [name, f] of formulas) {
    const v = evalFormula(f.formula!, out.fields);
    if (v !== null) out.fields[name] = computedNumber(f, v);
  }
  for (const [name, f] of Object.entries<FieldSpec>(driver.fields)) if (f.hidden === true) delete out.fields[name];
  for (const r of records) if (!claimed.has(r)) out.unclaimed.push(r.difvif);
  return out;
}

/** Medium from the device type byte (protocols.md §1.5). */
export function mediumOf(deviceType: number): Medium {
  switch (deviceType) {
    case 0x01: return 'oil';
    case 0x02: return 'electricity';
    case 0x03: return 'gas';
    case 0x04: case 0x0c: return 'heat';
    case 0x05: return 'steam';
    case 0x06: return 'warm-water';
    case 0x07: case 0x16: case 0x17: return 'water';
    case 0x15: return 'hot-water';
    case 0x08: return 'heat-cost-allocator';
    case 0x09: return 'compressed-air';
    case 0x0a: case 0x0b: return 'cooling';
    case 0x0d: return 'heat-cooling';
    case 0x18: return 'pressure';
    case 0x1a: return 'smoke-detector';
    case 0x1b: return 'room-sensor';
    default: return 'other';
  }
}
