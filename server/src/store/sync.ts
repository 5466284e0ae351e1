// The server side of the field app's Send/Receive (issue 5, R1/B1).
// Receive: a device's route (the meters of the groups assigned to it), their keys and the
// compact-format table, one audit entry per hand-over naming the meters, never a key.
// Send: raw frames by the app's client ids, in one transaction with the ingest, so a retried
// frame or batch is known and changes nothing, and a batch cut off half-way loses nothing.
import { createHash } from 'node:crypto';
import { audit } from '../audit.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import type { FrameOutcome, IncomingFrame, Ingest } from '../ingest/ingest.js';
import { CompactFormatTable, type CompactFormatsJson } from '../../../shared/wmbus/compact.js';
import type { DeviceInfo, DeviceStore } from './devices.js';
import type { FrameLink, FrameStatus } from './frames.js';
import type { KeyStore, MeterKey } from './keys.js';
import { auditAs, conflict, notFound } from './registry.js';
import { SETTING_COMPACT_FORMATS, type SettingStore } from './settings.js';

export const MAX_ROUTE_GROUPS = 1000;

export interface RouteGroup {
  id: number;
  name: string;
  /** Member meters. */
  meters: number;
}

export interface RouteMeter {
  id: number;
  manufacturer: string;
  serial: string;
  version: number | null;
  deviceType: number | null;
  medium: string | null;
  model: string | null;
  lat: number | null;
  lon: number | null;
  address: string | null;
  postalCode: string | null;
  city: string | null;
  /** The route's groups this meter is in. */
  groupIds: number[];
}

export interface RoutePage {
  groups: { id: number; name: string }[];
  meters: RouteMeter[];
  keys: MeterKey[];
  compactFormats: CompactFormatsJson;
  /** Meters on the whole route. */
  total: number;
  /** Pass as `cursor` for the next page; null on the last one. */
  next: number | null;
}

export interface SyncFrame {
  clientId: string;
  bytes: Uint8Array;
  receivedAt: number;
  rssi: number | null;
  source: string;
  /** 'mbus': a wired RSP_UD frame, 'kmp': a KMP answer (ingest.ts IncomingFrame.link); absent = 'wmbus'. */
  link?: FrameLink;
  /** For link 'kmp': the meter the answer came from, "KAM 12345678" (ingest.ts IncomingFrame.meter). */
  meter?: string;
}

export type SyncOutcome = FrameOutcome | 'rejected';

export interface SyncFrameResult {
  clientId: string;
  /** What happened now: the ingest outcome for a new frame; 'duplicate' for a client id the server already holds. */
  status: SyncOutcome;
  frameId: number | null;
  meter: string | null;
  meterId: number | null;
  reason?: string;
  /** For a client id received before: when, in which batch, and what it became then. */
  first?: { batchId: string; at: number; status: string };
}

export interface SyncStatus {
  device: { id: number; name: string; status: DeviceInfo['status']; lastSeenAt: number | null };
  receive: { at: number; meters: number; keys: number } | null;
  send: {
    lastAt: number | null;
    lastBatch: { batchId: string; firstAt: number; lastAt: number; frames: number; attempts: number } | null;
    frames: number;
    /** Outcome when each frame arrived. */
    byArrival: Record<string, number>;
    /** What the server holds now (frames waiting for a key decode later; 'removed' after thinning or erasure). */
    byStatus: Record<string, number>;
  };
}

interface KnownRow {
  clientId: string;
  batchId: string;
  digest: Buffer;
  frameId: number | null;
  status: string;
  reason: string | null;
  at: number;
  meterId: number | null;
  meter: string | null;
}

/** What a client id stands for: the bytes, and for a KMP answer also the meter named (the bytes alone do not say). */
const digestOf = (f: SyncFrame) => {
  const h = createHash('sha256');
  if (f.link === 'kmp') h.update(`${f.meter ?? ''}\n`);
  return h.update(f.bytes).digest().subarray(0, 8);
};

export class SyncStore {
  constructor(
    private readonly db: Db,
    private readonly devices: DeviceStore,
    private readonly keys: KeyStore,
    private readonly settings: SettingStore,
    private readonly ingest: Ingest
  ) {}

  #device(tenantId: number, id: number): DeviceInfo {
    const d = this.devices.get(tenantId, id);
    if (!d) throw notFound('Device', id);
    return d;
  }

  /** The groups on a device's route, with their meter counts. */
  routeGroups(tenantId: number, deviceId: number): RouteGroup[] {
    this.#device(tenantId, deviceId);
    return this.db
      .prepare(
        `select g.id, g.name, (select count(*) from group_member gm where gm.group_id = g.id) as meters
           from device_route r join meter_group g on g.id = r.group_id
          where r.device_id = ? and g.tenant_id = ? order by g.name, g.id`
      )
      .all(deviceId, tenantId) as RouteGroup[];
  }

  /** Meters on a device's route (each once, however many of its groups hold it). */
  routeMeterCount(tenantId: number, deviceId: number): number {
    return this.db
      .prepare(
        `select count(distinct gm.meter_id) from device_route r
           join meter_group g on g.id = r.group_id and g.tenant_id = ?
           join group_member gm on gm.group_id = r.group_id
           join meter m on m.id = gm.meter_id and m.tenant_id = ?
          where r.device_id = ?`
      )
      .pluck()
      .get(tenantId, tenantId, deviceId) as number;
  }

  /** Replaces the route of a device with these groups (all the tenant's, else 404); audited. */
  setRoute(actor: Actor, deviceId: number, groupIds: readonly number[], now: number): { groups: RouteGroup[]; meters: number } {
    const ids = [...new Set(groupIds)];
    return this.db.transaction(() => {
      const device = this.#device(actor.tenantId, deviceId);
      if (device.status === 'revoked') throw conflict('This device was revoked: it has no route any more.');
      const found = new Set(
        this.db
          .prepare('select g.id from json_each(?) j cross join meter_group g on g.id = j.value where g.tenant_id = ?')
          .pluck()
          .all(JSON.stringify(ids), actor.tenantId) as number[]
      );
      const missing = ids.filter((i) => !found.has(i));
      if (missing.length) throw notFound(missing.length === 1 ? 'Group' : 'Groups', missing.slice(0, 10).join(', '));
      const before = this.db.prepare('select group_id from device_route where device_id = ? order by group_id').pluck().all(deviceId) as number[];
      this.db.prepare('delete from device_route where device_id = ?').run(deviceId);
      this.db.prepare('insert into device_route (device_id, group_id) select ?, value from json_each(?)').run(deviceId, JSON.stringify(ids));
      const meters = this.routeMeterCount(actor.tenantId, deviceId);
      auditAs(this.db, actor, now, 'device.route-set', {
        deviceId,
        name: device.name,
        before,
        groupIds: [...ids].sort((a, b) => a - b),
        meters
      });
      return { groups: this.routeGroups(actor.tenantId, deviceId), meters };
    })();
  }

  /**
   * One page of an AUTHORISED device's route (meters by id after `after`), with the keys of
   * those meters and the tenant's compact formats. One audit entry 'key.sent-to-device' naming
   * the meters whose keys left, in the same transaction. Null when the device is not authorised.
   */
  routePage(actor: Actor, deviceId: number, page: { after: number; limit: number }, now: number): RoutePage | null {
    const tenantId = actor.tenantId;
    return this.db.transaction(() => {
      const device = this.devices.get(tenantId, deviceId);
      if (device?.status !== 'authorised') return null;
      const groups = this.db
        .prepare(
          `select g.id, g.name from device_route r join meter_group g on g.id = r.group_id
            where r.device_id = ? and g.tenant_id = ? order by g.name, g.id`
        )
        .all(deviceId, tenantId) as { id: number; name: string }[];
      const rows = this.db
        .prepare(
          `select m.id, m.manufacturer, m.serial, m.version, m.device_type as deviceType, m.medium, m.model,
                  p.lat, p.lon, p.address, p.postal_code as postalCode, p.city, group_concat(gm.group_id) as groupIds
             from device_route r
             join meter_group g on g.id = r.group_id and g.tenant_id = ?
             join group_member gm on gm.group_id = r.group_id
             join meter m on m.id = gm.meter_id and m.tenant_id = ?
             left join installation i on i.meter_id = m.id and i.to_at is null
             left join metering_point p on p.id = i.metering_point_id
            where r.device_id = ? and m.id > ?
            group by m.id order by m.id limit ?`
        )
        .all(tenantId, tenantId, deviceId, page.after, page.limit + 1) as (Omit<RouteMeter, 'groupIds'> & { groupIds: string })[];
      const more = rows.length > page.limit;
      if (more) rows.pop();
      const meters: RouteMeter[] = rows.map((r) => ({
        ...r,
        groupIds: r.groupIds
          .split(',')
          .map(Number)
          .sort((a, b) => a - b)
      }));
      const keys = this.keys.keysForMeters(
        tenantId,
        meters.map((m) => m.id)
      );
      keys.sort((a, b) => a.meterId - b.meterId);
      const total = this.routeMeterCount(tenantId, deviceId);
      audit(this.db, now, {
        tenantId,
        event: 'key.sent-to-device',
        userId: actor.userId,
        actor: actor.name,
        device: device.name,
        details: {
          deviceId,
          via: 'sync/route',
          meterIds: keys.map((k) => k.meterId),
          routeMeters: meters.length,
          ...(page.after > 0 ? { after: page.after } : {})
        }
      });
      const first = page.after === 0;
      this.db
        .prepare(
          `insert into device_sync (device_id, route_at, route_meters, route_keys) values (?, ?, ?, ?)
           on conflict (device_id) do update set route_at = excluded.route_at,
             route_meters = case when ? then excluded.route_meters else route_meters + excluded.route_meters end,
             route_keys = case when ? then excluded.route_keys else route_keys + excluded.route_keys end`
        )
        .run(deviceId, now, meters.length, keys.length, first ? 1 : 0, first ? 1 : 0);
      return { groups, meters, keys, compactFormats: this.compactFormats(tenantId), total, next: more ? meters[meters.length - 1].id : null };
    })();
  }

  /** The tenant's compact-format table (the published formats plus those learnt from full frames). */
  compactFormats(tenantId: number): CompactFormatsJson {
    const saved = this.settings.get(tenantId, SETTING_COMPACT_FORMATS) as CompactFormatsJson | undefined;
    try {
      return (saved ? CompactFormatTable.fromJSON(saved) : new CompactFormatTable()).toJSON();
    } catch {
      return new CompactFormatTable().toJSON(); // a damaged setting: the published formats (as the ingest does)
    }
  }

  /**
   * Frames a device sends, by client id, in ONE transaction with the ingest: a client id the
   * server holds answers 'duplicate' (with what it became the first time) and changes nothing;
   * the new ones are ingested. A client id reused for other bytes is 'rejected'.
   */
  sendFrames(actor: Actor, deviceId: number, batchId: string, frames: readonly SyncFrame[], now: number): SyncFrameResult[] {
    return this.db.transaction(() => {
      const known = new Map<string, KnownRow>();
      const rows = this.db
        .prepare(
          `select s.client_id as clientId, s.batch_id as batchId, s.digest, s.frame_id as frameId, s.status, s.reason, s.at,
                  f.meter_id as meterId, coalesce(m.manufacturer || ' ' || m.serial, f.address) as meter
             from json_each(?) j
             join sync_frame s on s.device_id = ? and s.client_id = j.value
             left join frame f on f.id = s.frame_id and f.tenant_id = ?
             left join meter m on m.id = f.meter_id`
        )
        .all(JSON.stringify(frames.map((f) => f.clientId)), deviceId, actor.tenantId) as KnownRow[];
      for (const r of rows) known.set(r.clientId, r);

      const results: SyncFrameResult[] = new Array(frames.length);
      const fresh: { index: number; digest: Buffer }[] = [];
      frames.forEach((f, index) => {
        const digest = digestOf(f);
        const k = known.get(f.clientId);
        if (!k) {
          fresh.push({ index, digest });
          return;
        }
        const first = { batchId: k.batchId, at: k.at, status: k.status };
        if (!Buffer.from(k.digest).equals(digest)) {
          results[index] = {
            clientId: f.clientId,
            status: 'rejected',
            frameId: null,
            meter: null,
            meterId: null,
            reason: 'this clientId was sent before with other bytes: nothing stored (give each frame its own clientId)',
            first
          };
          return;
        }
        results[index] = { clientId: f.clientId, status: 'duplicate', frameId: k.frameId, meter: k.meter, meterId: k.meterId, first };
      });

      if (fresh.length) {
        const batch: IncomingFrame[] = fresh.map(({ index }) => {
          const f = frames[index];
          return { bytes: f.bytes, receivedAt: f.receivedAt, rssi: f.rssi, source: f.source, link: f.link ?? 'wmbus', ...(f.meter ? { meter: f.meter } : {}) };
        });
        const out = this.ingest.ingest(actor, batch, now);
        const record = this.db.prepare(
          `insert into sync_frame (device_id, client_id, batch_id, digest, frame_id, status, reason, at) values (?, ?, ?, ?, ?, ?, ?, ?)`
        );
        fresh.forEach(({ index, digest }, i) => {
          const r = out[i];
          const f = frames[index];
          record.run(deviceId, f.clientId, batchId, digest, r.frameId, r.status, r.reason ?? null, now);
          const res: SyncFrameResult = { clientId: f.clientId, status: r.status, frameId: r.frameId, meter: r.meter, meterId: r.meterId };
          if (r.reason) res.reason = r.reason;
          results[index] = res;
        });
      }

      this.db
        .prepare(
          `insert into sync_batch (device_id, batch_id, first_at, last_at, frames, attempts) values (?, ?, ?, ?, ?, 1)
           on conflict (device_id, batch_id) do update set last_at = excluded.last_at, frames = frames + excluded.frames,
                                                          attempts = attempts + 1`
        )
        .run(deviceId, batchId, now, now, fresh.length);
      return results;
    })();
  }

  /** What the server holds from this device, and when it last sent and received. */
  status(tenantId: number, deviceId: number): SyncStatus {
    const d = this.#device(tenantId, deviceId);
    const receive = this.db
      .prepare('select route_at as at, route_meters as meters, route_keys as keys from device_sync where device_id = ?')
      .get(deviceId) as SyncStatus['receive'] | undefined;
    const lastBatch = this.db
      .prepare(
        `select batch_id as batchId, first_at as firstAt, last_at as lastAt, frames, attempts
           from sync_batch where device_id = ? order by last_at desc, first_at desc limit 1`
      )
      .get(deviceId) as NonNullable<SyncStatus['send']['lastBatch']> | undefined;
    const byArrival: Record<string, number> = {};
    let total = 0;
    for (const r of this.db
      .prepare('select status, count(*) as n from sync_frame where device_id = ? group by status order by status')
      .all(deviceId) as { status: string; n: number }[]) {
      byArrival[r.status] = r.n;
      total += r.n;
    }
    const byStatus: Record<string, number> = {};
    for (const r of this.db
      .prepare(
        `select coalesce(f.status, 'removed') as status, count(*) as n
           from sync_frame s left join frame f on f.id = s.frame_id and f.tenant_id = ?
          where s.device_id = ? group by 1 order by 1`
      )
      .all(tenantId, deviceId) as { status: FrameStatus | 'removed'; n: number }[]) {
      byStatus[r.status] = r.n;
    }
    return {
      device: { id: d.id, name: d.name, status: d.status, lastSeenAt: d.lastSeenAt },
      receive: receive ?? null,
      send: { lastAt: lastBatch?.lastAt ?? null, lastBatch: lastBatch ?? null, frames: total, byArrival, byStatus }
    };
  }
}
