// Every example of every registered driver (style.md §7) through the real decoder, then the
// driver; the expected values are the ones the named source publishes, not our own output.
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../shared/bytes/hex.js';
import { aesKey } from '../../../shared/crypto/aes.js';
import { checkExample } from '../../../shared/drivers/examples.js';
import { ALL_DRIVERS, applyDriver } from '../../../shared/drivers/index.js';
import { CompactFormatTable } from '../../../shared/wmbus/compact.js';
import { decodeTelegram } from '../../../shared/wmbus/telegram.js';
import type { DriverExample, DriverInput } from '../../../shared/drivers/define.js';
import { decodeMbusFrame } from '../../../shared/mbus/frame.js';
import type { DecodeTelegramOptions } from '../../../shared/wmbus/telegram.js';
import { makeAlarm } from '../../../shared/model/alarm.js';
import type { Reading } from '../../../shared/model/reading.js';

function wireless(hex: string, options: DecodeTelegramOptions): DriverInput {
  const decoded = decodeTelegram(fromHex(hex), options);
  expect(decoded.ok, decoded.issues.map((i) => i.message).join('; ')).toBe(true);
  if (!decoded.ok) throw new Error('not decoded');
  return decoded.value;
}

function wired(hex: string): DriverInput {
  const decoded = decodeMbusFrame(fromHex(hex));
  expect(decoded.ok, decoded.issues.map((i) => i.message).join('; ')).toBe(true);
  if (!decoded.ok || decoded.value.address === undefined) throw new Error('no long header');
  const { address, status, records, manufacturerData } = decoded.value;
  return { address, status: status ?? null, records, manufacturerData: manufacturerData ?? null };
}

const cases = ALL_DRIVERS.flatMap((driver) => (driver.examples ?? []).map((example) => ({ driver, example })));

describe('driver examples through decodeTelegram + applyDriver', () => {
  it('every specific driver has examples, except models without a published telegram', () => {
    const without = ALL_DRIVERS.filter((d) => (d.examples ?? []).length === 0).map((d) => d.id);
    // No published wireless telegram in our sources for these models yet.
    expect(without).toEqual(['kamstrup-multical402', 'kamstrup-multical602']);
  });

  it.each(cases.map((c) => [`${c.driver.id}: ${c.example.note}`, c] as const))('%s', (_, { driver, example }) => {
    const formats = new CompactFormatTable({ seed: false }); // compact frames learn from their context
    for (const f of driver.compactFormats ?? []) formats.add(fromHex(f)); // … or from the driver
    const key = example.key === undefined ? undefined : aesKey(fromHex(example.key));
    const proprietaryPayload = (): boolean => driver.payload === 'proprietary';
    const options: DecodeTelegramOptions = key === undefined ? { formats, proprietaryPayload } : { formats, key, proprietaryPayload };
    for (const hex of example.context ?? []) {
      const c = decodeTelegram(fromHex(hex), options);
      expect(c.ok, `context: ${c.issues.map((i) => i.message).join('; ')}`).toBe(true);
    }
    const input = example.link === 'mbus' ? wired(example.hex) : wireless(example.hex, options);
    const reading = applyDriver(input);
    expect(reading.driver).toBe(driver.id);
    expect(checkExample(reading, example)).toEqual([]);
  });
});

describe('checkExample', () => {
  const reading: Reading = {
    driver: 'x',
    meter: { manufacturer: 'KAM', id: '76348799', version: 0x1b, deviceType: 0x16, medium: 'water' },
    fields: {
      total: { value: 6.408, unit: 'm3' },
      t: { value: null, unit: '°C' },
      date: { value: '2022-01-01', unit: 'date' },
      status: { value: 0x71, unit: '', flags: ['dry'] },
    },
    alarms: [makeAlarm('dry', 'KAM info code bit 0', { duration: { minHours: 528, maxHours: 744, text: '22-31 days' } })],
    unclaimed: [],
  };
  const base: DriverExample = { note: '', source: '', hex: '', expect: {} };

  it('accepts matching values, units, dates, nulls, flags and alarms', () => {
    const ok: DriverExample = {
      ...base,
      id: '76348799',
      expect: { total: [6.408, 'm3'], t: null, date: '2022-01-01', status: ['dry'] },
      alarms: [{ kind: 'dry', active: true, duration: '22-31 days' }],
    };
    expect(checkExample(reading, ok)).toEqual([]);
  });

  it('reports every difference', () => {
    const bad: DriverExample = {
      ...base,
      id: '11111111',
      expect: { total: [6.409, 'm3'], t: [1, '°C'], date: '2022-01-02', status: [], missing: [1, 'kWh'] },
      alarms: [{ kind: 'leak' }],
    };
    expect(checkExample(reading, bad)).toEqual([
      'id: expected 11111111, got 76348799',
      'total: expected 6.409 m3, got 6.408',
      't: expected 1 °C, got null',
      'date: expected 2022-01-02, got "2022-01-01"',
      'status: expected flags [], got ["dry"]',
      'missing: expected [1,"kWh"], field missing',
      'alarm {"kind":"leak"} missing',
      'unexpected alarm dry (KAM info code bit 0)',
    ]);
    expect(checkExample(reading, { ...base, expect: { total: [6408, 'l'] } })).toEqual(['total: expected unit l, got m3']);
  });
});
