import type { Statement } from 'better-sqlite3';
import { consumption, REGISTER_TOLERANCE, roundRegister, type RegisterValue } from '../../../shared/consumption.js';
import type { Db } from '../db/connection.js';
import { COLUMN_DIVISOR } from '../ingest/columns.js';
import type { ReadingDays } from '../store/reading-days.js';
import { periodStart, type AlertPeriod } from './periods.js';

// Evaluating consumption alerts (M10): consumption in the current period = register value now −
// value at the period's start (the last reading at or before it), counted from a reset or the
// start of validity when those come later. One statement finds the alerts of a batch with both
// values and whether any day of the period is irregular (reading_day, migration 010); only then
// are that meter's readings walked through shared/consumption.ts (rollover, reset). Target: 5,000
// alerted meters on a new batch of readings in < 100 ms (issue 7).

export interface EvaluationResult {
  /** Alerts evaluated (armed or exceeded, within their validity). */
  evaluated: number;
  /** Alerts that went from armed to exceeded. */
  exceeded: number[];
}

interface Candidate {
  id: number;
  meterId: number;
  period: AlertPeriod;
  register: 'energy' | 'volume';
  limit: number;
  state: 'armed' | 'exceeded';
  start: number;
  periodStart: number;
  base: number | null;
  last: number | null;
  lastAt: number | null;
  irregular: number;
}


/** The register column in SQL, from the alert's row `a` and a reading `r`. */
const COL = (r: string) => `case a.register when 'energy' then ${r}.energy else ${r}.volume end`;

function candidatesSql(byIds: boolean): string {
  return `with a as (
      select id, meter_id, period, register, limit_value, state,
             case period when 'day' then @day when 'week' then @week else @month end as pstart,
             max(case period when 'day' then @day when 'week' then @week else @month end, valid_from_at, coalesce(counts_from, 0)) as start
        from consumption_alert
       where tenant_id = @tenant and state <> 'disarmed' and valid_from_at <= @now and (valid_to_at is null or valid_to_at > @now)
         ${byIds ? 'and meter_id in (select value from json_each(@ids))' : ''})
    select a.id, a.meter_id as meterId, a.period, a.register, a.limit_value as "limit", a.state, a.start, a.pstart as periodStart,
           coalesce((select ${COL('r')} from reading r where r.meter_id = a.meter_id and r.at <= a.start and ${COL('r')} is not null
                      order by r.at desc limit 1),
                    (select ${COL('r')} from reading r where r.meter_id = a.meter_id and r.at > a.start and ${COL('r')} is not null
                      order by r.at limit 1)) as base,
           coalesce(${COL('ml')}, (select ${COL('r')} from reading r where r.meter_id = a.meter_id and ${COL('r')} is not null
                                     order by r.at desc limit 1)) as last,
           ml.at as lastAt,
           exists (select 1 from reading_day d indexed by reading_day_irregular where d.meter_id = a.meter_id
                      and d.day >= case a.period when 'day' then @dday when 'week' then @dweek else @dmonth end
                      and d.irregular > 0) as irregular
      from a left join meter_latest ml on ml.meter_id = a.meter_id`;
}

export class AlertEvaluator {
  readonly #byIds: Statement;
  readonly #all: Statement;
  readonly #zone: Statement;
  readonly #any: Statement;
  readonly #update: Statement;
  readonly #exceed: Statement;
  readonly #walk: Record<'energy' | 'volume', Statement>;

  constructor(
    private readonly db: Db,
    private readonly days: ReadingDays
  ) {
    this.#byIds = db.prepare(candidatesSql(true));
    this.#all = db.prepare(candidatesSql(false));
    this.#zone = db.prepare('select time_zone from tenant where id = ?').pluck();
    this.#any = db.prepare('select 1 from consumption_alert where tenant_id = ? limit 1').pluck();
    this.#update = db.prepare('update consumption_alert set period_start = ?, value = ?, evaluated_at = ? where id = ?');
    this.#exceed = db.prepare(
      `update consumption_alert set state = 'exceeded', state_at = @now, exceeded_at = @at, exceeded_value = @value,
         exceeded_period_start = @periodStart, period_start = @periodStart, value = @value, evaluated_at = @now, updated_at = @now
       where id = @id and state = 'armed'`
    );
    // the register's readings from the last one at or before the start (or the first after it)
    const walk = (col: 'energy' | 'volume') =>
      db
        .prepare(
          `select at, ${col} as v from reading where meter_id = @meter and ${col} is not null
              and at >= coalesce((select at from reading where meter_id = @meter and at <= @start and ${col} is not null order by at desc limit 1), @start)
            order by at`
        )
        .raw();
    this.#walk = { energy: walk('energy'), volume: walk('volume') };
  }

  /**
   * Evaluates the tenant's armed and exceeded alerts that are valid at `now`: of the meters
   * `meterIds` (a batch that got readings), or all of them (null, the schedule).
   */
  evaluate(tenantId: number, meterIds: readonly number[] | null, now: number): EvaluationResult {
    const zone = this.#zone.get(tenantId) as string | undefined;
    // most ingest batches come from utilities without alerts: nothing more to do for them
    if (zone === undefined || (meterIds !== null && meterIds.length === 0) || !this.#any.get(tenantId)) return { evaluated: 0, exceeded: [] };
    this.days.ensureTenant(tenantId); // reading_day needs the tenant's offsets
    const day = periodStart('day', now, zone);
    const week = periodStart('week', now, zone);
    const month = periodStart('month', now, zone);
    const params = {
      tenant: tenantId,
      now,
      day,
      week,
      month,
      dday: this.days.dayOf(tenantId, day),
      dweek: this.days.dayOf(tenantId, week),
      dmonth: this.days.dayOf(tenantId, month),
      ...(meterIds ? { ids: JSON.stringify(meterIds) } : {})
    };
    const exceeded: number[] = [];
    let evaluated = 0;
    this.db.transaction(() => {
      const rows = (meterIds ? this.#byIds : this.#all).all(params) as Candidate[];
      for (const c of rows) {
        evaluated++;
        const value = c.irregular ? this.#walked(c, now) : c.base === null || c.last === null ? null : roundRegister((c.last - c.base) / COLUMN_DIVISOR[c.register]);
        if (c.state === 'armed' && value !== null && value > c.limit) {
          this.#exceed.run({ id: c.id, now, at: c.lastAt ?? now, value, periodStart: c.periodStart });
          exceeded.push(c.id);
        } else {
          this.#update.run(c.periodStart, value, now, c.id);
        }
      }
    })();
    return { evaluated, exceeded };
  }

  /** Consumption since the start through shared/consumption.ts: rollovers count, resets count 0. */
  #walked(c: Candidate, now: number): number | null {
    const divisor = COLUMN_DIVISOR[c.register];
    const values: RegisterValue[] = (this.#walk[c.register].all({ meter: c.meterId, start: c.start }) as [number, number][]).map(
      ([at, v]) => ({ at, value: v / divisor })
    );
    if (values.length === 0) return null;
    const end = Math.max(now, values[values.length - 1].at) + 1;
    const result = consumption([{ meter: c.meterId, from: values[0].at, to: null }], new Map([[c.meterId, values]]), {
      boundaries: [Math.min(c.start, values[0].at), end],
      tolerance: REGISTER_TOLERANCE[c.register]
    });
    return result.total;
  }
}
