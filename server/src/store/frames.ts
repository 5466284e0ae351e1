import { audit } from '../audit.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';

// Raw frames (architecture.md decision 3), their receptions, and the gateways that forward
// them (decision 6). The ingest pipeline (server/src/ingest) drives the write side through the
// prepared statements here, inside its one transaction per batch.

export type FrameStatus = 'decoded' | 'no-key' | 'unknown-format' | 'unknown-meter' | 'failed';
export const FRAME_STATUSES: readonly FrameStatus[] = ['decoded', 'no-key', 'unknown-format', 'unknown-meter', 'failed'];
export const WAITING_STATUSES: readonly FrameStatus[] = ['no-key', 'unknown-format', 'unknown-meter', 'failed'];

/**
 * How a frame's bytes are decoded: wireless M-Bus (EN 13757-4), a wired RSP_UD (EN 13757-2) or a
 * Kamstrup KMP answer from the optical eye (protocols.md §5; its meter is named by the sender).
 */
export type FrameLink = 'wmbus' | 'mbus' | 'kmp';

export interface NewFrame {
  tenantId: number;
  /** Default 'wmbus'. */
  link?: FrameLink;
  digest: Uint8Array;
  raw: Uint8Array;
  meterId: number | null;
  address: string | null;
  /** The meter the sender named ('KAM 12345678'), for frames whose bytes name none (KMP). */
  meterHint?: string | null;
  receivedAt: number;
  rssi: number | null;
  source: string;
  status: FrameStatus;
  reason: string | null;
}

export interface StoredFrame {
  id: number;
  tenantId: number;
  link: FrameLink;
  meterId: number | null;
  address: string | null;
  receivedAt: number;
  rssi: number | null;
  source: string;
  status: FrameStatus;
  reason: string | null;
  decodedAt: number | null;
}

export interface DuplicateOf {
  id: number;
  rssi: number | null;
  source: string;
  receivedAt: number;
}

export interface WaitingFrame {
  id: number;
  link: FrameLink;
  source: string;
  raw: Uint8Array;
  meterId: number | null;
  address: string | null;
  /** See NewFrame.meterHint. */
  meterHint: string | null;
  receivedAt: number;
  status: FrameStatus;
}

export interface Reception {
  source: string;
  receivedAt: number;
  rssi: number | null;
}

export interface Gateway {
  id: number;
  name: string;
  createdAt: number;
  /** Other tenants' names this gateway forwards for (only its owner sees them). */
  sharedWith: string[];
}

/**
 * Width of the time buckets of the dedupe index (002-core.sql frame_dedupe: received_at / 3600000).
 * Wider than the dedupe window, so that a lookup mostly seeks one bucket, at most two.
 */
export const DEDUPE_BUCKET_MS = 3_600_000;

const FRAME_COLUMNS = `f.id, f.tenant_id as tenantId, f.link, f.meter_id as meterId, coalesce(f.address, m.manufacturer || ' ' || m.serial) as address,
  f.received_at as receivedAt, f.rssi, f.source, f.status, f.reason, f.decoded_at as decodedAt`;
const FRAME_FROM = 'frame f left join meter m on m.id = f.meter_id';

export class FrameStore {
  readonly #gateway;
  readonly #shares;
  readonly #meter;
  readonly #duplicate;
  readonly #receptions;
  readonly #insert;
  readonly #reception;
  readonly #best;
  readonly #status;
  readonly #raw;
  readonly #read;

  constructor(private readonly db: Db) {
    this.#gateway = db.prepare('select id from gateway where tenant_id = ? and name = ?').pluck();
    this.#shares = db.prepare('select tenant_id from gateway_share where gateway_id = ? order by tenant_id').pluck();
    this.#meter = db.prepare('select id, driver from meter where tenant_id = ? and manufacturer = ? and serial = ?');
    // `+received_at`: the window is checked on the rows the dedupe index finds, not used to pick
    // an index (frame_tenant_received would scan every frame of the tenant in the window)
    this.#duplicate = db.prepare(
      `select id, rssi, source, received_at as receivedAt from frame
        where tenant_id = ? and received_at / ${DEDUPE_BUCKET_MS} = ? and digest = ? and +received_at between ? and ?
        order by id limit 1`
    );
    this.#receptions = db.prepare('select count(*) from frame_reception where frame_id = ?').pluck();
    this.#insert = db.prepare(
      `insert into frame (tenant_id, digest, raw, meter_id, address, received_at, rssi, source, status, reason, decoded_at, link, meter_hint)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    );
    this.#read = db.prepare(
      `select id, link, source, raw, meter_id as meterId, address, meter_hint as meterHint, received_at as receivedAt, status from frame
        where tenant_id = ? and received_at / ${DEDUPE_BUCKET_MS} = ? and +received_at = ? and source = ? and link = 'mbus' order by id`
    );
    this.#reception = db.prepare(
      'insert into frame_reception (frame_id, source, received_at, rssi) values (?, ?, ?, ?) on conflict do nothing'
    );
    this.#best = db.prepare('update frame set rssi = ?, source = ? where id = ?');
    this.#status = db.prepare(
      'update frame set status = ?, reason = ?, meter_id = ?, decoded_at = ?, address = case when ? is null then address end where id = ?'
    );
    this.#raw = db.prepare('select raw from frame where tenant_id = ? and id = ?').pluck();
  }

  // -- ingest primitives (inside the caller's transaction) --------------------------------------

  /** The tenants a frame from `source` may belong to: the poster, then those its gateway is shared with. */
  tenantsFor(posterTenantId: number, source: string): number[] {
    const gw = this.#gateway.get(posterTenantId, source) as number | undefined;
    if (gw === undefined) return [posterTenantId];
    const shares = (this.#shares.all(gw) as number[]).filter((t) => t !== posterTenantId);
    return [posterTenantId, ...shares];
  }

  meterByAddress(tenantId: number, manufacturer: string, serial: string): { id: number; driver: string | null } | undefined {
    return this.#meter.get(tenantId, manufacturer, serial) as { id: number; driver: string | null } | undefined;
  }

  /** The first frame of the tenant with this digest received in [from, to]: one index seek per time bucket. */
  findDuplicate(tenantId: number, digest: Uint8Array, from: number, to: number): DuplicateOf | undefined {
    let first: DuplicateOf | undefined;
    // SQL's integer division truncates: so does Math.trunc (also before 1970)
    for (let b = Math.trunc(from / DEDUPE_BUCKET_MS), last = Math.trunc(to / DEDUPE_BUCKET_MS); b <= last; b++) {
      const d = this.#duplicate.get(tenantId, b, digest, from, to) as DuplicateOf | undefined;
      if (d !== undefined && (first === undefined || d.id < first.id)) first = d;
    }
    return first;
  }

  /** Reception rows of a frame: 0 while only one receiver heard it (the frame row is that reception). */
  receptionCount(frameId: number): number {
    return this.#receptions.get(frameId) as number;
  }

  insert(f: NewFrame, decodedAt: number | null): number {
    return Number(
      this.#insert.run(f.tenantId, f.digest, f.raw, f.meterId, f.address, f.receivedAt, f.rssi, f.source, f.status, f.reason, decodedAt, f.link ?? 'wmbus', f.meterHint ?? null)
        .lastInsertRowid
    );
  }

  /** Adds a reception row; false when this source's reception of the frame is known already (a retried batch). */
  addReception(frameId: number, source: string, receivedAt: number, rssi: number | null): boolean {
    return this.#reception.run(frameId, source, receivedAt, rssi).changes > 0;
  }

  setBest(frameId: number, rssi: number, source: string): void {
    this.#best.run(rssi, source, frameId);
  }

  setStatus(frameId: number, status: FrameStatus, reason: string | null, meterId: number | null, decodedAt: number | null): void {
    this.#status.run(status, reason, meterId, decodedAt, meterId, frameId);
  }

  /**
   * The telegrams of one wired read: stored with the same source and time (Ingest stores every
   * telegram of a multi-telegram read with the read's instant), in the order they came.
   */
  mbusRead(tenantId: number, source: string, receivedAt: number): WaitingFrame[] {
    return this.#read.all(tenantId, Math.trunc(receivedAt / DEDUPE_BUCKET_MS), receivedAt, source) as WaitingFrame[];
  }

  /** Frames still waiting for a key, a format or a meter, oldest first. */
  waiting(tenantId: number, opts: { statuses: readonly FrameStatus[]; meterIds?: readonly number[]; limit: number }): WaitingFrame[] {
    const params: unknown[] = [tenantId, ...opts.statuses];
    let sql = `select id, link, source, raw, meter_id as meterId, address, meter_hint as meterHint, received_at as receivedAt, status from frame
      where tenant_id = ? and status <> 'decoded' and status in (${opts.statuses.map(() => '?').join(', ')})`;
    if (opts.meterIds) {
      if (opts.meterIds.length === 0) return [];
      sql += ` and meter_id in (${opts.meterIds.map(() => '?').join(', ')})`;
      params.push(...opts.meterIds);
    }
    sql += ' order by id limit ?';
    params.push(opts.limit);
    return this.db.prepare(sql).all(...params) as WaitingFrame[];
  }

  /** Frames waiting for one of these meters ("KAM 76348799"), and unlinked ones without an address. */
  waitingForMeters(tenantId: number, addresses: readonly string[], limit: number): WaitingFrame[] {
    if (addresses.length === 0) return [];
    return this.db
      .prepare(
        `select id, link, source, raw, meter_id as meterId, address, meter_hint as meterHint, received_at as receivedAt, status from frame
          where tenant_id = ? and status <> 'decoded' and status = 'unknown-meter'
            and (address is null or address in (select value from json_each(?))) order by id limit ?`
      )
      .all(tenantId, JSON.stringify(addresses), limit) as WaitingFrame[];
  }

  // -- reading side ---------------------------------------------------------------------------

  list(
    tenantId: number,
    q: { status?: FrameStatus; meterId?: number; from?: number; to?: number; limit: number; offset: number }
  ): { frames: StoredFrame[]; total: number } {
    const where = ['f.tenant_id = ?'];
    const params: unknown[] = [tenantId];
    if (q.status) {
      where.push('f.status = ?');
      params.push(q.status);
    }
    if (q.meterId !== undefined) {
      where.push('f.meter_id = ?');
      params.push(q.meterId);
    }
    if (q.from !== undefined) {
      where.push('f.received_at >= ?');
      params.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('f.received_at < ?');
      params.push(q.to);
    }
    const w = where.join(' and ');
    const frames = this.db
      .prepare(`select ${FRAME_COLUMNS} from ${FRAME_FROM} where ${w} order by f.received_at desc, f.id desc limit ? offset ?`)
      .all(...params, q.limit, q.offset) as StoredFrame[];
    const total = (this.db.prepare(`select count(*) from frame f where ${w}`).pluck().get(...params) as number) ?? 0;
    return { frames, total };
  }

  get(tenantId: number, id: number): (StoredFrame & { hex: string; receptions: Reception[] }) | null {
    const f = this.db.prepare(`select ${FRAME_COLUMNS}, f.raw from ${FRAME_FROM} where f.tenant_id = ? and f.id = ?`).get(tenantId, id) as
      | (StoredFrame & { raw: Buffer })
      | undefined;
    if (!f) return null;
    let receptions = this.db
      .prepare('select source, received_at as receivedAt, rssi from frame_reception where frame_id = ? order by received_at, source')
      .all(id) as Reception[];
    if (receptions.length === 0) receptions = [{ source: f.source, receivedAt: f.receivedAt, rssi: f.rssi }];
    const { raw, ...rest } = f;
    return { ...rest, hex: Buffer.from(raw).toString('hex').toUpperCase(), receptions };
  }

  raw(tenantId: number, id: number): Uint8Array | undefined {
    return this.#raw.get(tenantId, id) as Buffer | undefined;
  }

  /** How many frames wait, per status (from the small partial index; decoded frames are not counted). */
  waitingCounts(tenantId: number): Record<FrameStatus, number> {
    const out = Object.fromEntries(WAITING_STATUSES.map((s) => [s, 0])) as Record<FrameStatus, number>;
    const rows = this.db
      .prepare("select status, count(*) as n from frame where tenant_id = ? and status <> 'decoded' group by status")
      .all(tenantId) as {
      status: FrameStatus;
      n: number;
    }[];
    for (const r of rows) out[r.status] = r.n;
    return out;
  }

  // -- gateways -------------------------------------------------------------------------------

  gateways(tenantId: number): Gateway[] {
    const rows = this.db
      .prepare('select id, name, created_at as createdAt from gateway where tenant_id = ? order by name')
      .all(tenantId) as Omit<Gateway, 'sharedWith'>[];
    const shares = this.db.prepare(
      'select t.name from gateway_share s join tenant t on t.id = s.tenant_id where s.gateway_id = ? order by t.name'
    );
    return rows.map((g) => ({ ...g, sharedWith: shares.pluck().all(g.id) as string[] }));
  }

  gateway(tenantId: number, id: number): Gateway | null {
    return this.gateways(tenantId).find((g) => g.id === id) ?? null;
  }

  /** Registers a gateway name of this tenant; RangeError when the name is taken. */
  createGateway(actor: Actor, name: string, now: number): Gateway {
    if (this.#gateway.get(actor.tenantId, name) !== undefined) throw new RangeError(`name: a gateway "${name}" exists already`);
    const id = this.db.transaction(() => {
      const id = Number(
        this.db.prepare('insert into gateway (tenant_id, name, created_at) values (?, ?, ?)').run(actor.tenantId, name, now).lastInsertRowid
      );
      audit(this.db, now, {
        tenantId: actor.tenantId,
        event: 'gateway.created',
        userId: actor.userId,
        actor: actor.name,
        device: actor.device,
        details: { gatewayId: id, name }
      });
      return id;
    })();
    return this.gateway(actor.tenantId, id)!;
  }

  /**
   * Sets the other tenants (by name) a gateway forwards for. Null when the gateway is not this
   * tenant's; RangeError naming unknown tenants.
   */
  shareGateway(actor: Actor, id: number, tenantNames: readonly string[], now: number): Gateway | null {
    if (!this.gateway(actor.tenantId, id)) return null;
    const find = this.db.prepare('select id from tenant where name = ?').pluck();
    const ids: number[] = [];
    const unknown: string[] = [];
    for (const name of new Set(tenantNames)) {
      const t = find.get(name) as number | undefined;
      if (t === undefined) unknown.push(name);
      else if (t !== actor.tenantId) ids.push(t);
    }
    if (unknown.length) throw new RangeError(`tenants: no utility named ${unknown.map((n) => `"${n.slice(0, 60)}"`).join(', ')}`);
    this.db.transaction(() => {
      this.db.prepare('delete from gateway_share where gateway_id = ?').run(id);
      const add = this.db.prepare('insert into gateway_share (gateway_id, tenant_id) values (?, ?)');
      for (const t of ids) add.run(id, t);
      audit(this.db, now, {
        tenantId: actor.tenantId,
        event: 'gateway.shared',
        userId: actor.userId,
        actor: actor.name,
        device: actor.device,
        details: { gatewayId: id, tenants: ids }
      });
    })();
    return this.gateway(actor.tenantId, id);
  }
}
