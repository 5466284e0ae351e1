import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';
import { encodeRecords, type DataType, type RecordSpec } from '../../../shared/mbus/encode-records.js';
import { decodeRecords } from '../../../shared/mbus/records.js';
import type { RecordFunction } from '../../../shared/model/record.js';

describe('encodeRecords', () => {
  it('reproduces the TV-10 MULTICAL 403 record area byte for byte (protocols.md §3.8)', () => {
    const frame = fromHex(
      '68464668084a72447744772d2c3404060000000406ce86000004ff073444020004ff08f8ce0100041411680300043B0f02000002593c19025da41104ff220000000004a5ff21c7d02700d916',
    );
    const bytes = encodeRecords([
      { type: 'int32', quantity: 'energy kWh', value: 34510 },
      { type: 'int32', vif: [0xff, 0x07], value: 148532 },
      { type: 'int32', vif: [0xff, 0x08], value: 118520 },
      { type: 'int32', quantity: 'volume 10 l', value: 223249 },
      { type: 'int32', quantity: 'volume flow l/h', value: 527 },
      { type: 'int16', quantity: 'flow temperature 0.01 °C', value: 6460 },
      { type: 'int16', quantity: 'return temperature 0.01 °C', value: 4516 },
      { type: 'int32', vif: [0xff, 0x22], value: 0 },
      { type: 'int32', vif: [0xa5, 0xff, 0x21], value: 2609351 },
    ]);
    expect(toHex(bytes)).toBe(toHex(frame, 19, frame.length - 2));
  });

  it.each<[RecordSpec, string]>([
    [{ type: 'int32', subunit: 1, vif: [0x14], value: 0 }, '84401400000000'],
    [{ type: 'int32', subunit: 2, vif: [0x14], value: 0 }, '8480401400000000'],
    [{ type: 'int32', storage: 1, subunit: 1, vif: [0x14], value: 0 }, 'C4401400000000'],
    [{ type: 'int32', tariff: 1, vif: [0x0f], value: 0 }, '84100F00000000'],
    [{ type: 'int16', storage: 2, function: 'maximum', vif: [0x3b], value: 1 }, '92013B0100'],
    [{ type: 'int16', storage: 1, quantity: 'date', value: '2024-01-01' }, '426C0131'],
    [{ type: 'int32', quantity: 'datetime', value: '2024-01-15T11:46' }, '046D2E2B0F31'],
    [{ type: 'bcd8', quantity: 'fabrication number', value: 84853230 }, '0C7830328584'],
    [{ type: 'bcd8', vif: [0x13], value: -2345678 }, '0C13785634F2'],
    [{ type: 'variable', vif: [0x16], value: 'ABC' }, '0D1603434241'],
    [{ type: 'none', vif: [0x16] }, '0016'],
  ])('%j → %s (§3.1 DIFE examples, TV-11)', (spec, hex) => {
    expect(toHex(encodeRecords([spec]))).toBe(hex);
  });

  it('appends the manufacturer tail after 0F or 1F', () => {
    expect(toHex(encodeRecords([], { manufacturerData: Uint8Array.of(1, 2) }))).toBe('0F0102');
    expect(toHex(encodeRecords([], { moreRecordsFollow: true }))).toBe('1F');
  });

  it('throws on misuse, with the numbers', () => {
    expect(() => encodeRecords([{ type: 'int8', vif: [0x16], value: 300 }])).toThrow(/300 does not fit 8 bits/);
    expect(() => encodeRecords([{ type: 'bcd2', vif: [0x16], value: 100 }])).toThrow(RangeError);
    expect(() => encodeRecords([{ type: 'int32', value: 1 }])).toThrow(TypeError);
    expect(() => encodeRecords([{ type: 'int32', vif: [0x16], value: 1, tariff: -1 }])).toThrow(/tariff/);
  });
});

describe('encode → decode round trips', () => {
  const ranges: Record<string, [number, number]> = {
    int8: [-128, 127],
    int16: [-32768, 32767],
    int24: [-(2 ** 23), 2 ** 23 - 1],
    int32: [-(2 ** 31), 2 ** 31 - 1],
    int48: [-(2 ** 47), 2 ** 47 - 1],
    int64: [-(2 ** 53) + 1, 2 ** 53 - 1],
    bcd2: [0, 99],
    bcd4: [-999, 9999],
    bcd6: [-99999, 999999],
    bcd8: [-9999999, 99999999],
    bcd12: [-99999999999, 999999999999],
  };
  const numeric = fc.constantFrom(...Object.keys(ranges)).chain((type) =>
    fc.integer({ min: ranges[type][0], max: ranges[type][1] }).map((value) => ({ type: type as DataType, value })),
  );
  const spec = fc.record({
    data: numeric,
    storage: fc.integer({ min: 0, max: 2 ** 20 }),
    tariff: fc.integer({ min: 0, max: 255 }),
    subunit: fc.integer({ min: 0, max: 15 }),
    function: fc.constantFrom<RecordFunction>('instantaneous', 'maximum', 'minimum', 'error'),
  });

  it('random records (VIF 16 = m3, unscaled) come back with the same value and DIF fields', () => {
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 6 }), (specs) => {
        const bytes = encodeRecords(
          specs.map((s) => ({ ...s.data, storage: s.storage, tariff: s.tariff, subunit: s.subunit, function: s.function, vif: [0x16] })),
        );
        const r = decodeRecords(bytes, 0, bytes.length);
        expect(r.issues).toEqual([]);
        expect(r.records.map((x) => [x.value, x.storage, x.tariff, x.subunit, x.function])).toEqual(
          specs.map((s) => [s.data.value, s.storage, s.tariff, s.subunit, s.function]),
        );
        expect(r.records.reduce((n, x) => n + x.length, 0)).toBe(bytes.length);
      }),
      { numRuns: 300 },
    );
  });

  it('dates, text, float and scaled quantities', () => {
    const bytes = encodeRecords([
      { type: 'int16', quantity: 'date', value: '2019-10-31' },
      { type: 'int48', quantity: 'datetime', value: '2024-01-15T11:46:07' },
      { type: 'int24', quantity: 'datetime', value: '13:45:10' },
      { type: 'variable', vif: [0xfd, 0x11], value: 'Flat 3b' },
      { type: 'real32', quantity: 'power kW', value: 12.5 },
      { type: 'int32', quantity: 'energy kWh backward', value: 794 },
      { type: 'variable', vif: [0x16], value: Uint8Array.of(1, 0, 0) },
    ]);
    const r = decodeRecords(bytes, 0, bytes.length);
    expect(r.issues).toEqual([]);
    expect(r.records.map((x) => [x.value, x.unit, x.quantity])).toEqual([
      ['2019-10-31', 'date', 'time point'],
      ['2024-01-15T11:46:07', 'datetime', 'time point'],
      ['13:45:10', 'time', 'time point'],
      ['Flat 3b', '', 'customer'],
      [12.5, 'kW', 'power'],
      [794, 'kWh', 'energy backward'],
      [1, 'm3', 'volume'],
    ]);
  });
});
