// Values a driver adds to the records (shared/drivers/extras.ts), with telegrams from the
// drivers' public tests.
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../shared/bytes/hex.js';
import { defineDriver, driverMatches, readByteField } from '../../../shared/drivers/define.js';
import { fitsLayout, planExtras, runExtras } from '../../../shared/drivers/extras.js';
import { em24 } from '../../../shared/drivers/gavazzi/em24.js';
import { applyDriver, findDriver } from '../../../shared/drivers/index.js';
import { multical403 } from '../../../shared/drivers/kamstrup/heat.js';
import { decodeTelegram } from '../../../shared/wmbus/telegram.js';

// wmbusmeters drivers/src/em24.xmq test "Elen"
const EM24 = '35442D2C6666666633028D2070806A0520B4D3780405F208000004FB82753F00000004853C0000000004FB82F53CCA01000001FD1722';
// protocols.md TV-8 MULTICAL 403 long frame
const MC403_LONG =
  '56442D2C99480571340C8D2019708C8322C88F780406AF7D000004FF076556020004FF08D7E701000414CC7A0500043B00000000' +
  '02598F0C025D920D04FF2200000000026CDF214406AF7D00004414CC7A0500426CC121';

function records(hex: string) {
  const r = decodeTelegram(fromHex(hex));
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('; '));
  return r.value;
}

describe('planExtras / runExtras', () => {
  it('em24: unscaled reactive energies and the apparent energy formula', () => {
    const t = records(EM24);
    expect(findDriver(t.address)).toBe(em24);
    const plan = planExtras(em24, t.records);
    expect(plan.adds).toBe(true);
    expect(fitsLayout(plan, t.records)).toBe(true);
    const extras = runExtras(plan, t.records);
    const by = Object.fromEntries(extras.map((e) => [e.name, [e.value, e.unit]]));
    expect(by).toMatchObject({ reactive: [63, 'kvarh'], reactiveExport: [458, 'kvarh'], apparentExport: [458, 'kVAh'] });
    expect(by.apparent![0]).toBeCloseTo(237.507895, 6);
    // plain registers the records already carry are not repeated
    expect(by.energy).toBeUndefined();
  });

  it('adds nothing for a Kamstrup heat meter whose E8/E9 already carry m³·°C', () => {
    const t = records(MC403_LONG);
    expect(planExtras(multical403, t.records).adds).toBe(false);
  });

  it('a different record layout does not fit a plan', () => {
    const t = records(EM24);
    const plan = planExtras(em24, t.records);
    expect(fitsLayout(plan, t.records.slice(1))).toBe(false);
  });
});

describe('readByteField', () => {
  it('walks a tag-value layout to the tag (apator162: tag 10 = litres)', () => {
    // wmbusmeters drivers/src/apator162.xmq test "W2": payload after 2F2F
    const payload = fromHex('0F334DA39A00000071011ABF0D00039A0D00A01053850310CECC0D008943');
    const lengths = { 0x71: 9, 0xa0: 4 };
    expect(readByteField({ offset: 8, length: 4, tagged: { tag: 0x10, lengths } }, payload)).toBe(904398);
    // an unknown tag before the wanted one stops the walk
    expect(readByteField({ offset: 8, length: 4, tagged: { tag: 0x10, lengths: { 0x71: 9 } } }, payload)).toBeUndefined();
  });

  it('reads little-endian, BCD and bit fields and refuses short data', () => {
    const b = fromHex('341203');
    expect(readByteField({ offset: 0, length: 2 }, b)).toBe(0x1234);
    expect(readByteField({ offset: 0, length: 2, encoding: 'bcd-le' }, b)).toBe(1234);
    expect(readByteField({ offset: 0, length: 1, shift: 4, mask: 0x0f }, b)).toBe(3);
    expect(readByteField({ offset: 2, length: 2 }, b)).toBeUndefined();
  });

  it('reads big-endian numbers, check bytes and "not recorded" values', () => {
    const b = fromHex('4B03C1FFFFFF');
    expect(readByteField({ offset: 1, length: 2, encoding: 'uint-be' }, b)).toBe(0x03c1);
    expect(readByteField({ offset: 1, length: 2, encoding: 'uint-be', mask: 0xff }, b)).toBe(0xc1);
    expect(readByteField({ offset: 1, length: 1, check: { offset: 0, value: 0x4b } }, b)).toBe(3);
    expect(readByteField({ offset: 1, length: 1, check: { offset: 0, value: 0x4c } }, b)).toBeUndefined();
    expect(readByteField({ offset: 3, length: 3, zeroFrom: 10_000_000 }, b)).toBe(0);
  });

  it('finds optional blocks announced by flag bits (hydrodigit content byte)', () => {
    const blocks = [{ bit: 0x01, length: 1 }, { bit: 0x80, length: 3 }, { bit: 0x04, length: 4 }];
    const flagged = (block: number) => ({ offset: 0, length: 1, flagged: { blocks, block } });
    // 85: battery, leak date, backflow
    const all = fromHex('850A24042507000000');
    expect(readByteField(flagged(0), all)).toBe(0x0a);
    expect(readByteField({ ...flagged(2), length: 4 }, all)).toBe(7);
    // 04: backflow only, right after the flag byte
    expect(readByteField({ ...flagged(2), length: 4 }, fromHex('0401000000'))).toBe(1);
    expect(readByteField(flagged(0), fromHex('0401000000'))).toBeUndefined();
  });
});

describe('map, hidden fields and CI matching', () => {
  const driver = defineDriver({
    id: 'test-bytes',
    name: 'test',
    medium: 'water',
    match: [{ mfct: 'TST', ci: [0xa2] }],
    fields: {
      code: { quantity: 'voltage', bytes: { offset: 0, length: 1, mask: 0x0f }, map: { 11: 3.2 }, unit: 'V' },
      high: { quantity: 'number', bytes: { offset: 1, length: 1 }, factor: 256, unit: '', hidden: true },
      low: { quantity: 'number', bytes: { offset: 2, length: 1 }, unit: '', hidden: true },
      sum: { quantity: 'hca', formula: { op: 'sum', of: ['high', 'low'] }, unit: 'HCA' },
    },
  });
  const bytes = fromHex('FB0203');

  it('looks codes up, and reports formulas but not their hidden inputs', () => {
    const plan = planExtras(driver, []);
    expect(runExtras(plan, [], bytes).map((e) => [e.name, e.value])).toEqual([['code', 3.2], ['sum', 515]]);
    const address = { manufacturer: 'TST', id: '00000001', version: 1, deviceType: 7 };
    const read = applyDriver({ address, records: [], manufacturerData: { bytes }, tpl: { ci: 0xa2 } }, driver);
    expect(Object.keys(read.fields).sort()).toEqual(['code', 'sum']);
  });

  it('matches a CI-restricted entry only for that CI', () => {
    const address = { manufacturer: 'TST', id: '00000001', version: 1, deviceType: 7 };
    expect(driverMatches(driver, address, 0xa2)).toBe(true);
    expect(driverMatches(driver, address, 0x7a)).toBe(false);
    expect(driverMatches(driver, address)).toBe(false);
  });
});
