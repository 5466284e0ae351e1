import type { Db } from '../db/connection.js';
import { bucketStart, zoneOffsetMs } from '../../../shared/consumption.js';

// Per meter and local calendar day of the utility, what the reports (M5-M7, B3) sum over an
// interval: kept by the triggers of migration 010 on reading. The triggers find a reading's
// local day in tenant_zone_offset, which this class fills from the tenant's IANA zone (offset
// changes from 2000 to 2060, to the second) and rebuilds a tenant's days from its readings (and
// its receptions per receiver and day from its frames, migration 011) when the zone rows were
// missing or made for another zone.

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const FIRST = Date.UTC(2000, 0, 1);
const LAST = Date.UTC(2060, 0, 1);
/** The first row's from_at: readings before 2000 take the offset of 2000. */
const EARLIEST = -8.64e15;

export interface DayInterval {
  /** First instant: local midnight starting the first date. */
  from: number;
  /** End, exclusive: local midnight after the last date. */
  to: number;
  /** Local day numbers [dayFrom, dayTo) as in reading_day.day. */
  dayFrom: number;
  dayTo: number;
  timeZone: string;
}

/** The instants from which a zone's offset changes, with the offset (first entry: from EARLIEST). */
export function zoneOffsets(timeZone: string): { from: number; offset: number }[] {
  const out = [{ from: EARLIEST, offset: zoneOffsetMs(timeZone, FIRST) }];
  let prev = out[0].offset;
  for (let t = FIRST; t < LAST; t += WEEK) {
    const next = zoneOffsetMs(timeZone, t + WEEK);
    if (next === prev) continue;
    // bisect to the second: lo has the old offset, hi the new one
    let lo = t;
    let hi = t + WEEK;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (zoneOffsetMs(timeZone, mid) === prev) lo = mid;
      else hi = mid;
    }
    out.push({ from: hi, offset: next });
    prev = next;
  }
  return out;
}

export class ReadingDays {
  readonly #zone;
  readonly #madeFor;
  readonly #offset;

  constructor(private readonly db: Db) {
    this.#zone = db.prepare('select time_zone from tenant where id = ?').pluck();
    this.#madeFor = db.prepare('select time_zone from tenant_zone_offset where tenant_id = ? limit 1').pluck();
    this.#offset = db
      .prepare('select offset_ms from tenant_zone_offset where tenant_id = ? and from_at <= ? order by from_at desc limit 1')
      .pluck();
  }

  /** ensureTenant for every tenant (at start). */
  ensureAll(): void {
    for (const id of this.db.prepare('select id from tenant order by id').pluck().all() as number[]) this.ensureTenant(id);
  }

  /**
   * Makes the tenant's offset rows if they are missing or were made for another zone, and then
   * rebuilds its days from its readings (readings written before had no offset). Cheap when
   * nothing is to do: reports call it first. Returns whether it rebuilt.
   */
  ensureTenant(tenantId: number): boolean {
    const zone = this.#zone.get(tenantId) as string | undefined;
    if (zone === undefined) return false;
    if (this.#madeFor.get(tenantId) === zone) return false;
    const offsets = zoneOffsets(zone);
    this.db.transaction(() => {
      this.db.prepare('delete from tenant_zone_offset where tenant_id = ?').run(tenantId);
      const put = this.db.prepare('insert into tenant_zone_offset (tenant_id, from_at, offset_ms, time_zone) values (?, ?, ?, ?)');
      for (const o of offsets) put.run(tenantId, o.from, o.offset, zone);
      this.rebuild(tenantId);
      this.rebuildReceptions(tenantId);
    })();
    return true;
  }

  /**
   * Recomputes the tenant's days from its readings in one statement (the same sums as the
   * triggers; `irregular` from each reading and the one before it).
   */
  rebuild(tenantId: number): void {
    this.db.prepare('delete from reading_day where meter_id in (select id from meter where tenant_id = ?)').run(tenantId);
    this.db
      .prepare(
        `insert into reading_day (meter_id, day, n, hours, hours_n, irregular, t_n, t_flow_sum, t_return_sum, q_sum, qt_flow_sum, qt_return_sum)
         select meter_id, l / 86400000 as day, count(*), sum(distinct 1 << ((l / 3600000) % 24)), count(distinct (l / 3600000) % 24),
                sum(irr), sum(tt), sum(tt * coalesce(t_flow, 0)), sum(tt * coalesce(t_return, 0)),
                sum(q), sum(q * coalesce(t_flow, 0)), sum(q * coalesce(t_return, 0))
           from (select r.meter_id, r.t_flow, r.t_return,
                        r.at + coalesce((select z.offset_ms from tenant_zone_offset z
                                          where z.tenant_id = @t and z.from_at <= r.at order by z.from_at desc limit 1), 0) as l,
                        coalesce(lag(r.at) over w is not null and (
                          (lag(r.energy) over w > r.energy) or (lag(r.volume) over w > r.volume)
                          or ((lag(r.energy) over w is null) <> (r.energy is null))
                          or ((lag(r.volume) over w is null) <> (r.volume is null))), 0) as irr,
                        (r.t_flow is not null and r.t_return is not null) as tt,
                        case when r.t_flow is not null and r.t_return is not null then coalesce(r.flow, 0) else 0 end as q
                   from reading r
                  where r.meter_id in (select id from meter where tenant_id = @t)
                 window w as (partition by r.meter_id order by r.at))
          group by meter_id, day`
      )
      .run({ t: tenantId });
  }

  /**
   * Recounts the tenant's receptions per meter, receiver and local day (migration 011's
   * frame_source_day and frame_meter_source) from its frames, as 011's triggers count them: a
   * frame row is its first reception, its frame_reception rows (when there are any) every
   * receiver's, all on the local day the frame was first received.
   */
  rebuildReceptions(tenantId: number): void {
    this.db.prepare('delete from frame_source_day where tenant_id = ?').run(tenantId);
    this.db.prepare('delete from frame_meter_source where tenant_id = ?').run(tenantId);
    this.db
      .prepare(
        `insert into frame_source_day (meter_id, source, day, tenant_id, n, last_at)
         select meter_id, source, day, @t, count(*), max(at) from (
           select (f.received_at + coalesce((select z.offset_ms from tenant_zone_offset z where z.tenant_id = @t
                    and z.from_at <= f.received_at order by z.from_at desc limit 1), 0)) / 86400000 as day,
                  coalesce(r.source, f.source) as source, coalesce(f.meter_id, 0) as meter_id, coalesce(r.received_at, f.received_at) as at
             from frame f left join frame_reception r on r.frame_id = f.id
            where f.tenant_id = @t)
          group by meter_id, source, day`  // frame_meter_source follows by 011's trigger on frame_source_day
      )
      .run({ t: tenantId });
  }

  /** The tenant's offset from UTC at `at`, as the triggers see it. */
  offsetAt(tenantId: number, at: number): number {
    return (this.#offset.get(tenantId, at) as number | undefined) ?? 0;
  }

  /** The local day number of an instant, as reading_day.day. */
  dayOf(tenantId: number, at: number): number {
    return Math.floor((at + this.offsetAt(tenantId, at)) / DAY);
  }

  /**
   * Calendar dates `fromDate`..`toDate` (inclusive, "2026-10-01") of the tenant's zone as
   * instants and day numbers. Calls ensureTenant first.
   */
  interval(tenantId: number, fromDate: string, toDate: string): DayInterval {
    this.ensureTenant(tenantId);
    const timeZone = (this.#zone.get(tenantId) as string | undefined) ?? 'UTC';
    const from = midnight(fromDate, 0, timeZone);
    const to = midnight(toDate, 1, timeZone);
    return { from, to, dayFrom: this.dayOf(tenantId, from), dayTo: this.dayOf(tenantId, to), timeZone };
  }
}

/** Local midnight starting the date `plusDays` after `date` ("2026-10-31", 1 → 1 November 00:00). */
function midnight(date: string, plusDays: number, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number);
  const noonUtc = Date.UTC(y, m - 1, d + plusDays, 12);
  // local noon of that date (zones are within ±14 h), then the start of its day
  return bucketStart(noonUtc - zoneOffsetMs(timeZone, noonUtc), 'day', timeZone);
}
