// The M-Bus system page's run follower (operation/mbus/[id]/run-watch.svelte.ts) against the REAL
// in-process server (tests/server/helpers.ts) and a simulated bus on a real TCP port: it follows a
// scan from 202 to done with counts that only grow, gives up with a sentence after five failed
// looks instead of polling forever, and stop() ends the polling at once. The page's fetch is the
// app's own request handler with the administrator's cookie, as a browser on the same origin.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { startSimBusServer, type SimBusServer } from '../../server/src/mbus/sim-server';
import { SimBus } from '../../shared/mbus/sim/index';
import type { MbusRun } from '../../web/src/routes/manager/operation/mbus/mbus-api';
import { RunWatch } from '../../web/src/routes/manager/operation/mbus/[id]/run-watch.svelte';
import { makeTestServer, request, useTempDir, type TestServer } from '../server/helpers';

const tempDir = useTempDir('readout-mbus-watch-');
let server: TestServer;
let sim: SimBusServer;
let cookie: string;
let fetches = 0;

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  cookie = await server.as('administrator');
  const bus = new SimBus({
    meters: [
      { model: 'multical-403', primaryAddress: 2, id: '71000001' },
      { model: 'oms-water', primaryAddress: 4, id: '71000002' }
    ],
    startEpochMs: Date.now()
  });
  sim = await startSimBusServer({ bus, baud: 9600, host: '127.0.0.1', port: 0 });
  fetches = 0;
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    fetches++;
    const headers = new Headers(init?.headers);
    headers.set('cookie', cookie);
    return server.app.request(String(input), { ...init, headers });
  });
});

afterEach(async () => {
  vi.unstubAllGlobals();
  await sim.close();
  server.close();
});

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await request(server, method, path, { cookie, body });
  const json = await res.json();
  expect(res.status, `${method} ${path}: ${JSON.stringify(json)}`).toBeLessThan(300);
  return json as T;
}

function until(watch: () => RunWatch, what: () => boolean, limitMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const look = () => {
      if (what()) return resolve();
      if (Date.now() - started > limitMs) return reject(new Error(`not within ${limitMs} ms: ${JSON.stringify(watch().run)} ${watch().error}`));
      setTimeout(look, 10);
    };
    look();
  });
}

describe('RunWatch', () => {
  test('follows a scan from its start to done; the counts only grow; ondone once', async () => {
    const { system } = await api<{ system: { id: number } }>('POST', '/api/mbus/systems', {
      name: 'Watch test', transport: 'tcp', address: `127.0.0.1:${sim.port}`, baud: 9600, addressing: 'primary', schedule: null
    });
    const { run } = await api<{ run: MbusRun }>('POST', `/api/mbus/systems/${system.id}/scan`, { mode: 'primary', from: 1, to: 5 });
    expect(run.state).toBe('running');
    const seen: MbusRun[] = [];
    const done: MbusRun[] = [];
    const watch = new RunWatch({ everyMs: 20, onupdate: (r) => seen.push(r), ondone: (r) => done.push(r) });
    watch.follow(run);
    expect(watch.running).toBe(true);
    await until(() => watch, () => done.length > 0, 30_000);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ id: run.id, state: 'done', done: 5, total: 5, found: 2, errors: [] });
    expect(watch.running).toBe(false);
    expect(watch.error).toBeNull();
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i].done).toBeGreaterThanOrEqual(seen[i - 1].done);
      expect(seen[i].found).toBeGreaterThanOrEqual(seen[i - 1].found);
    }
    // nothing more is asked once the run is over
    const after = fetches;
    await new Promise((r) => setTimeout(r, 100));
    expect(fetches).toBe(after);
  });

  test('a run the server does not know: five failed looks, then a sentence and no more polling', async () => {
    const watch = new RunWatch({ everyMs: 5 });
    watch.follow({ id: 999_999, systemId: 1, kind: 'scan', state: 'running', done: 0, total: 251, found: 0, errors: [], message: null, startedAt: 0, finishedAt: null });
    await until(() => watch, () => watch.error?.startsWith('Lost track') ?? false, 5_000);
    expect(fetches).toBe(5);
    expect(watch.error).toMatch(/^Lost track of the run after 5 failed looks \(.+\)\. Reload the page to see how it ended\.$/);
    await new Promise((r) => setTimeout(r, 50));
    expect(fetches).toBe(5);
  });

  test('stop() ends the polling at once', async () => {
    const watch = new RunWatch({ everyMs: 5 });
    watch.follow({ id: 999_999, systemId: 1, kind: 'read', state: 'running', done: 0, total: 1, found: 0, errors: [], message: null, startedAt: 0, finishedAt: null });
    watch.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(fetches).toBe(0);
    expect(watch.error).toBeNull();
  });
});
