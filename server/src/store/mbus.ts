import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { auditAs, conflict, notFound } from './registry.js';

// Wired M-Bus systems (issue 8, migration 014): a system is one cable segment behind a master
// (gateway "host:port" or a local serial port); devices are the meters scans found on it; runs
// are the scans and reads with their progress and per-meter errors. Changes people make are
// audited in their transaction; what a run writes (progress, devices found, read times) is the
// run's own record.

export type MbusTransport = 'tcp' | 'serial';
export type MbusAddressing = 'primary' | 'secondary';
export type MbusRunKind = 'scan' | 'read';
export type MbusRunState = 'running' | 'done' | 'failed' | 'cancelled';
export type ValveState = 'open' | 'closed' | 'unknown';

/** Runs kept per system (older ones are removed when a run ends). */
export const RUNS_KEPT = 20;
/** Per-meter errors kept in one run row (a dead segment of 250 meters stays readable). */
export const RUN_ERRORS_KEPT = 300;

export interface MbusRunError {
  deviceId: number | null;
  /** "primary 12" or "secondary 12345678FFFFFFFF". */
  address: string;
  message: string;
}

export interface MbusRun {
  id: number;
  systemId: number;
  kind: MbusRunKind;
  state: MbusRunState;
  done: number;
  total: number;
  found: number;
  errors: MbusRunError[];
  message: string | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface MbusSystemInput {
  name: string;
  transport: MbusTransport;
  address: string;
  baud: 300 | 2400 | 9600;
  addressing: MbusAddressing;
  schedule: string | null;
  enabled?: boolean;
}

export interface MbusSystem extends Required<MbusSystemInput> {
  id: number;
  deviceCount: number;
  lastRun: MbusRun | null;
}

/**
 * What the signed-in principal may do with M-Bus systems (in the answers of GET /api/mbus/systems
 * and /systems/:id), so the pages show only the buttons that work: write = meters.write (add,
 * change, scan, read, attach), disconnect (valves, M11), settings = settings.manage (valve
 * profiles). The routes check the permissions again on every call.
 */
export interface MbusMay {
  write: boolean;
  disconnect: boolean;
  settings: boolean;
}

export interface MbusDevice {
  id: number;
  primaryAddress: number | null;
  secondary: string | null;
  manufacturer: string | null;
  serial: string | null;
  version: number | null;
  deviceType: number | null;
  meterId: number | null;
  meteringPoint: { id: number; name: string } | null;
  lastReadAt: number | null;
  lastError: string | null;
  valve: { profileId: string; state: ValveState; at: number | null } | null;
}

/** A device row with what the runner needs besides the API shape. */
export interface MbusDeviceRow extends MbusDevice {
  systemId: number;
  foundBy: MbusAddressing;
}

export interface FoundDevice {
  foundBy: MbusAddressing;
  primaryAddress: number | null;
  secondary: string | null;
  manufacturer: string | null;
  serial: string | null;
  version: number | null;
  deviceType: number | null;
}

interface RunRow {
  id: number;
  systemId: number;
  kind: MbusRunKind;
  state: MbusRunState;
  done: number;
  total: number;
  found: number;
  errors: string;
  message: string | null;
  startedAt: number;
  finishedAt: number | null;
}

interface DeviceRowRaw {
  id: number;
  systemId: number;
  foundBy: MbusAddressing;
  primaryAddress: number | null;
  secondary: string | null;
  manufacturer: string | null;
  serial: string | null;
  version: number | null;
  deviceType: number | null;
  meterId: number | null;
  pointId: number | null;
  pointName: string | null;
  lastReadAt: number | null;
  lastError: string | null;
  valveProfile: string | null;
  valveState: ValveState | null;
  valveAt: number | null;
}

const RUN_COLUMNS = `id, system_id as systemId, kind, state, done, total, found, errors, message, started_at as startedAt, finished_at as finishedAt`;
const SYSTEM_COLUMNS = `s.id, s.name, s.transport, s.address, s.baud, s.addressing, s.schedule, s.enabled,
  (select count(*) from mbus_device d where d.system_id = s.id) as deviceCount`;
const DEVICE_COLUMNS = `d.id, d.system_id as systemId, d.found_by as foundBy, d.primary_address as primaryAddress, d.secondary,
  d.manufacturer, d.serial, d.version, d.device_type as deviceType, d.meter_id as meterId,
  p.id as pointId, p.address as pointName, d.last_read_at as lastReadAt, d.last_error as lastError,
  d.valve_profile as valveProfile, d.valve_state as valveState, d.valve_at as valveAt`;
const DEVICE_FROM = `mbus_device d
  left join installation i on i.meter_id = d.meter_id and i.to_at is null
  left join metering_point p on p.id = i.metering_point_id`;

function runOf(r: RunRow): MbusRun {
  let errors: MbusRunError[] = [];
  try {
    errors = JSON.parse(r.errors) as MbusRunError[];
  } catch {
    // a damaged row shows no errors rather than failing the page
  }
  return { ...r, errors };
}

function deviceOf(r: DeviceRowRaw): MbusDeviceRow {
  return {
    id: r.id,
    systemId: r.systemId,
    foundBy: r.foundBy,
    primaryAddress: r.primaryAddress,
    secondary: r.secondary,
    manufacturer: r.manufacturer,
    serial: r.serial,
    version: r.version,
    deviceType: r.deviceType,
    meterId: r.meterId,
    meteringPoint: r.pointId !== null ? { id: r.pointId, name: r.pointName ?? '' } : null,
    lastReadAt: r.lastReadAt,
    lastError: r.lastError,
    valve: r.valveProfile ? { profileId: r.valveProfile, state: r.valveState ?? 'unknown', at: r.valveAt } : null
  };
}

/** The API shape of a device (without the runner's fields). */
export function publicDevice(d: MbusDeviceRow): MbusDevice {
  const { systemId: _s, foundBy: _f, ...rest } = d;
  return rest;
}

export class MbusStore {
  constructor(private readonly db: Db) {}

  // -- systems --------------------------------------------------------------------------------

  #systemRow(tenantId: number, id: number): (Omit<MbusSystem, 'lastRun' | 'enabled'> & { enabled: number }) | undefined {
    return this.db.prepare(`select ${SYSTEM_COLUMNS} from mbus_system s where s.tenant_id = ? and s.id = ?`).get(tenantId, id) as
      | (Omit<MbusSystem, 'lastRun' | 'enabled'> & { enabled: number })
      | undefined;
  }

  #withRun(row: Omit<MbusSystem, 'lastRun' | 'enabled'> & { enabled: number }): MbusSystem {
    const last = this.db.prepare(`select ${RUN_COLUMNS} from mbus_run where system_id = ? order by id desc limit 1`).get(row.id) as RunRow | undefined;
    return { ...row, enabled: row.enabled === 1, lastRun: last ? runOf(last) : null };
  }

  list(tenantId: number): MbusSystem[] {
    const rows = this.db.prepare(`select ${SYSTEM_COLUMNS} from mbus_system s where s.tenant_id = ? order by s.name, s.id`).all(tenantId) as (Omit<
      MbusSystem,
      'lastRun' | 'enabled'
    > & { enabled: number })[];
    return rows.map((r) => this.#withRun(r));
  }

  /** 404 for another tenant's or a missing system. */
  get(tenantId: number, id: number): MbusSystem {
    const row = this.#systemRow(tenantId, id);
    if (!row) throw notFound('M-Bus system', id);
    return this.#withRun(row);
  }

  /** Enabled systems with a schedule, every tenant's (the scheduler). */
  scheduled(): { id: number; tenantId: number; schedule: string }[] {
    return this.db
      .prepare('select id, tenant_id as tenantId, schedule from mbus_system where enabled = 1 and schedule is not null order by id')
      .all() as { id: number; tenantId: number; schedule: string }[];
  }

  #nameTaken(tenantId: number, name: string, except: number | null): void {
    const other = this.db.prepare('select id from mbus_system where tenant_id = ? and name = ?').pluck().get(tenantId, name) as number | undefined;
    if (other !== undefined && other !== except) throw conflict(`name: an M-Bus system "${name}" exists already (system ${other}).`);
  }

  create(actor: Actor, input: MbusSystemInput, now: number): MbusSystem {
    const id = this.db.transaction(() => {
      this.#nameTaken(actor.tenantId, input.name, null);
      const { id } = this.db
        .prepare(
          `insert into mbus_system (tenant_id, name, transport, address, baud, addressing, schedule, enabled, created_at, updated_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`
        )
        .get(actor.tenantId, input.name, input.transport, input.address, input.baud, input.addressing, input.schedule, input.enabled === false ? 0 : 1, now, now) as {
        id: number;
      };
      auditAs(this.db, actor, now, 'mbus.system.created', { systemId: id, ...input });
      return id;
    })();
    return this.get(actor.tenantId, id);
  }

  update(actor: Actor, id: number, patch: Partial<MbusSystemInput>, now: number): MbusSystem {
    this.db.transaction(() => {
      const before = this.get(actor.tenantId, id);
      const next = { ...before, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as MbusSystem;
      const changed: Record<string, [unknown, unknown]> = {};
      for (const k of ['name', 'transport', 'address', 'baud', 'addressing', 'schedule', 'enabled'] as const) {
        if (before[k] !== next[k]) changed[k] = [before[k], next[k]];
      }
      if (!Object.keys(changed).length) return;
      if (changed.name) this.#nameTaken(actor.tenantId, next.name, id);
      this.db
        .prepare('update mbus_system set name = ?, transport = ?, address = ?, baud = ?, addressing = ?, schedule = ?, enabled = ?, updated_at = ? where id = ?')
        .run(next.name, next.transport, next.address, next.baud, next.addressing, next.schedule, next.enabled ? 1 : 0, now, id);
      auditAs(this.db, actor, now, 'mbus.system.changed', { systemId: id, changes: changed });
    })();
    return this.get(actor.tenantId, id);
  }

  /** Removes the system with its devices and runs; frames, readings and meters stay. */
  delete(actor: Actor, id: number, now: number): void {
    this.db.transaction(() => {
      const s = this.get(actor.tenantId, id);
      const devices = this.db.prepare('delete from mbus_device where system_id = ?').run(id).changes;
      this.db.prepare('delete from mbus_run where system_id = ?').run(id);
      this.db.prepare('delete from mbus_system where id = ?').run(id);
      auditAs(this.db, actor, now, 'mbus.system.deleted', { systemId: id, name: s.name, devices });
    })();
  }

  // -- devices --------------------------------------------------------------------------------

  devices(tenantId: number, systemId: number): MbusDeviceRow[] {
    const rows = this.db
      .prepare(`select ${DEVICE_COLUMNS} from ${DEVICE_FROM} where d.tenant_id = ? and d.system_id = ? order by d.primary_address is null, d.primary_address, d.secondary, d.id`)
      .all(tenantId, systemId) as DeviceRowRaw[];
    return rows.map(deviceOf);
  }

  /** 404 for another tenant's or a missing device. */
  device(tenantId: number, id: number): MbusDeviceRow {
    const row = this.db.prepare(`select ${DEVICE_COLUMNS} from ${DEVICE_FROM} where d.tenant_id = ? and d.id = ?`).get(tenantId, id) as DeviceRowRaw | undefined;
    if (!row) throw notFound('M-Bus device', id);
    return deviceOf(row);
  }

  /**
   * The device row a scan found, created or updated: the same secondary address, or for a primary
   * scan the same primary address, is the same row (a re-scan changes nothing). A known meter of
   * the tenant with the same manufacturer and serial is linked. Returns the row id and whether it is new.
   */
  upsertDevice(tenantId: number, systemId: number, f: FoundDevice, now: number): { id: number; created: boolean } {
    return this.db.transaction(() => {
      let id: number | undefined;
      if (f.secondary) {
        id = this.db.prepare('select id from mbus_device where system_id = ? and secondary = ?').pluck().get(systemId, f.secondary) as number | undefined;
      }
      if (id === undefined && f.foundBy === 'primary' && f.primaryAddress !== null) {
        id = this.db
          .prepare("select id from mbus_device where system_id = ? and primary_address = ? and found_by = 'primary'")
          .pluck()
          .get(systemId, f.primaryAddress) as number | undefined;
      }
      const meterId =
        f.manufacturer && f.serial
          ? ((this.db.prepare('select id from meter where tenant_id = ? and manufacturer = ? and serial = ?').pluck().get(tenantId, f.manufacturer, f.serial) as
              | number
              | undefined) ?? null)
          : null;
      if (id === undefined) {
        if (f.secondary) this.db.prepare('update mbus_device set secondary = null where system_id = ? and secondary = ?').run(systemId, f.secondary);
        const row = this.db
          .prepare(
            `insert into mbus_device (tenant_id, system_id, found_by, primary_address, secondary, manufacturer, serial, version, device_type, meter_id, created_at, updated_at)
             values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`
          )
          .get(tenantId, systemId, f.foundBy, f.primaryAddress, f.secondary, f.manufacturer, f.serial, f.version, f.deviceType, meterId, now, now) as { id: number };
        return { id: row.id, created: true };
      }
      // another row of this system may hold the secondary (a meter moved to another primary address)
      if (f.secondary) this.db.prepare('update mbus_device set secondary = null where system_id = ? and secondary = ? and id <> ?').run(systemId, f.secondary, id);
      // and a primary scan just saw this meter at its address: a row that had the address is stale
      if (f.foundBy === 'primary' && f.primaryAddress !== null) {
        this.db
          .prepare("update mbus_device set primary_address = null, updated_at = ? where system_id = ? and primary_address = ? and found_by = 'primary' and id <> ?")
          .run(now, systemId, f.primaryAddress, id);
      }
      this.db
        .prepare(
          `update mbus_device set primary_address = coalesce(?, primary_address), secondary = coalesce(?, secondary), manufacturer = coalesce(?, manufacturer),
             serial = coalesce(?, serial), version = coalesce(?, version), device_type = coalesce(?, device_type),
             meter_id = coalesce(meter_id, ?), updated_at = ? where id = ?`
        )
        .run(
          f.foundBy === 'primary' ? f.primaryAddress : null,
          f.secondary,
          f.manufacturer,
          f.serial,
          f.version,
          f.deviceType,
          meterId,
          now,
          id
        );
      return { id, created: false };
    })();
  }

  /** Removes a device row a scan made that never learnt who it is (no secondary address, no serial). */
  deleteUnidentified(deviceId: number): void {
    this.db.prepare('delete from mbus_device where id = ? and secondary is null and serial is null and meter_id is null').run(deviceId);
  }

  /** After a read: when it succeeded (error null) or why it did not. */
  setReadResult(deviceId: number, at: number, error: string | null): void {
    if (error === null) this.db.prepare('update mbus_device set last_read_at = ?, last_error = null, updated_at = ? where id = ?').run(at, at, deviceId);
    else this.db.prepare('update mbus_device set last_error = ?, updated_at = ? where id = ?').run(error.slice(0, 500), at, deviceId);
  }

  setValve(deviceId: number, profileId: string, state: ValveState, at: number): void {
    this.db.prepare('update mbus_device set valve_profile = ?, valve_state = ?, valve_at = ?, updated_at = ? where id = ?').run(profileId, state, at, at, deviceId);
  }

  /** The devices of a tenant whose valve is known by a profile (M11): a profile in use cannot be deleted. */
  valveProfileUses(tenantId: number, profileId: string): { count: number; systems: string[] } {
    const rows = this.db
      .prepare('select s.name as name, count(*) as n from mbus_device d join mbus_system s on s.id = d.system_id where d.tenant_id = ? and d.valve_profile = ? group by s.id order by s.name')
      .all(tenantId, profileId) as { name: string; n: number }[];
    return { count: rows.reduce((sum, r) => sum + r.n, 0), systems: rows.map((r) => r.name) };
  }

  linkMeter(deviceId: number, meterId: number, now: number): void {
    this.db.prepare('update mbus_device set meter_id = ?, updated_at = ? where id = ?').run(meterId, now, deviceId);
  }

  // -- runs -----------------------------------------------------------------------------------

  /** A new run row; audited when a person (not the schedule) started it. */
  startRun(tenantId: number, systemId: number, kind: MbusRunKind, mode: MbusAddressing | null, total: number, now: number, actor: Actor | null): MbusRun {
    return this.db.transaction(() => {
      const row = this.db
        .prepare(
          `insert into mbus_run (tenant_id, system_id, kind, mode, state, total, started_at) values (?, ?, ?, ?, 'running', ?, ?) returning ${RUN_COLUMNS}`
        )
        .get(tenantId, systemId, kind, mode, total, now) as RunRow;
      if (actor) auditAs(this.db, actor, now, kind === 'scan' ? 'mbus.scan' : 'mbus.read', { systemId, runId: row.id, ...(mode ? { mode } : {}), total });
      return runOf(row);
    })();
  }

  run(tenantId: number, id: number): MbusRun {
    const row = this.db.prepare(`select ${RUN_COLUMNS} from mbus_run where tenant_id = ? and id = ?`).get(tenantId, id) as RunRow | undefined;
    if (!row) throw notFound('M-Bus run', id);
    return runOf(row);
  }

  progress(runId: number, p: { done: number; total: number; found: number; errors: readonly MbusRunError[] }): void {
    this.db
      .prepare('update mbus_run set done = ?, total = ?, found = ?, errors = ? where id = ?')
      .run(p.done, p.total, p.found, JSON.stringify(p.errors.slice(0, RUN_ERRORS_KEPT)), runId);
  }

  /** Ends a run and drops the system's runs beyond the newest RUNS_KEPT. */
  finishRun(runId: number, state: Exclude<MbusRunState, 'running'>, message: string | null, now: number): void {
    this.db.transaction(() => {
      const systemId = this.db.prepare('update mbus_run set state = ?, message = ?, finished_at = ? where id = ? returning system_id').pluck().get(state, message, now, runId) as
        | number
        | undefined;
      if (systemId === undefined) return;
      this.db
        .prepare(`delete from mbus_run where system_id = ? and id not in (select id from mbus_run where system_id = ? order by id desc limit ${RUNS_KEPT})`)
        .run(systemId, systemId);
    })();
  }

  /** Runs left 'running' by a server that stopped: failed, saying so. */
  failInterrupted(now: number): number {
    return this.db
      .prepare("update mbus_run set state = 'failed', message = 'The server stopped during this run.', finished_at = ? where state = 'running'")
      .run(now).changes;
  }
}
