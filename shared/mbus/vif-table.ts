// EN 13757-3 value information: the primary VIF table, the FB and FD extension tables and
// the orthogonal (combinable) VIFE table, precomputed as 128-entry arrays indexed by
// `code & 0x7F` so that decoding a record is an array lookup (protocols.md §3.5, §3.6).
//
// Every entry says how to turn the raw integer into the canonical unit of the decoder
// contract (conformance/README.md "Units"): value = raw × mul × 10^exp ÷ div. One unit per
// quantity family, whatever the meter's configured resolution, so drivers never convert:
// energy kWh (Wh VIFs, FB MWh) or GJ (J VIFs, FB GJ); volume m3; volume flow m3/h;
// power kW; mass kg; mass flow kg/h; temperatures °C, differences K; pressure bar;
// on/operating time h; other durations s, h, d (minutes → s), month, year.

/** How a record's data is read once its VIF is known. */
export type VifKind =
  | 'number' // scaled signed number
  | 'date' // time point: type G / J / F / I chosen by data length (§3.7)
  | 'digits' // identification: BCD kept as a digit string (leading zeros), binary unsigned
  | 'flags' // bit field or code: unsigned, never scaled
  | 'fahrenheit' // °F scaled, then converted to °C (or K for differences)
  | 'text'; // plain-text VIF (7C/FC): the unit comes from the frame

export interface VifEntry {
  readonly quantity: string;
  readonly unit: string;
  readonly kind: VifKind;
  /** Power of ten applied to the raw value. */
  readonly exp: number;
  /** Exact integer factors of a unit conversion (minutes → h: div 60). */
  readonly mul: number;
  readonly div: number;
  /** Known to the standard; false for reserved codes (kept as a raw value + 'unknown-vif'). */
  readonly known: boolean;
}

function entry(quantity: string, unit: string, exp = 0, kind: VifKind = 'number', mul = 1, div = 1): VifEntry {
  return { quantity, unit, kind, exp, mul, div, known: true };
}

function reserved(table: string, code: number): VifEntry {
  const hex = code.toString(16).toUpperCase().padStart(2, '0');
  return { quantity: `reserved VIF ${table}${hex}`, unit: '', kind: 'number', exp: 0, mul: 1, div: 1, known: false };
}

function fill(table: string, set: (t: VifEntry[]) => void): readonly VifEntry[] {
  const t: VifEntry[] = [];
  for (let c = 0; c < 128; c++) t.push(reserved(table, c));
  set(t);
  return t;
}

const DURATION_UNITS: ReadonlyArray<[unit: string, mul: number]> = [
  ['s', 1],
  ['s', 60], // minutes, exact in seconds
  ['h', 1],
  ['d', 1],
];

function durations(t: VifEntry[], first: number, quantity: string): void {
  for (let n = 0; n < 4; n++) t[first + n] = entry(quantity, DURATION_UNITS[n][0], 0, 'number', DURATION_UNITS[n][1]);
}

/** Primary VIF (VIF & 0x7F). EN 13757-3 Table 10, protocols.md §3.5. */
export const PRIMARY_VIF: readonly VifEntry[] = fill('', (t) => {
  for (let n = 0; n < 8; n++) {
    t[0x00 + n] = entry('energy', 'kWh', n - 6); // 10^(n−3) Wh
    t[0x08 + n] = entry('energy', 'GJ', n - 9); // 10^n J
    t[0x10 + n] = entry('volume', 'm3', n - 6); // 10^(n−6) m³
    t[0x18 + n] = entry('mass', 'kg', n - 3); // 10^(n−3) kg
    t[0x28 + n] = entry('power', 'kW', n - 6); // 10^(n−3) W
    t[0x30 + n] = entry('power', 'kW', n, 'number', 1, 3_600_000); // 10^n J/h
    t[0x38 + n] = entry('volume flow', 'm3/h', n - 6); // 10^(n−6) m³/h
    t[0x40 + n] = entry('volume flow', 'm3/h', n - 7, 'number', 60); // 10^(n−7) m³/min
    t[0x48 + n] = entry('volume flow', 'm3/h', n - 9, 'number', 3600); // 10^(n−9) m³/s
    t[0x50 + n] = entry('mass flow', 'kg/h', n - 3); // 10^(n−3) kg/h
  }
  const hours: ReadonlyArray<[number, number]> = [[1, 3600], [1, 60], [1, 1], [24, 1]];
  for (let n = 0; n < 4; n++) {
    t[0x20 + n] = entry('on time', 'h', 0, 'number', hours[n][0], hours[n][1]);
    t[0x24 + n] = entry('operating time', 'h', 0, 'number', hours[n][0], hours[n][1]);
    t[0x58 + n] = entry('flow temperature', '°C', n - 3);
    t[0x5c + n] = entry('return temperature', '°C', n - 3);
    t[0x60 + n] = entry('temperature difference', 'K', n - 3);
    t[0x64 + n] = entry('external temperature', '°C', n - 3);
    t[0x68 + n] = entry('pressure', 'bar', n - 3);
  }
  t[0x6c] = entry('time point', 'date', 0, 'date');
  t[0x6d] = entry('time point', 'datetime', 0, 'date');
  t[0x6e] = entry('HCA units', 'HCA');
  durations(t, 0x70, 'averaging duration');
  durations(t, 0x74, 'actuality duration');
  t[0x78] = entry('fabrication number', '', 0, 'digits');
  t[0x79] = entry('enhanced identification', '', 0, 'digits');
  t[0x7a] = entry('bus address', '', 0, 'flags');
  t[0x7c] = entry('plain text unit', '', 0, 'text');
  t[0x7e] = entry('any VIF', '', 0, 'flags');
  t[0x7f] = entry('manufacturer specific', ''); // raw, signed like any integer (§3.2)
  // 6F, 7B (FB) and 7D (FD) are not value descriptions: 6F is reserved, 7B/7D select a table.
});

/** FB extension table (first VIFE after FB). EN 13757-3 Table 12, protocols.md §3.6. */
export const FB_VIF: readonly VifEntry[] = fill('FB', (t) => {
  for (let n = 0; n < 2; n++) {
    t[0x00 + n] = entry('energy', 'kWh', n + 2); // 10^(n−1) MWh
    t[0x02 + n] = entry('reactive energy', 'kvarh', n - 1); // EN 13757-3:2018, 10^(n−1) kvarh
    t[0x08 + n] = entry('energy', 'GJ', n - 1); // 10^(n−1) GJ
    t[0x10 + n] = entry('volume', 'm3', n + 2); // 10^(n+2) m³
    t[0x18 + n] = entry('mass', 'kg', n + 5); // 10^(n+2) t
    t[0x1a + n] = entry('relative humidity', '%RH', n - 1);
    t[0x28 + n] = entry('power', 'kW', n + 2); // 10^(n−1) MW
    t[0x30 + n] = entry('power', 'kW', n + 3, 'number', 1, 36); // 10^(n−1) GJ/h = 10^(n+3)/36 kW
  }
  t[0x21] = entry('volume', 'm3', -13, 'number', 28_316_846_592); // 0.1 ft³
  t[0x22] = entry('volume', 'm3', -13, 'number', 3_785_411_784); // 0.1 US gal
  t[0x23] = entry('volume', 'm3', -12, 'number', 3_785_411_784); // 1 US gal
  t[0x24] = entry('volume flow', 'm3/h', -14, 'number', 22_712_470_704); // 0.001 US gal/min
  t[0x25] = entry('volume flow', 'm3/h', -11, 'number', 22_712_470_704); // 1 US gal/min
  t[0x26] = entry('volume flow', 'm3/h', -12, 'number', 3_785_411_784); // 1 US gal/h
  for (let n = 0; n < 4; n++) {
    t[0x14 + n] = entry('reactive power', 'kvar', n - 3); // EN 13757-3:2018, 10^(n−3) kvar
    t[0x58 + n] = entry('flow temperature', '°C', n - 3, 'fahrenheit');
    t[0x5c + n] = entry('return temperature', '°C', n - 3, 'fahrenheit');
    t[0x60 + n] = entry('temperature difference', 'K', n - 3, 'fahrenheit');
    t[0x64 + n] = entry('external temperature', '°C', n - 3, 'fahrenheit');
    t[0x70 + n] = entry('cold/warm temperature limit', '°C', n - 3, 'fahrenheit');
    t[0x74 + n] = entry('cold/warm temperature limit', '°C', n - 3);
  }
  for (let n = 0; n < 8; n++) t[0x78 + n] = entry('cumulative count max power', 'kW', n - 6);
});

/** FD extension table (first VIFE after FD). EN 13757-3 Table 14, protocols.md §3.6. */
export const FD_VIF: readonly VifEntry[] = fill('FD', (t) => {
  for (let n = 0; n < 4; n++) {
    t[0x00 + n] = entry('credit', '', n - 3); // 10^(n−3) currency units
    t[0x04 + n] = entry('debit', '', n - 3);
  }
  const ids: ReadonlyArray<[number, string, VifKind]> = [
    [0x08, 'access number', 'flags'],
    [0x09, 'medium', 'flags'],
    [0x0a, 'manufacturer', 'flags'],
    [0x0b, 'parameter set identification', 'digits'],
    [0x0c, 'model/version', 'digits'],
    [0x0d, 'hardware version', 'digits'],
    [0x0e, 'firmware version', 'digits'],
    [0x0f, 'software version', 'digits'],
    [0x10, 'customer location', 'digits'],
    [0x11, 'customer', 'digits'],
    [0x12, 'access code user', 'digits'],
    [0x13, 'access code operator', 'digits'],
    [0x14, 'access code system operator', 'digits'],
    [0x15, 'access code developer', 'digits'],
    [0x16, 'password', 'digits'],
    [0x17, 'error flags', 'flags'],
    [0x18, 'error mask', 'flags'],
    [0x19, 'security key', 'flags'],
    [0x1a, 'digital output', 'flags'],
    [0x1b, 'digital input', 'flags'],
    [0x1c, 'baud rate', 'flags'],
    [0x1d, 'response delay time', 'flags'],
    [0x1e, 'retry', 'flags'],
    [0x1f, 'remote control', 'flags'],
    [0x20, 'first storage number', 'flags'],
    [0x21, 'last storage number', 'flags'],
    [0x22, 'size of storage block', 'flags'],
    [0x23, 'tariff and subunit descriptor', 'flags'],
    [0x2a, 'operator specific data', 'flags'],
    [0x3a, 'dimensionless', 'number'],
    [0x3b, 'wireless M-Bus data container', 'flags'],
    [0x60, 'reset counter', 'number'],
    [0x61, 'cumulation counter', 'number'],
    [0x62, 'control signal', 'flags'],
    [0x63, 'day of week', 'number'],
    [0x64, 'week number', 'number'],
    [0x65, 'time point of day change', 'flags'],
    [0x66, 'state of parameter activation', 'flags'],
    [0x67, 'special supplier information', 'flags'],
    [0x71, 'RF level', 'number'],
    [0x72, 'daylight saving', 'flags'],
    [0x73, 'listening window management', 'flags'],
    [0x75, 'meter stopped count', 'number'],
    [0x76, 'manufacturer protocol data container', 'flags'],
  ];
  for (const [code, q, kind] of ids) t[code] = entry(q, '', 0, kind);
  t[0x71] = entry('RF level', 'dBm');
  durations(t, 0x24, 'storage interval');
  t[0x28] = entry('storage interval', 'month');
  t[0x29] = entry('storage interval', 'year');
  t[0x2b] = entry('time point second', 's');
  durations(t, 0x2c, 'duration since last readout');
  t[0x30] = entry('start of tariff', 'datetime', 0, 'date');
  t[0x31] = entry('duration of tariff', 's', 0, 'number', 60);
  t[0x32] = entry('duration of tariff', 'h');
  t[0x33] = entry('duration of tariff', 'd');
  durations(t, 0x34, 'period of tariff');
  t[0x38] = entry('period of tariff', 'month');
  t[0x39] = entry('period of tariff', 'year');
  durations(t, 0x3c, 'period of nominal data transmissions');
  for (let n = 0; n < 16; n++) {
    t[0x40 + n] = entry('voltage', 'V', n - 9);
    t[0x50 + n] = entry('current', 'A', n - 12);
  }
  const longDurations: ReadonlyArray<[string, number]> = [['h', 1], ['d', 1], ['month', 1], ['year', 1]];
  for (let n = 0; n < 4; n++) {
    t[0x68 + n] = entry('duration since last cumulation', longDurations[n][0]);
    t[0x6c + n] = entry('battery operating time', longDurations[n][0]);
  }
  t[0x70] = entry('date of battery change', 'datetime', 0, 'date');
  t[0x74] = entry('remaining battery life', 'd');
});

/** What an orthogonal VIFE does to a record (EN 13757-3 Table 15, protocols.md §3.6). */
export type VifeAction =
  | 'tag' // adds words to the quantity, value unchanged
  | 'per' // per-time / per-unit: suffix on the unit
  | 'date' // the value becomes a time point (date of a limit exceedance …)
  | 'duration' // the value becomes a duration in `unit`
  | 'count' // the value becomes a dimensionless count
  | 'multiply' // multiplicative correction factor 10^exp
  | 'add' // additive correction constant 10^exp × unit of the VIF
  | 'extension' // 7C / FC: the next byte is from the combinable extension table
  | 'manufacturer' // 7F / FF: further VIFEs are manufacturer specific
  | 'profile' // the data (LVAR) is a compact profile of EN 13757-3:2018 Annex F
  | 'unknown';

export interface VifeEntry {
  readonly action: VifeAction;
  /** Short machine-readable words: "backward", "per hour", "upper limit" … */
  readonly tag: string;
  /** Unit suffix for 'per', unit for 'duration'. */
  readonly unit: string;
  readonly exp: number;
  /** Multiplier of a 'duration' (minutes → s). */
  readonly mul: number;
}

function vife(action: VifeAction, tag: string, unit = '', exp = 0, mul = 1): VifeEntry {
  return { action, tag, unit, exp, mul };
}

const LIMIT_DURATION = ['s', 'min', 'h', 'd'] as const;

/** Orthogonal VIFE (VIFE & 0x7F) after the primary VIF or the first FB/FD VIFE. */
export const ORTHOGONAL_VIFE: readonly VifeEntry[] = (() => {
  const t: VifeEntry[] = [];
  for (let c = 0; c < 128; c++) t.push(vife('unknown', `VIFE ${c.toString(16).toUpperCase().padStart(2, '0')}`));
  // 00–1F: record error codes (meter → controller), EN 13757-3 Table 16
  for (let c = 0; c < 0x20; c++) t[c] = vife('tag', `error ${c.toString(16).toUpperCase().padStart(2, '0')}`);
  // EN 13757-3:2018 Table 15 gives 12–14 and 1D–1F new meanings (wmbusmeters dvparser.h agrees)
  t[0x12] = vife('tag', 'average');
  t[0x13] = vife('profile', 'inverse compact profile'); // elements go back in time from the base
  t[0x14] = vife('tag', 'relative deviation');
  t[0x1d] = vife('tag', 'standard conformant data content');
  t[0x1e] = vife('profile', 'compact profile with register numbers');
  t[0x1f] = vife('profile', 'compact profile');
  const per = ['/s', '/min', '/h', '/d', '/week', '/month', '/year'];
  const perWords = ['second', 'minute', 'hour', 'day', 'week', 'month', 'year'];
  for (let n = 0; n < 7; n++) t[0x20 + n] = vife('per', `per ${perWords[n]}`, per[n]);
  t[0x27] = vife('tag', 'per measurement');
  t[0x28] = vife('tag', 'increment per input pulse ch0');
  t[0x29] = vife('tag', 'increment per input pulse ch1');
  t[0x2a] = vife('tag', 'increment per output pulse ch0');
  t[0x2b] = vife('tag', 'increment per output pulse ch1');
  const perUnit = ['/l', '/m3', '/kg', '/K', '/kWh', '/GJ', '/kW', '/(K·l)', '/V', '/A'];
  for (let n = 0; n < perUnit.length; n++) t[0x2c + n] = vife('per', `per ${perUnit[n].slice(1)}`, perUnit[n]);
  t[0x36] = vife('per', 'multiplied by s', '·s');
  t[0x37] = vife('per', 'multiplied by s/V', '·s/V');
  t[0x38] = vife('per', 'multiplied by s/A', '·s/A');
  t[0x39] = vife('date', 'start date/time of');
  t[0x3a] = vife('tag', 'uncorrected');
  t[0x3b] = vife('tag', 'forward'); // accumulation only if positive
  t[0x3c] = vife('tag', 'backward'); // accumulation of abs value only if negative
  t[0x3d] = vife('tag', 'both directions'); // EN 13757-3:2018: absolute value, both signs
  t[0x3e] = vife('tag', 'at base conditions');
  // 40–6F limit metadata, bit layout E1xx xxxx (EN 13757-3 Table 15): u = upper, f = last, b = end
  for (const u of [0, 8]) {
    const side = u ? 'upper' : 'lower';
    t[0x40 + u] = vife('tag', `${side} limit`);
    t[0x41 + u] = vife('count', `${side} limit exceedances`);
    t[0x42 + u] = vife('date', `${side} limit first exceedance begin`);
    t[0x43 + u] = vife('date', `${side} limit first exceedance end`);
    t[0x46 + u] = vife('date', `${side} limit last exceedance begin`);
    t[0x47 + u] = vife('date', `${side} limit last exceedance end`);
    for (let n = 0; n < 4; n++) {
      const mul = n === 1 ? 60 : 1;
      const unit = n === 1 ? 's' : LIMIT_DURATION[n];
      t[0x50 + u + n] = vife('duration', `${side} limit first exceedance duration`, unit, 0, mul);
      t[0x54 + u + n] = vife('duration', `${side} limit last exceedance duration`, unit, 0, mul);
    }
  }
  for (let n = 0; n < 4; n++) {
    const mul = n === 1 ? 60 : 1;
    const unit = n === 1 ? 's' : LIMIT_DURATION[n];
    t[0x60 + n] = vife('duration', 'duration of first', unit, 0, mul);
    t[0x64 + n] = vife('duration', 'duration of last', unit, 0, mul);
  }
  t[0x68] = vife('tag', 'during lower limit exceedance');
  t[0x69] = vife('tag', 'leakage');
  t[0x6a] = vife('date', 'date of first begin');
  t[0x6b] = vife('date', 'date of first end');
  t[0x6c] = vife('tag', 'during upper limit exceedance');
  t[0x6d] = vife('tag', 'overflow');
  t[0x6e] = vife('date', 'date of last begin');
  t[0x6f] = vife('date', 'date of last end');
  for (let n = 0; n < 8; n++) t[0x70 + n] = vife('multiply', 'corrected', '', n - 6);
  for (let n = 0; n < 4; n++) t[0x78 + n] = vife('add', 'offset', '', n - 3);
  t[0x7c] = vife('extension', 'extension');
  t[0x7d] = vife('multiply', 'corrected', '', 3);
  t[0x7e] = vife('tag', 'future value');
  t[0x7f] = vife('manufacturer', 'manufacturer VIFE');
  return t;
})();

/** Second table of combinable VIFEs, after 7C/FC (EN 13757-3:2018 Table 17, protocols.md §3.6). */
export const ORTHOGONAL_EXTENSION: readonly string[] = (() => {
  const t: string[] = [];
  for (let c = 0; c < 128; c++) t.push(`extension ${c.toString(16).toUpperCase().padStart(2, '0')}`);
  t[0x01] = 'at phase L1';
  t[0x02] = 'at phase L2';
  t[0x03] = 'at phase L3';
  t[0x04] = 'at neutral';
  t[0x05] = 'between L1 and L2';
  t[0x06] = 'between L2 and L3';
  t[0x07] = 'between L3 and L1';
  t[0x08] = 'quadrant Q1';
  t[0x09] = 'quadrant Q2';
  t[0x0a] = 'quadrant Q3';
  t[0x0b] = 'quadrant Q4';
  t[0x0c] = 'import minus export';
  return t;
})();
