// npm test: type checks, unit tests (vitest) and end-to-end tests (Playwright in Chromium), then one
// closing line "N passed, N failed, N skipped" for CI (stack.md §4.15). Exits non-zero on any failure.
//   npm test                 everything
//   npm test -- <filter...>  only the vitest files matching the filters (no type check, no e2e)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const filters = process.argv.slice(2);
const results = join(root, 'test-results');
rmSync(results, { recursive: true, force: true });

const step = (name, cmd, args) => {
  process.stdout.write(`\n== ${name}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  return r.status === 0;
};

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
const count = (name, ok) => (ok ? passed++ : (failed++, failures.push(name)));

if (!filters.length) count('type check (npm run check)', step('type check', 'npm', ['run', '-s', 'check']));
const built = step('build if needed', process.execPath, ['scripts/ensure-build.mjs']);
if (!built) count('build', false);

step('unit tests', 'npx', [
  'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${join(results, 'vitest.json')}`, ...filters
]);
const vitest = readReport('vitest.json');
if (!vitest) count('unit tests: no report (vitest did not finish)', false);
else {
  passed += vitest.numPassedTests;
  failed += vitest.numFailedTests;
  skipped += vitest.numPendingTests + vitest.numTodoTests;
  for (const file of vitest.testResults ?? []) {
    for (const t of file.assertionResults ?? []) if (t.status === 'failed') failures.push(t.fullName);
    if (file.status === 'failed' && !(file.assertionResults ?? []).length) count(`unit file ${file.name}: ${file.message}`, false);
  }
}

if (!filters.length && built) {
  step('end-to-end tests', 'npx', ['playwright', 'test']);
  const pw = readReport('pw.json');
  if (!pw) count('end-to-end: no report (Playwright did not finish)', false);
  else {
    passed += pw.stats.expected + pw.stats.flaky;
    failed += pw.stats.unexpected;
    skipped += pw.stats.skipped;
    for (const e of pw.errors ?? []) count(`end-to-end: ${String(e.message).split('\n')[0]}`, false);
    collectPlaywrightFailures(pw.suites ?? [], []);
  }
}

if (failures.length) process.stdout.write(`\nFailed:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed ? 1 : 0);

function readReport(name) {
  const file = join(results, name);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function collectPlaywrightFailures(suites, path) {
  for (const s of suites) {
    const here = s.title ? [...path, s.title] : path;
    for (const spec of s.specs ?? []) {
      for (const t of spec.tests ?? []) if (t.status === 'unexpected') failures.push([...here, spec.title].join(' › '));
    }
    collectPlaywrightFailures(s.suites ?? [], here);
  }
}
