import { describe, expect, it } from 'vitest';
import { bitTable, defineDriver, readFields } from '../../../shared/drivers/define.js';
import { convertUnit, matchesSelector, parseDifVif } from '../../../shared/drivers/select.js';
import { rec } from './records.js';

describe('parseDifVif (protocols.md §3.5, §3.6)', () => {
  it.each([
    ['0406', 'energy', []],
    ['04863C', 'energy', [0x3c]],
    ['04FB00', 'energy', []],
    ['0413', 'volume', []],
    ['043B', 'volume-flow', []],
    ['0259', 'flow-temperature', []],
    ['025D', 'return-temperature', []],
    ['0261', 'temperature-difference', []],
    ['8101E7FF0F', 'external-temperature', [0x7f]],
    ['04A5FF21', 'operating-time', [0x7f]],
    ['0422', 'on-time', []],
    ['426C', 'time-point', []],
    ['046D', 'time-point', []],
    ['02FD17', 'error-flags', []],
    ['04FF22', 'manufacturer', []],
    ['0C78', 'fabrication-number', []],
    ['0269', 'pressure', []],
    ['04AB3C', 'power', [0x3c]],
  ])('%s → %s', (difvif, kind, modifiers) => {
    expect(parseDifVif(difvif)).toMatchObject({ kind, modifiers });
  });

  it('reads the data width from the DIF', () => {
    expect(parseDifVif('02FF20')?.dataBits).toBe(16);
    expect(parseDifVif('04FF23')?.dataBits).toBe(32);
    expect(parseDifVif('01FF21')?.dataBits).toBe(8);
  });

  it('rejects malformed hex', () => {
    expect(parseDifVif('0')).toBeNull();
    expect(parseDifVif('84')).toBeNull(); // DIF with extension bit and nothing after
    expect(parseDifVif('zz')).toBeNull();
  });
});

describe('matchesSelector', () => {
  it('defaults to instantaneous, storage 0, tariff 0, subunit 0, not backward', () => {
    expect(matchesSelector(rec('0406', 1, 'kWh'), { vif: 'energy' })).toBe(true);
    expect(matchesSelector(rec('4406', 1, 'kWh'), { vif: 'energy' })).toBe(false); // storage 1
    expect(matchesSelector(rec('84100F', 1, 'GJ'), { vif: 'energy' })).toBe(false); // tariff 1
    expect(matchesSelector(rec('844014', 1, 'm3'), { vif: 'volume' })).toBe(false); // subunit 1
    expect(matchesSelector(rec('142D', 1, 'kW'), { vif: 'power' })).toBe(false); // maximum
    expect(matchesSelector(rec('04843C', 1, 'kWh'), { vif: 'energy' })).toBe(false); // backward
  });

  it('selects by storage, tariff, subunit, function and direction', () => {
    expect(matchesSelector(rec('4406', 1, 'kWh'), { vif: 'energy', storage: 1 })).toBe(true);
    expect(matchesSelector(rec('84100F', 1, 'GJ'), { vif: 'energy', tariff: 1 })).toBe(true);
    expect(matchesSelector(rec('84804014', 1, 'm3'), { vif: 'volume', subunit: 2 })).toBe(true);
    expect(matchesSelector(rec('C4804014', 1, 'm3'), { vif: 'volume', subunit: 2, storage: 1 })).toBe(true);
    expect(matchesSelector(rec('92013B', 1, 'l/h'), { vif: 'volume-flow', fn: 'maximum', storage: 2 })).toBe(true);
    expect(matchesSelector(rec('04843C', 1, 'kWh'), { vif: 'energy', direction: 'backward' })).toBe(true);
    expect(matchesSelector(rec('3422', 1, 'h'), { vif: 'on-time', fn: 'error' })).toBe(true);
  });

  it('never takes limit/duration metadata VIFEs (40..6F) for a main register', () => {
    expect(matchesSelector(rec('04A840', 1, 'kW'), { vif: 'power' })).toBe(false);
  });

  it('falls back to raw DIF/VIF, case-insensitive', () => {
    expect(matchesSelector(rec('04ff23', 0, ''), { difvif: '04FF23' })).toBe(true);
    expect(matchesSelector(rec('02FF20', 0, ''), { difvif: '04FF23' })).toBe(false);
  });
});

describe('convertUnit', () => {
  it('converts within a dimension', () => {
    expect(convertUnit(6408, 'l', 'm3')).toBe(6.408);
    expect(convertUnit(2605e6, 'J', 'kWh')).toBe(723.611111111);
    expect(convertUnit(2.605, 'GJ', 'kWh')).toBe(723.611111111);
    expect(convertUnit(317, 'l/h', 'm3/h')).toBe(0.317);
    expect(convertUnit(3, 'W', 'kW')).toBe(0.003);
    expect(convertUnit(7940, 'Wh', 'kWh')).toBe(7.94);
    expect(convertUnit(2609351, 'min', 'h')).toBeCloseTo(43489.183333, 6);
  });

  it('refuses to convert across dimensions', () => {
    expect(convertUnit(1, 'kWh', 'm3')).toBeNull();
    expect(convertUnit(1, '°C', 'K')).toBeNull();
    expect(convertUnit(1, 'furlong', 'm3')).toBeNull();
  });
});

describe('defineDriver', () => {
  const base = { name: 'x', medium: 'water' as const, match: [{ mfct: 'KAM' }] };

  it('throws on misuse with the argument and what was expected', () => {
    expect(() => defineDriver({ ...base, id: 'Bad Id', fields: {} })).toThrow(/kebab-case/);
    expect(() => defineDriver({ ...base, id: 'x', match: [{ mfct: 'kam' }], fields: {} })).toThrow(/3 capitals/);
    expect(() =>
      defineDriver({ ...base, id: 'x', fields: { a: { quantity: 'volume', select: { difvif: '0' } } } }),
    ).toThrow(/difvif/);
    expect(() => defineDriver({ ...base, id: 'x', fields: { a: { quantity: 'flags', select: { difvif: '02FF20' } } } })).toThrow(
      /status table/,
    );
  });

  it('reads fields, converts units, nulls "not available" values and lists unclaimed records', () => {
    const d = defineDriver({
      ...base,
      id: 'x',
      fields: {
        total: { quantity: 'volume', select: { vif: 'volume' } },
        t: { quantity: 'temperature', select: { vif: 'flow-temperature', fn: 'minimum', storage: 'any' }, unavailable: [127] },
        date: { quantity: 'date', select: { vif: 'time-point', storage: 1 } },
      },
    });
    const r = readFields(d, [rec('0413', 6408, 'l'), rec('615B', 127, '°C'), rec('426C', 'invalid', 'date'), rec('06FF1B', 5, '')]);
    expect(r.fields).toEqual({ total: { value: 6.408, unit: 'm3' }, t: { value: null, unit: '°C' }, date: { value: null, unit: 'date' } });
    expect(r.unclaimed).toEqual(['06FF1B']);
  });

  it('takes the first selector that finds a record', () => {
    const d = defineDriver({
      ...base,
      id: 'x',
      fields: { e: { quantity: 'energy', select: [{ vif: 'energy', storage: 1 }, { vif: 'energy' }] } },
    });
    expect(readFields(d, [rec('0406', 1, 'kWh'), rec('4406', 2, 'kWh')]).fields.e?.value).toBe(2);
    expect(readFields(d, [rec('0406', 1, 'kWh')]).fields.e?.value).toBe(1);
  });
});

describe('bitTable', () => {
  const t = bitTable('test', 'T', { 0: { flag: 'dry', kind: 'dry' } });

  it('names set bits and keeps undocumented ones as unknown alarms', () => {
    const d = t.decode(0x80000001);
    expect(d.flags).toEqual(['dry', 'bit 31']);
    expect(d.alarms.map((a) => [a.kind, a.source])).toEqual([
      ['dry', 'T bit 0'],
      ['unknown', 'T bit 31'],
    ]);
  });

  it('reads signed status words as unsigned', () => {
    const d = defineDriver({
      id: 'x', name: 'x', medium: 'water', match: [],
      fields: { s: { quantity: 'flags', select: { difvif: '02FF20' }, status: t } },
    });
    // 0x8001 decoded as int16 = -32767
    expect(readFields(d, [rec('02FF20', -32767, '')]).fields.s).toEqual({ value: 0x8001, unit: '', flags: ['dry', 'bit 15'] });
    // a byte string in transmission order
    expect(readFields(d, [rec('02FF20', '0180', '')]).fields.s?.value).toBe(0x8001);
  });
});
