// Issue 7 target: every report < 2 s on the embedded store with 100,000 meters and one month of
// hourly data (bench/lib/reports-seed.mjs: about 74 M readings, October 2026, with gaps,
// rollovers, exchanges and info codes; reading_day kept by its triggers while loading).
// Measured on the COMPILED server (dist/server; npm run bench builds first), one process, all
// meters of the tenant (no group), the whole month:
//
//   reports.heat_ms          heatReport(db, readingDays, tenantId, {from, to})           (M5)
//   reports.network_ms       networkReport(...)                                           (B3)
//   reports.consumption_ms   consumptionReport(...)                                       (M6)
//   reports.performance_ms   performanceReport(...)                                       (M7)
//   reports.gateways_ms      gatewayPerformance(...): per gateway                         (M7)
//   reports.routes_ms        routePerformance(...): per drive-by route                    (M7)
//   reports.alarms_ms        currentAlarms + withSince of every matching meter, i.e. what
//                            GET /api/alarms?format=csv computes (M8)
//   reports.max_ms           the slowest of those                                 target < 2000
//
// Each: one warm-up run, then the median of 3. A report module missing from dist is an error.
// Measured (100,220 meters, 74.2 M readings, the 2-core machine otherwise idle; run to run about
// ±15 %): heat 1,914, network 1,788, consumption 1,553, performance 1,660, gateways 1,956, routes
// 1,814, alarms 62 ms.
// BENCH_REPORTS=alarms,heat times only those (development); BENCH_REPORTS_METERS=n seeds fewer
// meters (a quick check, not the target); BENCH_REPORTS_KEEP=<dir> keeps the store there and
// reuses it on the next run (default: a temporary folder removed after the run).
//
// Run alone: node bench/reports.mjs

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadLib, MONTH, reportsStore } from './lib/reports-seed.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist/server');

export const figures = ['reports.max_ms', 'reports.heat_ms', 'reports.network_ms', 'reports.consumption_ms', 'reports.performance_ms', 'reports.gateways_ms', 'reports.routes_ms', 'reports.alarms_ms'];

const progress = (line) => process.stderr.write(`  [reports bench] ${line}\n`);

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Module file and function name per report; the alarms list is two calls. */
const REPORTS = {
  heat: ['server/src/report/heat.js', 'heatReport'],
  network: ['server/src/report/network.js', 'networkReport'],
  consumption: ['server/src/report/consumption.js', 'consumptionReport'],
  performance: ['server/src/report/performance.js', 'performanceReport'],
  gateways: ['server/src/report/performance-sources.js', 'gatewayPerformance'],
  routes: ['server/src/report/performance-sources.js', 'routePerformance'],
  alarms: ['server/src/store/alarms.js', null]
};

async function reportFunction(name) {
  const [file, fn] = REPORTS[name];
  const path = join(DIST, file);
  if (!existsSync(path)) throw new Error(`reports bench: ${file} is missing from dist/server (the ${name} report is not built)`);
  const mod = await import(pathToFileURL(path).href);
  if (fn === null) {
    if (typeof mod.currentAlarms !== 'function' || typeof mod.withSince !== 'function') throw new Error(`reports bench: ${file} lacks currentAlarms/withSince`);
    return (db, _days, tenantId) => mod.withSince(db, mod.currentAlarms(db, tenantId, {}));
  }
  if (typeof mod[fn] !== 'function') throw new Error(`reports bench: ${file} does not export ${fn}`);
  return (db, days, tenantId) => mod[fn](db, days, tenantId, { ...MONTH });
}

/** How many rows a report gave, for the progress line (reports return a list or {rows|items}). */
function size(result) {
  if (Array.isArray(result)) return result.length;
  for (const k of ['rows', 'items', 'meters', 'gateways', 'routes']) if (Array.isArray(result?.[k])) return result[k].length;
  return '?';
}

export async function run(report, only = () => true) {
  const chosen = (process.env.BENCH_REPORTS ?? Object.keys(REPORTS).join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of chosen) if (!(name in REPORTS)) throw new Error(`BENCH_REPORTS: unknown report "${name}" (expected ${Object.keys(REPORTS).join(', ')})`);
  const wanted = chosen.filter((n) => only(`reports.${n}_ms`) || only('reports.max_ms'));
  if (!wanted.length) return;
  const fns = Object.fromEntries(await Promise.all(wanted.map(async (n) => [n, await reportFunction(n)])));

  const lib = await loadLib(DIST);
  const meters = Number(process.env.BENCH_REPORTS_METERS ?? 100_000);
  const s = await reportsStore(lib, { meters, keep: process.env.BENCH_REPORTS_KEEP || undefined, progress });
  try {
    if (s.seconds) progress(`store seeded in ${s.seconds.toFixed(0)} s (${s.dir})`);
    let max = 0;
    for (const name of wanted) {
      const fn = fns[name];
      const warm = fn(s.db, s.stores.readingDays, s.tenantId);
      const times = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        fn(s.db, s.stores.readingDays, s.tenantId);
        times.push(performance.now() - t);
      }
      const ms = median(times);
      max = Math.max(max, ms);
      progress(`${name}: ${size(warm)} rows; runs ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
      report(`reports.${name}_ms`, ms, `ms  # ${s.meters} meters, ${MONTH.from}..${MONTH.to}, median of 3`);
    }
    report('reports.max_ms', max, `ms  # slowest of ${wanted.join(', ')}; target < 2000`);
  } finally {
    s.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run((name, value, unit) => process.stdout.write(`BENCH ${name} ${typeof value === 'number' ? value.toFixed(1) : value} ${unit}\n`));
}
