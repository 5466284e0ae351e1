// The demo's wired M-Bus (issue 8): the demo system points at an in-process simulated segment of
// 20 meters, one with a valve, and a scan through the API finds them all.
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createDemoMbusSystem, DEMO_MBUS_METERS, DEMO_MBUS_SYSTEM, startDemoMbus, type DemoMbus } from '../../server/src/demo/mbus';
import { mbusRunner } from '../../server/src/mbus/runner';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let demo: DemoMbus | null = null;

beforeEach(async () => {
  server = await makeTestServer(tempDir());
});
afterEach(async () => {
  await mbusRunner({ db: server.db, stores: server.stores, now: () => server.clock.now }).stop();
  await demo?.close();
  demo = null;
  server.close();
});

test('the demo system scans its simulated segment: 20 meters, one with a valve', async () => {
  const tenantId = server.db.prepare("select id from tenant where name = 'Demo Utility'").pluck().get() as number;
  const deps = { db: server.db, stores: server.stores, now: () => server.clock.now };
  expect(await startDemoMbus(deps, tenantId)).toBeNull(); // no demo system yet: nothing starts
  const systemId = createDemoMbusSystem(server.db, tenantId, server.clock.now);
  demo = await startDemoMbus(deps, tenantId);
  expect(demo).toMatchObject({ systemId, address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });

  const admin = await server.as('administrator');
  const system = await (await request(server, 'GET', `/api/mbus/systems/${systemId}`, { cookie: admin })).json();
  expect(system.system).toMatchObject({ name: DEMO_MBUS_SYSTEM, transport: 'tcp', address: demo!.address, baud: 2400 });
  const res = await request(server, 'POST', `/api/mbus/systems/${systemId}/scan`, { cookie: admin, body: { mode: 'primary', from: 0, to: DEMO_MBUS_METERS + 2 } });
  expect(res.status).toBe(202);
  const { run } = await res.json();
  await mbusRunner(deps).idle(systemId);
  const done = await (await request(server, 'GET', `/api/mbus/runs/${run.id}`, { cookie: admin })).json();
  expect(done.run).toMatchObject({ state: 'done', found: DEMO_MBUS_METERS, errors: [] });
  const { devices } = await (await request(server, 'GET', `/api/mbus/systems/${systemId}`, { cookie: admin })).json();
  expect(devices).toHaveLength(DEMO_MBUS_METERS);
  expect(devices.filter((d: { valve: unknown }) => d.valve !== null)).toHaveLength(1);
}, 30_000);
