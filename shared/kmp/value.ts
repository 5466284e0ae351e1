// KMP register values (protocols.md §5.4; Kamstrup doc 5512-447 §4.2):
//   Unit(1) | NoB(1) | SiEx(1) | Value(NoB bytes, big-endian unsigned)
//   SiEx bit 7 SI = value negative, bit 6 SE = exponent negative, bits 5..0 = exponent
//   value = (SI ? -1 : 1) × Value × 10^((SE ? -1 : 1) × exp)
// Kept as decimal (mantissa and exponent), never through a float: these are billing values.

export interface KmpValue {
  /** KMP unit code (KMP_UNITS). */
  unit: number;
  negative: boolean;
  /** Value field as an unsigned integer (up to NoB bytes, so beyond 2^53). */
  mantissa: bigint;
  /** Decimal exponent, −63..63. */
  exponent: number;
}

export type KmpUnitKind =
  | 'none'
  | 'energy'
  | 'reactive energy'
  | 'apparent energy'
  | 'power'
  | 'reactive power'
  | 'apparent power'
  | 'voltage'
  | 'current'
  | 'temperature'
  | 'temperature difference'
  | 'volume'
  | 'volume flow'
  | 'volume × temperature'
  | 'mass'
  | 'mass flow'
  | 'pressure'
  | 'duration'
  | 'clock'
  | 'date'
  | 'date-time'
  | 'number'
  | 'text'
  | 'flags';

export interface KmpUnitInfo {
  /** As the Kamstrup document prints it: "kWh", "m³", "yy:mm:dd". */
  symbol: string;
  kind: KmpUnitKind;
  /**
   * The unit of the project's decoder contract (conformance/README.md "Units") and the power of
   * ten that converts to it: GWh → { unit: 'MWh', scale: 3 }. Missing when the contract has no
   * such unit (calories, minutes, dates …).
   */
  contract?: { unit: string; scale: number };
  /** The sources disagree on this code (protocols.md §11 question 7). */
  uncertain?: true;
}

const u = (symbol: string, kind: KmpUnitKind, unit?: string, scale = 0, uncertain = false): KmpUnitInfo => {
  const info: KmpUnitInfo = { symbol, kind };
  if (unit !== undefined) info.contract = { unit, scale };
  if (uncertain) info.uncertain = true;
  return info;
};

/** The KMP unit table (§5.4). */
export const KMP_UNITS: Readonly<Record<number, KmpUnitInfo>> = {
  0x00: u('', 'none', ''),
  0x01: u('Wh', 'energy', 'Wh'),
  0x02: u('kWh', 'energy', 'kWh'),
  0x03: u('MWh', 'energy', 'MWh'),
  0x04: u('GWh', 'energy', 'MWh', 3),
  0x05: u('J', 'energy', 'J'),
  0x06: u('kJ', 'energy', 'J', 3),
  0x07: u('MJ', 'energy', 'GJ', -3),
  0x08: u('GJ', 'energy', 'GJ'),
  0x09: u('Cal', 'energy'),
  0x0a: u('kCal', 'energy'),
  0x0b: u('Mcal', 'energy'),
  0x0c: u('Gcal', 'energy'),
  0x0d: u('varh', 'reactive energy', 'varh'),
  0x0e: u('kvarh', 'reactive energy', 'kvarh'),
  0x0f: u('Mvarh', 'reactive energy', 'kvarh', 3),
  0x10: u('Gvarh', 'reactive energy', 'kvarh', 6),
  0x11: u('VAh', 'apparent energy', 'VAh'),
  0x12: u('kVAh', 'apparent energy', 'kVAh'),
  0x13: u('MVAh', 'apparent energy', 'kVAh', 3),
  0x14: u('GVAh', 'apparent energy', 'kVAh', 6),
  // 15 and 19 repeat kW / kvar in both lists of the document; probably W / var (§11 question 7)
  0x15: u('kW', 'power', undefined, 0, true),
  0x16: u('kW', 'power', 'kW'),
  0x17: u('MW', 'power', 'kW', 3),
  0x18: u('GW', 'power', 'kW', 6),
  0x19: u('kvar', 'reactive power', undefined, 0, true),
  0x1a: u('kvar', 'reactive power', 'kvar'),
  0x1b: u('Mvar', 'reactive power', 'kvar', 3),
  0x1c: u('Gvar', 'reactive power', 'kvar', 6),
  0x1d: u('VA', 'apparent power', 'VA'),
  0x1e: u('kVA', 'apparent power', 'VA', 3),
  0x1f: u('MVA', 'apparent power', 'VA', 6),
  0x20: u('GVA', 'apparent power', 'VA', 9),
  0x21: u('V', 'voltage', 'V'),
  0x22: u('A', 'current', 'A'),
  0x23: u('kV', 'voltage', 'V', 3),
  0x24: u('kA', 'current', 'A', 3),
  0x25: u('°C', 'temperature', '°C'),
  0x26: u('K', 'temperature difference', 'K'),
  0x27: u('l', 'volume', 'l'),
  0x28: u('m³', 'volume', 'm3'),
  0x29: u('l/h', 'volume flow', 'l/h'),
  0x2a: u('m³/h', 'volume flow', 'm3/h'),
  0x2b: u('m³·°C', 'volume × temperature'),
  0x2c: u('ton', 'mass'),
  0x2d: u('ton/h', 'mass flow'),
  0x2e: u('h', 'duration', 'h'),
  0x2f: u('hh:mm:ss', 'clock'),
  0x30: u('yy:mm:dd', 'date'),
  0x31: u('yyyy:mm:dd', 'date'),
  0x32: u('mm:dd', 'date'),
  0x33: u('number', 'number', ''),
  0x34: u('bar', 'pressure', 'bar'),
  0x35: u('RTC', 'date-time'),
  0x36: u('ASCII', 'text'),
  0x37: u('m³ ×10', 'volume'),
  0x38: u('ton ×10', 'mass'),
  0x39: u('GJ ×10', 'energy'),
  0x3a: u('minutes', 'duration'),
  0x3b: u('bitfield', 'flags', ''),
  0x3c: u('s', 'duration', 's'),
  0x3d: u('ms', 'duration', 's', -3),
  0x3e: u('days', 'duration', 'd'),
  0x3f: u('RTC-Q', 'date-time'),
  0x40: u('date-time', 'date-time')
};

function checkByte(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name}: expected a byte 0..255, got ${v}`);
}

/**
 * The value of a register from its Unit, NoB, SiEx and NoB value bytes (§5.4). Every byte
 * combination is a value; throws RangeError only on misuse (bytes.length ≠ nob, not a byte).
 */
export function decodeValue(unit: number, nob: number, siex: number, bytes: Uint8Array): KmpValue {
  checkByte('unit', unit);
  checkByte('nob', nob);
  checkByte('siex', siex);
  if (bytes.length !== nob) throw new RangeError(`bytes: expected NoB = ${nob} bytes, got ${bytes.length}`);
  let m = 0n;
  for (let i = 0; i < bytes.length; i++) m = (m << 8n) | BigInt(bytes[i]);
  const e = siex & 0x3f;
  // SE with exponent 0 is 10^-0 = 10^0: exponent 0, never -0
  return { unit, negative: (siex & 0x80) !== 0, mantissa: m, exponent: siex & 0x40 && e !== 0 ? -e : e };
}

/**
 * Unit, NoB, SiEx and value bytes for `v` (§5.4). `nob` fixes the length (registers have a
 * fixed NoB); without it the fewest bytes (at least 1). Throws RangeError when the mantissa is
 * negative or does not fit, or the exponent lies outside −63..63.
 */
export function encodeValue(v: KmpValue, nob?: number): { unit: number; nob: number; siex: number; bytes: Uint8Array } {
  checkByte('unit', v.unit);
  if (v.mantissa < 0n) throw new RangeError(`mantissa: expected >= 0 (the sign is 'negative'), got ${v.mantissa}`);
  if (!Number.isInteger(v.exponent) || v.exponent < -63 || v.exponent > 63) {
    throw new RangeError(`exponent: expected an integer -63..63 (6 bits and a sign), got ${v.exponent}`);
  }
  let need = 1;
  while (v.mantissa >> BigInt(8 * need) > 0n) need++;
  const n = nob ?? need;
  checkByte('nob', n);
  if (need > n && v.mantissa > 0n) throw new RangeError(`mantissa: ${v.mantissa} needs ${need} bytes, NoB is ${n}`);
  const bytes = new Uint8Array(n);
  let m = v.mantissa;
  for (let i = n - 1; i >= 0; i--) {
    bytes[i] = Number(m & 0xffn);
    m >>= 8n;
  }
  const siex = (v.negative ? 0x80 : 0) | (v.exponent < 0 ? 0x40 : 0) | Math.abs(v.exponent);
  return { unit: v.unit, nob: n, siex, bytes };
}

/**
 * The exact decimal: −123.45 for mantissa 12345, exponent −2, negative. Keeps the meter's
 * resolution (mantissa 100, exponent −2 → "1.00"); zero has no sign.
 */
export function valueText(v: KmpValue): string {
  const digits = v.mantissa.toString();
  const sign = v.negative && v.mantissa !== 0n ? '-' : '';
  if (v.exponent >= 0) return sign + (v.mantissa === 0n ? '0' : digits + '0'.repeat(v.exponent));
  const d = -v.exponent;
  const padded = digits.length <= d ? '0'.repeat(d - digits.length + 1) + digits : digits;
  return `${sign}${padded.slice(0, padded.length - d)}.${padded.slice(padded.length - d)}`;
}

/** The value as the nearest double (for charts and sums; keep valueText for billing). */
export function valueNumber(v: KmpValue): number {
  return Number(valueText(v));
}

/**
 * Clock and date units carry their digits as a binary integer (§5.4: 10:30:00 → 103000):
 * "10:30:00" (2F), "2006-08-24" (30, years 2000..2099), "2024-08-06" (31), "12-31" (32, month
 * and day). Null for other units, a negative value or exponent, or digits that are no time or date.
 */
export function dateText(v: KmpValue): string | null {
  if (v.negative || v.exponent !== 0) return null;
  const n = v.mantissa;
  const two = (x: bigint): string => x.toString().padStart(2, '0');
  const dateOk = (mo: bigint, d: bigint): boolean => mo >= 1n && mo <= 12n && d >= 1n && d <= 31n;
  switch (v.unit) {
    case 0x2f: {
      const h = n / 10000n, mi = (n / 100n) % 100n, s = n % 100n;
      return h < 24n && mi < 60n && s < 60n ? `${two(h)}:${two(mi)}:${two(s)}` : null;
    }
    case 0x30: {
      const y = n / 10000n, mo = (n / 100n) % 100n, d = n % 100n;
      return y < 100n && dateOk(mo, d) ? `20${two(y)}-${two(mo)}-${two(d)}` : null;
    }
    case 0x31: {
      const y = n / 10000n, mo = (n / 100n) % 100n, d = n % 100n;
      return y >= 1000n && y <= 9999n && dateOk(mo, d) ? `${y}-${two(mo)}-${two(d)}` : null;
    }
    case 0x32: {
      const mo = n / 100n, d = n % 100n;
      return dateOk(mo, d) ? `${two(mo)}-${two(d)}` : null;
    }
    default:
      return null;
  }
}

/** A register value in the project's units (conformance/README.md "Units"). */
export interface ProjectValue {
  /** A number in `unit`, or a string for dates ("2006-08-24", unit 'date'), clock times ("10:30:00", 'time') and month-days ("12-31", 'month-day'). */
  value: number | string;
  /** The contract unit ("kWh", "m3", "°C", "date" …), else the KMP symbol ("Gcal", "ton"). */
  unit: string;
  /** The exact decimal of `value` (for billing), or the same string for dates and times. */
  text: string;
}

/**
 * `v` in the unit the rest of the project uses: GWh → MWh, MJ → GJ, ms → s by a power of ten
 * (exact, on the decimal); date and clock units as text; other units keep their KMP symbol.
 */
export function projectValue(v: KmpValue): ProjectValue {
  const info = KMP_UNITS[v.unit];
  const date = dateText(v);
  if (date !== null) {
    const unit = v.unit === 0x2f ? 'time' : v.unit === 0x32 ? 'month-day' : 'date';
    return { value: date, unit, text: date };
  }
  if (info?.contract !== undefined) {
    const scaled: KmpValue = { ...v, exponent: v.exponent + info.contract.scale };
    const text = valueText(scaled);
    return { value: Number(text), unit: info.contract.unit, text };
  }
  const text = valueText(v);
  const unit = v.unit === 0x2b ? 'm3C' : info !== undefined ? info.symbol : `unit ${v.unit}`;
  return { value: Number(text), unit, text };
}
