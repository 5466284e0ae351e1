// The graph's data helpers (web/src/lib/chart): bucket labels on the utility's wall clock, marks,
// tooltip text, consumption from a meter's own series, and info codes named by the meter's driver.
import { describe, expect, test } from 'vitest';
import { chartColumns, describeBucket, periodLabel, seriesConsumption, type ConsumptionBucket } from '../../web/src/lib/chart/consumption';
import { infoMeanings, infoSummary } from '../../web/src/lib/chart/info-codes';

const utc = (s: string) => Date.parse(s);
const bucket = (from: string, value: number | null, more: Partial<ConsumptionBucket> = {}): ConsumptionBucket => ({
  from: utc(from), to: utc(from) + 3_600_000, value, exchange: false, rollover: false, reset: false, ...more
});
const kam21 = { manufacturer: 'KAM', serial: '12345678', version: 0x1b, deviceType: 0x16, driver: 'kamstrup-multical21' };

describe('periodLabel', () => {
  test('buckets start on the Copenhagen wall clock (UTC+1 in winter, +2 in summer)', () => {
    expect(periodLabel(utc('2026-10-31T23:00:00Z'), 'day', 'Europe/Copenhagen')).toBe('2026-11-01');
    expect(periodLabel(utc('2026-06-30T22:00:00Z'), 'month', 'Europe/Copenhagen')).toBe('2026-07');
    expect(periodLabel(utc('2026-11-03T13:00:00Z'), 'hour', 'Europe/Copenhagen')).toBe('2026-11-03 14:00');
    expect(periodLabel(utc('2025-12-31T23:00:00Z'), 'year', 'Europe/Copenhagen')).toBe('2026');
  });
});

describe('describeBucket', () => {
  test('says value, period and each mark, info codes with their meaning', () => {
    const b = bucket('2026-11-03T13:00:00Z', 1.5, { exchange: true, rollover: true, info: [{ meterId: 7, code: 4 }] });
    const d = describeBucket(b, { resolution: 'hour', timeZone: 'Europe/Copenhagen', unit: 'm3' }, (m, c) => `meter ${m} code ${c}`);
    expect(d).toEqual({
      period: '2026-11-03 14:00',
      value: '1.500 m3',
      marks: ['Meter exchange', 'Register rollover', 'Info codes: meter 7 code 4']
    });
    expect(describeBucket(bucket('2026-11-03T13:00:00Z', null), { resolution: 'hour', timeZone: 'UTC', unit: 'kWh' }, () => '').value).toBe('no reading');
  });
});

describe('chartColumns', () => {
  test('x in seconds, gaps stay null', () => {
    const [xs, ys] = chartColumns([bucket('2026-01-01T00:00:00Z', 2), bucket('2026-01-01T01:00:00Z', null)]);
    expect([...xs]).toEqual([utc('2026-01-01T00:00:00Z') / 1000, utc('2026-01-01T01:00:00Z') / 1000]);
    expect(ys).toEqual([2, null]);
  });
});

describe('seriesConsumption', () => {
  test('differences of the register between buckets with readings; a drop counts 0 and is marked', () => {
    const c = seriesConsumption(
      {
        meterId: 3,
        resolution: 'day',
        timeZone: 'UTC',
        at: [utc('2026-01-01T00:00:00Z'), utc('2026-01-02T00:00:00Z'), utc('2026-01-04T00:00:00Z'), utc('2026-01-05T00:00:00Z')],
        values: { energy: [null, null, null, null], volume: [10.1, 10.35, 10.3, 11], info: [null, 0, 16, null] }
      },
      utc('2026-01-06T00:00:00Z')
    );
    expect(c.register).toBe('volume');
    expect(c.unit).toBe('m3');
    expect(c.buckets.map((b) => b.value)).toEqual([null, 0.25, 0, 0.7]);
    expect(c.buckets.map((b) => b.reset)).toEqual([false, false, true, false]);
    expect(c.buckets[2].info).toEqual([{ meterId: 3, code: 16 }]);
    expect(c.buckets[3].to).toBe(utc('2026-01-06T00:00:00Z'));
    expect(c.total).toBe(0.95);
  });
});

describe('info codes', () => {
  test('a MULTICAL 21 info code is named by its driver (5512-897 §11.4: bit 0 dry, bit 3 burst)', () => {
    const m = infoMeanings(kam21, 0b1001);
    expect(m.map((x) => x.label)).toEqual(['Dry (no water in meter)', 'Burst']);
    expect(infoSummary(kam21, 1)).toMatch(/^dry .*\(info code 1\)$/);
  });

  test('a meter without a status table gets one entry per set bit', () => {
    const m = infoMeanings({ manufacturer: 'XYZ', serial: '1', version: null, deviceType: null, driver: null }, 0b101);
    expect(m.map((x) => x.flag)).toEqual(['bit 0', 'bit 2']);
  });
});
