import { HTTPException } from 'hono/http-exception';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { SCALE } from '../ingest/columns.js';
import type { FieldError } from '../validate.js';
import type { GroupStore } from './groups.js';
import type { Meter, MeterStore } from './meters.js';
import type { ReadingStore } from './readings.js';

// Meter exchanges done in the field (M12, issue 5): the field app sends what the fitter did —
// the old meter's final register value, the new meter as printed on it and its start value —
// and the server applies it like the Manager's exchange (MeterStore.exchange), with both
// readings in the reading table, so consumption stays continuous across the exchange
// (shared/consumption.ts counts the old meter up to its final reading and the new one from its
// start reading). Idempotent by the app's client id, per tenant (table field_exchange).

export type ExchangeRegister = 'energy' | 'volume';

export interface FieldExchange {
  /** The app's UUID, lower case. */
  clientId: string;
  /** The old meter: the server's id, as the route gave it. */
  meterId: number;
  /** When the old meter came off and the new one went on (ms). */
  at: number;
  final: { register: ExchangeRegister; value: number; unit: string; source: 'radio' | 'typed' };
  newMeter: { manufacturer: string; serial: string };
  start: { register: ExchangeRegister; value: number; unit: string };
  note?: string;
}

export type FieldExchangeStatus = 'done' | 'duplicate' | 'rejected';

export interface FieldExchangeResult {
  clientId: string;
  status: FieldExchangeStatus;
  /** Why it was rejected, in words; `fields` names the parts of the exchange at fault. */
  reason?: string;
  fields?: FieldError[];
  meteringPointId: number | null;
  oldMeterId: number | null;
  newMeterId: number | null;
  /** The new meter has no key in the vault yet: the office must add it before its telegrams decode. */
  newMeterNeedsKey: boolean | null;
  /** Whether this exchange created the new meter (it was not known to the server). */
  newMeterCreated?: boolean;
  /** For a duplicate: when the server applied it first, and from which device. */
  first?: { at: number; deviceId: number };
}

interface AppliedRow {
  content: string;
  deviceId: number;
  meteringPointId: number;
  oldMeterId: number;
  newMeterId: number;
  newMeterCreated: number;
  receivedAt: number;
}

/** A device clock a little ahead is tolerated; an exchange further in the future is a wrong clock or a typo. */
export const EXCHANGE_MAX_FUTURE_MS = 3_600_000;

/** The register a meter's consumption is billed on, by medium; other media may give either. */
const REGISTER_OF_MEDIUM: Record<string, ExchangeRegister> = {
  heat: 'energy',
  cooling: 'energy',
  'heat-cooling': 'energy',
  water: 'volume',
  'warm-water': 'volume',
  'hot-water': 'volume'
};

const UNITS: Record<ExchangeRegister, Partial<Record<string, number>>> = { energy: SCALE.energy, volume: SCALE.volume };

const iso = (ms: number) => new Date(ms).toISOString();
const label = (m: Pick<Meter, 'manufacturer' | 'serial'>) => `${m.manufacturer} ${m.serial}`;

/** The exchange as stored and compared: fixed key order, no client id. */
function canonical(x: FieldExchange): string {
  return JSON.stringify({
    meterId: x.meterId,
    at: x.at,
    final: { register: x.final.register, value: x.final.value, unit: x.final.unit, source: x.final.source },
    newMeter: { manufacturer: x.newMeter.manufacturer, serial: x.newMeter.serial },
    start: { register: x.start.register, value: x.start.value, unit: x.start.unit },
    note: x.note ?? null
  });
}

/** Which parts of two canonical exchanges differ: "final.value, at". */
function differences(a: string, b: string): string[] {
  const x = JSON.parse(a) as Record<string, unknown>;
  const y = JSON.parse(b) as Record<string, unknown>;
  const out: string[] = [];
  for (const k of Object.keys(x)) {
    const u = x[k];
    const v = y[k];
    if (u && v && typeof u === 'object' && typeof v === 'object') {
      for (const s of Object.keys(u)) {
        if ((u as Record<string, unknown>)[s] !== (v as Record<string, unknown>)[s]) out.push(`${k}.${s}`);
      }
    } else if (u !== v) out.push(k);
  }
  return out;
}

/** A register value in the reading table's integer unit (J or mL, ingest/columns.ts), or a field error. */
function stored(field: string, r: { register: ExchangeRegister; value: number; unit: string }): number | FieldError {
  const k = UNITS[r.register][r.unit];
  if (k === undefined) {
    const other: ExchangeRegister = r.register === 'energy' ? 'volume' : 'energy';
    const names = Object.keys(UNITS[r.register]).join(', ');
    const what = UNITS[other][r.unit] !== undefined ? `${r.unit} is a ${other} unit` : `unknown unit "${r.unit}"`;
    return { field: `${field}.unit`, message: `${what}: the ${r.register} register takes ${names}` };
  }
  if (!Number.isFinite(r.value) || r.value < 0) return { field: `${field}.value`, message: 'expected a finite number of 0 or more' };
  const v = Math.round(r.value * k);
  if (!Number.isSafeInteger(v)) return { field: `${field}.value`, message: `${r.value} ${r.unit} is too large for a meter register` };
  return v;
}

function rejected(x: { clientId: string }, fields: FieldError[], known: Partial<FieldExchangeResult> = {}): FieldExchangeResult {
  return {
    clientId: x.clientId,
    status: 'rejected',
    reason: fields.map((f) => (f.field ? `${f.field}: ${f.message}` : f.message)).join('; '),
    fields,
    meteringPointId: null,
    oldMeterId: null,
    newMeterId: null,
    newMeterNeedsKey: null,
    ...known
  };
}

export class SyncExchangeStore {
  constructor(
    private readonly db: Db,
    private readonly meters: MeterStore,
    private readonly groups: GroupStore,
    private readonly readings: ReadingStore
  ) {}

  /** A result for an exchange whose body was not valid: rejected, with the field messages. */
  static invalid(clientId: string, fields: FieldError[]): FieldExchangeResult {
    return rejected({ clientId }, fields);
  }


  #applied(tenantId: number, clientId: string): AppliedRow | undefined {
    return this.db
      .prepare(
        `select content, device_id as deviceId, metering_point_id as meteringPointId, old_meter_id as oldMeterId,
                new_meter_id as newMeterId, new_meter_created as newMeterCreated, received_at as receivedAt
           from field_exchange where tenant_id = ? and client_id = ?`
      )
      .get(tenantId, clientId) as AppliedRow | undefined;
  }

  #hasKey(meterId: number): boolean {
    return this.db.prepare('select 1 from meter_key where meter_id = ?').get(meterId) !== undefined;
  }

  #onRoute(tenantId: number, deviceId: number, meterId: number): boolean {
    return (
      this.db
        .prepare(
          `select 1 from device_route r join meter_group g on g.id = r.group_id and g.tenant_id = ?
             join group_member gm on gm.group_id = r.group_id where r.device_id = ? and gm.meter_id = ? limit 1`
        )
        .get(tenantId, deviceId, meterId) !== undefined
    );
  }

  /**
   * Applies one exchange of a device in one transaction: one that cannot be applied is answered
   * 'rejected' with its reasons and changes nothing. The caller has checked that the device is authorised.
   */
  apply(actor: Actor, deviceId: number, x: FieldExchange, now: number): FieldExchangeResult {
    try {
      // the checks and the writes in one transaction: what was checked is what is changed
      return this.db.transaction(() => this.#apply(actor, deviceId, x, now))();
    } catch (e) {
      // a rule of the installation history not checked in #apply: answered, never half-applied
      if (e instanceof HTTPException && e.message) return rejected(x, [{ field: '', message: e.message }], { oldMeterId: x.meterId });
      throw e;
    }
  }

  #apply(actor: Actor, deviceId: number, x: FieldExchange, now: number): FieldExchangeResult {
    const tenantId = actor.tenantId;
    const content = canonical(x);
    const seen = this.#applied(tenantId, x.clientId);
    if (seen) {
      const ids = { meteringPointId: seen.meteringPointId, oldMeterId: seen.oldMeterId, newMeterId: seen.newMeterId };
      const first = { at: seen.receivedAt, deviceId: seen.deviceId };
      if (seen.content !== content) {
        const diff = differences(seen.content, content);
        return rejected(
          x,
          [{ field: 'clientId', message: `an exchange with this clientId was applied on ${iso(seen.receivedAt)} with another ${diff.join(', ')}: nothing changed (give each exchange its own clientId)` }],
          { first }
        );
      }
      return {
        clientId: x.clientId,
        status: 'duplicate',
        ...ids,
        newMeterNeedsKey: !this.#hasKey(seen.newMeterId),
        newMeterCreated: seen.newMeterCreated === 1,
        first
      };
    }

    const problems: FieldError[] = [];
    const finalValue = stored('final', x.final);
    const startValue = stored('start', x.start);
    for (const v of [finalValue, startValue]) if (typeof v !== 'number') problems.push(v);
    if (x.start.register !== x.final.register) {
      problems.push({ field: 'start.register', message: `expected ${x.final.register}, the register of the final reading (consumption continues on one register)` });
    }
    if (x.at > now + EXCHANGE_MAX_FUTURE_MS) problems.push({ field: 'at', message: `${iso(x.at)} is in the future: check the device clock` });

    const old = this.meters.find(tenantId, x.meterId);
    if (!old) return rejected(x, [{ field: 'meterId', message: `meter ${x.meterId} not found` }, ...problems]);
    const ids = { oldMeterId: old.id };
    if (!this.#onRoute(tenantId, deviceId, old.id)) {
      return rejected(x, [{ field: 'meterId', message: `meter ${label(old)} is not on this device's route: only meters of its route may be exchanged from it` }], ids);
    }
    const wanted = old.medium ? REGISTER_OF_MEDIUM[old.medium] : undefined;
    if (wanted && x.final.register !== wanted) {
      problems.push({ field: 'final.register', message: `meter ${label(old)} is a ${old.medium} meter: give its ${wanted} register` });
    }
    const detail = this.meters.detail(tenantId, old.id);
    const current = detail.installations.find((i) => i.to === null);
    if (!current) {
      const last = detail.installations[0];
      const where = last ? `: it came off metering point ${last.meteringPointId} (${last.address}) at ${iso(last.to!)}` : '';
      return rejected(x, [{ field: 'meterId', message: `meter ${label(old)} is not installed anywhere${where}` }, ...problems], ids);
    }
    const point = { meteringPointId: current.meteringPointId, ...ids };
    if (x.at <= current.from) {
      problems.push({ field: 'at', message: `${iso(x.at)} is not after the old meter's installation began (${iso(current.from)})` });
    }

    const { manufacturer, serial } = x.newMeter;
    const existing = this.meters.idByIdentity(tenantId, manufacturer, serial);
    if (existing === old.id) {
      problems.push({ field: 'newMeter.serial', message: `${serial} is the old meter's serial: give the serial printed on the new meter` });
    } else if (existing !== undefined) {
      const other = this.meters.detail(tenantId, existing);
      const there = other.installations.find((i) => i.to === null);
      if (there) {
        problems.push({
          field: 'newMeter.serial',
          message: `meter ${manufacturer} ${serial} is installed at metering point ${there.meteringPointId} (${there.address}): check the serial`
        });
      } else {
        const end = other.installations.reduce((t, i) => Math.max(t, i.to ?? 0), 0);
        if (end > x.at) problems.push({ field: 'at', message: `meter ${manufacturer} ${serial} was installed elsewhere until ${iso(end)}, after this exchange` });
      }
    }
    if (problems.length || typeof finalValue !== 'number' || typeof startValue !== 'number') return rejected(x, problems, point);

    return this.#write(actor, deviceId, x, old, current.meteringPointId, existing, finalValue, startValue, content, now);
  }

  #write(
    actor: Actor,
    deviceId: number,
    x: FieldExchange,
    old: Meter,
    pointId: number,
    existing: number | undefined,
    finalValue: number,
    startValue: number,
    content: string,
    now: number
  ): FieldExchangeResult {
    const created = existing === undefined;
    // a new meter of the same kind as the one it replaces, without a key: the office adds it (M17)
    const newId =
      existing ??
      this.meters.create(
        actor,
        {
          manufacturer: x.newMeter.manufacturer,
          serial: x.newMeter.serial,
          medium: old.medium,
          deviceType: old.deviceType,
          readingMode: old.readingMode,
          intervalS: old.intervalS
        },
        now
      ).id;
    // the new meter takes the old one's place in its groups, so it stays on routes and in reports
    const groupIds = this.db.prepare('select group_id from group_member where meter_id = ? order by group_id').pluck().all(old.id) as number[];
    const member = this.db.prepare('select 1 from group_member where group_id = ? and meter_id = ?');
    for (const g of groupIds) if (!member.get(g, newId)) this.groups.addMembers(actor, g, [newId], now);
    this.meters.exchange(actor, pointId, old.id, newId, x.at, now, {
      via: 'field',
      clientId: x.clientId,
      deviceId,
      final: x.final,
      start: x.start,
      newMeterCreated: created,
      ...(x.note ? { note: x.note } : {})
    });
    // the fitter's values (not decoded from a frame), marked {"source": "field-exchange", …}; a radio
    // reading at the very same instant keeps its other registers
    const source = 'field-exchange';
    this.readings.putStored(old.id, x.at, x.final.register, finalValue, { source, exchange: 'final', read: x.final.source, clientId: x.clientId });
    this.readings.putStored(newId, x.at, x.start.register, startValue, { source, exchange: 'start', clientId: x.clientId });
    this.db
      .prepare(
        `insert into field_exchange (tenant_id, client_id, device_id, content, metering_point_id, old_meter_id, new_meter_id,
                                     new_meter_created, at, received_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
      )
      .run(actor.tenantId, x.clientId, deviceId, content, pointId, old.id, newId, created ? 1 : 0, x.at, now);
    return {
      clientId: x.clientId,
      status: 'done',
      meteringPointId: pointId,
      oldMeterId: old.id,
      newMeterId: newId,
      newMeterNeedsKey: !this.#hasKey(newId),
      newMeterCreated: created
    };
  }
}
