// The real server process, as `npm start` runs it (the compiled build; npm test builds first).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { readMigrations } from '../../server/src/db/migrate';
import { migrationsDir, projectRoot } from '../../server/src/paths';
import { useTempDir } from './helpers';

const entry = join(projectRoot, 'dist/server/server/src/index.js');
const tempDir = useTempDir();
const running: ChildProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill('SIGKILL');
});

interface Started {
  child: ChildProcess;
  url: string;
  stdout: () => string;
}

function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', DEMO: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  running.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 15 s: ${out}${err}`)), 15_000);
    child.stdout!.on('data', () => {
      const m = /running at (http:\/\/localhost:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1].replace('localhost', '127.0.0.1'), stdout: () => out });
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
  });
}

function exit(child: ChildProcess): Promise<{ code: number | null; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (d) => (stderr += d));
  child.stdout?.on('data', (d) => (stdout += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr, stdout })));
}

const signIn = (url: string, password: string) =>
  fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'admin', password })
  });

describe.skipIf(!existsSync(entry))('server process', () => {
  test('first start prints the URL and a generated login once; data survives a restart', async () => {
    const dataDir = tempDir();
    const first = await start({ DATA_DIR: dataDir });
    const password = /Sign in as admin with password (\S+)/.exec(first.stdout())?.[1];
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect((await fetch(`${first.url}/api/health`)).status).toBe(200);
    expect((await signIn(first.url, password!)).status).toBe(200);
    first.child.kill('SIGTERM');
    expect((await exit(first.child)).code).toBe(0);

    const second = await start({ DATA_DIR: dataDir });
    expect(second.stdout()).not.toContain(password!);
    expect(second.stdout()).toContain('Sign in as admin (the password was set at first start)');
    const res = await signIn(second.url, password!);
    expect(res.status).toBe(200);
    expect((await res.json()).user.tenantName).toBe('Demo Utility');
    const health = await (await fetch(`${second.url}/api/health`)).json();
    expect(health.schema).toBe(readMigrations(migrationsDir).length);
  });

  test('ADMIN_PASSWORD chooses the first password and is never printed', async () => {
    const s = await start({ DATA_DIR: tempDir(), ADMIN_PASSWORD: 'chosen-by-the-utility' });
    expect(s.stdout()).not.toContain('chosen-by-the-utility');
    expect((await signIn(s.url, 'chosen-by-the-utility')).status).toBe(200);
  });

  test('a bad PORT stops the start with a message naming the variable', async () => {
    const child = spawn(process.execPath, [entry], {
      env: { PATH: process.env.PATH, PORT: 'http', DEMO: '0', DATA_DIR: tempDir() },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    running.push(child);
    const { code, stderr, stdout } = await exit(child);
    expect(code).toBe(2);
    expect(stderr).toContain('PORT: expected a number, got "http"');
    expect(stdout).toBe('');
  });

  test('SIGINT stops the server gracefully and the data folder stays usable', async () => {
    const dataDir = tempDir();
    const s = await start({ DATA_DIR: dataDir, ADMIN_PASSWORD: 'graceful-stop-pass' });
    s.child.kill('SIGINT');
    const { code } = await exit(s.child);
    expect(code).toBe(0);
    const again = await start({ DATA_DIR: dataDir });
    expect((await signIn(again.url, 'graceful-stop-pass')).status).toBe(200);
  });
});
