// Wireless M-Bus decoding speed. Plain Node ESM over the compiled library (dist/server/shared)
// and the compiled CLI (dist/server/server/cli/decode.js); build first (tsc -p server/tsconfig.json).
//
// Input: ../shared/conformance/make_wmbus_perf_input.py --mix kamstrup-encrypted --lines N
// --meters M --vary (Kamstrup heat-meter telegrams re-encrypted with one key per meter; every
// line unique, so nothing can be cached by telegram bytes). Written to a temporary directory.
//
//   wmbus.decode.lib     telegrams/s, decodeTelegram over all lines, keys preloaded in a KeyRing,
//                        byte map off (explain: false), one core
//   wmbus.decode.cli     telegrams/s, `decode.js --jsonl` end to end (spawn, stdin → stdout)
//   wmbus.keys.slowdown  library time with 100,000 meters (one key each) / time with 1 meter,
//                        on the same sequence of telegram kinds (see sameMix)
//   wmbus.rss            peak resident set size of this process after the library run, MB
//                        (100,000 telegrams and 10,000 keys held in memory)
//   wmbus.decode.lib_cpu telegrams per CPU-second (user + system) of the library pass with the
//                        least CPU time: on a busy machine wall time says little
//   wmbus.decode.cli_cpu telegrams per CPU-second of the CLI process (process.cpuUsage() at its
//                        exit, start-up included)
//
// Run alone: node bench/wmbus.mjs [--lines 100000]

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, createReadStream, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist/server');
const CLI = join(DIST, 'server/cli/decode.js');
const MAKER =
  process.env.READOUT_PERF_MAKER ?? resolve(ROOT, '../shared/conformance/make_wmbus_perf_input.py');

export const figures = [
  'wmbus.decode.lib',
  'wmbus.decode.cli',
  'wmbus.keys.slowdown',
  'wmbus.rss',
  'wmbus.decode.lib_cpu',
  'wmbus.decode.cli_cpu'
];

function makeInput(dir, name, lines, meters) {
  const out = join(dir, name);
  execFileSync(
    'python3',
    [MAKER, '--mix', 'kamstrup-encrypted', '--lines', String(lines), '--meters', String(meters), '--vary', '--out', out],
    { stdio: ['ignore', 'ignore', 'inherit'] }
  );
  return `${out}.jsonl`;
}

/** Lines as bytes, and a KeyRing with each meter's key (manufacturer + id from the DLL). */
function load(lib, file) {
  const { KeyRing, fromHex } = lib;
  const keys = new KeyRing();
  const telegrams = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.length === 0) continue;
    const req = JSON.parse(line);
    const b = fromHex(req.hex);
    telegrams.push(b);
    if (req.key) {
      const m = b[2] | (b[3] << 8);
      const idLE = (b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0;
      if (keys.find(m, idLE) === undefined) {
        keys.set({ manufacturer: lib.manufacturerName(m), id: idLE.toString(16).padStart(8, '0').toUpperCase() }, req.key);
      }
    }
  }
  return { keys, telegrams };
}

/**
 * The generator deals its telegram kinds out per meter, so --meters 1 and --meters 100000 give
 * different mixes (no compact frames with 100,000 meters). To time only the effect of the number
 * of keys, the one-meter input is reordered into the many-meter input's sequence of kinds
 * (CI and length), drawing the next telegram of that kind from the one-meter lines.
 */
function sameMix(many, one) {
  const kind = (b) => b[10] * 1000 + b.length;
  const pools = new Map();
  for (const b of one.telegrams) {
    const k = kind(b);
    if (!pools.has(k)) pools.set(k, { next: 0, list: [] });
    pools.get(k).list.push(b);
  }
  const telegrams = [];
  for (const b of many.telegrams) {
    const p = pools.get(kind(b));
    if (p !== undefined) telegrams.push(p.list[p.next++ % p.list.length]);
  }
  if (telegrams.length !== many.telegrams.length) process.stderr.write('wmbus bench: telegram kinds differ between inputs\n');
  return { keys: one.keys, telegrams };
}

/** Best of `rounds` passes; returns seconds and CPU seconds per pass and the number decoded ok. */
function timeLib(lib, { keys, telegrams }, rounds) {
  const formats = new lib.CompactFormatTable();
  const opts = { keys, formats, explain: false };
  let best = Infinity;
  let bestCpu = Infinity;
  let decoded = 0;
  for (let r = 0; r < rounds; r++) {
    let ok = 0;
    const cpu = process.cpuUsage();
    const t = process.hrtime.bigint();
    for (let i = 0; i < telegrams.length; i++) if (lib.decodeTelegram(telegrams[i], opts).ok) ok++;
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    const used = process.cpuUsage(cpu);
    if (s < best) best = s;
    bestCpu = Math.min(bestCpu, (used.user + used.system) / 1e6);
    decoded = ok;
  }
  return { seconds: best, cpuSeconds: bestCpu, decoded };
}

/** Preloaded into the CLI: writes its CPU time to fd 3 when it exits. */
const CPU_REPORTER = `process.on('exit', () => require('node:fs').writeSync(3, JSON.stringify(process.cpuUsage())));\n`;

function timeCli(file, cpuReporter) {
  return new Promise((resolveRun, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--require', cpuReporter, CLI, '--jsonl'], { stdio: ['pipe', 'pipe', 'inherit', 'pipe'] });
    let cpu = '';
    child.stdio[3].setEncoding('utf8');
    child.stdio[3].on('data', (chunk) => (cpu += chunk));
    let lines = 0;
    let okLines = 0;
    let tail = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      const text = tail + chunk;
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        lines++;
        if (text.startsWith('{"ok":true', start)) okLines++;
        start = nl + 1;
      }
      tail = text.slice(start);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`decode.js exited with ${code}`));
      else {
        const used = JSON.parse(cpu);
        resolveRun({ seconds: Number(process.hrtime.bigint() - t) / 1e9, cpuSeconds: (used.user + used.system) / 1e6, lines, okLines });
      }
    });
    createReadStream(file).pipe(child.stdin);
  });
}

export async function run(report, opts = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: run tsc -p server/tsconfig.json first`);
  const lines = opts.lines ?? 100000;
  const imp = (p) => import(pathToFileURL(join(DIST, p)).href);
  const [telegram, keyring, compact, hex, dll] = await Promise.all([
    imp('shared/wmbus/telegram.js'),
    imp('shared/wmbus/keyring.js'),
    imp('shared/wmbus/compact.js'),
    imp('shared/bytes/hex.js'),
    imp('shared/wmbus/dll.js')
  ]);
  const lib = { ...telegram, ...keyring, ...compact, ...hex, ...dll };
  const dir = mkdtempSync(join(tmpdir(), 'readout-wmbus-bench-'));
  try {
    const main = makeInput(dir, 'kam', lines, 10000);
    const input = load(lib, main);
    timeLib(lib, input, 1); // warm-up (JIT)
    const libRun = timeLib(lib, input, 3);
    if (libRun.decoded !== input.telegrams.length) {
      process.stderr.write(`wmbus bench: only ${libRun.decoded}/${input.telegrams.length} decoded ok\n`);
    }
    report('wmbus.decode.lib', Math.round(input.telegrams.length / libRun.seconds), 'telegrams/s');

    const cpuReporter = join(dir, 'cpu-reporter.cjs');
    writeFileSync(cpuReporter, CPU_REPORTER);
    const cli = await timeCli(main, cpuReporter);
    if (cli.lines !== lines) process.stderr.write(`wmbus bench: CLI answered ${cli.lines}/${lines} lines\n`);
    report('wmbus.decode.cli', Math.round(lines / cli.seconds), 'telegrams/s');

    // Peak memory of decoding (library run with 10,000 keys, then the CLI in its own process),
    // before the two extra inputs of the key-count run are loaded.
    const rss = Math.round(process.resourceUsage().maxRSS / 1024);

    const many = load(lib, makeInput(dir, 'many', lines, 100000));
    const one = sameMix(many, load(lib, makeInput(dir, 'one', lines, 1)));
    timeLib(lib, many, 1);
    timeLib(lib, one, 1);
    const tMany = timeLib(lib, many, 3).seconds;
    const tOne = timeLib(lib, one, 3).seconds;
    report('wmbus.keys.slowdown', Number((tMany / tOne).toFixed(3)), 'ratio');
    report('wmbus.rss', rss, 'MB');
    report('wmbus.decode.lib_cpu', Math.round(input.telegrams.length / libRun.cpuSeconds), 'telegrams/cpu-s');
    report('wmbus.decode.cli_cpu', Math.round(lines / cli.cpuSeconds), 'telegrams/cpu-s');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--lines');
  const lines = i > 0 ? Number(process.argv[i + 1]) : undefined;
  await run((name, value, unit) => console.log(`BENCH ${name} ${value} ${unit}`), { lines });
}
