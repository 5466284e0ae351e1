import type { Db } from '../db/connection.js';
import { ALARM_KINDS, type AlarmKind, type AlarmSeverity } from '../../../shared/model/alarm.js';
import { bucketIndex, bucketStart, nextBucket } from '../../../shared/consumption.js';
import { infoAlarms, type MeterIdentity } from './meter-alarms.js';
import { groupCondition } from '../report/scope.js';

// Alarms across the utility (M8): the meters whose newest reading carries an active alarm, and
// per meter how often each alarm kind was read over the last days. Both decode stored info words
// with the driver's status table (meter-alarms.ts), so every make reads in the same taxonomy.

export const ALARM_SORTS = ['severity', 'time'] as const;
export type AlarmSort = (typeof ALARM_SORTS)[number];

const DAY = 86_400_000;
/** How far back `since` looks for the start of the current run of non-zero info words. */
export const SINCE_LOOKBACK_DAYS = 400;
const RANK: Readonly<Record<AlarmSeverity, number>> = { critical: 0, warning: 1, info: 2 };

export interface AlarmQuery {
  group?: number | 'ungrouped' | 'last-imported';
  /** Minimum worst severity: 'warning' keeps critical and warning. */
  severity?: AlarmSeverity;
  kind?: AlarmKind;
  sort?: AlarmSort;
  /** Most severe / newest first (the default); false reverses the order. */
  desc?: boolean;
}

export interface AlarmRow {
  meterId: number;
  manufacturer: string;
  serial: string;
  model: string | null;
  address: string | null;
  postalCode: string | null;
  customer: string | null;
  customerNumber: string | null;
  /** First reading of the current unbroken run of readings with a non-zero info word. */
  since: number;
  /** true: the run reaches back past the look-back, so it started at `since` or earlier. */
  sinceCapped: boolean;
  /** Time of the newest reading (the one whose alarms are listed). */
  at: number;
  info: number;
  alarms: { kind: AlarmKind; severity: AlarmSeverity; label: string }[];
  worst: AlarmSeverity;
}

interface LatestRow extends MeterIdentity {
  meterId: number;
  model: string | null;
  address: string | null;
  postalCode: string | null;
  customer: string | null;
  customerNumber: string | null;
  at: number;
  info: number;
}

/** Active alarms of a word, cached per status table identity and word (100,000 meters share few). */
export function decoder() {
  const cache = new Map<string, AlarmRow['alarms']>();
  return (m: MeterIdentity, info: number | null): AlarmRow['alarms'] => {
    const key = `${m.driver}|${m.manufacturer}|${m.version}|${m.deviceType}|${info}`;
    let alarms = cache.get(key);
    if (!alarms) {
      alarms = infoAlarms(m, info)
        .filter((a) => a.active)
        .map(({ kind, severity, label }) => ({ kind, severity, label }));
      cache.set(key, alarms);
    }
    return alarms;
  };
}

/** Every matching meter with active alarms, sorted; `since` is left 0 (see withSince). */
export function currentAlarms(db: Db, tenantId: number, q: AlarmQuery): Omit<AlarmRow, 'since' | 'sinceCapped'>[] {
  const g = groupCondition(db, tenantId, q.group, 'ml.meter_id');
  const where = ['ml.tenant_id = ?', 'ml.info <> 0', g.sql];
  const args: unknown[] = [tenantId, ...g.args];
  // meter_latest has no index on info (007): a scan of its small rows, decoding only non-zero words
  const rows = db
    .prepare(
      `select m.id as meterId, m.manufacturer, m.serial, m.version, m.device_type as deviceType, m.driver, m.model,
              p.address, p.postal_code as postalCode, c.name as customer, c.number as customerNumber, ml.at, ml.info
         from meter_latest ml join meter m on m.id = ml.meter_id
         left join installation i on i.meter_id = m.id and i.to_at is null
         left join metering_point p on p.id = i.metering_point_id
         left join customer c on c.id = p.customer_id
        where ${where.join(' and ')}`
    )
    .all(...args) as LatestRow[];
  const decode = decoder();
  const out: Omit<AlarmRow, 'since' | 'sinceCapped'>[] = [];
  for (const r of rows) {
    const alarms = decode(r, r.info);
    if (!alarms.length) continue;
    if (q.kind && !alarms.some((a) => a.kind === q.kind)) continue;
    const worst = alarms.reduce((w, a) => (RANK[a.severity] < RANK[w] ? a.severity : w), alarms[0].severity);
    if (q.severity && RANK[worst] > RANK[q.severity]) continue;
    const { version: _v, deviceType: _t, driver: _d, ...rest } = r;
    out.push({ ...rest, alarms, worst });
  }
  const sign = q.desc === false ? -1 : 1;
  const byTime = (a: { at: number }, b: { at: number }) => b.at - a.at;
  out.sort(
    (a, b) =>
      sign * (q.sort === 'time' ? byTime(a, b) : RANK[a.worst] - RANK[b.worst] || byTime(a, b)) || a.meterId - b.meterId
  );
  return out;
}

/** Adds `since`: the first reading after the newest one without a non-zero info word (null or 0). */
export function withSince<T extends { meterId: number; at: number }>(db: Db, rows: T[]): (T & { since: number; sinceCapped: boolean })[] {
  const lastClear = db.prepare(
    'select at from reading where meter_id = ? and at >= ? and at <= ? and (info is null or info = 0) order by at desc limit 1'
  );
  const firstAfter = db.prepare('select at from reading where meter_id = ? and at >= ? and at <= ? order by at limit 1');
  const earlier = db.prepare('select 1 from reading where meter_id = ? and at < ? limit 1');
  return rows.map((r) => {
    const floor = r.at - SINCE_LOOKBACK_DAYS * DAY;
    const clear = lastClear.pluck().get(r.meterId, floor, r.at) as number | undefined;
    const since = firstAfter.pluck().get(r.meterId, clear === undefined ? floor : clear + 1, r.at) as number;
    // no clear reading in the look-back but readings before it: the run may be longer
    const capped = clear === undefined && earlier.get(r.meterId, floor) !== undefined;
    return { ...r, since, sinceCapped: capped };
  });
}

export interface KindHistory {
  kind: AlarmKind;
  severity: AlarmSeverity;
  label: string;
  /** Days (utility wall clock) with at least one reading carrying the alarm. */
  days: number;
  firstAt: number;
  lastAt: number;
  text: string;
}

export interface AlarmHistory {
  meterId: number;
  timeZone: string;
  days: number;
  from: number;
  to: number;
  daysWithReadings: number;
  kinds: KindHistory[];
  text: string;
}

/**
 * Per alarm kind, on how many of the last `days` days (today included, on the utility's wall
 * clock, so a DST day of 23 or 25 hours is one day) a reading carried it as active.
 * undefined: not the tenant's meter.
 */
export function alarmHistory(db: Db, tenantId: number, meterId: number, days: number, timeZone: string, now: number): AlarmHistory | undefined {
  const meter = db
    .prepare('select manufacturer, serial, version, device_type as deviceType, driver from meter where tenant_id = ? and id = ?')
    .get(tenantId, meterId) as MeterIdentity | undefined;
  if (!meter) return undefined;
  let from = bucketStart(now, 'day', timeZone);
  const to = nextBucket(from, 'day', timeZone);
  for (let i = 1; i < days; i++) from = bucketStart(from - 1, 'day', timeZone);
  const boundaries = [from];
  while (boundaries[boundaries.length - 1] < to) boundaries.push(nextBucket(boundaries[boundaries.length - 1], 'day', timeZone));
  const readings = db
    .prepare('select at, info from reading where meter_id = ? and at >= ? and at < ? order by at')
    .all(meterId, from, to) as { at: number; info: number | null }[];
  const decode = decoder();
  const withReadings = new Set<number>();
  const kinds = new Map<AlarmKind, { severity: AlarmSeverity; days: Set<number>; firstAt: number; lastAt: number }>();
  for (const r of readings) {
    const day = bucketIndex(boundaries, r.at);
    withReadings.add(day);
    if (!r.info) continue;
    for (const a of decode(meter, r.info)) {
      const k = kinds.get(a.kind) ?? { severity: a.severity, days: new Set<number>(), firstAt: r.at, lastAt: r.at };
      if (RANK[a.severity] < RANK[k.severity]) k.severity = a.severity;
      k.days.add(day);
      k.lastAt = r.at;
      kinds.set(a.kind, k);
    }
  }
  const list: KindHistory[] = [...kinds].map(([kind, k]) => ({
    kind,
    severity: k.severity,
    label: ALARM_KINDS[kind].label,
    days: k.days.size,
    firstAt: k.firstAt,
    lastAt: k.lastAt,
    text: `${ALARM_KINDS[kind].label} on ${k.days.size} of the last ${days} days`
  }));
  list.sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.days - a.days || a.kind.localeCompare(b.kind));
  const alarmsText = list.length ? list.map((k) => k.text).join('; ') : `No alarms in the last ${days} days`;
  const text = `${alarmsText}. Readings on ${withReadings.size} of ${days} days.`;
  return { meterId, timeZone, days, from, to, daysWithReadings: withReadings.size, kinds: list, text };
}
