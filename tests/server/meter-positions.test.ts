import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { request, makeTestServer, useTempDir, type TestServer } from './helpers';
import { apiClient } from './registry-client';

const tempDir = useTempDir();
let server: TestServer;
let call: ReturnType<typeof apiClient>;
let admin: string;
let other: string;
const ids = new Map<string, number>();

const csv = (rows: string[][]) => rows.map((r) => r.join(',')).join('\n');

beforeAll(async () => {
  server = await makeTestServer(tempDir());
  call = apiClient(server);
  admin = await server.as('administrator');
  other = await server.as('administrator', 'Other Utility');
  // P4 has no position; M5 is at no point; M6 sits at P6 until it is exchanged for M7
  const points = csv([
    ['number', 'address', 'lat', 'lon'],
    ['P1', 'Nørregade 1', '56.02150049', '9.28400051'],
    ['P2', 'Nørregade 2', '56.0216', '9.2841'],
    ['P3', 'Nørregade 3', '-33.5', '-70.25'],
    ['P4', 'Nørregade 4', '', ''],
    ['P6', 'Nørregade 6', '56.03', '9.3']
  ]);
  expect((await call(admin, 'POST', '/api/imports/csv', { kind: 'metering-points', csv: points })).status).toBe(200);
  const meters = csv([
    ['manufacturer', 'serial', 'meteringPointNumber', 'installedFrom'],
    ['KAM', '71000001', 'P1', '2025-01-01'],
    ['DME', '71000002', 'P2', '2025-01-01'],
    ['KAW', '71000003', 'P3', '2025-01-01'],
    ['KAM', '71000004', 'P4', '2025-01-01'],
    ['KAM', '71000005', '', ''],
    ['LAS', '71000006', 'P6', '2025-01-01'],
    ['KAM', '71000007', '', '']
  ]);
  expect((await call(admin, 'POST', '/api/imports/csv', { kind: 'meters', csv: meters })).json).toMatchObject({ created: 7 });
  for (const m of (await call(admin, 'GET', '/api/meters?limit=50')).json.items) ids.set(m.serial.slice(-1), m.id);
  const p6 = (await call(admin, 'GET', '/api/metering-points?q=P6')).json.items[0].id;
  const exchanged = await call(admin, 'POST', `/api/metering-points/${p6}/exchange`, { oldMeterId: ids.get('6'), newMeterId: ids.get('7'), at: '2026-01-01T00:00:00Z' });
  expect(exchanged.status).toBe(200);
  // a meter of another utility at the same place must never show
  await call(other, 'POST', '/api/imports/csv', { kind: 'metering-points', csv: csv([['number', 'address', 'lat', 'lon'], ['X1', 'Elsewhere 1', '56.0215', '9.284']]) });
  await call(other, 'POST', '/api/imports/csv', { kind: 'meters', csv: csv([['manufacturer', 'serial', 'meteringPointNumber', 'installedFrom'], ['KAM', '79000001', 'X1', '2025-01-01']]) });
});
afterAll(() => server.close());

const positions = async (query = '', cookie = admin) => {
  const res = await call(cookie, 'GET', `/api/meter-positions${query}`);
  expect(res.status).toBe(200);
  return res.json;
};
const reading = (meter: string, at: number, info: number | null) =>
  server.db.prepare('insert into reading (meter_id, at, info) values (?, ?, ?)').run(ids.get(meter), at, info);

describe('GET /api/meter-positions', () => {
  test('every placed meter at its current point, as columns rounded to 6 decimals, makes told apart', async () => {
    const all = await positions();
    expect(all).toEqual({
      ids: [ids.get('1'), ids.get('2'), ids.get('3'), ids.get('7')],
      lon: [9.284001, 9.2841, -70.25, 9.3],
      lat: [56.0215, 56.0216, -33.5, 56.03],
      kamstrup: [1, 0, 1, 1],
      alarm: [0, 0, 0, 0]
    });
  });

  test('alarm follows the newest reading\'s info code only', async () => {
    reading('1', 1_000, 0x20); // an old alarm, cleared by the newer reading
    reading('1', 2_000, 0);
    reading('2', 1_000, 0);
    reading('2', 2_000, 0x08);
    reading('3', 2_000, null);
    expect((await positions()).alarm).toEqual([0, 1, 0, 0]);
  });

  test('by group, ungrouped and last imported', async () => {
    const g = (await call(admin, 'POST', '/api/groups', { name: 'North' })).json.group;
    await call(admin, 'POST', `/api/groups/${g.id}/members`, { meterIds: [ids.get('2'), ids.get('4'), ids.get('7')] });
    expect((await positions(`?group=${g.id}`)).ids).toEqual([ids.get('2'), ids.get('7')]);
    expect((await positions('?group=ungrouped')).ids).toEqual([ids.get('1'), ids.get('3')]);

    // the setup's CSV import is the last import so far: all its placed meters
    expect((await positions('?group=last-imported')).ids).toEqual((await positions()).ids);
    const tenant = (server.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
    const run = (at: number, meters: string[]) => {
      const id = server.db
        .prepare("insert into import_run (tenant_id, kind, source, started_at, status) values (?, 'meters', 'meters.csv', ?, 'ok') returning id")
        .pluck()
        .get(tenant, at) as number;
      for (const m of meters) server.db.prepare('insert into import_run_meter (run_id, meter_id) values (?, ?)').run(id, ids.get(m));
    };
    const now = server.clock.now;
    run(now + 5_000, ['1', '2']);
    run(now + 9_000, ['3', '4']);
    run(now + 10_000, []); // a newer run that changed no meters (keys, customers) does not count
    expect((await positions('?group=last-imported')).ids).toEqual([ids.get('3')]);
  });

  test('a group of another utility is 404; bad group values 422; no session 401; a token without meters.read 403', async () => {
    const theirs = (await call(other, 'POST', '/api/groups', { name: 'Theirs' })).json.group;
    const res = await call(admin, 'GET', `/api/meter-positions?group=${theirs.id}`);
    expect(res.status).toBe(404);
    expect(res.json.error).toBe(`Group ${theirs.id} not found.`);
    for (const bad of ['0', 'abc', '-1', '1.5', '']) {
      const r = await call(admin, 'GET', `/api/meter-positions?group=${bad}`);
      expect(r.status, bad).toBe(422);
      expect(r.json.error).toContain('group');
    }
    expect((await call(admin, 'GET', '/api/meter-positions?grup=1')).status).toBe(422);
    expect((await request(server, 'GET', '/api/meter-positions')).status).toBe(401);
    const token = await call(admin, 'POST', '/api/tokens', { name: 'ingest only', scopes: ['ingest'] });
    expect((await request(server, 'GET', '/api/meter-positions', { bearer: token.json.secret })).status).toBe(403);
    // the other utility sees only its own meter
    expect((await positions('', other)).ids).toHaveLength(1);
  });
});
