import { bucketStart, nextBucket, zoneOffsetMs } from '../../../shared/consumption.js';

// The periods of a consumption alert (M10) on the utility's calendar: a local day, an ISO 8601
// week (§3.2.2: Monday to Sunday) or a calendar month. Days start at local midnight, so a DST day
// is 23 or 25 hours long.

export const ALERT_PERIODS = ['day', 'week', 'month'] as const;
export type AlertPeriod = (typeof ALERT_PERIODS)[number];

const DAY = 86_400_000;

/** The local calendar date of an instant: "2026-11-26". */
export function localDate(at: number, timeZone: string): string {
  return new Date(at + zoneOffsetMs(timeZone, at)).toISOString().slice(0, 10);
}

/** The date `days` after `date` ("2026-11-30", 1 → "2026-12-01"). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

/** Local midnight starting `date` in the zone. */
export function startOfDate(date: string, timeZone: string): number {
  const noonUtc = Date.parse(`${date}T12:00:00Z`);
  // local noon of that date (zones are within ±14 h), then the start of its day
  return bucketStart(noonUtc - zoneOffsetMs(timeZone, noonUtc), 'day', timeZone);
}

/** Start of the period holding `at`. */
export function periodStart(period: AlertPeriod, at: number, timeZone: string): number {
  if (period === 'day') return bucketStart(at, 'day', timeZone);
  if (period === 'month') return bucketStart(at, 'month', timeZone);
  const date = localDate(at, timeZone);
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 Sunday
  return startOfDate(addDays(date, -((weekday + 6) % 7)), timeZone);
}

/** Start of the period after the one starting at `start`. */
export function periodEnd(period: AlertPeriod, start: number, timeZone: string): number {
  if (period === 'week') return startOfDate(addDays(localDate(start, timeZone), 7), timeZone);
  return nextBucket(start, period, timeZone);
}
