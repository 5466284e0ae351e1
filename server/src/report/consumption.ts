import type { Db } from '../db/connection.js';
import type { ReadingDays } from '../store/reading-days.js';
import { roundRegister } from '../../../shared/consumption.js';
import { COLUMN_DIVISOR } from '../ingest/columns.js';
import { ConsumptionMeter, START_GRACE_MS, type Measured, type MeasuredInstallation } from './consumption-value.js';
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

/** One installation (or a meter installed nowhere) with its fast-path numbers, as the statement below gives it. */
type Fetched = [
  pointId: number | null, meterId: number, from: number | null, to: number | null, manufacturer: string, serial: string,
  pointNumber: string | null, address: string | null, postalCode: string | null, city: string | null,
  customer: string | null, customerNumber: string | null,
  energy: 0 | 1, first: number | null, last: number | null, irregular: 0 | 1
];

const OVERLAP = (a: string) => `${a}.from_at < @end and (${a}.to_at is null or ${a}.to_at >= @start)`;

/**
 * Columns after the identity: which register (energy when the meter's latest reading has one, as
 * ReadingStore.consumption prefers energy), its last value before the start (not before the
 * installation; else the first in the start's grace hour), its last value from the end of that hour to the
 * end (meter_latest when that is the one: no seek; a reading in the grace hour only: the careful path),
 * and whether a reading day in the interval holds a falling or vanishing register.
 */
function fastColumns(meter: string, from: string): string {
  const seek = (col: string, before: string, notBefore: string) =>
    `(select r.${col} from reading r where r.meter_id = ${meter} and r.at < ${before} and r.at >= ${notBefore} and r.${col} is not null order by r.at desc limit 1)`;
  // without a reading before the start, the first one in its first hour (START_GRACE_MS)
  const at = (col: string) =>
    `(select r.${col} from reading r where r.meter_id = ${meter} and r.at >= @start and r.at < @grace and r.${col} is not null order by r.at limit 1)`;
  const last = (col: string) => `case when ml.at >= @grace and ml.at < @end and ml.${col} is not null then ml.${col} else ${seek(col, '@end', '@grace')} end`;
  return `ml.energy is not null,
    case when ml.energy is not null then coalesce(${seek('energy', '@start', from)}, ${at('energy')})
         else coalesce(${seek('volume', '@start', from)}, ${at('volume')}) end,
    case when ml.energy is not null then ${last('energy')} else ${last('volume')} end,
    exists (select 1 from reading_day d where d.meter_id = ${meter} and d.day >= @dayFrom and d.day < @dayTo and d.irregular > 0)`;
}

export function consumptionReport(db: Db, days: ReadingDays, tenantId: number, q: ConsumptionQuery): ConsumptionReport {
  const interval = days.interval(tenantId, q.from, q.to);
  const { from: start, to: end } = interval;
  const g = groupCondition(db, tenantId, q.group, 'm.id');
  const named = { tenant: tenantId, start, end, grace: start + START_GRACE_MS, dayFrom: interval.dayFrom, dayTo: interval.dayTo };
  const inScope = q.group === undefined ? '' : `and i.metering_point_id in (select i2.metering_point_id from installation i2 join meter m on m.id = i2.meter_id
                where i2.tenant_id = @tenant and ${OVERLAP('i2')} and ${g.sql})`;
  const installations = db.prepare(
    `select i.metering_point_id, i.meter_id, i.from_at, i.to_at, m.manufacturer, m.serial,
            p.number, p.address, p.postal_code, p.city, c.name, c.number, ${fastColumns('i.meter_id', 'i.from_at')}
       from installation i join meter m on m.id = i.meter_id left join meter_latest ml on ml.meter_id = i.meter_id
       join metering_point p on p.id = i.metering_point_id left join customer c on c.id = p.customer_id
      where i.tenant_id = @tenant and ${OVERLAP('i')} ${inScope}
      order by i.metering_point_id, i.from_at`
  );
  const unplaced = db.prepare(
    `select null, m.id, null, null, m.manufacturer, m.serial, null, null, null, null, null, null, ${fastColumns('m.id', '-9007199254740991')}
       from meter m left join meter_latest ml on ml.meter_id = m.id
      where m.tenant_id = @tenant and ${g.sql} and not exists (select 1 from installation i where i.meter_id = m.id and ${OVERLAP('i')})
      order by m.id`
  );

  const fromLabel = new Date(`${q.from}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  const meter = new ConsumptionMeter(db, start, end, interval.dayFrom, interval.dayTo, fromLabel);
  const rows: ConsumptionRow[] = [];
  const consumer = (list: readonly Fetched[]) => {
    const f = list[0];
    const meters: ConsumptionMeterRef[] = [];
    let energy = false;
    for (const x of list) {
      meters.push({ meterId: x[1], manufacturer: x[4], serial: x[5], from: x[2], to: x[3] });
      energy ||= x[12] === 1;
    }
    const whole = (f[2] === null || f[2] < start) && (f[3] === null || f[3] >= end);
    // telescoping: no register fell in the interval, so the sum of the steps is last − first
    const fast = list.length === 1 && whole && f[13] !== null && f[14] !== null && f[15] === 0;
    const measured: Measured = fast
      ? { value: roundRegister((f[14]! - f[13]!) / COLUMN_DIVISOR[energy ? 'energy' : 'volume']), missing: [], rollover: false, exchange: false, reset: false }
      : meter.measure(meters as MeasuredInstallation[], energy ? 'energy' : 'volume', (id) => `meter ${meters.find((m) => m.meterId === id)!.serial}`);
    rows.push({
      key: f[0] === null ? `m${f[1]}` : `p${f[0]}`,
      meteringPointId: f[0],
      pointNumber: f[6],
      address: f[7],
      postalCode: f[8],
      city: f[9],
      customer: f[10],
      customerNumber: f[11],
      meters,
      meterId: meters[meters.length - 1].meterId,
      unit: energy ? 'kWh' : 'm3',
      value: measured.value,
      missing: measured.missing,
      rollover: measured.rollover,
      exchange: measured.exchange,
      reset: measured.reset
    });
  };
  // one statement per kind, streamed without an object per fetched row (the bench store of
  // issue 7, 100,000 meters and 74 M hourly readings: about 1.5 s, of the 2 s budget, mostly the
  // start seek and the reading_day range); a point's installations come one after another
  let pending: Fetched[] = [];
  for (const x of installations.raw().iterate(...g.args, named) as IterableIterator<Fetched>) {
    if (pending.length > 0 && pending[0][0] !== x[0]) {
      consumer(pending);
      pending = [];
    }
    pending.push(x);
  }
  if (pending.length > 0) consumer(pending);
  for (const x of unplaced.raw().iterate(...g.args, named) as IterableIterator<Fetched>) consumer([x]);

  const filtered = rows.filter((r) => keep(r, q));
  const all = totalsOf(rows);
  if (q.sort) sortRows(filtered, q.sort, q.desc ?? false);
  return {
    from: q.from,
    to: q.to,
    timeZone: interval.timeZone,
    start,
    end,
    rows: filtered,
    count: rows.length,
    totals: { all, filtered: filtered.length === rows.length ? all : totalsOf(filtered) }
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
  for (const u of Object.values(t)) u.value = roundRegister(u.value);
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
