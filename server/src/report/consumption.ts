import type { Db } from '../db/connection.js';
import type { ReadingDays } from '../store/reading-days.js';
import type { Register } from '../store/readings.js';
import { ConsumptionMeter, type MeasuredInstallation } from './consumption-value.js';
import { groupCondition, type GroupScope } from './scope.js';

// Consumption report (M6): per consumer (a metering point, with every meter installed there
// during the interval) and in total, over a group of meters and an interval of the utility's
// calendar dates, across rollovers and meter exchanges (consumption-value.ts); filtered to zero
// consumption or a limit, so the hits can go into a group. Energy meters count in kWh, volume
// meters in m3: one register per consumer, as ReadingStore.consumption chooses.

export type ConsumptionUnit = 'kWh' | 'm3';
export const CONSUMPTION_SORTS = ['consumer', 'customer', 'address', 'meter', 'value'] as const;
export type ConsumptionSort = (typeof CONSUMPTION_SORTS)[number];

export interface ConsumptionQuery {
  group?: GroupScope;
  /** Calendar dates of the utility, both included: "2026-10-01". */
  from: string;
  to: string;
  /** Keep rows with a value of at least / at most this much (in the row's unit). */
  min?: number;
  max?: number;
  /** Keep rows whose consumption is exactly 0. */
  zero?: boolean;
  /** Keep rows with missing data (no value). */
  missing?: boolean;
  unit?: ConsumptionUnit;
  /** Row order; default: metering points by id, then meters installed nowhere. */
  sort?: ConsumptionSort;
  desc?: boolean;
}

export interface ConsumptionMeterRef {
  meterId: number;
  manufacturer: string;
  serial: string;
  /** Installed at the point from/to (null: before the interval started or still there; no point). */
  from: number | null;
  to: number | null;
}

export interface ConsumptionRow {
  /** "p12" for metering point 12, "m7" for meter 7 installed nowhere during the interval. */
  key: string;
  meteringPointId: number | null;
  pointNumber: string | null;
  address: string | null;
  postalCode: string | null;
  city: string | null;
  customer: string | null;
  customerNumber: string | null;
  /** Meters at the point during the interval, in installation order. */
  meters: ConsumptionMeterRef[];
  /** The meter there at the end of the interval: the row's graph and its group hit. */
  meterId: number;
  unit: ConsumptionUnit;
  value: number | null;
  /** Why value is null ("no reading before 1 Oct 2026"); empty when it is known. */
  missing: string[];
  rollover: boolean;
  exchange: boolean;
  reset: boolean;
}

export interface UnitTotal {
  value: number;
  /** Rows in this unit, and of those the rows without a value. */
  rows: number;
  missing: number;
}
export type Totals = Record<ConsumptionUnit, UnitTotal>;

export interface ConsumptionReport {
  from: string;
  to: string;
  timeZone: string;
  /** The interval as instants: local midnight to local midnight after the last date. */
  start: number;
  end: number;
  /** Rows after the filters, in the asked order. */
  rows: ConsumptionRow[];
  /** Rows before the filters. */
  count: number;
  totals: { all: Totals; filtered: Totals };
}

interface InstallationRow {
  pointId: number;
  meterId: number;
  from: number;
  to: number | null;
  manufacturer: string;
  serial: string;
  hasEnergy: number;
  pointNumber: string | null;
  address: string;
  postalCode: string | null;
  city: string | null;
  customer: string | null;
  customerNumber: string | null;
}

const OVERLAP = (a: string) => `${a}.from_at < ? and (${a}.to_at is null or ${a}.to_at >= ?)`;

export function consumptionReport(db: Db, days: ReadingDays, tenantId: number, q: ConsumptionQuery): ConsumptionReport {
  const interval = days.interval(tenantId, q.from, q.to);
  const { from: start, to: end } = interval;
  const g = groupCondition(db, tenantId, q.group, 'm.id');
  const inScope = q.group === undefined ? '' : `and i.metering_point_id in (select i2.metering_point_id from installation i2 join meter m on m.id = i2.meter_id
                where i2.tenant_id = ? and ${OVERLAP('i2')} and ${g.sql})`;
  const installations = db
    .prepare(
      `select i.metering_point_id as pointId, i.meter_id as meterId, i.from_at as "from", i.to_at as "to", m.manufacturer, m.serial,
              coalesce(ml.energy is not null, 0) as hasEnergy, p.number as pointNumber, p.address, p.postal_code as postalCode, p.city,
              c.name as customer, c.number as customerNumber
         from installation i join meter m on m.id = i.meter_id left join meter_latest ml on ml.meter_id = m.id
         join metering_point p on p.id = i.metering_point_id left join customer c on c.id = p.customer_id
        where i.tenant_id = ? and ${OVERLAP('i')} ${inScope}
        order by i.metering_point_id, i.from_at`
    )
    .all(tenantId, end, start, ...(q.group === undefined ? [] : [tenantId, end, start, ...g.args])) as InstallationRow[];
  const unplaced = db
    .prepare(
      `select m.id as meterId, m.manufacturer, m.serial, coalesce(ml.energy is not null, 0) as hasEnergy
         from meter m left join meter_latest ml on ml.meter_id = m.id
        where m.tenant_id = ? and ${g.sql} and not exists (select 1 from installation i where i.meter_id = m.id and ${OVERLAP('i')})
        order by m.id`
    )
    .all(tenantId, ...g.args, end, start) as { meterId: number; manufacturer: string; serial: string; hasEnergy: number }[];

  const fromLabel = new Date(`${q.from}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  const meter = new ConsumptionMeter(db, start, end, interval.dayFrom, interval.dayTo, fromLabel);
  const rows: ConsumptionRow[] = [];
  const row = (base: Omit<ConsumptionRow, 'unit' | 'value' | 'missing' | 'rollover' | 'exchange' | 'reset' | 'meterId'>, energy: boolean) => {
    const register: Register = energy ? 'energy' : 'volume';
    const names = new Map(base.meters.map((m) => [m.meterId, `meter ${m.serial}`]));
    const measured = meter.measure(base.meters as MeasuredInstallation[], register, (id) => names.get(id) ?? `meter ${id}`);
    rows.push({ ...base, meterId: base.meters[base.meters.length - 1].meterId, unit: energy ? 'kWh' : 'm3', ...measured });
  };

  for (let i = 0; i < installations.length; ) {
    const first = installations[i];
    const meters: ConsumptionMeterRef[] = [];
    let energy = false;
    for (; i < installations.length && installations[i].pointId === first.pointId; i++) {
      const x = installations[i];
      meters.push({ meterId: x.meterId, manufacturer: x.manufacturer, serial: x.serial, from: x.from, to: x.to });
      energy ||= x.hasEnergy === 1;
    }
    const p = first;
    row(
      {
        key: `p${p.pointId}`,
        meteringPointId: p.pointId,
        pointNumber: p.pointNumber,
        address: p.address,
        postalCode: p.postalCode,
        city: p.city,
        customer: p.customer,
        customerNumber: p.customerNumber,
        meters
      },
      energy
    );
  }
  for (const m of unplaced) {
    const ref = { meterId: m.meterId, manufacturer: m.manufacturer, serial: m.serial, from: null, to: null };
    const none = { meteringPointId: null, pointNumber: null, address: null, postalCode: null, city: null, customer: null, customerNumber: null };
    row({ key: `m${m.meterId}`, ...none, meters: [ref] }, m.hasEnergy === 1);
  }

  const filtered = rows.filter((r) => keep(r, q));
  if (q.sort) sortRows(filtered, q.sort, q.desc ?? false);
  return {
    from: q.from,
    to: q.to,
    timeZone: interval.timeZone,
    start,
    end,
    rows: filtered,
    count: rows.length,
    totals: { all: totalsOf(rows), filtered: totalsOf(filtered) }
  };
}

function keep(r: ConsumptionRow, q: ConsumptionQuery): boolean {
  if (q.unit !== undefined && r.unit !== q.unit) return false;
  if (q.missing && r.value !== null) return false;
  if (q.zero && r.value !== 0) return false;
  if (q.min !== undefined && (r.value === null || r.value < q.min)) return false;
  if (q.max !== undefined && (r.value === null || r.value > q.max)) return false;
  return true;
}

export function totalsOf(rows: readonly ConsumptionRow[]): Totals {
  const t: Totals = { kWh: { value: 0, rows: 0, missing: 0 }, m3: { value: 0, rows: 0, missing: 0 } };
  for (const r of rows) {
    const u = t[r.unit];
    u.rows++;
    if (r.value === null) u.missing++;
    else u.value += r.value;
  }
  for (const u of Object.values(t)) u.value = Math.round(u.value * 1e6) / 1e6;
  return t;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** The row's consumer as the report names it: the customer, else the address, else the meter. */
export function consumerOf(r: ConsumptionRow): string {
  return r.customer ?? r.address ?? `${r.meters[0].manufacturer} ${r.meters[0].serial}`;
}

function sortRows(rows: ConsumptionRow[], sort: ConsumptionSort, desc: boolean): void {
  const text = (r: ConsumptionRow): string =>
    sort === 'consumer' ? consumerOf(r) : sort === 'customer' ? (r.customerNumber ?? '') : sort === 'address' ? (r.address ?? '') : r.meters[r.meters.length - 1].serial;
  const sign = desc ? -1 : 1;
  if (sort === 'value') {
    // rows without a value last either way; kWh and m3 compared by number, unit second
    rows.sort((a, b) =>
      a.value === null || b.value === null ? (a.value === null ? 1 : 0) - (b.value === null ? 1 : 0) : sign * (a.value - b.value || a.unit.localeCompare(b.unit))
    );
    return;
  }
  const keys = new Map(rows.map((r) => [r, text(r)]));
  rows.sort((a, b) => sign * collator.compare(keys.get(a)!, keys.get(b)!) || a.key.localeCompare(b.key));
}
