import type { Db } from '../db/connection.js';
import type { DayInterval, ReadingDays } from '../store/reading-days.js';
import { groupCondition, REPORT_METER_COLUMNS, REPORT_METER_JOINS, type GroupScope, type ReportMeter } from './scope.js';

// Reading performance (M7): per meter, the share of the messages we expected in an interval that
// arrived, and the share of the interval's hours with a value. Read from reading_day (migration
// 010) plus two index seeks per meter into reading, never the month's readings themselves.
//
// What "expected" means follows how the meter is read (meter.reading_mode, meter.interval_s):
//   fixed-network, point-to-point  one message per transmission interval (interval_s, else the
//                                  default of the mode below) over the time the meter was known, rounded
//   drive-by, optical              one reading per interval: someone came by or did not (0 or 100 %)
//   wired                          one reading per local day
// A meter is known from the earliest of its creation, its first installation and its first
// reading; a meter known only after the interval is not expected to report (share "—").

export type ReadingMode = 'drive-by' | 'fixed-network' | 'point-to-point' | 'wired' | 'optical';

/** Transmission interval assumed when a meter has none: a fixed network's 15-minute values and an hourly point-to-point link. */
export const DEFAULT_INTERVAL_S: Readonly<Record<'fixed-network' | 'point-to-point', number>> = { 'fixed-network': 900, 'point-to-point': 3600 };

/** Default "poor" threshold (%), until the utility saves its own. */
export const DEFAULT_POOR_BELOW = 80;

export interface PerformanceQuery {
  group?: GroupScope;
  from: string;
  to: string;
  /** Share (%) below which a meter is poor; DEFAULT_POOR_BELOW when left out. */
  poorBelow?: number;
  onlyPoor?: boolean;
}

export interface PerformanceRow extends ReportMeter {
  readingMode: ReadingMode;
  /** Transmission interval used for "expected" (s): the meter's own or the mode's default; null for drive-by, optical, wired. */
  intervalS: number | null;
  /** The meter's own interval was missing and the mode's default applied. */
  defaultInterval: boolean;
  /** Start of what is expected: the later of the interval's start and when the meter became known. */
  expectedFrom: number;
  received: number;
  expected: number;
  /** min(received, expected) / expected in %, one decimal; null when nothing was expected. */
  share: number | null;
  /** Hours with a value / hours of the interval since expectedFrom; null for modes without hourly slots. */
  hoursWithValue: number | null;
  hours: number | null;
  hourShare: number | null;
  /** The last reading before the interval's end. */
  lastReadingAt: number | null;
  poor: boolean;
}

export interface PerformanceReport {
  from: number;
  to: number;
  timeZone: string;
  poorBelow: number;
  /** Meters in the scope, and how many of them are poor. */
  meters: number;
  poor: number;
  received: number;
  expected: number;
  /** Σ min(received, expected) / Σ expected over the scope in %. */
  share: number | null;
  /** All rows, or the poor ones with onlyPoor; meter id order. */
  rows: PerformanceRow[];
}

/** ReportMeter's ten fields in order, then readingMode, intervalS, received, hoursWithValue, knownFrom, lastReadingAt, firstDay, firstHours. */
type RawRow = [number, string, string, string | null, string | null, number | null, string | null, string | null, string | null, string | null, ...unknown[]];

const HOUR = 3_600_000;
const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : null);

export function performanceReport(db: Db, days: ReadingDays, tenantId: number, q: PerformanceQuery): PerformanceReport {
  const iv = days.interval(tenantId, q.from, q.to);
  const poorBelow = q.poorBelow ?? DEFAULT_POOR_BELOW;
  const g = groupCondition(db, tenantId, q.group, 'm.id');
  // The join on reading_day is a primary-key range per meter, meters in rowid order (+tenant_id:
  // no index, so no sort for the grouping). When a meter was created and installed after the
  // interval's start, it is known from its first reading if that is earlier: one seek into
  // reading_day for days before the interval, else the first local hour with a reading in the
  // interval (SQLite's bare column beside min(): the `hours` of the first day). The one seek into
  // reading ((meter_id, at), its primary key) is for the last reading before the interval's end,
  // only when the latest reading is not already before it. Rows as arrays (raw): at 100,000
  // meters, objects built once instead of twice.
  const raws = db
    .prepare(
      `select t.meterId, t.manufacturer, t.serial, t.model, t.medium, t.meteringPointId, t.address, t.postalCode, t.customer,
              t.customerNumber, t.readingMode, t.intervalS, t.received, t.hoursWithValue,
              case when t.known <= @from then t.known
                   when exists (select 1 from reading_day e where e.meter_id = t.meterId and e.day < @dayFrom and e.n > 0) then @from
                   else t.known end as knownFrom,
              case when t.latestAt < @to then t.latestAt
                   else (select r.at from reading r where r.meter_id = t.meterId and r.at < @to order by r.at desc limit 1) end as lastReadingAt,
              t.firstDay, t.firstHours
         from (select ${REPORT_METER_COLUMNS}, m.reading_mode as readingMode, m.interval_s as intervalS,
                      min(m.created_at, coalesce((select min(x.from_at) from installation x where x.meter_id = m.id), m.created_at)) as known,
                      (select l.at from meter_latest l where l.meter_id = m.id) as latestAt,
                      coalesce(sum(d.n), 0) as received, coalesce(sum(d.hours_n), 0) as hoursWithValue,
                      min(d.day) as firstDay, d.hours as firstHours
                 from meter m ${REPORT_METER_JOINS}
                 left join reading_day d on d.meter_id = m.id and d.day >= @dayFrom and d.day < @dayTo and d.n > 0
                where +m.tenant_id = @tenant and ${g.sql}
                group by m.id) t`
    )
    .raw()
    .all({ tenant: tenantId, from: iv.from, to: iv.to, dayFrom: iv.dayFrom, dayTo: iv.dayTo }, ...g.args) as RawRow[];

  const slots = new Map<number, number>();
  // most meters start with the interval: one count per distinct start
  const hourSlots = (start: number) => {
    let n = slots.get(start);
    if (n === undefined) slots.set(start, (n = localHours(days, tenantId, hourStart(days, tenantId, start), iv.to)));
    return n;
  };

  let poor = 0;
  let received = 0;
  let counted = 0;
  let expectedSum = 0;
  const rows: PerformanceRow[] = [];
  for (const r of raws) {
    const [meterId, manufacturer, serial, model, medium, meteringPointId, address, postalCode, customer, customerNumber] = r;
    const [readingMode, ownInterval, got, hoursWithValue, known, lastReadingAt, firstDay, firstHours] = r.slice(10) as [
      ReadingMode, number | null, number, number, number, number | null, number | null, number | null
    ];
    const { expectedFrom, expected, intervalS, defaultInterval, hours } = expectation(
      days, tenantId, iv, readingMode, ownInterval, known, firstDay, firstHours, hourSlots
    );
    const counts = Math.min(got, expected);
    const share = pct(counts, expected);
    const isPoor = share !== null && share < poorBelow;
    if (isPoor) poor++;
    received += got;
    counted += counts;
    expectedSum += expected;
    if (q.onlyPoor && !isPoor) continue;
    rows.push({
      meterId, manufacturer, serial, model, medium, meteringPointId, address, postalCode, customer, customerNumber,
      readingMode,
      intervalS,
      defaultInterval,
      expectedFrom,
      received: got,
      expected,
      share,
      hoursWithValue: hours === null ? null : hoursWithValue,
      hours,
      hourShare: hours === null ? null : pct(Math.min(hoursWithValue, hours), hours),
      lastReadingAt,
      poor: isPoor
    });
  }
  // the grouping yields meter id order; SQL does not promise it without a (costly) order by
  for (let i = 1; i < rows.length; i++) {
    if (rows[i - 1].meterId > rows[i].meterId) {
      rows.sort((a, b) => a.meterId - b.meterId);
      break;
    }
  }
  return {
    from: iv.from,
    to: iv.to,
    timeZone: iv.timeZone,
    poorBelow,
    meters: raws.length,
    poor,
    received,
    expected: expectedSum,
    share: pct(counted, expectedSum),
    rows
  };
}

/** What a meter owes in the interval by the rule at the top of this file. */
interface Expectation {
  expectedFrom: number;
  expected: number;
  intervalS: number | null;
  defaultInterval: boolean;
  hours: number | null;
}

function expectation(
  days: ReadingDays,
  tenantId: number,
  iv: DayInterval,
  readingMode: ReadingMode,
  ownInterval: number | null,
  known: number,
  firstDay: number | null,
  firstHours: number | null,
  hourSlots: (start: number) => number
): Expectation {
  let knownFrom = known;
  if (knownFrom > iv.from && firstDay !== null && firstHours) knownFrom = Math.min(knownFrom, firstHourStart(days, tenantId, firstDay, firstHours));
  const expectedFrom = Math.max(iv.from, knownFrom);
  const active = expectedFrom < iv.to;
  let expected = 0;
  let intervalS: number | null = null;
  let defaultInterval = false;
  let hours: number | null = null;
  if (readingMode === 'fixed-network' || readingMode === 'point-to-point') {
    defaultInterval = !(ownInterval && ownInterval > 0);
    intervalS = defaultInterval ? DEFAULT_INTERVAL_S[readingMode] : ownInterval!;
    if (active) {
      // rounded: a meter first heard a minute after midnight still owes the whole day's messages
      expected = Math.round((iv.to - expectedFrom) / 1000 / intervalS);
      hours = hourSlots(expectedFrom);
    } else hours = 0;
  } else if (readingMode === 'wired') {
    if (active) expected = iv.dayTo - Math.max(iv.dayFrom, days.dayOf(tenantId, expectedFrom));
  } else if (active) expected = 1;
  return { expectedFrom, expected, intervalS, defaultInterval, hours };
}

/**
 * Expected messages per meter of the scope, by the same rule as performanceReport, without
 * summing what arrived (the gateway view counts that per receiver): reading_day is only read for
 * a meter known after the interval's start, to find its first reading.
 */
export function expectedMessages(db: Db, days: ReadingDays, tenantId: number, q: Pick<PerformanceQuery, 'group' | 'from' | 'to'>): Map<number, number> {
  const iv = days.interval(tenantId, q.from, q.to);
  const g = groupCondition(db, tenantId, q.group, 'm.id');
  const raws = db
    .prepare(
      `select id, readingMode, intervalS,
              case when known <= @from then known
                   when exists (select 1 from reading_day e where e.meter_id = t.id and e.day < @dayFrom and e.n > 0) then @from
                   else known end as knownFrom,
              case when known > @from then (select min(d.day) from reading_day d where d.meter_id = t.id and d.day >= @dayFrom and d.day < @dayTo and d.n > 0) end as firstDay
         from (select m.id, m.reading_mode as readingMode, m.interval_s as intervalS,
                      min(m.created_at, coalesce((select min(x.from_at) from installation x where x.meter_id = m.id), m.created_at)) as known
                 from meter m where +m.tenant_id = @tenant and ${g.sql}) t`
    )
    .raw()
    .all({ tenant: tenantId, from: iv.from, dayFrom: iv.dayFrom, dayTo: iv.dayTo }, ...g.args) as [number, ReadingMode, number | null, number, number | null][];
  const firstHoursOf = db.prepare('select hours from reading_day where meter_id = ? and day = ?').pluck();
  const slots = new Map<number, number>();
  const hourSlots = (start: number) => {
    let n = slots.get(start);
    if (n === undefined) slots.set(start, (n = localHours(days, tenantId, hourStart(days, tenantId, start), iv.to)));
    return n;
  };
  const out = new Map<number, number>();
  for (const [id, mode, own, known, firstDay] of raws) {
    const firstHours = firstDay === null ? null : (firstHoursOf.get(id, firstDay) as number);
    out.set(id, expectation(days, tenantId, iv, mode, own, known, firstDay, firstHours, hourSlots).expected);
  }
  return out;
}

/** The instant the first local hour with a reading (lowest bit of a reading_day's `hours`) starts. */
function firstHourStart(days: ReadingDays, tenantId: number, day: number, hours: number): number {
  const local = day * 86_400_000 + Math.log2(hours & -hours) * HOUR;
  // local = at + offset(at): the offset at the instant one offset earlier (exact away from a clock change)
  return local - days.offsetAt(tenantId, local - days.offsetAt(tenantId, local));
}

/** The start of the local clock hour holding `at` (zones with half-hour offsets included). */
function hourStart(days: ReadingDays, tenantId: number, at: number): number {
  const l = at + days.offsetAt(tenantId, at);
  return at - (((l % HOUR) + HOUR) % HOUR);
}

/**
 * Local clock hours from `start` to `to`, counted as reading_day counts them (bits of a local
 * day's hours): a spring-forward day has 23, and the repeated hour of an autumn day counts once.
 */
function localHours(days: ReadingDays, tenantId: number, start: number, to: number): number {
  let n = 0;
  let prev = NaN;
  for (let t = start; t < to; t += HOUR) {
    const label = Math.floor((t + days.offsetAt(tenantId, t)) / HOUR);
    if (label !== prev) n++;
    prev = label;
  }
  return n;
}
