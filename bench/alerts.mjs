// Consumption alert evaluation (M10, issue 7), measured on the COMPILED server (dist/server),
// embedded SQLite, in a temporary data folder.
//
//   alerts.eval_ms   ms: ConsumptionAlertStore.evaluate (the code the ingest's onReadings
//                    listener runs after each committed batch) for 5,000 alerted meters (day,
//                    week and month limits, a third each; every 50th meter's register reset in
//                    the month, so its readings are walked) with a month of hourly readings
//                    each (3.6 M rows written by direct SQL, not timed), after one new reading
//                    for each of the 5,000 meters; median of 7 batches.       target < 100
//
// Run alone: node bench/alerts.mjs

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist/server');

export const figures = ['alerts.eval_ms'];

const HOUR = 3_600_000;
const METERS = 5000;
const HOURS = 30 * 24;
const BATCHES = 7;
const END = Date.UTC(2026, 10, 26, 11); // a Thursday: day, week and month periods all hold readings
const progress = (line) => process.stderr.write(`  [alerts bench] ${line}\n`);

async function load() {
  const imp = (p) => import(pathToFileURL(join(DIST, p)).href);
  const [conn, mig, paths, env, first, stores] = await Promise.all([
    imp('server/src/db/connection.js'),
    imp('server/src/db/migrate.js'),
    imp('server/src/paths.js'),
    imp('server/src/env.js'),
    imp('server/src/first-start.js'),
    imp('server/src/store/index.js')
  ]);
  return { ...conn, ...mig, ...paths, ...env, ...first, ...stores };
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A small deterministic generator (mulberry32), so every run writes the same readings. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function run(report) {
  const lib = await load();
  const dir = mkdtempSync(join(tmpdir(), 'readout-bench-alerts-'));
  const db = lib.openDatabase(join(dir, 'readout.sqlite'));
  try {
    const parsed = lib.parseEnv({ DATA_DIR: dir, DEMO: '0' });
    lib.migrate(db, lib.readMigrations(lib.migrationsDir));
    await lib.ensureFirstStart(db, { login: 'admin', password: 'bench-password-1', now: END });
    const stores = lib.createStores(db, { env: parsed.env, dataDir: dir });
    const tenantId = db.prepare("select id from tenant where name = 'Demo Utility'").get().id;
    const actor = { tenantId, userId: null, name: 'bench', device: null };

    const t0 = performance.now();
    const addMeter = db.prepare("insert into meter (tenant_id, manufacturer, serial, medium, created_at, updated_at) values (?, 'KAM', ?, ?, ?, ?) returning id").pluck();
    const ids = db.transaction(() =>
      Array.from({ length: METERS }, (_, i) => addMeter.get(tenantId, String(40_000_000 + i), i % 2 ? 'heat' : 'water', END, END))
    )();
    // a month of hourly readings: energy (J) on heat meters, volume (mL) on water meters
    const per = 100;
    const many = db.prepare(`insert into reading (meter_id, at, energy, volume) values ${Array(per).fill('(?, ?, ?, ?)').join(', ')}`);
    const last = new Map();
    const rnd = random(7);
    const start = END - HOURS * HOUR;
    db.transaction(() => {
      const args = [];
      ids.forEach((id, i) => {
        const heat = i % 2 === 1;
        let v = Math.round(rnd() * 1e9);
        for (let h = 0; h < HOURS; h++) {
          v += heat ? Math.round(rnd() * 2 * 3.6e6) : Math.round(rnd() * 20_000);
          if (i % 50 === 0 && h === HOURS / 2) v = Math.round(rnd() * 1000); // a register reset mid-month
          args.push(id, start + h * HOUR, heat ? v : null, heat ? null : v);
          if (args.length === per * 4) many.run(args.splice(0));
        }
        last.set(id, v);
      });
      const one = db.prepare('insert into reading (meter_id, at, energy, volume) values (?, ?, ?, ?)');
      for (let k = 0; k < args.length; k += 4) one.run(...args.slice(k, k + 4));
    })();
    progress(`${METERS} meters × ${HOURS} hourly readings written in ${((performance.now() - t0) / 1000).toFixed(1)} s (not timed)`);

    // limits that some meters exceed: about 24 h × 1 kWh or 10 L an hour per day, scaled per period
    const third = Math.ceil(METERS / 3);
    for (const [k, period, scale] of [[0, 'day', 1], [1, 'week', 7], [2, 'month', 30]]) {
      const chunk = ids.slice(k * third, (k + 1) * third);
      const waterIds = chunk.filter((_, i) => (k * third + i) % 2 === 0);
      const heatIds = chunk.filter((_, i) => (k * third + i) % 2 === 1);
      stores.consumptionAlerts.set(actor, { meterIds: waterIds, period, limit: 0.25 * scale, validFrom: '2026-10-01', validTo: null }, END);
      stores.consumptionAlerts.set(actor, { meterIds: heatIds, period, limit: 25 * scale, validFrom: '2026-10-01', validTo: null }, END);
    }
    stores.consumptionAlerts.evaluate(tenantId, ids, END); // warm-up (JIT, page cache)

    const put = db.prepare('insert into reading (meter_id, at, energy, volume) values (?, ?, ?, ?)');
    const times = [];
    const cpuTimes = [];
    let exceeded = 0;
    for (let b = 1; b <= BATCHES; b++) {
      const at = END + b * HOUR;
      db.transaction(() => {
        ids.forEach((id, i) => {
          const heat = i % 2 === 1;
          const v = last.get(id) + (heat ? Math.round(rnd() * 2 * 3.6e6) : Math.round(rnd() * 20_000));
          last.set(id, v);
          put.run(id, at, heat ? v : null, heat ? null : v);
        });
      })();
      const t = performance.now();
      const cpu0 = process.cpuUsage();
      const result = stores.consumptionAlerts.evaluate(tenantId, ids, at + 60_000);
      times.push(performance.now() - t);
      const cpu = process.cpuUsage(cpu0);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
      if (result.evaluated !== METERS) throw new Error(`alerts: evaluated ${result.evaluated} of ${METERS}`);
      exceeded += result.exceeded.length;
    }
    const states = db.prepare('select state, count(*) as n from consumption_alert group by state').all();
    progress(`batches: ${times.map((t) => t.toFixed(1)).join(', ')} ms (CPU ${cpuTimes.map((t) => t.toFixed(0)).join(', ')} ms; a busy machine shows in wall time); exceeded during the batches ${exceeded}; states ${JSON.stringify(states)}`);
    report('alerts.eval_ms', median(times), `ms  # ${METERS} alerted meters (day/week/month), one new reading each, median of ${BATCHES} batches`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run((name, value, unit) => process.stdout.write(`BENCH ${name} ${typeof value === 'number' ? value.toFixed(1) : value} ${unit}\n`));
}
