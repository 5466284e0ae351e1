import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { AlertEvaluator, type EvaluationResult } from '../alerts/evaluate.js';
import { addDays, localDate, periodEnd, startOfDate, type AlertPeriod } from '../alerts/periods.js';
import { groupCondition, REPORT_METER_COLUMNS, REPORT_METER_JOINS, type GroupScope, type ReportMeter } from '../report/scope.js';
import type { ReadingDays } from './reading-days.js';
import { auditAs, invalid, type Page, type Paging } from './registry.js';

// Consumption alerts (M10): limits per meter and day, week or month, set for up to 5,000 meters
// in one call, evaluated as readings arrive and on the schedule (alerts/evaluate.ts), and reset,
// disarmed, re-armed and deleted in bulk. Every change is audited with its count.

export const MAX_ALERTS_PER_CALL = 5000;
export const ALERT_STATES = ['armed', 'exceeded', 'disarmed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export interface AlertInput {
  meterIds: readonly number[];
  period: AlertPeriod;
  /** kWh for energy meters, m3 for volume meters. */
  limit: number;
  validFrom: string;
  validTo: string | null;
}

export interface SetResult {
  /** Alerts written (new and replaced). */
  set: number;
  /** Meters whose alert of this period was replaced. */
  replaced: number;
  /** Meters by unit of their limit. */
  units: { kWh: number; m3: number };
  exceeded: number;
}

export interface ConsumptionAlert extends ReportMeter {
  id: number;
  period: AlertPeriod;
  register: 'energy' | 'volume';
  unit: 'kWh' | 'm3';
  limit: number;
  validFrom: string;
  validTo: string | null;
  /** Where today stands in the validity. */
  validity: 'not-yet' | 'valid' | 'ended';
  state: AlertState;
  stateAt: number;
  /** After a reset or re-arm: counting from this instant within its period. */
  countsFrom: number | null;
  /** The period the last evaluation counted, [periodStart, periodEnd). */
  periodStart: number | null;
  periodEnd: number | null;
  /** Consumption in that period at the last evaluation (null: no readings to count). */
  value: number | null;
  evaluatedAt: number | null;
  exceeded: { at: number; value: number; periodStart: number; periodEnd: number } | null;
}

export interface AlertQuery extends Paging {
  state?: AlertState;
  period?: AlertPeriod;
  group?: GroupScope;
}

/** The meter's register: what its newest reading has, else what its medium bills in. */
const REGISTER = `case when ml.energy is not null then 'energy' when ml.volume is not null then 'volume'
  when m.medium in ('heat', 'cooling', 'heat-cooling', 'electricity') then 'energy' else 'volume' end`;

const COLUMNS = `a.id, a.period, a.register, a.limit_value as "limit", a.valid_from as validFrom, a.valid_to as validTo,
  a.valid_from_at as validFromAt, a.valid_to_at as validToAt, a.state, a.state_at as stateAt, a.counts_from as countsFrom,
  a.period_start as periodStart, a.value, a.evaluated_at as evaluatedAt, a.exceeded_at as exceededAt,
  a.exceeded_value as exceededValue, a.exceeded_period_start as exceededPeriodStart, ${REPORT_METER_COLUMNS}`;
const FROM = `consumption_alert a join meter m on m.id = a.meter_id ${REPORT_METER_JOINS}`;
const ORDER = `a.state = 'exceeded' desc, a.exceeded_at desc, m.serial, m.id, case a.period when 'day' then 0 when 'week' then 1 else 2 end`;

type Row = Omit<ConsumptionAlert, 'unit' | 'validity' | 'periodEnd' | 'exceeded'> & {
  validFromAt: number;
  validToAt: number | null;
  exceededAt: number | null;
  exceededValue: number | null;
  exceededPeriodStart: number | null;
};

export class ConsumptionAlertStore {
  readonly evaluator: AlertEvaluator;
  readonly #zone;

  constructor(
    private readonly db: Db,
    days: ReadingDays
  ) {
    this.evaluator = new AlertEvaluator(db, days);
    this.#zone = db.prepare('select time_zone from tenant where id = ?').pluck();
  }

  #timeZone(tenantId: number): string {
    return (this.#zone.get(tenantId) as string | undefined) ?? 'UTC';
  }

  /** Evaluates the alerts of these meters (a batch of readings) or all (null: the schedule). */
  evaluate(tenantId: number, meterIds: readonly number[] | null, now: number): EvaluationResult {
    return this.evaluator.evaluate(tenantId, meterIds, now);
  }

  /** The tenant's meters of a group scope ('all' for every meter), in id order. */
  meterIdsOf(tenantId: number, group: GroupScope | 'all'): number[] {
    const g = groupCondition(this.db, tenantId, group === 'all' ? undefined : group, 'm.id');
    return this.db.prepare(`select m.id from meter m where m.tenant_id = ? and ${g.sql} order by m.id`).pluck().all(tenantId, ...g.args) as number[];
  }

  /** Sets (or replaces) the alert of `period` on each meter, and evaluates them at once. */
  set(actor: Actor, input: AlertInput, now: number, scope?: Record<string, unknown>): SetResult {
    const t = actor.tenantId;
    const ids = [...new Set(input.meterIds)];
    if (ids.length > MAX_ALERTS_PER_CALL) throw invalid('meterIds', `at most ${MAX_ALERTS_PER_CALL} meters per call, got ${ids.length}`);
    if (input.validTo !== null && input.validTo < input.validFrom) throw invalid('validTo', `expected a date on or after validFrom (${input.validFrom})`);
    const zone = this.#timeZone(t);
    const json = JSON.stringify(ids);
    const result = this.db.transaction((): SetResult => {
      const known = this.db
        .prepare('select m.id from json_each(?) j join meter m on m.id = j.value and m.tenant_id = ?')
        .pluck()
        .all(json, t) as number[];
      if (known.length !== ids.length) {
        const have = new Set(known);
        const missing = ids.filter((id) => !have.has(id));
        throw invalid('meterIds', `no meter ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
      }
      const replaced = this.db
        .prepare('select count(*) from consumption_alert where period = ? and meter_id in (select value from json_each(?))')
        .pluck()
        .get(input.period, json) as number;
      this.db
        .prepare(
          `insert into consumption_alert (tenant_id, meter_id, period, register, limit_value, valid_from, valid_to, valid_from_at,
             valid_to_at, state, state_at, created_at, updated_at)
           select m.tenant_id, m.id, @period, ${REGISTER}, @limit, @validFrom, @validTo, @fromAt, @toAt, 'armed', @now, @now, @now
             from json_each(@ids) j join meter m on m.id = j.value left join meter_latest ml on ml.meter_id = m.id
            where m.tenant_id = @t
           on conflict (meter_id, period) do update set register = excluded.register, limit_value = excluded.limit_value,
             valid_from = excluded.valid_from, valid_to = excluded.valid_to, valid_from_at = excluded.valid_from_at,
             valid_to_at = excluded.valid_to_at, state = 'armed', state_at = excluded.state_at, counts_from = null,
             period_start = null, value = null, evaluated_at = null, exceeded_at = null, exceeded_value = null,
             exceeded_period_start = null, updated_at = excluded.updated_at`
        )
        .run({
          t,
          ids: json,
          period: input.period,
          limit: input.limit,
          validFrom: input.validFrom,
          validTo: input.validTo,
          fromAt: startOfDate(input.validFrom, zone),
          toAt: input.validTo === null ? null : startOfDate(addDays(input.validTo, 1), zone),
          now
        });
      const units = this.db
        .prepare(
          `select sum(register = 'energy') as kWh, sum(register = 'volume') as m3 from consumption_alert
            where period = ? and meter_id in (select value from json_each(?))`
        )
        .get(input.period, json) as { kWh: number | null; m3: number | null };
      auditAs(this.db, actor, now, 'alerts.set', {
        count: ids.length,
        replaced,
        period: input.period,
        limit: input.limit,
        validFrom: input.validFrom,
        validTo: input.validTo,
        ...(scope ?? {}),
        ...(ids.length <= 20 ? { meterIds: ids } : {})
      });
      return { set: ids.length, replaced, units: { kWh: units.kWh ?? 0, m3: units.m3 ?? 0 }, exceeded: 0 };
    })();
    result.exceeded = this.evaluate(t, ids, now).exceeded.length;
    return result;
  }

  /** reset: an exceeded alert is armed again; arm: a disarmed one; disarm: pause; delete. Answers how many changed. */
  change(actor: Actor, action: 'reset' | 'arm' | 'disarm' | 'delete', ids: readonly number[], now: number): { changed: number } {
    if (ids.length > MAX_ALERTS_PER_CALL) throw invalid('ids', `at most ${MAX_ALERTS_PER_CALL} alerts per call, got ${ids.length}`);
    const json = JSON.stringify([...new Set(ids)]);
    const mine = `tenant_id = @t and id in (select value from json_each(@ids))`;
    const sql = {
      // counting starts again now, to the end of the current period; later periods count whole
      reset: `update consumption_alert set state = 'armed', state_at = @now, counts_from = @now, exceeded_at = null, exceeded_value = null,
                exceeded_period_start = null, updated_at = @now where ${mine} and state = 'exceeded'`,
      arm: `update consumption_alert set state = 'armed', state_at = @now, counts_from = @now, updated_at = @now where ${mine} and state = 'disarmed'`,
      disarm: `update consumption_alert set state = 'disarmed', state_at = @now, updated_at = @now where ${mine} and state <> 'disarmed'`,
      delete: `delete from consumption_alert where ${mine}`
    }[action];
    const meters = this.db
      .prepare(`select meter_id from consumption_alert where ${mine}`)
      .pluck()
      .all({ t: actor.tenantId, ids: json }) as number[];
    const changed = this.db.transaction(() => {
      const n = this.db.prepare(sql).run({ t: actor.tenantId, ids: json, now }).changes;
      const event = { reset: 'alerts.reset', arm: 'alerts.armed', disarm: 'alerts.disarmed', delete: 'alerts.deleted' }[action];
      auditAs(this.db, actor, now, event, { count: n, ...(ids.length <= 20 ? { ids } : {}) });
      return n;
    })();
    if (action === 'reset' || action === 'arm') this.evaluate(actor.tenantId, meters, now);
    return { changed };
  }

  list(tenantId: number, query: AlertQuery, now: number): Page<ConsumptionAlert> {
    const { where, args } = this.#where(tenantId, query);
    const total = this.db.prepare(`select count(*) from consumption_alert a join meter m on m.id = a.meter_id where ${where}`).pluck().get(...args) as number;
    const rows = this.db
      .prepare(`select ${COLUMNS} from ${FROM} where ${where} order by ${ORDER} limit ? offset ?`)
      .all(...args, query.limit, query.offset) as Row[];
    return { items: this.#rows(tenantId, rows, now), total, limit: query.limit, offset: query.offset };
  }

  /** Every alert of the filter (CSV). */
  all(tenantId: number, query: Omit<AlertQuery, 'limit' | 'offset'>, now: number): ConsumptionAlert[] {
    const { where, args } = this.#where(tenantId, query);
    return this.#rows(tenantId, this.db.prepare(`select ${COLUMNS} from ${FROM} where ${where} order by ${ORDER}`).all(...args) as Row[], now);
  }

  /** A meter's alerts, day, week, month; undefined for a meter that is not the tenant's. */
  forMeter(tenantId: number, meterId: number, now: number): ConsumptionAlert[] | undefined {
    if (!this.db.prepare('select 1 from meter where id = ? and tenant_id = ?').get(meterId, tenantId)) return undefined;
    const rows = this.db.prepare(`select ${COLUMNS} from ${FROM} where a.meter_id = ? order by ${ORDER}`).all(meterId) as Row[];
    return this.#rows(tenantId, rows, now);
  }

  #where(tenantId: number, query: Omit<AlertQuery, 'limit' | 'offset'>): { where: string; args: unknown[] } {
    const g = groupCondition(this.db, tenantId, query.group, 'a.meter_id');
    const parts = ['a.tenant_id = ?', g.sql];
    const args: unknown[] = [tenantId, ...g.args];
    if (query.state) {
      parts.push('a.state = ?');
      args.push(query.state);
    }
    if (query.period) {
      parts.push('a.period = ?');
      args.push(query.period);
    }
    return { where: parts.join(' and '), args };
  }

  #rows(tenantId: number, rows: Row[], now: number): ConsumptionAlert[] {
    const zone = this.#timeZone(tenantId);
    const today = localDate(now, zone);
    return rows.map(({ validFromAt: _f, validToAt: _t, exceededAt, exceededValue, exceededPeriodStart, ...r }) => ({
      ...r,
      unit: r.register === 'energy' ? 'kWh' : 'm3',
      validity: today < r.validFrom ? 'not-yet' : r.validTo !== null && today > r.validTo ? 'ended' : 'valid',
      periodEnd: r.periodStart === null ? null : periodEnd(r.period, r.periodStart, zone),
      exceeded:
        exceededAt === null || exceededValue === null || exceededPeriodStart === null
          ? null
          : { at: exceededAt, value: exceededValue, periodStart: exceededPeriodStart, periodEnd: periodEnd(r.period, exceededPeriodStart, zone) }
    }));
  }
}
