import type { AlarmKind, AlarmSeverity } from '../../../shared/model/alarm.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { auditAs, changes, conflict, invalid, notFound } from '../store/registry.js';
import { baseline } from './match.js';

// Notification rules (M9): which alarms (kinds and/or a minimum severity), which meters (all or
// some groups), who gets them (e-mail addresses, phone numbers) by which channel, and when (at
// once as readings arrive, or a daily summary at HH:MM on the utility's clock). Every change is
// audited in its own transaction.

export type RuleMode = 'immediate' | 'daily';

export interface RuleInput {
  name: string;
  /** [] with minSeverity: every kind at that severity or above. */
  kinds: AlarmKind[];
  minSeverity: AlarmSeverity | null;
  /** [] : all meters of the utility. */
  groupIds: number[];
  emails: string[];
  phones: string[];
  byEmail: boolean;
  bySms: boolean;
  mode: RuleMode;
  /** HH:MM for mode 'daily', else null. */
  dailyAt: string | null;
  enabled: boolean;
}

export interface Rule extends RuleInput {
  id: number;
  tenantId: number;
  /** The groups by name; a rule whose groups were all deleted matches no meter. */
  groups: { id: number; name: string }[];
  allMeters: boolean;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: number;
  tenantId: number;
  name: string;
  kinds: string;
  minSeverity: AlarmSeverity | null;
  allMeters: number;
  emails: string;
  phones: string;
  byEmail: number;
  bySms: number;
  mode: RuleMode;
  dailyAt: string | null;
  enabled: number;
  createdAt: number;
  updatedAt: number;
}

const SELECT = `select id, tenant_id as tenantId, name, kinds, min_severity as minSeverity, all_meters as allMeters, emails, phones,
  by_email as byEmail, by_sms as bySms, mode, daily_at as dailyAt, enabled, created_at as createdAt, updated_at as updatedAt
  from notification_rule`;

export class RuleStore {
  constructor(private readonly db: Db) {}

  list(tenantId: number): Rule[] {
    return (this.db.prepare(`${SELECT} where tenant_id = ? order by name, id`).all(tenantId) as Row[]).map((r) => this.#rule(r));
  }

  /** Enabled rules of every utility (the daily schedule) or of one with a mode (ingest). */
  enabled(tenantId?: number, mode?: RuleMode): Rule[] {
    const where = ['enabled = 1'];
    const args: unknown[] = [];
    if (tenantId !== undefined) {
      where.push('tenant_id = ?');
      args.push(tenantId);
    }
    if (mode) {
      where.push('mode = ?');
      args.push(mode);
    }
    return (this.db.prepare(`${SELECT} where ${where.join(' and ')} order by id`).all(...args) as Row[]).map((r) => this.#rule(r));
  }

  get(tenantId: number, id: number): Rule {
    const r = this.db.prepare(`${SELECT} where tenant_id = ? and id = ?`).get(tenantId, id) as Row | undefined;
    if (!r) throw notFound('Notification rule', id);
    return this.#rule(r);
  }

  create(actor: Actor, input: RuleInput, now: number): Rule {
    return this.db.transaction(() => {
      this.#check(actor.tenantId, input, null);
      const { id } = this.db
        .prepare(
          `insert into notification_rule (tenant_id, name, kinds, min_severity, all_meters, emails, phones, by_email, by_sms, mode, daily_at, enabled,
             created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`
        )
        .get(actor.tenantId, ...columns(input, input.groupIds.length === 0), now, now) as { id: number };
      this.#setGroups(id, input.groupIds);
      const rule = this.get(actor.tenantId, id);
      baseline(this.db, rule, this.meterFilter(rule));
      auditAs(this.db, actor, now, 'notification-rule.created', { ruleId: id, ...summary(rule) });
      return rule;
    })();
  }

  update(actor: Actor, id: number, patch: Partial<RuleInput>, now: number): Rule {
    return this.db.transaction(() => {
      const before = this.get(actor.tenantId, id);
      const next: RuleInput = { ...before, ...patch };
      if (next.mode === 'immediate') next.dailyAt = null;
      this.#check(actor.tenantId, next, id);
      this.db
        .prepare(
          `update notification_rule set name = ?, kinds = ?, min_severity = ?, all_meters = ?, emails = ?, phones = ?, by_email = ?, by_sms = ?,
             mode = ?, daily_at = ?, enabled = ?, updated_at = ? where id = ?`
        )
        .run(...columns(next, patch.groupIds ? patch.groupIds.length === 0 : before.allMeters), now, id);
      this.#setGroups(id, next.groupIds);
      const after = this.get(actor.tenantId, id);
      // what the rule saw belongs to its old alarms and meters, or is stale after a pause: start from now
      const afresh = patch.kinds || patch.minSeverity !== undefined || patch.groupIds || (after.enabled && !before.enabled) || (after.mode === 'immediate' && before.mode !== 'immediate');
      if (afresh) baseline(this.db, after, this.meterFilter(after));
      auditAs(this.db, actor, now, 'notification-rule.changed', { ruleId: id, name: after.name, changes: changes(summary(before), summary(after)) });
      return after;
    })();
  }

  delete(actor: Actor, id: number, now: number): void {
    this.db.transaction(() => {
      const rule = this.get(actor.tenantId, id);
      this.db.prepare('delete from notification_rule where id = ?').run(id);
      auditAs(this.db, actor, now, 'notification-rule.deleted', { ruleId: id, ...summary(rule) });
    })();
  }

  /** Meters of the rule among `meterIds` (all of them for an all-meters rule of the tenant). */
  meterFilter(rule: Rule): ((meterId: number) => boolean) | null {
    if (rule.allMeters) return null;
    const ids = new Set(
      this.db
        .prepare(`select distinct meter_id from group_member where group_id in (select group_id from notification_rule_group where rule_id = ?)`)
        .pluck()
        .all(rule.id) as number[]
    );
    return (id) => ids.has(id);
  }

  #rule(r: Row): Rule {
    const groups = this.db
      .prepare('select g.id, g.name from notification_rule_group rg join meter_group g on g.id = rg.group_id where rg.rule_id = ? order by g.name')
      .all(r.id) as { id: number; name: string }[];
    return {
      id: r.id,
      tenantId: r.tenantId,
      name: r.name,
      kinds: JSON.parse(r.kinds) as AlarmKind[],
      minSeverity: r.minSeverity,
      allMeters: r.allMeters === 1,
      groupIds: groups.map((g) => g.id),
      groups,
      emails: JSON.parse(r.emails) as string[],
      phones: JSON.parse(r.phones) as string[],
      byEmail: r.byEmail === 1,
      bySms: r.bySms === 1,
      mode: r.mode,
      dailyAt: r.dailyAt,
      enabled: r.enabled === 1,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt
    };
  }

  #setGroups(ruleId: number, groupIds: number[]): void {
    this.db.prepare('delete from notification_rule_group where rule_id = ?').run(ruleId);
    const add = this.db.prepare('insert or ignore into notification_rule_group (rule_id, group_id) values (?, ?)');
    for (const g of groupIds) add.run(ruleId, g);
  }

  #check(tenantId: number, input: RuleInput, self: number | null): void {
    const other = this.db.prepare('select id from notification_rule where tenant_id = ? and name = ?').get(tenantId, input.name) as { id: number } | undefined;
    if (other && other.id !== self) throw conflict(`name: a notification rule named "${input.name}" already exists (rule ${other.id}).`);
    if (!input.kinds.length && !input.minSeverity) throw invalid('kinds', 'choose at least one alarm kind or a minimum severity');
    if (!input.byEmail && !input.bySms) throw invalid('byEmail', 'choose e-mail, SMS or both');
    if (input.byEmail && !input.emails.length) throw invalid('emails', 'give at least one e-mail address, or do not send by e-mail');
    if (input.bySms && !input.phones.length) throw invalid('phones', 'give at least one phone number, or do not send by SMS');
    if (input.mode === 'daily' && !input.dailyAt) throw invalid('dailyAt', 'a daily rule needs a time of day such as 07:30');
    const known = this.db.prepare('select 1 from meter_group where tenant_id = ? and id = ?');
    for (const g of input.groupIds) if (!known.get(tenantId, g)) throw invalid('groupIds', `no group ${g}`);
  }
}

/** `allMeters` apart: a rule whose groups were all deleted keeps matching no meter until it is given groups. */
function columns(r: RuleInput, allMeters: boolean) {
  return [
    r.name,
    JSON.stringify(r.kinds),
    r.minSeverity,
    allMeters ? 1 : 0,
    JSON.stringify(r.emails),
    JSON.stringify(r.phones),
    r.byEmail ? 1 : 0,
    r.bySms ? 1 : 0,
    r.mode,
    r.mode === 'daily' ? r.dailyAt : null,
    r.enabled ? 1 : 0
  ] as const;
}

/** What the audit keeps of a rule. */
function summary(r: Rule) {
  return {
    name: r.name,
    kinds: r.kinds.join(', ') || null,
    minSeverity: r.minSeverity,
    groups: r.allMeters ? 'all meters' : r.groups.map((g) => g.name).join(', ') || '(deleted groups)',
    emails: r.byEmail ? r.emails.join(', ') : null,
    phones: r.bySms ? r.phones.join(', ') : null,
    mode: r.mode,
    dailyAt: r.dailyAt,
    enabled: r.enabled
  };
}

const stores = new WeakMap<Db, RuleStore>();

/** One rule store per database (routes, the evaluator and the schedule share it). */
export function rulesOf(db: Db): RuleStore {
  let s = stores.get(db);
  if (!s) stores.set(db, (s = new RuleStore(db)));
  return s;
}
