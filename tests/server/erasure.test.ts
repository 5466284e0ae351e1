// GDPR erasure (M21): a metering point's readings and raw frames for a period, across a meter
// exchange; nothing outside the range or at other points is touched; the confirmation is the
// point's address; the audit entry holds the point, the range and counts, not the data.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { encodeRecords } from '../../shared/mbus/encode-records';
import { encodeTelegram } from '../../shared/wmbus/encode';
import { toHex } from '../../shared/bytes/hex';
import { makeTestServer, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let admin: string;
let demo: number;
const m: Record<'A' | 'B' | 'C', number> = { A: 0, B: 0, C: 0 };
let p1: number;
let p2: number;
const D = 86_400_000;
const T0 = Date.parse('2026-05-01T00:00:00Z');
const EXCHANGE = T0 + 10 * D;
const ADDRESS = 'Nørregade 5, 1165 København K';
const SERIALS = { A: '10000001', B: '10000002', C: '10000003' } as const;

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  const db = server.db;
  demo = (db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  const now = server.clock.now;
  for (const k of ['A', 'B', 'C'] as const) {
    m[k] = (
      db
        .prepare(
          "insert into meter (tenant_id, manufacturer, serial, version, device_type, created_at, updated_at) values (?, 'KAM', ?, 52, 12, ?, ?) returning id"
        )
        .get(demo, SERIALS[k], now, now) as { id: number }
    ).id;
  }
  const point = db.prepare('insert into metering_point (tenant_id, address, created_at, updated_at) values (?, ?, ?, ?) returning id');
  p1 = (point.get(demo, ADDRESS, now, now) as { id: number }).id;
  p2 = (point.get(demo, 'Søndergade 9, 8000 Aarhus C', now, now) as { id: number }).id;
  const install = db.prepare('insert into installation (tenant_id, meter_id, metering_point_id, from_at, to_at) values (?, ?, ?, ?, ?)');
  install.run(demo, m.A, p1, T0, EXCHANGE);
  install.run(demo, m.B, p1, EXCHANGE, null);
  install.run(demo, m.C, p2, T0, null);
  // one frame (and so one reading) per meter and day for 20 days; A stops at the exchange, B starts there
  const frames = [];
  for (let day = 0; day < 20; day++) {
    const at = T0 + day * D + 12 * 3_600_000;
    const here = at < EXCHANGE ? ['A', 'C'] : ['B', 'C'];
    for (const k of here) {
      const address = { manufacturer: 'KAM', id: SERIALS[k as 'A'], version: 0x34, deviceType: 0x0c };
      const payload = encodeRecords([{ type: 'int32', quantity: 'energy kWh', value: 100 * day }]);
      frames.push({ hex: toHex(encodeTelegram({ address, tpl: { header: 'short', acc: day, payload } })), receivedAt: at, source: 'gw' });
    }
  }
  const res = await post(admin, '/api/ingest/frames', { frames });
  expect(res.status).toBe(200);
});
afterEach(() => server.close());

function post(cookie: string, path: string, body: unknown) {
  return server.app.request(path, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
const call = (cookie: string, point: number, body: unknown) => post(cookie, `/api/metering-points/${point}/erase-readings`, body);

const readingTimes = (meter: number) => server.db.prepare('select at from reading where meter_id = ? order by at').pluck().all(meter) as number[];
const frameTimes = (meter: number) =>
  server.db.prepare('select received_at from frame where meter_id = ? order by received_at').pluck().all(meter) as number[];
const day = (n: number) => T0 + n * D + 12 * 3_600_000;

describe('POST /api/metering-points/:id/erase-readings', () => {
  test('erases the period at that point across the exchange, and nothing else', async () => {
    const from = T0 + 7 * D; // days 7..9 of A, days 10..13 of B
    const to = T0 + 14 * D;
    const res = await call(admin, p1, { from, to: new Date(to).toISOString(), confirm: `  ${ADDRESS.toUpperCase()} ` });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ meteringPointId: p1, from, to, meters: [m.A, m.B], readings: 7, frames: 7 });

    const days = (list: number[]) => list.map((t) => Math.round((t - T0 - 12 * 3_600_000) / D));
    expect(days(readingTimes(m.A))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(days(readingTimes(m.B))).toEqual([14, 15, 16, 17, 18, 19]);
    expect(days(readingTimes(m.C))).toHaveLength(20); // the other point: untouched
    expect(days(frameTimes(m.A))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(days(frameTimes(m.B))).toEqual([14, 15, 16, 17, 18, 19]);
    expect(frameTimes(m.C)).toHaveLength(20);
    expect(server.db.prepare('select count(*) from frame_reception').pluck().get()).toBe(0);

    const entry = server.db.prepare("select details, user_id as userId from audit_entry where event = 'readings.erased'").get() as {
      details: string;
      userId: number;
    };
    const details = JSON.parse(entry.details);
    expect(details).toEqual({ meteringPointId: p1, from, to, meters: [m.A, m.B], readings: 7, frames: 7 });
    expect(entry.details).not.toContain('Nørregade'); // the point, the range and counts: no personal data, no values
    expect(entry.userId).not.toBeNull();
  });

  test('without the right confirmation: 422 naming confirm, nothing erased', async () => {
    for (const confirm of ['Nørregade 6, 1165 København K', '']) {
      const res = await call(admin, p1, { from: T0, to: T0 + 30 * D, confirm });
      expect(res.status).toBe(422);
      expect(((await res.json()) as any).error).toMatch(/^confirm:/);
    }
    const missing = await call(admin, p1, { from: T0, to: T0 + 30 * D });
    expect(((await missing.json()) as any).error).toContain('confirm');
    const backwards = await call(admin, p1, { from: T0 + D, to: T0, confirm: ADDRESS });
    expect(((await backwards.json()) as any).error).toMatch(/^to:/);
    expect(readingTimes(m.A)).toHaveLength(10);
    expect(server.db.prepare("select count(*) from audit_entry where event = 'readings.erased'").pluck().get()).toBe(0);
  });

  test("another utility's point is 404; roles without readings.erase are 403", async () => {
    const other = await server.as('administrator', 'Other Utility');
    const res = await call(other, p1, { from: T0, to: T0 + 30 * D, confirm: ADDRESS });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: `No metering point ${p1}.` });
    for (const role of ['user', 'superuser'] as const) {
      const r = await call(await server.as(role), p1, { from: T0, to: T0 + 30 * D, confirm: ADDRESS });
      expect(r.status).toBe(403);
    }
    expect(readingTimes(m.A)).toHaveLength(10);
    expect(readingTimes(m.B)).toHaveLength(10);
    expect(day(0)).toBe(readingTimes(m.A)[0]);
  });
});

describe('GET /api/metering-points/:id/erasure-preview', () => {
  const preview = (cookie: string, point: number, query: string) =>
    server.app.request(`/api/metering-points/${point}/erasure-preview?${query}`, { headers: { cookie } });

  test('counts what the erasure then deletes, deleting nothing itself', async () => {
    const from = T0 + 7 * D;
    const to = T0 + 14 * D;
    const res = await preview(admin, p1, `from=${from}&to=${new Date(to).toISOString()}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ meteringPointId: p1, address: ADDRESS, from, to, meters: [m.A, m.B], readings: 7, frames: 7 });
    expect(readingTimes(m.A)).toHaveLength(10);
    expect(frameTimes(m.B)).toHaveLength(10);
    expect(server.db.prepare("select count(*) from audit_entry where event = 'readings.erased'").pluck().get()).toBe(0);

    const erased = await call(admin, p1, { from, to, confirm: ADDRESS });
    expect(await erased.json()).toMatchObject({ readings: 7, frames: 7 });
    const after = await preview(admin, p1, `from=${from}&to=${to}`);
    expect(await after.json()).toMatchObject({ readings: 0, frames: 0 });
  });

  test('a backwards or missing period is 422 naming the field; foreign points 404; other roles 403', async () => {
    const backwards = await preview(admin, p1, `from=${T0 + D}&to=${T0}`);
    expect(backwards.status).toBe(422);
    expect(((await backwards.json()) as { error: string }).error).toMatch(/^to:/);
    const missing = await preview(admin, p1, `from=${T0}`);
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { error: string }).error).toMatch(/to/);
    const other = await server.as('administrator', 'Other Utility');
    expect((await preview(other, p1, `from=${T0}&to=${T0 + D}`)).status).toBe(404);
    expect((await preview(await server.as('user'), p1, `from=${T0}&to=${T0 + D}`)).status).toBe(403);
  });
});
