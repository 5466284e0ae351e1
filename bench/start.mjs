// start.cold_ms: from spawning the server to its first /api/health answer, on an empty data
// folder (so the migrations and the first administrator are included; without the demo data,
// DEMO=0, whose generation is its own figure). Median of 5 starts.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const figures = ['start.cold_ms'];

async function coldStart() {
  const dataDir = mkdtempSync(join(tmpdir(), 'readout-bench-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(root, 'dist/server/server/src/index.js')], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DEMO: '0' },
    stdio: ['ignore', 'pipe', 'inherit']
  });
  try {
    let out = '';
    const url = await new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /running at http:\/\/localhost:(\d+)/.exec(out);
        if (m) resolve(`http://127.0.0.1:${m[1]}/api/health`);
      });
      child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    // the port is known once the server prints it; poll in case the first answer races the print
    for (let i = 0; i < 500; i++) {
      const res = await fetch(url).catch(() => null);
      if (res?.ok) return performance.now() - t0;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('no health answer within 5 s');
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(report) {
  const times = [];
  for (let i = 0; i < 5; i++) times.push(await coldStart());
  times.sort((a, b) => a - b);
  report('start.cold_ms', Math.round(times[2]), 'ms');
}
