import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex } from '../../../shared/bytes/hex.js';
import { decodeRecords } from '../../../shared/mbus/records.js';
import type { DataRecord } from '../../../shared/model/record.js';

/** Decodes a record area given as hex (spaces allowed). */
function decode(hex: string) {
  const b = fromHex(hex);
  return decodeRecords(b, 0, b.length);
}

function one(hex: string): DataRecord {
  const r = decode(hex);
  expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
  expect(r.records).toHaveLength(1);
  return r.records[0];
}

// TV-10: MULTICAL 403 RSP_UD (protocols.md §3.8, §8.10); records from byte 19 (after
// 68 L L 68 C A CI and the 12-byte long header) to the checksum.
const TV10 = fromHex(
  '68464668084a72447744772d2c3404060000000406ce86000004ff073444020004ff08f8ce0100041411680300043B0f02000002593c19025da41104ff220000000004a5ff21c7d02700d916',
);
// TV-11: MULTICAL 603 RSP_UD (§8.10)
const TV11 = fromHex(
  '68c9c96808e672323232322d2c35041900000004fB006083000004ff074006010004ff08299400000416984e010084401400000000848040140000000004225043000034221c0000000259c91f025d4f1102617a0e042e30020000142e65030000043c24050000143ce308000004ff2200000000046d2e2B0f3144fB00007d000044ff07Bdf9000044ff08308d00004416B73f0100c4401400000000c480401400000000542ed9020000543ce8090000426c013102ff1a011B0c783032858404ff16e5841e0004ff17c1d5B400a516',
);

type Row = [difvif: string, value: number | string, unit: string, quantity: string, storage?: number, fn?: string, subunit?: number];

function check(records: DataRecord[], rows: Row[]): void {
  expect(records.map((r) => r.difvif)).toEqual(rows.map((r) => r[0]));
  rows.forEach(([difvif, value, unit, quantity, storage = 0, fn = 'instantaneous', subunit = 0], i) => {
    const r = records[i];
    const where = `${i} ${difvif}`;
    if (typeof value === 'number') expect(r.value, where).toBeCloseTo(value, 9);
    else expect(r.value, where).toBe(value);
    expect([r.unit, r.quantity, r.storage, r.function, r.subunit, r.tariff], where).toEqual([unit, quantity, storage, fn, subunit, 0]);
  });
}

describe('worked decodes', () => {
  it('TV-10 MULTICAL 403 (§3.8): every value the doc gives', () => {
    const r = decodeRecords(TV10, 19, TV10.length - 2);
    expect(r.issues).toEqual([]);
    check(r.records, [
      ['0406', 34510, 'kWh', 'energy'],
      ['04FF07', 148532, '', 'manufacturer specific'],
      ['04FF08', 118520, '', 'manufacturer specific'],
      ['0414', 2232.49, 'm3', 'volume'],
      ['043B', 0.527, 'm3/h', 'volume flow'],
      ['0259', 64.6, '°C', 'flow temperature'],
      ['025D', 45.16, '°C', 'return temperature'],
      ['04FF22', 0, '', 'manufacturer specific'],
      ['04A5FF21', 43489.183333333, 'h', 'operating time'],
    ]);
    // exact decimals, not 2232.4900000000002
    expect(r.records[3].value).toBe(2232.49);
    expect(r.records[8].vife).toEqual(['manufacturer 21']);
    expect(r.records[0]).toMatchObject({ offset: 19, length: 6 });
    expect(r.spans[0]).toEqual({ offset: 19, length: 6, label: '0406 energy', text: '34510 kWh' });
    expect(r.spans).toHaveLength(9);
    expect(r.manufacturerData).toBeUndefined();
  });

  it('TV-11 MULTICAL 603 (§8.10, §10): every value the doc gives', () => {
    const r = decodeRecords(TV11, 19, TV11.length - 2);
    expect(r.issues).toEqual([]);
    check(r.records, [
      ['04FB00', 3363200, 'kWh', 'energy'],
      ['04FF07', 67136, '', 'manufacturer specific'],
      ['04FF08', 37929, '', 'manufacturer specific'],
      ['0416', 85656, 'm3', 'volume'],
      ['844014', 0, 'm3', 'volume', 0, 'instantaneous', 1],
      ['84804014', 0, 'm3', 'volume', 0, 'instantaneous', 2],
      ['0422', 17232, 'h', 'on time'],
      ['3422', 28, 'h', 'on time', 0, 'error'],
      ['0259', 81.37, '°C', 'flow temperature'],
      ['025D', 44.31, '°C', 'return temperature'],
      ['0261', 37.06, 'K', 'temperature difference'],
      ['042E', 560, 'kW', 'power'],
      ['142E', 869, 'kW', 'power', 0, 'maximum'],
      ['043C', 13.16, 'm3/h', 'volume flow'],
      ['143C', 22.75, 'm3/h', 'volume flow', 0, 'maximum'],
      ['04FF22', 0, '', 'manufacturer specific'],
      ['046D', '2024-01-15T11:46', 'datetime', 'time point'],
      ['44FB00', 3200000, 'kWh', 'energy', 1],
      ['44FF07', 63933, '', 'manufacturer specific', 1],
      ['44FF08', 36144, '', 'manufacturer specific', 1],
      ['4416', 81847, 'm3', 'volume', 1],
      ['C44014', 0, 'm3', 'volume', 1, 'instantaneous', 1],
      ['C4804014', 0, 'm3', 'volume', 1, 'instantaneous', 2],
      ['542E', 729, 'kW', 'power', 1, 'maximum'],
      ['543C', 25.36, 'm3/h', 'volume flow', 1, 'maximum'],
      ['426C', '2024-01-01', 'date', 'time point', 1],
      ['02FF1A', 6913, '', 'manufacturer specific'],
      ['0C78', '84853230', '', 'fabrication number'],
      ['04FF16', 2000101, '', 'manufacturer specific'],
      ['04FF17', 11851201, '', 'manufacturer specific'],
    ]);
  });
});

describe('DIF and DIFE (§3.1)', () => {
  it.each([
    ['84 40 14 01000000', { storage: 0, tariff: 0, subunit: 1, function: 'instantaneous' }],
    ['84 80 40 14 01000000', { storage: 0, tariff: 0, subunit: 2, function: 'instantaneous' }],
    ['C4 40 14 01000000', { storage: 1, tariff: 0, subunit: 1, function: 'instantaneous' }],
    ['84 10 0F 01000000', { storage: 0, tariff: 1, subunit: 0, function: 'instantaneous' }],
    ['92 01 3B 0100', { storage: 2, tariff: 0, subunit: 0, function: 'maximum' }],
    ['A2 01 3B 0100', { storage: 2, tariff: 0, subunit: 0, function: 'minimum' }],
    ['F4 8F FF 7F 13 01000000', { storage: 1 + 30 + 480 + 7680, tariff: 12 + 48, subunit: 2 + 4, function: 'error' }],
  ])('%s', (hex, expected) => {
    expect(one(hex)).toMatchObject(expected);
  });

  it('92 01 3B is a 16-bit maximum flow in l/h', () => {
    expect(one('92 01 3B E803')).toMatchObject({ value: 1, unit: 'm3/h', difvif: '92013B', length: 5 });
  });

  it('stops after 10 DIFE with an error', () => {
    const r = decode('84' + '80'.repeat(11) + '00 13 01000000');
    expect(r.records).toEqual([]);
    expect(r.issues[0]).toMatchObject({ code: 'unknown-dif', severity: 'error' });
  });
});

describe('data field codes (§3.2, §3.4)', () => {
  it.each([
    ['00 16', ''],
    ['08 16', ''],
    ['01 16 FF', -1],
    ['02 16 3412', 0x1234],
    ['02 16 FFFF', -1],
    ['03 16 563412', 0x123456],
    ['03 16 FEFFFF', -2],
    ['04 16 78563412', 0x12345678],
    ['04 16 FEFFFFFF', -2],
    ['05 16 00004841', 12.5],
    ['05 16 000048C1', -12.5],
    ['06 16 010000000080', -(2 ** 47) + 1],
    ['06 16 FFFFFFFFFF7F', 2 ** 47 - 1],
    ['07 16 0000000000001000', 2 ** 52],
    ['07 16 FEFFFFFFFFFFFFFF', -2],
    ['09 16 12', 12],
    ['0A 16 3412', 1234],
    ['0B 16 563412', 123456],
    ['0C 16 78563412', 12345678],
    ['0C 16 785634F2', -2345678],
    ['0E 16 129078563412', 123456789012],
    ['0D 16 03 434241', 'ABC'],
    ['0D 16 C2 3412', 1234],
    ['0D 16 D2 3412', -1234],
    ['0D 16 E3 010001', 0x010001],
    ['0D 16 E3 FFFFFF', -1],
    ['0D 16 F0 000102030405060708090A0B0C0D0E0F', '0F0E0D0C0B0A09080706050403020100'],
  ])('%s → %s', (hex, value) => {
    expect(one(hex).value).toBe(value);
  });

  it('reads data codes 9–E as BCD scaled by the VIF: 0C 13 → litres as m3', () => {
    expect(one('0C 13 78563412')).toMatchObject({ value: 12345.678, unit: 'm3' });
  });

  it('keeps BCD with display-code nibbles as text and warns', () => {
    const r = decode('0B 13 DDEBBD');
    expect(r.records[0].value).toBe('BDEBDD');
    expect(r.issues).toEqual([expect.objectContaining({ code: 'bad-value', severity: 'warning', offset: 2 })]);
  });

  it('LVAR text that is not printable comes back as hex in frame order', () => {
    expect(one('0D 7C 03 79656B 04 0AB3ED14')).toMatchObject({ value: '0AB3ED14', unit: 'key', quantity: 'key' });
  });

  it('reserved LVAR F7 stops with an error', () => {
    const r = decode('0D 16 F7 00 00');
    expect(r.records).toEqual([]);
    expect(r.issues[0]).toMatchObject({ code: 'unknown-dif', offset: 2 });
  });
});

describe('special DIFs (§3.3)', () => {
  it('2F fillers are skipped, in one span per run', () => {
    const r = decode('2F2F 0406 01000000 2F');
    expect(r.records.map((x) => x.offset)).toEqual([2]);
    expect(r.spans.map((s) => [s.offset, s.length, s.label])).toEqual([
      [0, 2, '2F filler'],
      [2, 6, '0406 energy'],
      [8, 1, '2F filler'],
    ]);
  });

  it('0F: the manufacturer tail is kept apart, not as a record', () => {
    const r = decode('0406 01000000 0F 00017513');
    expect(r.records).toHaveLength(1);
    expect(r.manufacturerData).toEqual({ offset: 7, bytes: fromHex('00017513'), moreRecordsFollow: false });
    expect(r.issues).toEqual([]);
  });

  it('1F: more records follow', () => {
    const r = decode('0406 01000000 1F');
    expect(r.manufacturerData).toEqual({ offset: 7, bytes: new Uint8Array(0), moreRecordsFollow: true });
  });

  it('7F global readout is skipped; reserved 4F stops with unknown-dif', () => {
    expect(decode('7F 0406 01000000').records).toHaveLength(1);
    const r = decode('0406 01000000 4F 0406 01000000');
    expect(r.records).toHaveLength(1);
    expect(r.issues).toEqual([expect.objectContaining({ code: 'unknown-dif', severity: 'error', offset: 6 })]);
  });
});

describe('VIF, extension tables and orthogonal VIFE (§3.5, §3.6)', () => {
  it.each([
    ['0403 E8030000', 1, 'kWh', 'energy'],
    ['0404 1A030000', 7.94, 'kWh', 'energy'], // TV-9 OMNIPOWER A+
    ['042B 03000000', 0.003, 'kW', 'power'], // TV-9 P+
    ['040E 10270000', 10, 'GJ', 'energy'], // 10000 MJ
    ['040F 01000000', 0.01, 'GJ', 'energy'],
    ['04FB08 05000000', 0.5, 'GJ', 'energy'],
    ['0413 39300000', 12.345, 'm3', 'volume'],
    ['0433 10270000', 10000 / 3600, 'kW', 'power'], // 10000 kJ/h
    ['0441 01000000', 0.00006, 'm3/h', 'volume flow'], // 10^-6 m3/min
    ['0447 01000000', 60, 'm3/h', 'volume flow'], // 1 m3/min
    ['044F 01000000', 36, 'm3/h', 'volume flow'], // 10^-2 m3/s
    ['0223 0200', 48, 'h', 'on time'], // days
    ['0220 100E', 1, 'h', 'on time'], // 3600 s
    ['0271 0A00', 600, 's', 'averaging duration'], // minutes
    ['025A 0F01', 27.1, '°C', 'flow temperature'],
    ['0265 0F01', 2.71, '°C', 'external temperature'],
    ['026A 0F01', 27.1, 'bar', 'pressure'],
    ['026E 0F01', 271, 'HCA', 'HCA units'],
    ['02FD17 0480', 0x8004, '', 'error flags'],
    ['02FD1B 0100', 1, '', 'digital input'],
    ['02FD48 D408', 226, 'V', 'voltage'],
    ['02FD59 E803', 1, 'A', 'current'],
    ['01FD0E 02', 2, '', 'firmware version'],
    ['02FB1A E803', 100, '%RH', 'relative humidity'],
    ['04FB5A 48080000', 100, '°C', 'flow temperature'], // 212.0 °F
    ['02FD74 6400', 100, 'd', 'remaining battery life'],
    ['027C09656D6974202E746162 D409', 2516, 'bat. time', 'bat. time'], // plain-text VIF, text reversed
  ])('%s → %s %s', (hex, value, unit, quantity) => {
    const r = one(hex);
    expect(r.value).toBeCloseTo(value as number, 9);
    expect([r.unit, r.quantity]).toEqual([unit, quantity]);
  });

  it('0C 78 fabrication number keeps leading zeros', () => {
    expect(one('0C78 54029904')).toMatchObject({ value: '04990254', unit: '', quantity: 'fabrication number' });
  });

  it('VIFE 3C / 3B mark backward and forward accumulation (OMNIPOWER A−, P−)', () => {
    expect(one('0484 3C 1A030000')).toMatchObject({ value: 7.94, unit: 'kWh', quantity: 'energy backward', vife: ['backward'], difvif: '04843C' });
    expect(one('04AB 3C 03000000')).toMatchObject({ value: 0.003, unit: 'kW', quantity: 'power backward' });
    expect(one('0493 3B 01000000')).toMatchObject({ quantity: 'volume forward' });
  });

  it('per-time VIFE changes the unit', () => {
    expect(one('0496 22 05000000')).toMatchObject({ value: 5, unit: 'm3/h', quantity: 'volume per hour', vife: ['per hour'] });
  });

  it('multiplicative and additive correction VIFEs change the value', () => {
    expect(one('0496 75 05000000')).toMatchObject({ value: 0.5, unit: 'm3', vife: ['corrected'] }); // × 10^-1
    expect(one('0496 7D 05000000')).toMatchObject({ value: 5000, unit: 'm3' }); // × 10^3
    expect(one('0496 7B 05000000').value).toBe(6); // + 10^0 m3
    expect(one('0493 7B 05000000').value).toBeCloseTo(0.006, 12); // (5 + 1) l
  });

  it('VIFE FC extension: at phase L1', () => {
    expect(one('04AB FC 01 E8030000')).toMatchObject({ value: 1, unit: 'kW', quantity: 'power at phase L1', difvif: '04ABFC01' });
  });

  it('VIFE FF: what follows is manufacturer specific; the value keeps the VIF', () => {
    expect(one('04A5FF21 C7D02700')).toMatchObject({ unit: 'h', quantity: 'operating time', vife: ['manufacturer 21'] });
  });

  it('limit VIFEs 40–6F become metadata: a date of a maximum is read as a date', () => {
    // Landis+Gyr UltraHeat T230 (libmbus test frame): max flow temperature, date of last end
    expect(one('9410DA6F 34145A1B')).toMatchObject({ unit: 'datetime', function: 'maximum', tariff: 1 });
  });

  // The two libmbus corpus frames that keep mbus.all at 73/75: libmbus ignores these combinable
  // VIFEs (README "libmbus is a reference, not an oracle") and prints the VIF's own unit. EN 13757-3
  // Table 15 (protocols.md §3.6) makes the record a duration or a date; the values prove it.
  it('VIFE E101 ufnn: duration of a limit exceedance in s, not a flow (SEN Pollustat, real bytes)', () => {
    // 04 BE 50: 32-bit, VIF 3E volume flow m3/h, VIFE 50 = lower limit, first, nn=00 seconds.
    // 11 582 321 s = 134 days of a 183-day on-time; 11.6 million m3/h would be absurd.
    expect(one('04BE50 71BBB000')).toMatchObject({
      value: 11582321, unit: 's', quantity: 'volume flow lower limit first exceedance duration',
    });
    // VIFE 58 = upper limit (u bit 3), first, seconds
    expect(one('04BE58 F4020000')).toMatchObject({
      value: 756, unit: 's', quantity: 'volume flow upper limit first exceedance duration',
    });
    // nn=01 minutes becomes seconds, nn=10 hours stays hours
    expect(one('04BE51 02000000')).toMatchObject({ value: 120, unit: 's' });
    expect(one('04BE5E 03000000')).toMatchObject({ value: 3, unit: 'h', quantity: 'volume flow upper limit last exceedance duration' });
  });

  it('VIFE E110 1f1b: the 32-bit value is a type F date (Landis+Gyr T230, real bytes)', () => {
    // 94 10 DA 6F: maximum, tariff 1, flow temperature 0.1 °C, VIFE 6F = date of last end.
    // 32 14 7A 18 → 2011-08-26 20:50 (the frame was read 2012-01-13); as a number it would be 41 million °C.
    expect(one('9410DA6F 32147A18')).toMatchObject({
      value: '2011-08-26T20:50', unit: 'datetime', quantity: 'flow temperature date of last end', function: 'maximum', tariff: 1,
    });
    expect(one('9410DE6F 2B0B6918')).toMatchObject({ value: '2011-08-09T11:43', quantity: 'return temperature date of last end' });
    // all-zero: no date set yet, flagged invalid rather than read as 0 kW
    const r = one('9410AD6F 00000000');
    expect(r.unit).toBe('datetime');
    expect(String(r.value)).toMatch(/^invalid/);
  });

  it('manufacturer-specific VIF FF: raw value, unit ""', () => {
    expect(one('04FF23 71000000')).toMatchObject({ value: 0x71, unit: '', quantity: 'manufacturer specific', difvif: '04FF23' });
  });

  it('unknown VIF codes keep the raw value with an unknown-vif warning', () => {
    for (const hex of ['04 6F 07000000', '04 FD 7F 07000000', '04 FB 40 07000000']) {
      const r = decode(hex);
      expect(r.records[0]).toMatchObject({ value: 7, unit: '' });
      expect(r.records[0].quantity).toMatch(/^reserved VIF/);
      expect(r.issues).toEqual([expect.objectContaining({ code: 'unknown-vif', severity: 'warning', offset: 0 })]);
    }
  });

  it('dates by data length: G, J, F, I; invalid ones flagged', () => {
    expect(one('026C 7F2A')).toMatchObject({ value: '2019-10-31', unit: 'date', quantity: 'time point' });
    expect(one('036D 0A2D0D')).toMatchObject({ value: '13:45:10', unit: 'time' });
    expect(one('066D 072E0B0F3100')).toMatchObject({ value: '2024-01-15T11:46:07', unit: 'datetime' });
    const r = decode('026C 0000');
    expect(r.records[0].value).toBe('invalid 2000-00-00');
    expect(r.issues).toEqual([expect.objectContaining({ code: 'bad-value', severity: 'warning', offset: 2 })]);
  });
});

describe('truncation and robustness', () => {
  const start = 19;
  const end = TV11.length - 2;
  const full = decodeRecords(TV11, start, end);
  const boundaries = new Set(full.records.map((r) => r.offset));

  it('a cut at every byte position yields a truncated issue at the record and keeps earlier records', () => {
    for (let cut = start; cut < end; cut++) {
      const r = decodeRecords(TV11, start, cut);
      const complete = full.records.filter((x) => x.offset + x.length <= cut);
      expect(r.records).toEqual(complete);
      if (boundaries.has(cut)) {
        expect(r.issues).toEqual([]);
      } else {
        const recordStart = Math.max(...full.records.filter((x) => x.offset < cut).map((x) => x.offset));
        expect(r.issues).toEqual([expect.objectContaining({ code: 'truncated', severity: 'error', offset: recordStart })]);
      }
    }
  });

  it('an end beyond the buffer is clamped and reported', () => {
    const r = decodeRecords(TV10, 19, TV10.length + 5);
    expect(r.issues[0]).toMatchObject({ code: 'truncated' });
  });

  it('random bytes never throw and always return well-formed records', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(8), (bytes, skip) => {
        const s = Math.min(skip, bytes.length);
        const r = decodeRecords(bytes, s, bytes.length);
        for (const rec of r.records) {
          expect(rec.offset + rec.length).toBeLessThanOrEqual(bytes.length);
          if (typeof rec.value === 'number') expect(Number.isNaN(rec.value)).toBe(false);
        }
        expect(Array.isArray(r.issues)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('spans can be turned off', () => {
    const r = decodeRecords(TV10, 19, TV10.length - 2, { spans: false });
    expect(r.spans).toEqual([]);
    expect(r.records).toHaveLength(9);
  });
});
