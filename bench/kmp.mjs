// Optical head (issue 9 target): reading a MULTICAL 603's full daily logger (460 records, 8
// registers each, 2 records per answer at MaxL 0x80) through the KMP client from the simulated
// head at 1200 baud 8N2, against what its bytes need on the line:
//
//   limit = (bytes sent + bytes of the meter's answers) × 11 bits / 1200 baud      (§5.1, 8N2)
//   (the head's echo of each request is not counted again: it is the same bytes on the same line)
//
//   kmp.dailylog.ratio          measured time / limit: the page's own stack — KmpClient over
//                               transportKmpLink over the real WebSerialTransport (web-serial.ts,
//                               opened 1200 8N2) over kmp-shim.ts's SimKmpSerialPort — on REAL
//                               timers with the head and the client's waits running SCALE× faster
//                               than real (speed-up, as bench/mbus.mjs); measured = wall × SCALE
//                                                                                  target ≤ 1.3
//   kmp.dailylog.virtual.ratio  the same read with the client straight on SimOpticalHead on
//                               VIRTUAL timers (VirtualTimers, speed 1): what the meter's answer
//                               delay (50 ms) and the client's §5.1 waits cost, without timer or
//                               CPU noise
//   kmp.dailylog.records / .pages / .bytes / .retries / .line_s / .limit_s   raw figures of the
//                               real-timer run (line_s: measured, in line time; limit_s: the limit)
//
// The client lives in web/ (TypeScript with the $shared alias), so it is bundled with rolldown
// (Vite's bundler, already installed) into a temporary folder first.
//
// Run alone: node bench/kmp.mjs [--scale 10]   (or KMP_BENCH_SCALE=10)

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const figures = [
  'kmp.dailylog.ratio',
  'kmp.dailylog.virtual.ratio',
  'kmp.dailylog.records',
  'kmp.dailylog.pages',
  'kmp.dailylog.bytes',
  'kmp.dailylog.retries',
  'kmp.dailylog.line_s',
  'kmp.dailylog.limit_s'
];

const BAUD = 1200;
const BITS_PER_BYTE = 11; // start, 8 data, 2 stop (8N2, protocols.md §5.1)
const SERIAL = 71234567;
const START = Date.UTC(2026, 10, 26, 6);
const argScale = process.argv.indexOf('--scale');
const SCALE = argScale > 0 ? Number(process.argv[argScale + 1]) : Number(process.env.KMP_BENCH_SCALE ?? 10);
const progress = (line) => process.stderr.write(`  [kmp bench] ${line}\n`);

async function load() {
  const { build } = await import('rolldown');
  const dir = mkdtempSync(join(tmpdir(), 'readout-kmp-bench-'));
  try {
    const entry = join(dir, 'entry.ts');
    const src = (p) => JSON.stringify(join(ROOT, p));
    writeFileSync(
      entry,
      [
        `export { KmpClient, transportKmpLink } from ${src('web/src/lib/hardware/devices/kmp-head.ts')};`,
        `export { SERIAL_SETTINGS, WebSerialTransport } from ${src('web/src/lib/hardware/web-serial.ts')};`,
        `export { SimKmpSerialPort } from ${src('web/src/lib/hardware/sim/kmp-shim.ts')};`,
        `export { SimKmpMeter, SimOpticalHead, VirtualTimers } from ${src('shared/kmp/sim/index.ts')};`
      ].join('\n')
    );
    await build({
      input: { entry },
      platform: 'node',
      resolve: { alias: { $shared: join(ROOT, 'shared') }, extensionAlias: { '.js': ['.ts', '.js'] } },
      output: { dir: join(dir, 'out'), format: 'esm' },
      write: true,
      logLevel: 'warn'
    });
    return await import(pathToFileURL(join(dir, 'out', 'entry.js')).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function limitSeconds(stats) {
  return ((stats.txBytes + stats.rxBytes) * BITS_PER_BYTE) / BAUD;
}

/** The daily logger from its oldest record; throws unless it completed. */
async function readDaily(client) {
  let pages = 0;
  const r = await client.readLog('daily', { model: '603', onProgress: () => pages++ });
  if (!r.complete) throw new Error(`daily logger read stopped after ${r.records.length} records: ${r.error?.message}`);
  return { records: r.records.length, pages };
}

export async function run(report, only = () => true) {
  const lib = await load();
  progress(`full daily logger of a simulated MULTICAL 603 at ${BAUD} baud 8N2`);

  const realFigures = figures.filter((f) => f !== 'kmp.dailylog.virtual.ratio');
  if (realFigures.some((n) => only(n))) {
    const port = new lib.SimKmpSerialPort({ serial: SERIAL, speed: SCALE });
    const transport = new lib.WebSerialTransport(port, lib.SERIAL_SETTINGS.kmp);
    await transport.open();
    const head = port.head;
    const link = lib.transportKmpLink(transport);
    const client = new lib.KmpClient(link, { timeScale: SCALE });
    try {
      const t0 = performance.now();
      const r = await readDaily(client);
      const line = ((performance.now() - t0) * SCALE) / 1000;
      const limit = limitSeconds(head.stats);
      progress(
        `real timers, ${SCALE}× speed-up, Web Serial adapter: ${r.records} records in ${r.pages} answers, ` +
          `${head.stats.txBytes} + ${head.stats.rxBytes} bytes, ${client.stats.retries} retries; ` +
          `${(line / SCALE).toFixed(2)} s wall × ${SCALE} = ${line.toFixed(1)} s line time, limit ${limit.toFixed(1)} s → ${(line / limit).toFixed(3)}`
      );
      report('kmp.dailylog.ratio', line / limit, 'ratio');
      report('kmp.dailylog.records', r.records, 'records');
      report('kmp.dailylog.pages', r.pages, 'answers');
      report('kmp.dailylog.bytes', head.stats.txBytes + head.stats.rxBytes, 'bytes');
      report('kmp.dailylog.retries', client.stats.retries, 'retries');
      report('kmp.dailylog.line_s', line, 's');
      report('kmp.dailylog.limit_s', limit, 's');
    } finally {
      await link.release();
      await transport.close();
    }
  }

  if (only('kmp.dailylog.virtual.ratio')) {
    const timers = new lib.VirtualTimers({ startMs: START, idle: (f) => setImmediate(f) });
    const meter = new lib.SimKmpMeter({ serial: SERIAL, startEpochMs: START });
    const head = new lib.SimOpticalHead({ meter, timers, speed: 1 });
    const client = new lib.KmpClient(head, { timeScale: 1 });
    const t0 = timers.now();
    const r = await readDaily(client);
    const line = (timers.now() - t0) / 1000;
    const limit = limitSeconds(head.stats);
    head.close();
    progress(`virtual timers, speed 1, client on SimOpticalHead: ${r.records} records, ${line.toFixed(1)} s, limit ${limit.toFixed(1)} s → ${(line / limit).toFixed(3)}`);
    report('kmp.dailylog.virtual.ratio', line / limit, 'ratio');
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = (name, value, unit) => process.stdout.write(`BENCH ${name} ${typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(3) : value} ${unit}\n`);
  await run(report);
}
