// The field app in Chromium (issue 5), against the built app on the real server (fresh data
// folder, DEMO=0), in Debian's Chromium (/usr/bin/chromium or CHROMIUM_PATH):
//
//   field.worker.decode  telegrams/s: a capture of 100,000 Kamstrup telegrams (one key per meter,
//                        1,000 meters, every line unique; ../shared/conformance/make_wmbus_perf_input.py)
//                        decoded by the field app's decoder worker through "Inspect → Decode a
//                        capture file": from the click to the summary (file read, transfer to the
//                        worker, parse, decrypt, decode, drivers)
//   field.js_kb          KB: JavaScript of /field/route on first load (no service worker, cold
//                        cache), each file gzip-compressed (level 6) as a server would send it
//   field.map.fps        frames/s: the route map with 10,000 meters while panning for 5 s and 50
//                        telegrams/s arrive through the simulated receiver (bench/lib/field-map.mjs)
//
// Run alone: node bench/field.mjs

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { launch, signedIn, startServer } from './lib/browser.mjs';
import { measureMapFps } from './lib/field-map.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAKER = process.env.READOUT_PERF_MAKER ?? resolve(ROOT, '../shared/conformance/make_wmbus_perf_input.py');
const DECODE_LINES = 100_000;

export const figures = ['field.worker.decode', 'field.js_kb', 'field.map.fps'];

async function workerDecode(browser, base, dir) {
  execFileSync(
    'python3',
    [MAKER, '--mix', 'kamstrup-encrypted', '--lines', String(DECODE_LINES), '--meters', '1000', '--vary', '--out', join(dir, 'capture')],
    { stdio: ['ignore', 'ignore', 'inherit'] }
  );
  const context = await signedIn(browser, base);
  const page = await context.newPage();
  await page.goto('/field/inspect');
  const rates = [];
  // the first run also starts the worker and warms the JIT; the best of three after it counts
  for (let run = 0; run < 4; run++) {
    await page.getByLabel('Capture file', { exact: true }).setInputFiles(join(dir, 'capture.jsonl'));
    await page.getByRole('button', { name: 'Decode file' }).click();
    const summary = page.getByTestId('capture-summary');
    await summary.waitFor({ timeout: 120_000 });
    const decoded = Number(await summary.getAttribute('data-decoded'));
    if (decoded !== DECODE_LINES) throw new Error(`worker decoded ${decoded} of ${DECODE_LINES} telegrams`);
    if (run > 0) rates.push(Number(await summary.getAttribute('data-rate')));
  }
  await context.close();
  return Math.max(...rates);
}

async function routeJsKb(browser, base) {
  const context = await signedIn(browser, base, { serviceWorkers: 'block' });
  const page = await context.newPage();
  const scripts = [];
  page.on('response', (r) => {
    const type = r.headers()['content-type'] ?? '';
    if (r.request().resourceType() === 'script' || type.includes('javascript')) scripts.push(r);
  });
  await page.goto('/field/route', { waitUntil: 'networkidle' });
  let bytes = 0;
  for (const r of scripts) bytes += gzipSync(await r.body(), { level: 6 }).length;
  await context.close();
  return bytes / 1024;
}

export async function run(report, only) {
  const server = await startServer();
  const browser = await launch();
  const dir = mkdtempSync(join(tmpdir(), 'readout-bench-capture-'));
  try {
    if (only('field.worker.decode')) report('field.worker.decode', Math.round(await workerDecode(browser, server.base, dir)), 'telegrams/s');
    if (only('field.js_kb')) report('field.js_kb', await routeJsKb(browser, server.base), 'KB');
    if (only('field.map.fps')) report('field.map.fps', await measureMapFps(browser, server.base), 'fps');
  } finally {
    await browser.close();
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
