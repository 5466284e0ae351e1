import type { Db } from '../db/connection.js';
import type { ReadingDays } from '../store/reading-days.js';
import { expectedMessages, type PerformanceQuery } from './performance.js';
import { groupCondition } from './scope.js';

// Reading performance per receiver (M7): per gateway of the fixed network and per drive-by route
// of a field device. A frame's receptions are the frame row itself while one receiver heard it,
// else its frame_reception rows (migration 002), each naming the receiver in `source`: a
// gateway's own name (POST /api/ingest/frames), or "device <id>" and "device <id>/<receiver>"
// for what a field device uploaded (POST /api/sync/frames). Counted per local day by triggers
// (frame_source_day, migration 011): the report sums days, it does not read frames.

export interface GatewayRow {
  source: string;
  /** Receptions in the interval, also of frames no meter is known for. */
  frames: number;
  /** Receptions of the scope's meters. */
  messages: number;
  meters: number;
  /** Σ expected messages of the meters it heard (as in the meter report). */
  expected: number;
  /** Σ min(messages, expected) / expected over the meters it heard, %. */
  share: number | null;
  lastAt: number | null;
}

export interface RouteRow {
  deviceId: number;
  device: string;
  revoked: boolean;
  groups: { id: number; name: string }[];
  /** Meters of the route's groups (in the scope). */
  meters: number;
  /** Route meters this device heard in the interval. */
  heard: number;
  /** Route meters with a reading in the interval, whoever read them. */
  read: number;
  /** Receptions the device uploaded in the interval, on or off its route. */
  messages: number;
  /** heard / meters, %. */
  share: number | null;
  lastAt: number | null;
}

export interface SourcesReport {
  from: number;
  to: number;
  timeZone: string;
}

type Reception = [source: string, meterId: number | null, messages: number, lastAt: number];

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : null);

/**
 * Receptions per receiver and meter in the interval, from the per-day counts of migration 011
 * (meter null: no known meter; left out when a group is chosen).
 */
function receptions(db: Db, tenantId: number, group: PerformanceQuery['group'], dayFrom: number, dayTo: number): Reception[] {
  const g = groupCondition(db, tenantId, group, 'p.meter_id');
  const args = { t: tenantId, dayFrom, dayTo };
  // pairs in key order (meter, source): the grouping needs no sort
  const rows = db
    .prepare(
      `select p.source, p.meter_id, sum(d.n), max(d.last_at)
         from frame_meter_source p
         join frame_source_day d on d.meter_id = p.meter_id and d.source = p.source and d.day >= @dayFrom and d.day < @dayTo and d.tenant_id = @t
        where p.meter_id <> 0 and p.tenant_id = @t and d.n > 0 and ${g.sql}
        group by p.meter_id, p.source`
    )
    .raw()
    .all(args, ...g.args) as Reception[];
  if (group !== undefined) return rows;
  const unknown = db
    .prepare(
      `select source, null, sum(n), max(last_at) from frame_source_day
        where meter_id = 0 and tenant_id = @t and day >= @dayFrom and day < @dayTo and n > 0 group by source`
    )
    .raw()
    .all(args) as Reception[];
  return rows.concat(unknown);
}

/** The field device a source belongs to ("device 4" or "device 4/IR head"), or null for a gateway. */
export function deviceOfSource(source: string): number | null {
  const m = /^device (\d+)(?:\/|$)/.exec(source);
  return m ? Number(m[1]) : null;
}

export function gatewayPerformance(db: Db, days: ReadingDays, tenantId: number, q: PerformanceQuery): SourcesReport & { gateways: GatewayRow[] } {
  const iv = days.interval(tenantId, q.from, q.to);
  const expected = expectedMessages(db, days, tenantId, q);
  const bySource = new Map<string, GatewayRow>();
  for (const [source, meterId, n, lastAt] of receptions(db, tenantId, q.group, iv.dayFrom, iv.dayTo)) {
    if (deviceOfSource(source) !== null) continue;
    let row = bySource.get(source);
    if (!row) bySource.set(source, (row = { source, frames: 0, messages: 0, meters: 0, expected: 0, share: null, lastAt: null }));
    row.frames += n;
    row.lastAt = Math.max(row.lastAt ?? lastAt, lastAt);
    const e = meterId === null ? undefined : expected.get(meterId);
    if (e === undefined) continue;
    row.messages += n;
    row.meters++;
    row.expected += e;
    // share needs Σ min(n, e): kept in `share` as a running count until the end
    row.share = (row.share ?? 0) + Math.min(n, e);
  }
  const gateways = [...bySource.values()]
    .map((r) => ({ ...r, share: pct(r.share ?? 0, r.expected) }))
    .sort((a, b) => a.source.localeCompare(b.source));
  return { from: iv.from, to: iv.to, timeZone: iv.timeZone, gateways };
}

export function routePerformance(db: Db, days: ReadingDays, tenantId: number, q: PerformanceQuery): SourcesReport & { routes: RouteRow[] } {
  const iv = days.interval(tenantId, q.from, q.to);
  // the scope's meters and whether anyone read them in the interval: one reading_day range each
  // (the per-meter report's expectations are not needed here)
  const g = groupCondition(db, tenantId, q.group, 'm.id');
  const inScope = new Map(
    db
      .prepare(
        `select m.id, exists (select 1 from reading_day d where d.meter_id = m.id and d.day >= ? and d.day < ? and d.n > 0)
           from meter m where +m.tenant_id = ? and ${g.sql}`
      )
      .raw()
      .all(iv.dayFrom, iv.dayTo, tenantId, ...g.args) as [number, number][]
  );
  const devices = db.prepare('select id, name, revoked_at as revokedAt from device where tenant_id = ? order by name, id').all(tenantId) as {
    id: number;
    name: string;
    revokedAt: number | null;
  }[];
  const groups = db
    .prepare('select r.device_id as deviceId, g.id, g.name from device_route r join meter_group g on g.id = r.group_id where g.tenant_id = ? order by g.name')
    .all(tenantId) as { deviceId: number; id: number; name: string }[];
  const members = db.prepare(
    `select distinct m.meter_id from group_member m join device_route r on r.group_id = m.group_id where r.device_id = ?`
  ).pluck();
  const heardBy = new Map<number, { meters: Set<number>; messages: number; lastAt: number | null }>();
  for (const [source, meterId, n, lastAt] of receptions(db, tenantId, q.group, iv.dayFrom, iv.dayTo)) {
    const d = deviceOfSource(source);
    if (d === null) continue;
    let h = heardBy.get(d);
    if (!h) heardBy.set(d, (h = { meters: new Set(), messages: 0, lastAt: null }));
    h.messages += n;
    h.lastAt = Math.max(h.lastAt ?? lastAt, lastAt);
    if (meterId !== null) h.meters.add(meterId);
  }
  const routes: RouteRow[] = [];
  for (const d of devices) {
    const own = groups.filter((g) => g.deviceId === d.id).map((g) => ({ id: g.id, name: g.name }));
    const h = heardBy.get(d.id);
    if (own.length === 0 && !h) continue;
    const route = (members.all(d.id) as number[]).filter((id) => inScope.has(id));
    const heard = route.filter((id) => h?.meters.has(id)).length;
    routes.push({
      deviceId: d.id,
      device: d.name,
      revoked: d.revokedAt !== null,
      groups: own,
      meters: route.length,
      heard,
      read: route.filter((id) => inScope.get(id) === 1).length,
      messages: h?.messages ?? 0,
      share: pct(heard, route.length),
      lastAt: h?.lastAt ?? null
    });
  }
  return { from: iv.from, to: iv.to, timeZone: iv.timeZone, routes };
}
