// Consumption across rollovers and meter exchanges, and buckets in a time zone. Every expected
// number is worked out by hand in the comment next to it.
import { describe, expect, test } from 'vitest';
import {
  bucketBoundaries,
  bucketIndex,
  bucketStart,
  consumption,
  nextBucket,
  zoneOffsetMs,
  type RegisterValue
} from '../../shared/consumption';

const H = 3_600_000;
const T0 = Date.UTC(2027, 0, 10, 0, 0); // a Sunday in winter, UTC
const hours = (n: number) => Array.from({ length: n + 1 }, (_, i) => T0 + i * H);
const series = (...pairs: [number, number][]): RegisterValue[] => pairs.map(([h, value]) => ({ at: T0 + h * H, value }));

describe('consumption', () => {
  test('differences of one meter, attributed to the bucket of the later reading', () => {
    // readings 100 at 00:30, 110 at 01:30, 125 at 02:30 → hour 1: 10, hour 2: 15; hour 0 has no pair
    const r = consumption([{ meter: 1, from: 0, to: null }], new Map([[1, series([0.5, 100], [1.5, 110], [2.5, 125])]]), {
      boundaries: hours(3)
    });
    expect(r.buckets.map((b) => b.value)).toEqual([null, 10, 15]);
    expect(r.total).toBe(25);
    expect(r.buckets.some((b) => b.exchange || b.rollover || b.reset)).toBe(false);
  });

  test('a reading before the range opens the first bucket; decimals stay exact', () => {
    // 6.1 m3 the hour before, 6.408 in hour 0 → 0.308 (not 0.30799999999999983)
    const r = consumption([{ meter: 'a', from: 0, to: null }], new Map([['a', series([-1, 6.1], [0.25, 6.408])]]), {
      boundaries: hours(1)
    });
    expect(r.buckets[0].value).toBe(0.308);
  });

  test('a register that wraps near its top is a rollover', () => {
    // 99,990 → 99,998 (+8), → 5 (wrap at 100,000: 100,000 − 99,998 + 5 = 7), → 20 (+15)
    const r = consumption(
      [{ meter: 1, from: 0, to: null }],
      new Map([[1, series([0, 99_990], [1, 99_998], [2, 5], [3, 20])]]),
      { boundaries: hours(4) }
    );
    expect(r.buckets.map((b) => b.value)).toEqual([null, 8, 7, 15]);
    expect(r.buckets.map((b) => b.rollover)).toEqual([false, false, true, false]);
    expect(r.total).toBe(30);
  });

  test('a declared register size decides the rollover', () => {
    // an 8-digit kWh register with one decimal wraps at 10,000,000.0: 9,999,999.5 → 0.7 is 1.2
    const r = consumption([{ meter: 1, from: 0, to: null }], new Map([[1, series([0, 9_999_999.5], [1, 0.7])]]), {
      boundaries: hours(2),
      rolloverAt: () => 10_000_000
    });
    expect(r.buckets[1]).toMatchObject({ value: 1.2, rollover: true });
  });

  test('a drop far from the top is a reset: that step counts 0, counting goes on from the new value', () => {
    // 500 → 100: not near 1,000's top → 0 and reset; 100 → 110 → 10
    const r = consumption([{ meter: 1, from: 0, to: null }], new Map([[1, series([0, 500], [1, 100], [2, 110])]]), {
      boundaries: hours(3)
    });
    expect(r.buckets.map((b) => b.value)).toEqual([null, 0, 10]);
    expect(r.buckets[1].reset).toBe(true);
    expect(r.total).toBe(10);
  });

  test('a small decrease within the tolerance is kept as it is', () => {
    // 100 → 99.99 (−0.01, within 0.05) → 101 (+1.01): the two telescope to +1
    const r = consumption([{ meter: 1, from: 0, to: null }], new Map([[1, series([0, 100], [1, 99.99], [2, 101])]]), {
      boundaries: hours(3),
      tolerance: 0.05
    });
    expect(r.buckets.map((b) => b.value)).toEqual([null, -0.01, 1.01]);
    expect(r.total).toBe(1);
    expect(r.buckets[1].reset).toBe(false);
  });

  test('a meter exchange: the old meter up to its removal, the new one from its first reading', () => {
    // meter A: 1000 at 0h, 1010 at 1h, removed at 1.5h (final 1012 at 1.5h)
    // meter B: installed at 1.5h, 0 at 1.5h, 4 at 2h, 9 at 3h; A's later values (a stray frame) are ignored
    const t = T0 + 1.5 * H;
    const r = consumption(
      [
        { meter: 'A', from: T0 - 100 * H, to: t },
        { meter: 'B', from: t, to: null }
      ],
      new Map([
        ['A', series([0, 1000], [1, 1010], [1.5, 1012], [2.5, 1013])],
        ['B', series([1.5, 0], [2, 4], [3, 9])]
      ]),
      { boundaries: hours(4) }
    );
    // hour 1: A 1000→1010 = 10, A 1010→1012 = 2 → 12; hour 2: B 0→4 = 4; hour 3: B 4→9 = 5
    expect(r.buckets.map((b) => b.value)).toEqual([null, 12, 4, 5]);
    expect(r.buckets.map((b) => b.exchange)).toEqual([false, true, false, false]);
    expect(r.total).toBe(21);
  });

  test('no readings: every bucket null, total 0', () => {
    const r = consumption([{ meter: 1, from: 0, to: null }], new Map(), { boundaries: hours(2) });
    expect(r.buckets.map((b) => b.value)).toEqual([null, null]);
    expect(r.total).toBe(0);
  });
});

describe('buckets in a time zone', () => {
  const CPH = 'Europe/Copenhagen';

  test('offsets: Copenhagen is UTC+1 in winter, UTC+2 in summer', () => {
    expect(zoneOffsetMs(CPH, Date.UTC(2027, 0, 15))).toBe(1 * H);
    expect(zoneOffsetMs(CPH, Date.UTC(2027, 6, 15))).toBe(2 * H);
  });

  test('a local day starts at local midnight, in UTC the evening before', () => {
    // 2027-01-15 12:00Z is 13:00 in Copenhagen; that day began 2027-01-14 23:00Z
    expect(bucketStart(Date.UTC(2027, 0, 15, 12), 'day', CPH)).toBe(Date.UTC(2027, 0, 14, 23));
    expect(bucketStart(Date.UTC(2027, 0, 15, 12), 'month', CPH)).toBe(Date.UTC(2026, 11, 31, 23));
    expect(bucketStart(Date.UTC(2027, 6, 15, 12), 'year', CPH)).toBe(Date.UTC(2026, 11, 31, 23));
    expect(bucketStart(Date.UTC(2027, 0, 15, 12, 34, 56, 789), 'hour', CPH)).toBe(Date.UTC(2027, 0, 15, 12));
  });

  test('the day clocks go forward has 23 hours, the day they go back 25', () => {
    // 2027: summer time from Sunday 28 March 01:00Z, ends Sunday 31 October 01:00Z
    const spring = bucketStart(Date.UTC(2027, 2, 28, 12), 'day', CPH);
    expect(spring).toBe(Date.UTC(2027, 2, 27, 23));
    expect(nextBucket(spring, 'day', CPH) - spring).toBe(23 * H);
    const autumn = bucketStart(Date.UTC(2027, 9, 31, 12), 'day', CPH);
    expect(autumn).toBe(Date.UTC(2027, 9, 30, 22));
    expect(nextBucket(autumn, 'day', CPH) - autumn).toBe(25 * H);
  });

  test('boundaries cover the range; bucketIndex finds the bucket', () => {
    const b = bucketBoundaries(Date.UTC(2027, 0, 1, 5), Date.UTC(2027, 3, 1), 'month', 'UTC');
    expect(b).toEqual([Date.UTC(2027, 0, 1), Date.UTC(2027, 1, 1), Date.UTC(2027, 2, 1), Date.UTC(2027, 3, 1)]);
    expect(bucketIndex(b, Date.UTC(2027, 1, 14))).toBe(1);
    expect(bucketIndex(b, Date.UTC(2027, 3, 1))).toBe(-1);
    expect(() => bucketBoundaries(0, 10 * H, 'hour', 'UTC', 5)).toThrow(RangeError);
  });
});
