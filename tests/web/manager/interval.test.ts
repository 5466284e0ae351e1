import { describe, expect, it } from 'vitest';
import { intervalFrom, parseDay, presetInterval, queryOf } from '../../../web/src/routes/manager/meters/[id]/interval';

// The meter page's interval is counted on the utility's clock, whatever the browser's zone is:
// the consumption API's buckets follow the utility's zone, so a month must start where its buckets do.
const CPH = 'Europe/Copenhagen';
const iso = (t: number) => new Date(t).toISOString();

describe('meter page interval', () => {
  it('presets end with today and start at local midnight, in winter time', () => {
    const now = Date.parse('2026-11-26T08:00:00Z');
    const week = presetInterval('7d', now, CPH);
    expect([iso(week.from), iso(week.to), week.resolution]).toEqual(['2026-11-19T23:00:00.000Z', '2026-11-26T23:00:00.000Z', 'hour']);
    const year = presetInterval('13m', now, CPH);
    // November 2025 to November 2026: 13 monthly buckets, none outside
    expect([iso(year.from), iso(year.to), year.resolution]).toEqual(['2025-10-31T23:00:00.000Z', '2026-11-30T23:00:00.000Z', 'month']);
    const five = presetInterval('5y', now, CPH, 'month');
    expect([iso(five.from), iso(five.to), five.resolution]).toEqual(['2021-12-31T23:00:00.000Z', '2026-12-31T23:00:00.000Z', 'month']);
  });

  it('31 days across the change to summer time', () => {
    const i = presetInterval('31d', Date.parse('2026-04-15T10:00:00Z'), CPH);
    expect([iso(i.from), iso(i.to)]).toEqual(['2026-03-15T23:00:00.000Z', '2026-04-15T22:00:00.000Z']);
  });

  it('reads days from the address on the utility clock, also far east of UTC, and writes them back', () => {
    expect(iso(parseDay('2026-11-03', 'Pacific/Auckland'))).toBe('2026-11-02T11:00:00.000Z');
    expect(parseDay('2026-02-30', CPH)).toBeNaN();
    expect(parseDay('3.11.2026', CPH)).toBeNaN();
    const i = intervalFrom(new URLSearchParams('from=2026-01-01&to=2026-01-31&resolution=day'), 0, CPH);
    expect([iso(i.from), iso(i.to), i.resolution]).toEqual(['2025-12-31T23:00:00.000Z', '2026-01-31T23:00:00.000Z', 'day']);
    expect(queryOf(i, CPH)).toBe('?from=2026-01-01&to=2026-01-31&resolution=day');
  });

  it('falls back to the last 31 days for a broken or reversed address', () => {
    const now = Date.parse('2026-11-26T08:00:00Z');
    const fallback = presetInterval('31d', now, CPH);
    expect(intervalFrom(new URLSearchParams('from=2026-02-01&to=2026-01-01'), now, CPH)).toEqual(fallback);
    expect(intervalFrom(new URLSearchParams('from=yesterday'), now, CPH)).toEqual(fallback);
  });
});
