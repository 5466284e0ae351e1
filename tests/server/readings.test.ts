// Readings of a meter per bucket, latest values, and a metering point's consumption across a
// meter exchange, through the API. Buckets follow the utility's wall clock (Europe/Copenhagen,
// UTC+2 in September). Expected numbers are worked out by hand next to each assertion.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ReadingColumns } from '../../server/src/ingest/columns';
import { makeTestServer, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let admin: string;
let demo: number;
let meterA: number;
let meterB: number;
let point: number;
const H = 3_600_000;
const utc = (s: string) => Date.parse(s);

function row(c: Partial<ReadingColumns>): ReadingColumns {
  return { energy: null, volume: null, flow: null, power: null, tFlow: null, tReturn: null, info: null, extra: null, ...c };
}
const kWh = (v: number) => Math.round(v * 3.6e6);

beforeAll(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  const db = server.db;
  demo = (db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  const at = utc('2026-01-01T00:00:00Z');
  const meter = db.prepare(
    "insert into meter (tenant_id, manufacturer, serial, created_at, updated_at) values (?, 'KAM', ?, ?, ?) returning id"
  );
  meterA = (meter.get(demo, '11111111', at, at) as { id: number }).id;
  meterB = (meter.get(demo, '22222222', at, at) as { id: number }).id;
  point = (
    db
      .prepare("insert into metering_point (tenant_id, address, created_at, updated_at) values (?, 'Vestergade 1, 8000 Aarhus', ?, ?) returning id")
      .get(demo, at, at) as { id: number }
  ).id;
  const exchange = utc('2026-09-19T10:00:00Z');
  db.prepare('insert into installation (tenant_id, meter_id, metering_point_id, from_at, to_at) values (?, ?, ?, ?, ?)').run(
    demo,
    meterA,
    point,
    at,
    exchange
  );
  db.prepare('insert into installation (tenant_id, meter_id, metering_point_id, from_at, to_at) values (?, ?, ?, ?, null)').run(
    demo,
    meterB,
    point,
    exchange
  );
  const put = (m: number, t: string, c: Partial<ReadingColumns>) => server.stores.readings.put(m, utc(t), row(c));
  // meter A (removed 19 Sep 10:00Z with a final reading)
  put(meterA, '2026-09-18T21:30:00Z', { energy: kWh(1000), tFlow: 5000 }); //   23:30 local, 18 Sep
  put(meterA, '2026-09-18T22:10:00Z', { energy: kWh(1010), tFlow: 5100 }); //   00:10 local, 19 Sep
  put(meterA, '2026-09-18T22:40:00Z', { energy: kWh(1012), tFlow: null }); //   00:40 local, same hour
  put(meterA, '2026-09-19T10:00:00Z', { energy: kWh(1020), volume: 5_000_000 }); // final reading at the exchange
  // meter B from the exchange
  put(meterB, '2026-09-19T10:00:00Z', { energy: kWh(0) });
  put(meterB, '2026-09-19T20:00:00Z', { energy: kWh(7) }); //                    22:00 local, 19 Sep
  put(meterB, '2026-09-20T08:00:00Z', { energy: kWh(19.5), extra: '{"targetEnergy":0}' }); // 10:00 local, 20 Sep
});
afterAll(() => server.close());

const get = async (path: string, cookie = admin) => {
  const res = await server.app.request(path, { headers: { cookie } });
  return { status: res.status, body: (await res.json()) as any };
};

describe('GET /api/meters/:id/readings', () => {
  test('day buckets on the local wall clock: the last value of each day, in kWh and °C', async () => {
    const r = await get(`/api/meters/${meterA}/readings?from=2026-09-18T00:00:00Z&to=2026-09-20T00:00:00Z&resolution=day`);
    expect(r.status).toBe(200);
    expect(r.body.timeZone).toBe('Europe/Copenhagen');
    // local days start 22:00Z the evening before
    expect(r.body.at).toEqual([utc('2026-09-17T22:00:00Z'), utc('2026-09-18T22:00:00Z')]);
    expect(r.body.last).toEqual([utc('2026-09-18T21:30:00Z'), utc('2026-09-19T10:00:00Z')]);
    expect(r.body.values.energy).toEqual([1000, 1020]);
    expect(r.body.values.tFlow).toEqual([50, null]); // the day's last row has no t1
    expect(r.body.values.volume).toEqual([null, 5]); // 5,000,000 mL = 5 m3
    expect(r.body.units).toMatchObject({ energy: 'kWh', volume: 'm3', tFlow: '°C' });
  });

  test('hour buckets: the last value of each register in the hour, a missing one does not hide an earlier one', async () => {
    const r = await get(`/api/meters/${meterA}/readings?from=${utc('2026-09-18T21:00:00Z')}&to=${utc('2026-09-18T23:00:00Z')}&resolution=hour`);
    expect(r.body.at).toEqual([utc('2026-09-18T21:00:00Z'), utc('2026-09-18T22:00:00Z')]);
    expect(r.body.values.energy).toEqual([1000, 1012]);
    expect(r.body.values.tFlow).toEqual([50, 51]);
  });

  test('bad queries name the parameter', async () => {
    for (const [q, field] of [
      ['resolution=week', 'resolution'],
      ['from=tomorrow', 'from'],
      ['from=2026-09-20T00:00:00Z&to=2026-09-19T00:00:00Z', 'to'],
      ['from=0&to=1790000000000&resolution=hour', 'from'],
      ['colour=red', 'colour']
    ]) {
      const r = await get(`/api/meters/${meterA}/readings?${q}`);
      expect(r.status, q).toBe(422);
      expect(r.body.error, q).toContain(field);
    }
  });
});

describe('GET /api/meters/:id/latest', () => {
  test('the newest reading with its extra registers', async () => {
    const r = await get(`/api/meters/${meterB}/latest`);
    expect(r.body.reading).toMatchObject({ meterId: meterB, at: utc('2026-09-20T08:00:00Z'), extra: { targetEnergy: 0 } });
    expect(r.body.reading.values.energy).toBe(19.5);
  });

  test('a meter without readings answers null', async () => {
    const at = server.clock.now;
    const m = (
      server.db
        .prepare("insert into meter (tenant_id, manufacturer, serial, created_at, updated_at) values (?, 'KAM', '33333333', ?, ?) returning id")
        .get(demo, at, at) as { id: number }
    ).id;
    expect((await get(`/api/meters/${m}/latest`)).body).toEqual({ reading: null });
  });
});

describe('GET /api/metering-points/:id/consumption', () => {
  test('per local day across the meter exchange', async () => {
    const r = await get(`/api/metering-points/${point}/consumption?from=2026-09-18T00:00:00Z&to=2026-09-21T00:00:00Z&resolution=day`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ register: 'energy', unit: 'kWh', resolution: 'day' });
    // 18 Sep (local): only A's 1000 at 23:30, nothing before it in range or earlier → null
    // 19 Sep: A 1000→1010→1012→1020 = 20; B 0→7 = 7 → 27, exchange
    // 20 Sep: B 7→19.5 = 12.5
    // 21 Sep (to falls inside it at 02:00 local): nothing → null
    expect(r.body.buckets.map((b: any) => b.value)).toEqual([null, 27, 12.5, null]);
    expect(r.body.buckets.map((b: any) => b.exchange)).toEqual([false, true, false, false]);
    expect(r.body.total).toBe(39.5);
    expect(r.body.installations.map((i: any) => i.meterId)).toEqual([meterA, meterB]);
  });

  test('a register the meters do not have gives no values', async () => {
    const r = await get(`/api/metering-points/${point}/consumption?from=2026-09-18T00:00:00Z&to=2026-09-21T00:00:00Z&register=volume`);
    // only A's final reading has a volume: one value, no difference
    expect(r.body.total).toBe(0);
    expect(r.body.unit).toBe('m3');
  });
});

describe("another utility's ids are 404, never data", () => {
  test.each([
    ['readings', (id: () => number) => `/api/meters/${id()}/readings`],
    ['latest', (id: () => number) => `/api/meters/${id()}/latest`]
  ])('%s', async (_n, path) => {
    const other = await server.as('administrator', 'Other Utility');
    const r = await get(path(() => meterA), other);
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: `No meter ${meterA}.` });
    expect((await get(path(() => 987654), other)).body).toEqual({ error: 'No meter 987654.' });
  });

  test('consumption', async () => {
    const other = await server.as('user', 'Other Utility');
    const r = await get(`/api/metering-points/${point}/consumption`, other);
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: `No metering point ${point}.` });
  });
});
