// The built app on the real server and Debian's Chromium, for the benchmarks that need a browser.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ADMIN = { login: 'admin', password: 'bench-admin-password-1' };

/** The built server on a free port with a fresh data folder; resolves to its base URL. */
export async function startServer(extraEnv = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'readout-bench-field-'));
  const child = spawn(process.execPath, [join(ROOT, 'dist/server/server/src/index.js')], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DEMO: '0', ADMIN_PASSWORD: ADMIN.password, ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit']
  });
  const base = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /running at http:\/\/localhost:(\d+)/.exec(out);
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    base,
    stop() {
      child.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
}

/** Chromium as the e2e tests run it, with WebGL in software (SwiftShader) where there is no GPU. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--enable-unsafe-swiftshader']
  });
}

/** A signed-in browser context (session cookie from the API, as the sign-in page would get it). */
export async function signedIn(browser, base, options = {}) {
  const context = await browser.newContext({ baseURL: base, ...options });
  const res = await context.request.post('/api/auth/login', { data: ADMIN });
  if (!res.ok()) throw new Error(`sign-in: ${res.status()} ${await res.text()}`);
  return context;
}


/**
 * Pans a map by dragging the mouse in a slow 150 px circle from the middle of `box` for `ms`,
 * counting requestAnimationFrame callbacks meanwhile: frames per second as a person sees them.
 * @returns {Promise<{frames: number, seconds: number}>}
 */
export async function panFrames(page, box, ms) {
  await page.evaluate(() => {
    const w = window;
    w.__frames = 0;
    w.__counting = true;
    const tick = () => {
      if (!w.__counting) return;
      w.__frames++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const t0 = Date.now();
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  let step = 0;
  while (Date.now() - t0 < ms) {
    step++;
    // the map keeps moving the whole time
    const a = (step / 60) * Math.PI;
    await page.mouse.move(cx + 150 * Math.cos(a), cy + 150 * Math.sin(a));
  }
  await page.mouse.up();
  const seconds = (Date.now() - t0) / 1000;
  const frames = await page.evaluate(() => ((window.__counting = false), window.__frames));
  return { frames, seconds };
}
