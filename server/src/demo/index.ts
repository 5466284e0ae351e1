// The demo utility (issue 4, architecture.md "Done means"): on first start, about 2,000 meters
// on the streets of an invented town, their customers, metering points, groups and keys, and
// 13 months of hourly readings from the model in model.ts. A sample (the last day of 100
// meters) goes through the real ingest path as encrypted telegrams; the rest is written straight
// into the reading table, one prepared statement, one transaction per chunk of meters.
// Deterministic: the same seed, size and end time give the same data.

import type { Actor } from '../auth/principal.js';
import { audit } from '../audit.js';
import type { Db } from '../db/connection.js';
import type { IncomingFrame } from '../ingest/ingest.js';
import { MAX_MEMBERS_PER_CALL } from '../store/groups.js';
import type { Stores } from '../store/index.js';
import { HOUR_MS, makeClimate, type Climate } from './climate.js';
import { planFleet, type DemoFleet, type DemoMeter } from './fleet.js';
import { meterSeries, type Series } from './model.js';
import { Rng } from './random.js';
import { demoTelegram } from './telegrams.js';

export const DEMO_SEED = 'readout-demo';
export const DEMO_METERS = 2000;
/** 13 months of hourly readings: 396 days, what thinning keeps in full by default. */
export const DEMO_DAYS = 396;
export const DEMO_SOURCE = 'demo-gateway';
/** Setting that records what was generated (and that it finished). */
export const SETTING_DEMO = 'demo';

export interface DemoOptions {
  tenantId: number;
  /** The newest reading's hour (UTC ms, rounded down to the hour). */
  end: number;
  seed?: string;
  meters?: number;
  days?: number;
  /** Meters whose last `sampleHours` go through the ingest path as telegrams. */
  sampleMeters?: number;
  sampleHours?: number;
  /** Progress lines (stderr in `npm start`). */
  log?: (line: string) => void;
  /** Meters per bulk-insert transaction. */
  chunkMeters?: number;
}

export interface DemoResult {
  seed: string;
  meters: number;
  customers: number;
  meteringPoints: number;
  groups: number;
  /** Rows written straight into the reading table. */
  bulkReadings: number;
  /** Telegrams sent through the ingest path, and how many of them decoded. */
  telegrams: number;
  decoded: number;
  from: number;
  to: number;
  ms: number;
}

/** The meters of the sample: spread over the fleet so every kind of meter is in it. */
export function sampleIndexes(count: number, sample: number): Set<number> {
  const out = new Set<number>();
  if (sample <= 0) return out;
  const step = Math.max(1, count / sample);
  for (let i = 0; out.size < Math.min(sample, count); i++) out.add(Math.floor(i * step) % count);
  return out;
}

/** The plan and the climate behind a demo of these options, without touching a database (tests use it). */
export function demoPlan(opts: Pick<DemoOptions, 'end' | 'seed' | 'meters' | 'days'>): { fleet: DemoFleet; climate: Climate; seed: string } {
  const seed = opts.seed ?? DEMO_SEED;
  const end = Math.floor(opts.end / HOUR_MS) * HOUR_MS;
  const hours = (opts.days ?? DEMO_DAYS) * 24;
  const start = end - (hours - 1) * HOUR_MS;
  return { seed, fleet: planFleet(seed, opts.meters ?? DEMO_METERS, hours), climate: makeClimate(seed, start, hours) };
}

const ROWS_PER_STATEMENT = 64;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function generateDemo(db: Db, stores: Stores, opts: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const { seed, fleet, climate } = demoPlan(opts);
  const { tenantId } = opts;
  const now = Math.floor(opts.end / HOUR_MS) * HOUR_MS;
  const hours = climate.hours;
  const sampleHours = Math.min(opts.sampleHours ?? 24, hours);
  const sample = sampleIndexes(fleet.meters.length, opts.sampleMeters ?? 100);
  const actor: Actor = { tenantId, userId: null, name: 'demo data', device: null };
  log(`Demo data: ${fleet.meters.length} meters, ${hours} hourly readings each (seed "${seed}")...`);

  // 1. customers, metering points, meters, installations, keys, groups: one transaction
  const ids = db.transaction(() => registerFleet(stores, fleet, { installedAt: climate.start, now, actor }))();
  log(`  ${fleet.customers.length} customers, ${fleet.meters.length} metering points and meters with keys, ${ids.groups} groups`);

  // 2. readings, straight into the table
  const insertMany = db.prepare(
    `insert into reading (meter_id, at, energy, volume, flow, power, t_flow, t_return, info) values ${Array(ROWS_PER_STATEMENT)
      .fill('(?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .join(', ')}`
  );
  const insertOne = db.prepare(
    'insert into reading (meter_id, at, energy, volume, flow, power, t_flow, t_return, info) values (?, ?, ?, ?, ?, ?, ?, ?, ?)'
  );
  const args: (number | null)[] = new Array(9 * ROWS_PER_STATEMENT);
  const writeMeter = (meterId: number, s: Series, upTo: number) => {
    let k = 0;
    for (let h = 0; h < upTo; h++) {
      args[k++] = meterId;
      args[k++] = climate.start + h * HOUR_MS;
      args[k++] = s.energy ? s.energy[h] : null;
      args[k++] = s.volume ? s.volume[h] : null;
      args[k++] = s.flow ? s.flow[h] : null;
      args[k++] = s.power ? s.power[h] : null;
      args[k++] = s.tFlow ? s.tFlow[h] : null;
      args[k++] = s.tReturn ? s.tReturn[h] : null;
      args[k++] = s.info ? s.info[h] : null;
      if (k === args.length) {
        insertMany.run(args);
        k = 0;
      }
    }
    for (let i = 0; i < k; i += 9) insertOne.run(args.slice(i, i + 9));
  };

  const chunk = opts.chunkMeters ?? 25;
  const sampleSeries = new Map<number, Series>();
  let bulk = 0;
  let lastLog = performance.now();
  for (let first = 0; first < fleet.meters.length; first += chunk) {
    const meters = fleet.meters.slice(first, first + chunk);
    db.transaction(() => {
      for (const m of meters) {
        const s = meterSeries(seed, m, climate);
        const upTo = sample.has(m.index) ? hours - sampleHours : hours;
        if (sample.has(m.index)) sampleSeries.set(m.index, s);
        writeMeter(ids.meterIds[m.index], s, upTo);
        bulk += upTo;
      }
    })();
    if (performance.now() - lastLog > 5000) {
      lastLog = performance.now();
      const done = Math.min(first + chunk, fleet.meters.length);
      log(`  readings: ${done} of ${fleet.meters.length} meters (${(bulk / 1e6).toFixed(1)} M rows, ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    await yieldToLoop(); // let signals and timers through between chunks
  }

  // 3. the sample's last hours as telegrams through the real ingest path
  const frames: IncomingFrame[] = [];
  const rssi = Rng.derive(seed, 'rssi');
  for (const [index, s] of sampleSeries) {
    const m = fleet.meters[index];
    for (let h = hours - sampleHours; h < hours; h++) {
      frames.push({ bytes: demoTelegram(m, s, h, h), receivedAt: climate.start + h * HOUR_MS, source: DEMO_SOURCE, rssi: -rssi.int(55, 98) });
    }
  }
  stores.ingest.forget(tenantId); // the key ring is rebuilt from the vault with the new keys
  let decoded = 0;
  for (let i = 0; i < frames.length; i += 5000) {
    for (const r of stores.ingest.ingest(actor, frames.slice(i, i + 5000), now)) if (r.status === 'decoded') decoded++;
  }
  if (decoded !== frames.length) log(`  warning: ${frames.length - decoded} of ${frames.length} demo telegrams did not decode`);

  const result: DemoResult = {
    seed,
    meters: fleet.meters.length,
    customers: fleet.customers.length,
    meteringPoints: fleet.meters.length,
    groups: ids.groups,
    bulkReadings: bulk,
    telegrams: frames.length,
    decoded,
    from: climate.start,
    to: climate.start + (hours - 1) * HOUR_MS,
    ms: Math.round(performance.now() - t0)
  };
  db.transaction(() => {
    stores.settings.putInternal(tenantId, SETTING_DEMO, { ...result, complete: true });
    audit(db, now, { tenantId, event: 'demo.created', actor: actor.name, details: { ...result } });
  })();
  log(`  ${(bulk / 1e6).toFixed(1)} M readings and ${decoded} ingested telegrams in ${(result.ms / 1000).toFixed(1)} s`);
  return result;
}

/**
 * Customers, metering points, meters, installations, keys (into the vault) and groups of a
 * fleet, through the stores' import methods (no audit entry per row: the caller writes one).
 * Call inside a transaction. Returns the meter ids by plan index. Benchmarks use it with
 * `groups: false` to build large registries.
 */
export function registerFleet(
  stores: Stores,
  fleet: DemoFleet,
  opts: { installedAt: number; now: number; actor: Actor; keys?: boolean; groups?: boolean }
): { meterIds: number[]; groups: number } {
  const { installedAt, now, actor } = opts;
  const { tenantId } = actor;
  const customerIds: number[] = [];
  for (const c of fleet.customers) {
    stores.customers.upsertByNumber(tenantId, { number: c.number, name: c.name, email: c.email }, now);
    customerIds.push(stores.customers.idByNumber(tenantId, c.number)!);
  }
  const meterIds: number[] = [];
  for (const m of fleet.meters) {
    const a = m.address;
    stores.meteringPoints.upsertByNumber(
      tenantId,
      { number: m.pointNumber, address: a.address, postalCode: a.postalCode, city: a.city, lat: a.lat, lon: a.lon, customerId: customerIds[m.customer] },
      now
    );
    const pointId = stores.meteringPoints.idByNumber(tenantId, m.pointNumber)!;
    const t = m.type;
    const meterId = stores.meters.insert(
      tenantId,
      {
        manufacturer: t.manufacturer,
        serial: m.serial,
        version: t.version,
        deviceType: t.deviceType,
        medium: t.medium,
        model: t.model,
        driver: t.driver,
        readingMode: 'fixed-network',
        // the demo's fixed network delivers one value per meter and hour (what is stored below),
        // so reading performance (M7) expects one an hour
        intervalS: 3600
      },
      now
    );
    stores.meters.ensureInstalled(tenantId, meterId, pointId, installedAt);
    if (opts.keys !== false) stores.keys.put(tenantId, meterId, m.key, 'demo', now);
    meterIds.push(meterId);
  }

  if (opts.groups === false) return { meterIds, groups: 0 };
  const groups = new Map<string, number[]>();
  const member = (name: string, id: number) => {
    const list = groups.get(name) ?? [];
    list.push(id);
    groups.set(name, list);
  };
  for (const m of fleet.meters) {
    const id = meterIds[m.index];
    member(`District ${m.address.district}`, id);
    member(`${m.type.model} (${m.type.medium})`, id);
    if (m.heat && m.heat.designDeltaT < 20) member('Poor cooling (ΔT under 20 K)', id);
    if (m.address.kind !== 'house') member('Large consumers', id);
  }
  for (const [name, members] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const g = stores.groups.create(actor, name, now);
    for (let i = 0; i < members.length; i += MAX_MEMBERS_PER_CALL) {
      stores.groups.addMembers(actor, g.id, members.slice(i, i + MAX_MEMBERS_PER_CALL), now);
    }
  }
  return { meterIds, groups: groups.size };
}
