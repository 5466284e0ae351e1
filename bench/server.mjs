// Manager backend targets (issue 4), measured on the COMPILED server (dist/server; npm run bench
// builds first), embedded SQLite, one core, each figure in its own temporary data folder.
//
//   ingest.rate                 telegrams/s: Ingest.ingest (server/src/ingest/ingest.ts, the code
//                               POST /api/ingest/frames calls, minus HTTP and JSON) of 1,000,000
//                               telegrams from 10,000 meters, each AES-encrypted with its own key
//                               from the vault, in batches of 1,000 (one transaction each): store
//                               raw, dedupe, decrypt, decode, write the reading. Telegram generation
//                               (the shared encoder) is not timed.                 target >= 20,000
//   storage.bytes_per_reading   bytes: hourly heat-meter readings (energy, volume, flow, power,
//                               flow and return temperature, info) in the reading table:
//                               (file size after VACUUM, indexes included − the empty schema's) /
//                               rows. 100,000 meters × 3 days by default (a proportional sample of
//                               100,000 × 30 days: the cost per row does not depend on the count);
//                               BENCH_STORAGE_DAYS=30 measures the full 72 M rows.   target <= 64
//   query.series_ms             ms: ReadingStore.series, one meter's 13 months of hourly values,
//                               on the demo store (2,000 meters × 13 months, 19 M rows); median of
//                               20 meters.                                           target < 50
//   query.search_ms             ms: MeterStore.list with a search text, 100,000 meters with
//                               customers and metering points; median of 20 varied
//                               queries.                                             target < 100
//
// Run alone: node bench/server.mjs [prefix...]   (BENCH_INGEST_TELEGRAMS=n for a shorter ingest run)

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist/server');

export const figures = ['ingest.rate', 'storage.bytes_per_reading', 'query.series_ms', 'query.search_ms'];

const HOUR = 3_600_000;
const END = Date.UTC(2026, 0, 15, 12);
const progress = (line) => process.stderr.write(`  [server bench] ${line}\n`);

async function load() {
  const imp = (p) => import(pathToFileURL(join(DIST, p)).href);
  const [conn, mig, paths, env, first, stores, demo, fleet, climate, model, telegrams] = await Promise.all([
    imp('server/src/db/connection.js'),
    imp('server/src/db/migrate.js'),
    imp('server/src/paths.js'),
    imp('server/src/env.js'),
    imp('server/src/first-start.js'),
    imp('server/src/store/index.js'),
    imp('server/src/demo/index.js'),
    imp('server/src/demo/fleet.js'),
    imp('server/src/demo/climate.js'),
    imp('server/src/demo/model.js'),
    imp('server/src/demo/telegrams.js')
  ]);
  return { ...conn, ...mig, ...paths, ...env, ...first, ...stores, ...demo, ...fleet, ...climate, ...model, ...telegrams };
}

/** A fresh data folder with the schema, the demo tenant and its administrator, and the stores. */
async function freshServer(lib, label) {
  const dir = mkdtempSync(join(tmpdir(), `readout-bench-${label}-`));
  const parsed = lib.parseEnv({ DATA_DIR: dir, DEMO: '0' });
  const db = lib.openDatabase(join(dir, 'readout.sqlite'));
  lib.migrate(db, lib.readMigrations(lib.migrationsDir));
  await lib.ensureFirstStart(db, { login: 'admin', password: 'bench-password-1', now: END });
  const stores = lib.createStores(db, { env: parsed.env, dataDir: dir });
  const tenantId = db.prepare("select id from tenant where name = 'Demo Utility'").get().id;
  const actor = { tenantId, userId: null, name: 'bench', device: null };
  return {
    dir,
    db,
    stores,
    tenantId,
    actor,
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function benchIngest(lib, report) {
  const total = Number(process.env.BENCH_INGEST_TELEGRAMS ?? 1_000_000);
  const meters = 10_000;
  const perMeter = Math.ceil(total / meters);
  const s = await freshServer(lib, 'ingest');
  try {
    const fleet = lib.planFleet('bench-ingest', meters, perMeter);
    const ids = s.db.transaction(() => lib.registerFleet(s.stores, fleet, { installedAt: END - 86_400_000 * 30, now: END, actor: s.actor, groups: false }))();
    // telegrams in the order a gateway delivers them: every meter's hour 0, then hour 1, ...
    const climate = lib.makeClimate('bench-ingest', END - (perMeter - 1) * HOUR, perMeter);
    const t0 = performance.now();
    const series = fleet.meters.map((m) => lib.meterSeries('bench-ingest', m, climate));
    const frames = [];
    for (let h = 0; h < perMeter && frames.length < total; h++) {
      for (const m of fleet.meters) {
        if (frames.length >= total) break;
        frames.push({ bytes: lib.demoTelegram(m, series[m.index], h, h), receivedAt: climate.start + h * HOUR + m.index * 7, source: 'gw-1', rssi: -70 });
      }
    }
    progress(`ingest: ${frames.length} telegrams of ${meters} meters made in ${((performance.now() - t0) / 1000).toFixed(1)} s (not timed)`);
    const batch = 1000;
    let decoded = 0;
    const t1 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < frames.length; i += batch) {
      for (const r of s.stores.ingest.ingest(s.actor, frames.slice(i, i + batch), END)) if (r.status === 'decoded') decoded++;
    }
    const seconds = (performance.now() - t1) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    if (decoded !== frames.length) throw new Error(`ingest: only ${decoded} of ${frames.length} telegrams decoded`);
    const rows = s.db.prepare('select count(*) as n from reading').get().n;
    if (rows !== frames.length) throw new Error(`ingest: ${rows} readings for ${frames.length} telegrams`);
    progress(`ingest: ${frames.length} telegrams in ${seconds.toFixed(1)} s, batches of ${batch}, all decoded (${ids.meterIds.length} meters); CPU ${cpuSeconds.toFixed(1)} s (${Math.round(frames.length / cpuSeconds)} telegrams per CPU-second; a busy machine shows in wall time)`);
    report('ingest.rate', Math.round(frames.length / seconds), 'telegrams/s');
  } finally {
    s.close();
  }
}

async function benchStorage(lib, report) {
  const meters = 100_000;
  const days = Number(process.env.BENCH_STORAGE_DAYS ?? 3);
  const hours = days * 24;
  const dir = mkdtempSync(join(tmpdir(), 'readout-bench-storage-'));
  const file = join(dir, 'readout.sqlite');
  try {
    const db = lib.openDatabase(file);
    lib.migrate(db, lib.readMigrations(lib.migrationsDir));
    db.pragma('foreign_keys = OFF'); // readings only: the meter rows are not part of the figure
    db.exec('vacuum');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const empty = statSync(file).size;
    const climate = lib.makeClimate('bench-storage', END - (hours - 1) * HOUR, hours);
    const address = { address: 'Birkevej 1', street: 'Birkevej', houseNumber: '1', postalCode: '7481', city: 'Lindebæk', district: 'Centrum', lat: 56, lon: 9.3, kind: 'house' };
    const per = 50;
    const many = db.prepare(
      `insert into reading (meter_id, at, energy, volume, flow, power, t_flow, t_return, info) values ${Array(per).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`
    );
    const one = db.prepare('insert into reading (meter_id, at, energy, volume, flow, power, t_flow, t_return, info) values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const args = new Array(9 * per);
    const t0 = performance.now();
    const chunk = 1000;
    for (let first = 1; first <= meters; first += chunk) {
      db.transaction(() => {
        let k = 0;
        for (let id = first; id < first + chunk && id <= meters; id++) {
          const s = lib.meterSeries('bench-storage', lib.planHeatMeter('bench-storage', id, hours, address), climate);
          for (let h = 0; h < hours; h++) {
            args[k++] = id;
            args[k++] = climate.start + h * HOUR;
            args[k++] = s.energy[h];
            args[k++] = s.volume[h];
            args[k++] = s.flow[h];
            args[k++] = s.power[h];
            args[k++] = s.tFlow[h];
            args[k++] = s.tReturn[h];
            args[k++] = s.info[h];
            if (k === args.length) {
              many.run(args);
              k = 0;
            }
          }
        }
        for (let i = 0; i < k; i += 9) one.run(args.slice(i, i + 9));
      })();
    }
    const rows = db.prepare('select count(*) as n from reading').get().n;
    progress(`storage: ${rows} rows (${meters} meters × ${days} days) written in ${((performance.now() - t0) / 1000).toFixed(1)} s; vacuum...`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.exec('vacuum');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const size = statSync(file).size;
    db.close();
    progress(`storage: file ${(size / 1e6).toFixed(0)} MB, empty schema ${(empty / 1e3).toFixed(0)} kB`);
    report('storage.bytes_per_reading', (size - empty) / rows, `bytes  # ${meters} meters × ${days} days hourly (${rows} rows)${days < 30 ? ', proportional sample of 100,000 × 30 days' : ''}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchSeries(lib, report) {
  const s = await freshServer(lib, 'series');
  try {
    const t0 = performance.now();
    const demo = await lib.generateDemo(s.db, s.stores, { tenantId: s.tenantId, end: END, sampleMeters: 0 });
    progress(`series: demo store of ${demo.meters} meters, ${(demo.bulkReadings / 1e6).toFixed(1)} M rows, made in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    s.db.pragma('wal_checkpoint(TRUNCATE)');
    const ids = s.db.prepare('select id from meter where tenant_id = ? order by id').pluck().all(s.tenantId);
    const from = demo.from;
    const to = demo.to + HOUR;
    const times = [];
    s.stores.readings.series(s.tenantId, ids[0], from, to, 'hour'); // warm-up (JIT)
    for (let i = 0; i < 20; i++) {
      const id = ids[Math.floor(((i + 0.5) * ids.length) / 20)];
      const t = performance.now();
      const series = s.stores.readings.series(s.tenantId, id, from, to, 'hour');
      times.push(performance.now() - t);
      if (series.at.length < 9000) throw new Error(`series: meter ${id} gave ${series.at.length} hours`);
    }
    report('query.series_ms', median(times), `ms  # ReadingStore.series, 13 months hourly (${Math.round((to - from) / HOUR)} values), median of 20 meters of ${ids.length}`);
  } finally {
    s.close();
  }
}

async function benchSearch(lib, report) {
  const meters = 100_000;
  const s = await freshServer(lib, 'search');
  try {
    const t0 = performance.now();
    const fleet = lib.planFleet('bench-search', meters, 48);
    s.db.transaction(() => lib.registerFleet(s.stores, fleet, { installedAt: END, now: END, actor: s.actor, keys: false, groups: false }))();
    progress(`search: ${meters} meters with customers and metering points registered in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    s.db.pragma('wal_checkpoint(TRUNCATE)');
    s.db.exec('analyze');
    // 20 varied searches: street, street and number, customer names, serials (whole and part),
    // postal code, model, a district's street fragment, a word that matches nothing
    const pick = (i) => fleet.meters[Math.floor((i * 7919) % meters)];
    const queries = [
      pick(1).address.street,
      pick(2).address.address,
      fleet.customers[pick(3).customer].name.split(' ').pop(),
      fleet.customers[pick(4).customer].name,
      pick(5).serial,
      pick(6).serial.slice(2, 7),
      '7482',
      'MULTICAL 21',
      pick(7).address.street.slice(0, 5).toLowerCase(),
      `${fleet.customers[pick(8).customer].name.split(' ')[0]} ${pick(8).address.street}`,
      'Jensen',
      'omnipower',
      pick(9).pointNumber,
      'Lindebæk',
      pick(10).address.street.slice(-6),
      'vænget 1',
      pick(11).serial.slice(0, 4),
      'Boligforeningen',
      'zzzz-nothing',
      `${pick(12).address.street} ${pick(12).address.postalCode}`
    ];
    s.stores.meters.list(s.tenantId, { q: queries[0], limit: 50, offset: 0 }); // warm-up
    const times = [];
    for (const q of queries) {
      const t = performance.now();
      const page = s.stores.meters.list(s.tenantId, { q, limit: 50, offset: 0 });
      const ms = performance.now() - t;
      times.push(ms);
      progress(`search: "${q}" → ${page.total} meters in ${ms.toFixed(1)} ms`);
    }
    report('query.search_ms', median(times), `ms  # MeterStore.list, first page of 50 with total, median of 20 queries at ${meters} meters`);
  } finally {
    s.close();
  }
}

export async function run(report, only = () => true) {
  const lib = await load();
  if (only('ingest.rate')) await benchIngest(lib, report);
  if (only('storage.bytes_per_reading')) await benchStorage(lib, report);
  if (only('query.series_ms')) await benchSeries(lib, report);
  if (only('query.search_ms')) await benchSearch(lib, report);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const prefixes = process.argv.slice(2);
  const wanted = (name) => !prefixes.length || prefixes.some((p) => name.startsWith(p));
  await run((name, value, unit) => {
    if (wanted(name)) process.stdout.write(`BENCH ${name} ${typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(value < 10 ? 3 : 1) : value} ${unit}\n`);
  }, wanted);
}
