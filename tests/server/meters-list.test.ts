import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestServer, useTempDir, type TestServer } from './helpers';
import { apiClient } from './registry-client';

// The Manager's meter list (M4) and group panel counts (M3): customer number and latest-reading
// sorts, the latest billing register and its alarms per row, and "Last imported".

const tempDir = useTempDir();
let server: TestServer;
let call: ReturnType<typeof apiClient>;
let admin: string;
let other: string;

const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const ids: Record<string, number> = {};
const serials = (res: { json: { items: { serial: string }[] } }) => res.json.items.map((m) => m.serial);

async function meter(serial: string, customerNumber: string | null, o: { driver?: string; medium?: string } = {}): Promise<number> {
  const id = (await call(admin, 'POST', '/api/meters', { manufacturer: 'KAM', serial, medium: o.medium ?? 'heat', driver: o.driver ?? null })).json.meter.id;
  if (customerNumber !== null) {
    const customer = (await call(admin, 'POST', '/api/customers', { number: customerNumber, name: `Customer ${customerNumber}` })).json.customer.id;
    const point = (await call(admin, 'POST', '/api/metering-points', { address: `Street ${serial}`, customerId: customer })).json.meteringPoint.id;
    expect((await call(admin, 'POST', `/api/meters/${id}/install`, { meteringPointId: point, from: T0 })).status).toBe(200);
  }
  return id;
}

/** A reading row as ingest writes it (J, mL, the info word as sent). */
function reading(meterId: number, at: number, c: { energy?: number; volume?: number; info?: number }) {
  server.db
    .prepare('insert into reading (meter_id, at, energy, volume, info) values (?, ?, ?, ?, ?)')
    .run(meterId, at, c.energy ?? null, c.volume ?? null, c.info ?? null);
}

beforeAll(async () => {
  server = await makeTestServer(tempDir());
  call = apiClient(server);
  admin = await server.as('administrator');
  other = await server.as('administrator', 'Other Utility');
  ids.heat = await meter('11000001', 'K-300');
  ids.water = await meter('11000002', 'K-100', { driver: 'kamstrup-multical21', medium: 'water' });
  ids.silent = await meter('11000003', 'K-200');
  ids.bare = await meter('11000004', null);
  // heat: 1234.5 kWh then 1240 kWh, info 0
  reading(ids.heat, T0 + HOUR, { energy: 1234.5 * 3.6e6, volume: 10e6 });
  reading(ids.heat, T0 + 3 * HOUR, { energy: 1240 * 3.6e6, volume: 11e6, info: 0 });
  // water: 6.408 m3 with info 0b0101 = dry (bit 0) and leak (bit 2), MULTICAL 21 table (info-codes.ts)
  reading(ids.water, T0 + 2 * HOUR, { volume: 6_408_000, info: 0b0101 });
});
afterAll(() => server.close());

describe('meter list (M4)', () => {
  test('rows carry the latest billing register and the alarms of its info code', async () => {
    const rows = (await call(admin, 'GET', '/api/meters?sort=serial')).json.items;
    expect(rows.map((r: { latest: unknown }) => r.latest)).toEqual([
      { at: T0 + 3 * HOUR, register: 'energy', value: 1240, unit: 'kWh' },
      { at: T0 + 2 * HOUR, register: 'volume', value: 6.408, unit: 'm3' },
      null,
      null
    ]);
    expect(rows[0].alarms).toEqual([]);
    expect(rows[1].alarms).toEqual([
      { kind: 'leak', severity: 'critical', label: 'Leak', active: true },
      { kind: 'dry', severity: 'warning', label: 'Dry (no water in meter)', active: true }
    ]);
    expect(rows[1].lastReadingAt).toBe(T0 + 2 * HOUR);
  });

  test('an info code without a known driver still shows as an alarm', async () => {
    reading(ids.silent, T0, { energy: 1e6, info: 4 });
    const row = (await call(admin, 'GET', '/api/meters?q=11000003')).json.items[0];
    expect(row.alarms).toEqual([{ kind: 'unknown', severity: 'info', label: 'Undocumented status bit', active: true }]);
    server.db.prepare('delete from reading where meter_id = ?').run(ids.silent);
    const after = (await call(admin, 'GET', '/api/meters?q=11000003')).json.items[0];
    expect(after).toMatchObject({ latest: null, alarms: [], lastReadingAt: null });
  });

  test('sort by customer number and by latest reading time and value, both ways', async () => {
    const order = async (sort: string, desc = false) => serials(await call(admin, 'GET', `/api/meters?sort=${sort}${desc ? '&desc=true' : ''}`));
    // no customer (null) first ascending, as SQL sorts nulls
    expect(await order('customerNumber')).toEqual(['11000004', '11000002', '11000003', '11000001']);
    expect(await order('customerNumber', true)).toEqual(['11000001', '11000003', '11000002', '11000004']);
    expect(await order('lastReading')).toEqual(['11000003', '11000004', '11000002', '11000001']);
    expect(await order('lastReading', true)).toEqual(['11000001', '11000002', '11000004', '11000003']);
    // kWh before m3 (they do not compare), no reading last, in both directions
    expect(await order('reading')).toEqual(['11000001', '11000002', '11000003', '11000004']);
    reading(ids.bare, T0, { energy: 5 * 3.6e6 });
    expect(await order('reading')).toEqual(['11000004', '11000001', '11000002', '11000003']);
    expect(await order('reading', true)).toEqual(['11000001', '11000004', '11000002', '11000003']);
    server.db.prepare('delete from reading where meter_id = ?').run(ids.bare);
    const page = (await call(admin, 'GET', '/api/meters?sort=lastReading&desc=true&limit=1&offset=1&q=kam')).json;
    expect(page).toMatchObject({ total: 4, limit: 1, offset: 1 });
    expect(page.items[0].serial).toBe('11000002');
  });

  test('with X-Latest-Only, a request overtaken by a newer one of the same list and offset is not run', async () => {
    const get = (q: string, channel?: string, offset = 0) =>
      server.app.request(`/api/meters?q=${q}&offset=${offset}`, { headers: { cookie: admin, ...(channel ? { 'x-latest-only': channel } : {}) } });
    // sent together, as keystrokes queue behind a slow query: only the newest of tab-1 at offset 0 runs
    const [k, ka, kam, otherTab, otherOffset, plain] = await Promise.all([
      get('k', 'tab-1'),
      get('ka', 'tab-1'),
      get('kam', 'tab-1'),
      get('11000002', 'tab-2'),
      get('kam', 'tab-1', 2),
      get('kam')
    ]);
    expect([k.status, ka.status]).toEqual([204, 204]);
    expect(await k.text()).toBe('');
    expect(kam.status).toBe(200);
    expect((await kam.json()).total).toBe(4);
    expect((await otherTab.json()).total).toBe(1);
    expect((await otherOffset.json()).items).toHaveLength(2);
    expect((await plain.json()).total).toBe(4);
    // alone, a request runs
    expect((await get('11000001', 'tab-1')).status).toBe(200);
  });

  test('ids of all matching meters, in list order, without paging', async () => {
    const res = (await call(admin, 'GET', '/api/meters/ids?sort=serial&desc=true&q=kam')).json;
    expect(res).toEqual({ ids: [ids.bare, ids.silent, ids.water, ids.heat], total: 4 });
    expect((await call(admin, 'GET', '/api/meters/ids?group=ungrouped&q=11000002')).json.ids).toEqual([ids.water]);
    expect((await call(other, 'GET', '/api/meters/ids')).json).toEqual({ ids: [], total: 0 });
    expect((await call(admin, 'GET', '/api/meters/ids?limit=5')).status).toBe(422);
  });

  test('an older reading arriving late does not replace the latest; a re-decoded latest does', async () => {
    reading(ids.heat, T0 + 2 * HOUR, { energy: 1e9 });
    let row = (await call(admin, 'GET', '/api/meters?q=11000001')).json.items[0];
    expect(row.latest).toEqual({ at: T0 + 3 * HOUR, register: 'energy', value: 1240, unit: 'kWh' });
    server.db.prepare('update reading set energy = ?, info = ? where meter_id = ? and at = ?').run(1250 * 3.6e6, 2, ids.heat, T0 + 3 * HOUR);
    row = (await call(admin, 'GET', '/api/meters?q=11000001')).json.items[0];
    expect(row.latest.value).toBe(1250);
    // erasing the newest reading makes the one before it the latest
    server.db.prepare('delete from reading where meter_id = ? and at = ?').run(ids.heat, T0 + 3 * HOUR);
    row = (await call(admin, 'GET', '/api/meters?q=11000001')).json.items[0];
    expect(row.latest).toEqual({ at: T0 + 2 * HOUR, register: 'energy', value: 1e9 / 3.6e6, unit: 'kWh' });
  });

  test('a customer number change reaches its sort at once', async () => {
    const customer = (await call(admin, 'GET', `/api/meters/${ids.heat}`)).json.meter.customer.id;
    expect((await call(admin, 'PATCH', `/api/customers/${customer}`, { number: 'K-000' })).status).toBe(200);
    expect(serials(await call(admin, 'GET', '/api/meters?sort=customerNumber&group=' + 'ungrouped'))).toEqual(['11000004', '11000001', '11000002', '11000003']);
    expect((await call(admin, 'PATCH', `/api/customers/${customer}`, { number: 'K-300' })).status).toBe(200);
  });

  test('"Last imported" is the newest import run that named meters; counts in the group list', async () => {
    let groups = (await call(admin, 'GET', '/api/groups')).json;
    expect(groups).toMatchObject({ meters: 4, ungrouped: 4, lastImported: null });
    expect((await call(admin, 'GET', '/api/meters?group=last-imported')).json.total).toBe(0);

    const run = (startedAt: number, meters: number[], tenantId = 1) => {
      const { id } = server.db
        .prepare(`insert into import_run (tenant_id, kind, source, started_at, status) values (?, 'meters', ?, ?, 'ok') returning id`)
        .get(tenantId, `meters-${startedAt}.csv`, startedAt) as { id: number };
      for (const m of meters) server.db.prepare('insert into import_run_meter (run_id, meter_id) values (?, ?)').run(id, m);
      return id;
    };
    run(T0, [ids.heat, ids.water, ids.silent]);
    const newest = run(T0 + HOUR, [ids.water, ids.bare]);
    run(T0 + 2 * HOUR, []); // a key import that named no meter does not count
    const res = (await call(admin, 'GET', '/api/meters?group=last-imported&sort=serial')).json;
    expect(res.total).toBe(2);
    expect(serials({ json: res })).toEqual(['11000002', '11000004']);
    groups = (await call(admin, 'GET', '/api/groups')).json;
    expect(groups.lastImported).toEqual({ runId: newest, startedAt: T0 + HOUR, source: `meters-${T0 + HOUR}.csv`, kind: 'meters', meters: 2 });

    const g = (await call(admin, 'POST', '/api/groups', { name: 'Both' })).json.group;
    await call(admin, 'POST', `/api/groups/${g.id}/members`, { meterIds: [ids.heat, ids.water] });
    groups = (await call(admin, 'GET', '/api/groups')).json;
    expect(groups).toMatchObject({ meters: 4, ungrouped: 2 });
    // searching within the group, the last-imported set, and another tenant
    expect(serials(await call(admin, 'GET', `/api/meters?group=${g.id}&q=11000002`))).toEqual(['11000002']);
    expect(serials(await call(admin, 'GET', '/api/meters?group=last-imported&sort=customerNumber&desc=true'))).toEqual(['11000002', '11000004']);
    expect((await call(other, 'GET', '/api/meters?group=last-imported')).json.total).toBe(0);
    expect((await call(other, 'GET', '/api/groups')).json).toMatchObject({ meters: 0, ungrouped: 0, lastImported: null });
    expect((await call(admin, 'GET', '/api/meters?group=last')).status).toBe(422);
  });
});
