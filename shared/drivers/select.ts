// Choosing data records by meaning: what a record measures (its VIF range), its function,
// storage number, tariff and subunit, and its direction (VIFE 3C). Raw DIF/VIF hex is only the
// fallback. Also converts values between units of one dimension.
// The meaning is read from the record's DIF/VIF bytes, not from the decoder's free-text
// `quantity`, so drivers do not depend on how shared/mbus words it.

import type { DataRecord, RecordFunction } from '../model/record.js';
import type { Unit } from '../model/reading.js';

/** What a record measures, from its primary VIF or first extension VIFE (protocols.md §3.5, §3.6). */
export type VifMeaning =
  | 'energy' | 'volume' | 'mass' | 'on-time' | 'operating-time' | 'power' | 'volume-flow'
  | 'mass-flow' | 'flow-temperature' | 'return-temperature' | 'temperature-difference'
  | 'external-temperature' | 'pressure' | 'time-point' | 'hca' | 'averaging-duration'
  | 'actuality-duration' | 'fabrication-number' | 'identification' | 'bus-address'
  | 'error-flags' | 'voltage' | 'current' | 'humidity' | 'remaining-battery'
  | 'manufacturer' | 'other';

export interface VifInfo {
  kind: VifMeaning;
  /** Orthogonal VIFEs (bit 7 cleared) that follow the VIF or the first extension VIFE. */
  modifiers: number[];
  /** Number of data bits from the DIF data field code (§3.2), 0 when variable or unknown. */
  dataBits: number;
}

// EN 13757-3 primary VIF ranges, protocols.md §3.5 (VIF & 0x7F).
function primaryKind(v: number): VifMeaning {
  if (v <= 0x0f) return 'energy';
  if (v <= 0x17) return 'volume';
  if (v <= 0x1f) return 'mass';
  if (v <= 0x23) return 'on-time';
  if (v <= 0x27) return 'operating-time';
  if (v <= 0x37) return 'power';
  if (v <= 0x4f) return 'volume-flow';
  if (v <= 0x57) return 'mass-flow';
  if (v <= 0x5b) return 'flow-temperature';
  if (v <= 0x5f) return 'return-temperature';
  if (v <= 0x63) return 'temperature-difference';
  if (v <= 0x67) return 'external-temperature';
  if (v <= 0x6b) return 'pressure';
  if (v <= 0x6d) return 'time-point';
  if (v === 0x6e) return 'hca';
  if (v >= 0x70 && v <= 0x73) return 'averaging-duration';
  if (v >= 0x74 && v <= 0x77) return 'actuality-duration';
  if (v === 0x78) return 'fabrication-number';
  if (v === 0x79) return 'identification';
  if (v === 0x7a) return 'bus-address';
  if (v === 0x7f) return 'manufacturer';
  return 'other';
}

// Extension table FB, protocols.md §3.6.
function fbKind(e: number): VifMeaning {
  if (e <= 0x01 || e === 0x08 || e === 0x09) return 'energy';
  if (e === 0x10 || e === 0x11 || (e >= 0x21 && e <= 0x23)) return 'volume';
  if (e === 0x18 || e === 0x19) return 'mass';
  if (e === 0x1a || e === 0x1b) return 'humidity';
  if (e >= 0x24 && e <= 0x26) return 'volume-flow';
  if (e === 0x28 || e === 0x29 || e === 0x30 || e === 0x31) return 'power';
  if (e >= 0x58 && e <= 0x67) return primaryKind(e);
  return 'other';
}

// Extension table FD, protocols.md §3.6.
function fdKind(e: number): VifMeaning {
  if (e === 0x17) return 'error-flags';
  if (e >= 0x40 && e <= 0x4f) return 'voltage';
  if (e >= 0x50 && e <= 0x5f) return 'current';
  if (e === 0x74) return 'remaining-battery';
  return 'other';
}

const DATA_BITS = [0, 8, 16, 24, 32, 32, 48, 64, 0, 8, 16, 24, 32, 0, 48, 0];

/** Reads a DIF/VIF hex string ("04863C", "8101E7FF0F") by meaning; null when it is malformed. */
export function parseDifVif(difvif: string): VifInfo | null {
  if (!/^([0-9A-Fa-f]{2})+$/.test(difvif)) return null;
  const b: number[] = [];
  for (let i = 0; i < difvif.length; i += 2) b.push(parseInt(difvif.slice(i, i + 2), 16));
  let i = 0;
  const dataBits = DATA_BITS[b[0]! & 0x0f]!;
  while (i < b.length && b[i]! & 0x80) i++; // DIF, DIFEs (bit 7 = another follows)
  i++;
  if (i >= b.length) return null;
  const vif = b[i]!;
  let kind = primaryKind(vif & 0x7f);
  let more = (vif & 0x80) !== 0;
  i++;
  if ((vif & 0x7f) === 0x7b || (vif & 0x7f) === 0x7d) {
    if (!more || i >= b.length) return null;
    const e = b[i]!;
    kind = (vif & 0x7f) === 0x7b ? fbKind(e & 0x7f) : fdKind(e & 0x7f);
    more = (e & 0x80) !== 0;
    i++;
  }
  const modifiers: number[] = [];
  if (kind !== 'manufacturer') {
    while (more && i < b.length) {
      const e = b[i]!;
      modifiers.push(e & 0x7f);
      more = (e & 0x80) !== 0;
      i++;
      if ((e & 0x7f) === 0x7f) break; // manufacturer-specific VIFEs follow (§3.6)
    }
  }
  return { kind, modifiers, dataBits };
}

/** Which records a field takes. Unset criteria use the defaults named on each member. */
export interface Selector {
  /** What the record measures. */
  vif?: VifMeaning | readonly VifMeaning[];
  /** Default 'instantaneous'. */
  fn?: RecordFunction | 'any';
  /** Default 0 (the current value). */
  storage?: number | readonly number[] | 'any';
  /** Default 0. */
  tariff?: number | 'any';
  /** Default 0. */
  subunit?: number | 'any';
  /**
   * 'backward': only records with VIFE 3C (accumulated only if negative: cooling energy E3,
   * OMNIPOWER A−/P−). 'forward', the default: records without VIFE 3C.
   */
  direction?: 'forward' | 'backward';
  /** Raw DIF/VIF fallback, e.g. "04FF23": when given, only this is compared. */
  difvif?: string;
}

const BACKWARD = 0x3c;

function oneOf<T>(want: T | readonly T[] | 'any' | undefined, fallback: T, actual: T): boolean {
  if (want === 'any') return true;
  const w = want ?? fallback;
  return Array.isArray(w) ? (w as readonly T[]).includes(actual) : w === actual;
}

export function matchesSelector(record: DataRecord, s: Selector): boolean {
  if (s.difvif !== undefined) return record.difvif.toUpperCase() === s.difvif.toUpperCase();
  if (!oneOf(s.fn, 'instantaneous', record.function)) return false;
  if (!oneOf(s.storage, 0, record.storage)) return false;
  if (!oneOf(s.tariff, 0, record.tariff)) return false;
  if (!oneOf(s.subunit, 0, record.subunit)) return false;
  const info = parseDifVif(record.difvif);
  const mods = info?.modifiers ?? [];
  // §3.6: VIFEs 40..6F are limit/duration metadata; never attach them to a main register.
  if (mods.some((m) => m >= 0x40 && m <= 0x6f)) return false;
  if ((s.direction === 'backward') !== mods.includes(BACKWARD)) return false;
  if (s.vif !== undefined) {
    const kind = info?.kind ?? 'other';
    const kinds = typeof s.vif === 'string' ? [s.vif] : s.vif;
    if (!kinds.includes(kind)) return false;
  }
  return true;
}

// Units of one dimension and their factor to the dimension's base unit.
const UNIT_FACTORS: Readonly<Record<string, readonly [dimension: string, factor: number]>> = {
  Wh: ['energy', 1], kWh: ['energy', 1e3], MWh: ['energy', 1e6],
  J: ['energy', 1 / 3600], kJ: ['energy', 1e3 / 3600], MJ: ['energy', 1e6 / 3600], GJ: ['energy', 1e9 / 3600],
  m3: ['volume', 1], l: ['volume', 1e-3],
  'm3/h': ['flow', 1], 'l/h': ['flow', 1e-3], 'm3/min': ['flow', 60], 'm3/s': ['flow', 3600],
  W: ['power', 1], kW: ['power', 1e3], MW: ['power', 1e6], 'J/h': ['power', 1 / 3600], 'GJ/h': ['power', 1e9 / 3600],
  bar: ['pressure', 1], mbar: ['pressure', 1e-3], Pa: ['pressure', 1e-5],
  s: ['duration', 1], min: ['duration', 60], h: ['duration', 3600], d: ['duration', 86400],
  kg: ['mass', 1], t: ['mass', 1e3],
  '°C': ['temperature', 1], K: ['temperature-difference', 1],
  V: ['voltage', 1], A: ['current', 1],
};

/** Rounds away binary noise from unit factors (2605 MJ → 723.611111111 kWh). */
function tidy(v: number): number {
  return Number(v.toPrecision(12));
}

/** `value` in `from` expressed in `to`; null when the units are of different dimensions. */
export function convertUnit(value: number, from: string, to: string): number | null {
  if (from === to) return value;
  const f = UNIT_FACTORS[from];
  const t = UNIT_FACTORS[to];
  if (f === undefined || t === undefined || f[0] !== t[0]) return null;
  return tidy((value * f[1]) / t[1]);
}

const READING_UNITS: ReadonlySet<string> = new Set<Unit>([
  'Wh', 'kWh', 'MWh', 'J', 'MJ', 'GJ', 'm3', 'l', 'm3/h', 'l/h', '°C', 'K', 'W', 'kW', 'MW', 'bar',
  'V', 'A', 's', 'min', 'h', 'd', 'kg', 't', 'date', 'datetime', 'HCA', '%RH', 'm3·°C',
  'kvarh', 'kVAh', 'Hz', '%', 'ppm', 'y', '',
]);

export function isUnit(u: string): u is Unit {
  return READING_UNITS.has(u);
}
