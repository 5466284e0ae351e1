import type { AlarmKind } from '../../../shared/model/alarm.js';
import type { Db } from '../db/connection.js';
import { currentAlarms, decoder, withSince } from '../store/alarms.js';
import type { MeterIdentity } from '../store/meter-alarms.js';
import { deliveriesOf } from './deliveries.js';
import { ruleMatches, type ActiveAlarm as Active } from './match.js';
import { composeMessages, type AlarmedMeter } from './messages.js';
import { rulesOf, type Rule } from './rules.js';

// When a rule fires (M9). At once: after an ingest batch committed, the newest info word of each
// meter that got readings is decoded (store/meter-alarms.ts); an alarm kind the rule did not see
// active for that meter at its last evaluation (notification_state, seeded by match.ts baseline
// when the rule is made) is news, and one message per rule and batch lists the meters with news. Daily: a summary of every alarm active then. Either
// way the messages are only queued here; sender.ts sends them.

const CHUNK = 500;

interface LatestRow extends MeterIdentity {
  meterId: number;
  at: number | null;
  info: number | null;
}

/** Queues the at-once messages for a batch of readings; returns how many were queued. */
export function evaluateReadings(db: Db, tenantId: number, meterIds: readonly number[], now: number, timeZone: string): number {
  const rules = rulesOf(db).enabled(tenantId, 'immediate');
  if (!rules.length || !meterIds.length) return 0;
  const latest: LatestRow[] = [];
  for (let i = 0; i < meterIds.length; i += CHUNK) {
    const ids = meterIds.slice(i, i + CHUNK);
    latest.push(
      ...(db
        .prepare(
          `select m.id as meterId, m.manufacturer, m.serial, m.version, m.device_type as deviceType, m.driver, ml.at, ml.info
             from meter m join meter_latest ml on ml.meter_id = m.id
            where m.tenant_id = ? and m.id in (${ids.map(() => '?').join(',')})`
        )
        .all(tenantId, ...ids) as LatestRow[])
    );
  }
  // a utility has few distinct (meter type, info word) pairs: each is decoded once
  const decode = decoder();
  const decoded = latest.map((r) => ({ row: r, alarms: decode(r, r.info) as Active[] }));
  // what each rule saw, read once per rule (a few rows per alarmed meter), compared in memory
  const seen = db.prepare('select meter_id as meterId, kind from notification_state where rule_id = ?');
  const forget = db.prepare('delete from notification_state where rule_id = ? and meter_id = ? and kind = ?');
  const remember = db.prepare('insert into notification_state (rule_id, meter_id, kind, since) values (?, ?, ?, ?)');
  // the address only of the meters a message names
  const placeOf = db.prepare(
    `select p.address, p.postal_code as postalCode from installation i join metering_point p on p.id = i.metering_point_id
      where i.meter_id = ? and i.to_at is null`
  );
  return db.transaction(() => {
    let queued = 0;
    for (const rule of rules) {
      const inScope = rulesOf(db).meterFilter(rule);
      const saw = new Map<number, Set<AlarmKind>>();
      for (const s of seen.all(rule.id) as { meterId: number; kind: AlarmKind }[]) {
        let kinds = saw.get(s.meterId);
        if (!kinds) saw.set(s.meterId, (kinds = new Set()));
        kinds.add(s.kind);
      }
      const news: { row: LatestRow; alarms: Active[] }[] = [];
      for (const { row, alarms } of decoded) {
        if (inScope && !inScope(row.meterId)) continue;
        const current = ruleMatches(rule, alarms);
        const before = saw.get(row.meterId);
        if (!current.length && !before) continue;
        const kinds = new Set(current.map((a) => a.kind));
        if (before) for (const k of before) if (!kinds.has(k)) forget.run(rule.id, row.meterId, k);
        const fresh = current.filter((a) => !before?.has(a.kind));
        for (const a of fresh) remember.run(rule.id, row.meterId, a.kind, row.at ?? now);
        if (fresh.length) news.push({ row, alarms: fresh });
      }
      if (!news.length) continue;
      const meters = withSince(db, news.map((n) => ({ meterId: n.row.meterId, at: n.row.at ?? now, n })));
      const listed: AlarmedMeter[] = meters.map(({ n, since }) => ({
        meterId: n.row.meterId,
        manufacturer: n.row.manufacturer,
        serial: n.row.serial,
        ...((placeOf.get(n.row.meterId) as Pick<AlarmedMeter, 'address' | 'postalCode'> | undefined) ?? { address: null, postalCode: null }),
        alarms: n.alarms,
        since
      }));
      const messages = composeMessages(rule, listed, 'onset', now, timeZone);
      deliveriesOf(db).queue(messages, now);
      queued += messages.length;
    }
    return queued;
  })();
}

/** Queues a daily rule's summary of the alarms active `now`; nothing when none is. Returns how many were queued. */
export function queueDailySummary(db: Db, rule: Rule, now: number, timeZone: string): number {
  const inScope = rulesOf(db).meterFilter(rule);
  const rows = currentAlarms(db, rule.tenantId, { sort: 'severity' })
    .filter((r) => !inScope || inScope(r.meterId))
    .map((r) => ({ ...r, alarms: ruleMatches(rule, r.alarms) }))
    .filter((r) => r.alarms.length);
  const listed: AlarmedMeter[] = withSince(db, rows).map((r) => ({
    meterId: r.meterId,
    manufacturer: r.manufacturer,
    serial: r.serial,
    address: r.address,
    postalCode: r.postalCode,
    alarms: r.alarms,
    since: r.since
  }));
  const messages = composeMessages(rule, listed, 'daily', now, timeZone);
  if (messages.length) db.transaction(() => deliveriesOf(db).queue(messages, now))();
  return messages.length;
}
