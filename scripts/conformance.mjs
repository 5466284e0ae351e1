// Scores our decoder against the conformance corpora in ../shared/conformance and holds the
// figures to the floor committed in conformance-floor.json (a ratchet: a change may not lower a
// figure; raise the floor with --update when a change improves one).
//   node scripts/conformance.mjs            score, compare, exit 1 if any figure fell
//   node scripts/conformance.mjs --update   also raise the floor to the new figures
// Prints one "CONFORMANCE <figure> <matched>/<total> floor <n>" line per figure and a closing
// "N passed, N failed" line for the comparisons.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const corpora = process.env.CONFORMANCE_DIR ?? join(root, '..', 'shared', 'conformance');
const floorFile = join(root, 'conformance-floor.json');
const update = process.argv.includes('--update');
const decoder = process.env.CONFORMANCE_DECODER ?? `node ${join(root, 'dist/server/server/cli/decode.js')} --jsonl`;

if (!existsSync(corpora)) {
  console.error(`No conformance corpora at ${corpora}: the project expects ../shared beside it.`);
  process.exit(1);
}
if (!process.env.CONFORMANCE_DECODER) {
  const built = spawnSync(process.execPath, [join(root, 'scripts/ensure-build.mjs'), '--server'], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(1);
}

// "<label>: N/M ..." lines of the two scorers that make up the figures.
const PATTERNS = [
  ['wmbus.kamstrup', /^wmbus kamstrup sub-score: (\d+)\/(\d+)/],
  ['wmbus.oms', /^wmbus oms-standard sub-score: (\d+)\/(\d+)/],
  ['wmbus.all', /^wmbus conformance: (\d+)\/(\d+)/],
  ['mbus.libmbus', /^rscada\/libmbus: valid (\d+)\/(\d+) full/],
  ['mbus.jmbus', /^openmuc\/jmbus: valid (\d+)\/(\d+) full/],
  ['mbus.jmbus-wmbus', /^openmuc\/jmbus \[wmbus\]: valid (\d+)\/(\d+) full/],
  ['mbus.pymeterbus', /^ganehag\/pyMeterBus: valid (\d+)\/(\d+) full/],
  ['mbus.all', /^mbus conformance: (\d+)\/(\d+) valid/],
  ['mbus.errors-rejected', /^mbus conformance: .*; (\d+)\/(\d+) error frames rejected/]
];

const figures = {};
for (const scorer of ['wmbus_conformance.py', 'mbus_conformance.py']) {
  const out = execFileSync('python3', [join(corpora, scorer), '--decoder', decoder], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit']
  });
  for (const line of out.split('\n')) {
    for (const [name, re] of PATTERNS) {
      const m = re.exec(line.trim());
      if (m) figures[name] = { matched: Number(m[1]), total: Number(m[2]) };
    }
    if (/answers that break the output shape: [1-9]/.test(line)) figures['shape-errors'] = line.trim();
  }
}

const floor = existsSync(floorFile) ? JSON.parse(readFileSync(floorFile, 'utf8')) : {};
let passed = 0;
let failed = 0;
for (const [name] of PATTERNS) {
  const f = figures[name];
  if (!f) {
    console.log(`CONFORMANCE ${name} missing: the scorer printed no such line`);
    failed++;
    continue;
  }
  const min = floor[name] ?? 0;
  const ok = f.matched >= min;
  console.log(`CONFORMANCE ${name} ${f.matched}/${f.total} floor ${min}${ok ? '' : '  FELL BELOW THE FLOOR'}`);
  ok ? passed++ : failed++;
}
if (figures['shape-errors']) {
  console.log(`CONFORMANCE shape: ${figures['shape-errors']}`);
  failed++;
} else passed++;

if (update && !failed) {
  const next = { ...floor };
  for (const [name] of PATTERNS) if (figures[name]) next[name] = Math.max(floor[name] ?? 0, figures[name].matched);
  writeFileSync(floorFile, JSON.stringify(next, null, 2) + '\n');
  console.log(`Floor written to ${floorFile}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
