// Build when the build is missing or older than its sources. Progress goes to stderr, so commands
// whose stdout is a data stream (decode --jsonl) can run this first.
//   node scripts/ensure-build.mjs            web app + server
//   node scripts/ensure-build.mjs --server   server (and shared/) only: tsc, no Vite
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const serverOnly = process.argv.includes('--server');

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs; // a deleted file shows in its folder's time
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    max = Math.max(max, newest(join(path, entry)));
  }
  return max;
}

const common = ['shared', 'server', 'package.json', 'package-lock.json'].map((p) => join(root, p));
const serverOut = join(root, 'dist/server/server/src/index.js');
const webOut = join(root, 'build/index.html');

function stale(output, inputs) {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  return inputs.some((p) => newest(p) > built);
}

const webInputs = [...common, ...['web', 'vite.config.ts', 'tsconfig.json'].map((p) => join(root, p))];
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
  if (r.status !== 0) {
    process.stderr.write(`Build failed: ${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}\n`);
    process.exit(1);
  }
};

if (serverOnly) {
  if (stale(serverOut, common)) {
    process.stderr.write('Compiling the server and shared/ (tsc)...\n');
    run('npx', ['tsc', '-p', 'server/tsconfig.json']);
  }
} else if (stale(webOut, webInputs) || stale(serverOut, common)) {
  process.stderr.write('Building Readout (web app and server)...\n');
  run('npm', ['run', '-s', 'build']);
}
