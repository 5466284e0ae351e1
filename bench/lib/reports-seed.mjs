// The store the issue-7 reports are timed on: 100,000 meters with customers, metering points and
// installations (the demo town of server/src/demo/fleet.ts: about 44 % Kamstrup MULTICAL 403/603
// heat meters with E8/E9 in `extra`, 4 % heat meters of another make with temperatures and flow
// but no E8/E9, 43 % water meters, 9 % electricity meters), and one calendar month of hourly
// readings from the demo consumption model (server/src/demo/model.ts), with its seeded leaks,
// bursts, dry pipes, air and low batteries in the info codes. On top of the model:
//   - gaps: 3 % of the meters miss one run of 3 to 48 hours; 0.5 % go silent after day 10;
//   - rollovers: 0.5 % of the water meters stand 1 m³ below the top of a 4-digit m³ register
//     mid-month and wrap to 0 (those with use);
//   - exchanges: 0.2 % of the meters are exchanged mid-month (a new meter at the same metering
//     point, its registers from 0), through MeterStore.exchange like an office exchange.
// Readings go in meter by meter with multi-row inserts, one transaction per 500 meters, with every
// trigger on reading running as in production: meter_latest (007) and reading_day (010). Loading
// with the reading_day triggers dropped and ReadingDays.rebuild afterwards gave the same days and
// took as long (2,000 meters: 7 s either way), so the bench keeps the production path.
// Measured: 100,000 meters, 74.2 M readings, 3.1 M meter-days, seeded in 1,508 s on
// the shared 2-core machine under load (the first 10,000 meters, near idle, took 50 s of loading).
// BENCH_REPORTS_KEEP=<dir> keeps the store for the next run.

import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const HOUR = 3_600_000;
/** The month timed: October 2026 in the utility's zone (Europe/Copenhagen, DST ends on the 25th). */
export const MONTH = { from: '2026-10-01', to: '2026-10-31' };
const START = Date.UTC(2026, 8, 30, 22); // 2026-10-01 00:00 +02:00
const HOURS = 31 * 24 + 1; // the 25th has 25 hours
const NOW = START + HOURS * HOUR + 6 * HOUR;
const SEED = 'bench-reports';
const ROWS = 50;
const METERS_PER_TX = 500;

export async function loadLib(dist) {
  const imp = (p) => import(pathToFileURL(join(dist, p)).href);
  const mods = await Promise.all(
    [
      'server/src/db/connection.js',
      'server/src/db/migrate.js',
      'server/src/paths.js',
      'server/src/env.js',
      'server/src/first-start.js',
      'server/src/store/index.js',
      'server/src/demo/index.js',
      'server/src/demo/fleet.js',
      'server/src/demo/climate.js',
      'server/src/demo/model.js',
      'server/src/demo/random.js'
    ].map(imp)
  );
  return Object.assign({}, ...mods);
}

/** Deterministic 0..1 per meter and purpose, so a kept store and a fresh one agree. */
function unit(lib, ...parts) {
  return lib.Rng.derive(SEED, parts.join('/')).next();
}

/**
 * Opens the store in `keep` (reused when it holds a finished seed) or a new temporary folder,
 * and seeds it. Returns { db, stores, tenantId, meters, readings, seconds, close() }.
 */
export async function reportsStore(lib, { meters = 100_000, keep, progress = () => {} } = {}) {
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'readout-bench-reports-'));
  if (keep) mkdirSync(keep, { recursive: true });
  const parsed = lib.parseEnv({ DATA_DIR: dir, DEMO: '0' });
  const db = lib.openDatabase(join(dir, 'readout.sqlite'));
  lib.migrate(db, lib.readMigrations(lib.migrationsDir));
  await lib.ensureFirstStart(db, { login: 'admin', password: 'bench-password-1', now: NOW });
  const stores = lib.createStores(db, { env: parsed.env, dataDir: dir });
  const tenantId = db.prepare("select id from tenant where name = 'Demo Utility'").get().id;
  const close = () => {
    db.close();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const done = db.prepare("select value from setting where tenant_id = ? and key = 'bench.reports.seed'").pluck().get(tenantId);
    let seconds = 0;
    if (done) progress(`reusing the seeded store in ${dir} (${done})`);
    else if (db.prepare('select count(*) from meter').pluck().get() > 0) throw new Error(`${dir} holds an unfinished seed: remove the folder and run again`);
    else seconds = seed(lib, db, stores, tenantId, meters, progress);
    const count = db.prepare('select count(*) from meter where tenant_id = ?').pluck().get(tenantId);
    return { dir, db, stores, tenantId, meters: count, seconds, close };
  } catch (e) {
    close();
    throw e;
  }
}

/**
 * Who heard the month's telegrams, for the gateway and drive-by route views of reading
 * performance (M7). The 74 M raw telegrams themselves are not stored (their bytes are not part of
 * any report); their per-meter, receiver and day counts are written as migration 011's triggers
 * on frame keep them: eight gateways, each meter heard by gateway (id mod 8) and a third of them
 * also by the next one, with the counts of its readings; and three field devices whose routes are
 * the three largest groups, each driving its route once on the 15th.
 */
function receptions(db, tenantId, progress) {
  const t = performance.now();
  db.transaction(() => {
    const own = `select d.meter_id, d.day, d.n from reading_day d join meter m on m.id = d.meter_id where m.tenant_id = ${tenantId}`;
    db.prepare(
      `insert into frame_source_day (meter_id, source, day, tenant_id, n, last_at)
       select meter_id, 'gateway ' || (meter_id % 8 + 1), day, ?, n, day * 86400000 + 79200000 from (${own})`
    ).run(tenantId);
    db.prepare(
      `insert into frame_source_day (meter_id, source, day, tenant_id, n, last_at)
       select meter_id, 'gateway ' || ((meter_id + 1) % 8 + 1), day, ?, max(1, n * 2 / 3), day * 86400000 + 79200000 from (${own}) where meter_id % 3 = 0`
    ).run(tenantId);
    const groups = db.prepare('select g.id from meter_group g where g.tenant_id = ? order by (select count(*) from group_member m where m.group_id = g.id) desc limit 3').pluck().all(tenantId);
    const day = Date.UTC(2026, 9, 15) / 86_400_000;
    groups.forEach((groupId, i) => {
      const deviceId = db
        .prepare('insert into device (tenant_id, name, token_hash, registered_at, authorised_at) values (?, ?, ?, ?, ?) returning id')
        .pluck()
        .get(tenantId, `Van ${i + 1}`, `bench-device-${i + 1}`, NOW, NOW);
      db.prepare('insert into device_route (device_id, group_id) values (?, ?)').run(deviceId, groupId);
      db.prepare(
        `insert into frame_source_day (meter_id, source, day, tenant_id, n, last_at)
         select meter_id, ?, ?, ?, 3, ? from group_member where group_id = ? and meter_id % 20 <> 0`
      ).run(`device ${deviceId}`, day, tenantId, day * 86_400_000 + 36_000_000, groupId);
    });
    db.prepare('insert or ignore into frame_meter_source (meter_id, source, tenant_id) select distinct meter_id, source, tenant_id from frame_source_day').run();
  })();
  const n = db.prepare('select count(*) from frame_source_day').pluck().get();
  progress(`receptions: ${n} meter-receiver-days in ${((performance.now() - t) / 1000).toFixed(0)} s`);
}

function seed(lib, db, stores, tenantId, meters, progress) {
  const t0 = performance.now();
  const actor = { tenantId, userId: null, name: 'bench', device: null };
  const fleet = lib.planFleet(SEED, meters, HOURS);
  const climate = lib.makeClimate(SEED, START, HOURS);
  const ids = db.transaction(() => lib.registerFleet(stores, fleet, { installedAt: START - 30 * 24 * HOUR, now: NOW, actor, keys: false }))();
  progress(`${meters} meters, ${fleet.customers.length} customers, ${ids.groups} groups registered in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

  stores.readingDays.ensureTenant(tenantId); // the zone's offset rows, before any reading

  const cols = '(meter_id, at, energy, volume, flow, power, t_flow, t_return, info, extra)';
  const many = db.prepare(`insert into reading ${cols} values ${Array(ROWS).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`);
  const one = db.prepare(`insert into reading ${cols} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const args = new Array(10 * ROWS);
  let k = 0;
  let rows = 0;
  const put = (meterId, at, s, h, volume, extra) => {
    args[k++] = meterId;
    args[k++] = at;
    args[k++] = s.energy ? s.energy[h] : null;
    args[k++] = volume;
    args[k++] = s.flow ? s.flow[h] : null;
    args[k++] = s.power ? s.power[h] : null;
    args[k++] = s.tFlow ? s.tFlow[h] : null;
    args[k++] = s.tReturn ? s.tReturn[h] : null;
    args[k++] = s.info ? s.info[h] : null;
    args[k++] = extra;
    rows++;
    if (k === args.length) {
      many.run(args);
      k = 0;
    }
  };
  const flush = () => {
    for (let i = 0; i < k; i += 10) one.run(args.slice(i, i + 10));
    k = 0;
  };

  const exchanges = [];
  const stats = { gaps: 0, silent: 0, rollovers: 0, exchanges: 0 };
  const t1 = performance.now();
  for (let first = 0; first < fleet.meters.length; first += METERS_PER_TX) {
    db.transaction(() => {
      for (let i = first; i < Math.min(first + METERS_PER_TX, fleet.meters.length); i++) {
        const m = fleet.meters[i];
        const meterId = ids.meterIds[i];
        const s = lib.meterSeries(SEED, m, climate);
        // E8/E9 (Kamstrup heat, protocols.md §4.4): Σ m³·t of flow and return, integers as the meter counts
        const kamHeat = m.heat && m.type.manufacturer === 'KAM';
        let e8 = Math.round(m.heat?.volume0 * 68 || 0);
        let e9 = Math.round(m.heat?.volume0 * 40 || 0);
        let prevVolume = s.volume?.[0] ?? 0;
        // rollover: a 4-digit m³ register (10,000 m³ = 1e10 mL) a few m³ below its top
        const wrap = m.water && unit(lib, 'rollover', i) < 0.005 ? 1e10 : 0;
        const offset = wrap ? wrap - 1_000_000 - s.volume[Math.floor(HOURS / 2)] : 0; // 1 m³ below the top mid-month
        if (wrap) stats.rollovers++;
        const g = unit(lib, 'gap', i);
        const gapFrom = g < 0.03 ? Math.floor(unit(lib, 'gap-at', i) * (HOURS - 48)) : -1;
        const gapTo = gapFrom < 0 ? -1 : gapFrom + 3 + Math.floor(unit(lib, 'gap-len', i) * 45);
        if (gapFrom >= 0) stats.gaps++;
        const silentFrom = g >= 0.03 && g < 0.035 ? 10 * 24 : HOURS;
        if (silentFrom < HOURS) stats.silent++;
        const exchangeAt = unit(lib, 'exchange', i) < 0.002 ? 12 * 24 + Math.floor(unit(lib, 'exchange-at', i) * 10 * 24) : HOURS;
        if (exchangeAt < HOURS) exchanges.push({ i, meterId, at: exchangeAt, s });
        for (let h = 0; h < Math.min(HOURS, silentFrom, exchangeAt); h++) {
          let extra = null;
          if (kamHeat) {
            const dv = (s.volume[h] - prevVolume) / 1e6; // m³ this hour
            prevVolume = s.volume[h];
            e8 += dv * (s.tFlow[h] / 100);
            e9 += dv * (s.tReturn[h] / 100);
            extra = `{"forwardEnergy":${Math.floor(e8)},"returnEnergy":${Math.floor(e9)}}`;
          }
          if (h >= gapFrom && h < gapTo) continue;
          const volume = s.volume ? (wrap ? (((s.volume[h] + offset) % wrap) + wrap) % wrap : s.volume[h]) : null;
          put(meterId, START + h * HOUR + (i % 60) * 1000, s, h, volume, extra);
        }
      }
      flush();
    })();
    if ((first / METERS_PER_TX) % 20 === 19) {
      const sec = (performance.now() - t1) / 1000;
      progress(`  ${first + METERS_PER_TX} meters, ${(rows / 1e6).toFixed(1)} M readings in ${sec.toFixed(0)} s`);
    }
  }

  // exchanges: a new meter of the same type at the point from the exchange hour, registers from 0
  db.transaction(() => {
    for (const x of exchanges) {
      const m = fleet.meters[x.i];
      const t = m.type;
      const at = START + x.at * HOUR;
      const newId = stores.meters.insert(
        tenantId,
        { manufacturer: t.manufacturer, serial: `9${m.serial.slice(1)}`, version: t.version, deviceType: t.deviceType, medium: t.medium, model: t.model, driver: t.driver, readingMode: 'fixed-network', intervalS: 3600 },
        NOW
      );
      const pointId = stores.meters.currentPointOf(x.meterId);
      stores.meters.exchange(actor, pointId, x.meterId, newId, at, NOW);
      const base = (col, h) => (x.s[col] ? x.s[col][h] - x.s[col][x.at] : null);
      for (let h = x.at; h < HOURS; h++) {
        const s = { ...x.s, energy: x.s.energy && { [h]: base('energy', h) }, power: x.s.power };
        put(newId, START + h * HOUR + 30_000, s, h, x.s.volume ? base('volume', h) : null, null);
      }
      stats.exchanges++;
    }
    flush();
  })();
  progress(`${(rows / 1e6).toFixed(1)} M readings written in ${((performance.now() - t1) / 1000).toFixed(0)} s (${stats.gaps} meters with a gap, ${stats.silent} silent after day 10, ${stats.rollovers} rollovers, ${stats.exchanges} exchanges)`);

  const days = db.prepare('select count(*) from reading_day').pluck().get();
  progress(`reading_day: ${days} meter-days`);
  receptions(db, tenantId, progress);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('analyze');
  const seconds = (performance.now() - t0) / 1000;
  db.prepare("insert into setting (tenant_id, key, value) values (?, 'bench.reports.seed', ?)").run(
    tenantId,
    JSON.stringify({ meters, readings: rows, seconds: Math.round(seconds) })
  );
  return seconds;
}
