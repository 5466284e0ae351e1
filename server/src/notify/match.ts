import type { AlarmKind, AlarmSeverity } from '../../../shared/model/alarm.js';
import type { Db } from '../db/connection.js';
import { currentAlarms } from '../store/alarms.js';

// Which alarms a rule is about, and the baseline a rule starts from: the alarms already active
// when it is made, changed or enabled again count as seen, so "at once" sends only alarms that
// begin afterwards (the daily summary lists standing ones).

const RANK: Readonly<Record<AlarmSeverity, number>> = { critical: 0, warning: 1, info: 2 };

export type ActiveAlarm = { kind: AlarmKind; severity: AlarmSeverity; label: string };

export interface RuleFilter {
  kinds: AlarmKind[];
  minSeverity: AlarmSeverity | null;
}

/** The alarms the rule is about: a listed kind (if any) at its minimum severity (if any). */
export function ruleMatches<A extends ActiveAlarm>(rule: RuleFilter, alarms: A[]): A[] {
  return alarms.filter(
    (a) => (!rule.kinds.length || rule.kinds.includes(a.kind)) && (!rule.minSeverity || RANK[a.severity] <= RANK[rule.minSeverity])
  );
}

/** Replaces what the rule saw by the alarms active now among its meters (call in the rule's transaction). */
export function baseline(db: Db, rule: RuleFilter & { id: number; tenantId: number }, inScope: ((meterId: number) => boolean) | null): void {
  db.prepare('delete from notification_state where rule_id = ?').run(rule.id);
  const remember = db.prepare('insert into notification_state (rule_id, meter_id, kind, since) values (?, ?, ?, ?)');
  for (const r of currentAlarms(db, rule.tenantId, {})) {
    if (inScope && !inScope(r.meterId)) continue;
    for (const a of ruleMatches(rule, r.alarms)) remember.run(rule.id, r.meterId, a.kind, r.at);
  }
}
