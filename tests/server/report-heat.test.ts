// Heat report (M5): hand-computed values per method on the utility's calendar (Europe/Copenhagen,
// UTC+1 in January: the interval 2026-01-01..2026-01-31 is [2025-12-31T23:00Z, 2026-01-31T23:00Z)).
import { beforeAll, describe, expect, test } from 'vitest';
import type { ReadingColumns } from '../../server/src/ingest/columns';
import type { HeatReport, HeatRow } from '../../server/src/report/heat';
import { heatReport } from '../../server/src/report/heat';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let admin: string;
let tenant: number;
const ids: Record<string, number> = {};
const Q = 'from=2026-01-01&to=2026-01-31';

interface R {
  at: string;
  e?: number; // kWh
  v?: number; // m3
  t1?: number;
  t2?: number;
  q?: number; // m3/h
  e8?: number;
  e9?: number;
}

function meter(name: string, serial: string, deviceType: number, medium: string, readings: R[]): void {
  const now = Date.parse('2025-11-01T00:00:00Z');
  const id = (
    server.db
      .prepare(
        "insert into meter (tenant_id, manufacturer, serial, device_type, medium, model, created_at, updated_at) values (?, 'KAM', ?, ?, ?, 'MULTICAL 403', ?, ?) returning id"
      )
      .get(tenant, serial, deviceType, medium, now, now) as { id: number }
  ).id;
  ids[name] = id;
  for (const r of readings) {
    const extra = r.e8 === undefined ? null : JSON.stringify({ forwardEnergy: r.e8, returnEnergy: r.e9 });
    const c: ReadingColumns = {
      energy: r.e === undefined ? null : Math.round(r.e * 3.6e6),
      volume: r.v === undefined ? null : Math.round(r.v * 1e6),
      flow: r.q === undefined ? null : Math.round(r.q * 1e6),
      power: null,
      tFlow: r.t1 === undefined ? null : Math.round(r.t1 * 100),
      tReturn: r.t2 === undefined ? null : Math.round(r.t2 * 100),
      info: null,
      extra
    };
    server.stores.readings.put(id, Date.parse(r.at), c);
  }
}

async function get(path: string, cookie = admin): Promise<Response> {
  return request(server, 'GET', path, { cookie });
}
async function report(query: string): Promise<HeatReport> {
  const res = await get(`/api/reports/heat?${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as HeatReport;
}
const row = (r: HeatReport, name: string): HeatRow | undefined => r.rows.find((x) => x.meterId === ids[name]);

beforeAll(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  tenant = (server.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  server.stores.readingDays.ensureTenant(tenant);
  // A: E8/E9 counting in m³·°C (TV-10's decade): from the reading before the interval to the last one,
  // ΔV = 2252.49 − 2232.49 = 20 m3, ΔE8 = 149932 − 148532 = 1400 → t1 = 1400 / 20 = 70 °C,
  // ΔE9 = 119320 − 118520 = 800 → t2 = 40 °C, ΔT 30 K (good: ≥ 30). Decade: E8/V = 149932 / 2252.49
  // = 66.56, readings' mean t1 in January (70 + 70) / 2 = 70 → log10(70 / 66.56) = 0.02 → 10^0.
  meter('A', '10000001', 4, 'heat', [
    { at: '2025-12-31T12:00:00Z', e: 34510, v: 2232.49, e8: 148532, e9: 118520, t1: 64.6, t2: 45.16, q: 0.527 },
    { at: '2026-01-15T12:00:00Z', e: 34700, v: 2242.49, e8: 149232, e9: 119020, t1: 70, t2: 40 },
    { at: '2026-01-31T12:00:00Z', e: 34900, v: 2252.49, e8: 149932, e9: 119320, t1: 70, t2: 40 }
  ]);
  // B: E8/E9 counting in 100 m³·°C (TV-11: V 85656 m3, E8 67136), no temperature readings: the
  // decade puts E8/V in 10-100 °C: (67136 + 780) / (85656 + 1000) = 0.7837 → ×100 = 78.4.
  // ΔV 1000 m3, ΔE8 780 → t1 = 780 / 1000 × 100 = 78 °C; ΔE9 440 → t2 = 44 °C; ΔT 34 K (good).
  meter('B', '10000002', 4, 'heat', [
    { at: '2025-12-31T12:00:00Z', e: 3363200, v: 85656, e8: 67136, e9: 37929 },
    { at: '2026-01-31T12:00:00Z', e: 3402640, v: 86656, e8: 67916, e9: 38369 }
  ]);
  // C: flow-weighted: t1 = (1·60 + 3·70 + 0·65) / (1 + 3 + 0) = 270 / 4 = 67.5 °C,
  // t2 = (1·40 + 3·50) / 4 = 47.5 °C, ΔT 20 K (fair: 20 ≤ ΔT < 30). No reading before the
  // interval: the first inside (V 100) starts it; ΔV = 120 − 100 = 20, ΔE = 1400 − 1000 = 400.
  meter('C', '10000003', 4, 'heat', [
    { at: '2026-01-01T00:00:00Z', e: 1000, v: 100, t1: 60, t2: 40, q: 1 },
    { at: '2026-01-10T00:00:00Z', e: 1200, v: 110, t1: 70, t2: 50, q: 3 },
    { at: '2026-01-20T00:00:00Z', e: 1400, v: 120, t1: 65, t2: 49, q: 0 }
  ]);
  // D: time average (no flow): t1 = (50 + 54) / 2 = 52, t2 = (35 + 37) / 2 = 36, ΔT 16 K (poor).
  meter('D', '10000004', 4, 'heat', [
    { at: '2026-01-05T12:00:00Z', e: 500, v: 50, t1: 50, t2: 35 },
    { at: '2026-01-25T12:00:00Z', e: 560, v: 53, t1: 54, t2: 37 }
  ]);
  // E: both registers roll over on 20 January: energy 99950 → 99990 → (100000) 20 → 70 is
  // 40 + 30 + 50 = 120 kWh; volume 9990 → 9995 → (10000) 3 → 6 is 5 + 8 + 3 = 16 m3.
  // Temperatures 60/35 throughout (time average): ΔT 25 K (fair).
  meter('E', '10000005', 4, 'heat', [
    { at: '2025-12-31T12:00:00Z', e: 99950, v: 9990, t1: 60, t2: 35 },
    { at: '2026-01-10T12:00:00Z', e: 99990, v: 9995, t1: 60, t2: 35 },
    { at: '2026-01-20T12:00:00Z', e: 20, v: 3, t1: 60, t2: 35 },
    { at: '2026-01-30T12:00:00Z', e: 70, v: 6, t1: 60, t2: 35 }
  ]);
  // F1 exchanged for F2 on 15/16 January: each row counts its own meter's readings only.
  // F1: 500 → 510 m3, 4000 → 4300 kWh, 60/45 → ΔT 15 (poor). F2: 0 → 4 m3, 0 → 150 kWh, no temperatures.
  meter('F1', '10000006', 4, 'heat', [
    { at: '2025-12-31T12:00:00Z', e: 4000, v: 500, t1: 60, t2: 45 },
    { at: '2026-01-15T10:00:00Z', e: 4300, v: 510, t1: 60, t2: 45 }
  ]);
  meter('F2', '10000007', 4, 'heat', [
    { at: '2026-01-16T10:00:00Z', e: 0, v: 0 },
    { at: '2026-01-31T10:00:00Z', e: 150, v: 4 }
  ]);
  // G: no reading in January: no row, counted as without data.
  meter('G', '10000008', 4, 'heat', [{ at: '2025-11-20T12:00:00Z', e: 10, v: 1, t1: 60, t2: 30 }]);
  // H: cooling meter (device type 0A): ΔT = t2 − t1 = 12 − 7 = 5 K, not rated.
  meter('H', '10000009', 10, 'cooling', [
    { at: '2026-01-02T12:00:00Z', e: 100, v: 10, t1: 7, t2: 12 },
    { at: '2026-01-29T12:00:00Z', e: 130, v: 14, t1: 7, t2: 12 }
  ]);
  // W: a water meter is not a heat meter.
  meter('W', '10000010', 7, 'water', [
    { at: '2026-01-02T12:00:00Z', v: 10 },
    { at: '2026-01-29T12:00:00Z', v: 14 }
  ]);
});

describe('heatReport', () => {
  test('E8/E9 registers with the decade of each meter', async () => {
    const r = await report(Q);
    expect(row(r, 'A')).toMatchObject({ energy: 390, volume: 20, t1: 70, t2: 40, deltaT: 30, level: 'good', method: 'e8e9', e8Decade: 0 });
    expect(row(r, 'B')).toMatchObject({ energy: 39440, volume: 1000, t1: 78, t2: 44, deltaT: 34, level: 'good', method: 'e8e9', e8Decade: 2 });
  });

  test('flow-weighted, time average, rollover, exchange, cooling, without data', async () => {
    const r = await report(Q);
    expect(row(r, 'C')).toMatchObject({ energy: 400, volume: 20, t1: 67.5, t2: 47.5, deltaT: 20, level: 'fair', method: 'flow-weighted' });
    expect(row(r, 'C')!.firstAt).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(row(r, 'D')).toMatchObject({ energy: 60, volume: 3, t1: 52, t2: 36, deltaT: 16, level: 'poor', method: 'time-average' });
    expect(row(r, 'E')).toMatchObject({ energy: 120, volume: 16, deltaT: 25, level: 'fair', rollover: true, reset: false });
    expect(row(r, 'F1')).toMatchObject({ energy: 300, volume: 10, deltaT: 15, level: 'poor' });
    expect(row(r, 'F2')).toMatchObject({ energy: 150, volume: 4, t1: null, deltaT: null, level: null, method: 'none' });
    expect(row(r, 'H')).toMatchObject({ cooling: true, t1: 7, t2: 12, deltaT: 5, level: null });
    expect(row(r, 'G')).toBeUndefined();
    expect(row(r, 'W')).toBeUndefined();
    // 9 heat/cooling meters, 8 with readings; levels: A, B good; C, E fair; D, F1 poor; F2, H unrated
    expect(r.summary).toMatchObject({ meters: 9, withoutData: 1, rows: 8, levels: { good: 2, fair: 2, poor: 2, unrated: 2 } });
    // energy 390 + 39440 + 400 + 60 + 120 + 300 + 150 + 30 = 40890 kWh
    expect(r.summary.energy).toBe(40890);
  });

  test('filters by level and ΔT range, thresholds per run', async () => {
    expect((await report(`${Q}&level=poor`)).rows.map((x) => x.serial)).toEqual(['10000004', '10000006']);
    // 20 ≤ ΔT ≤ 30: A (30), C (20), E (25); H's 5 K and the rows without ΔT fall out
    expect((await report(`${Q}&minDeltaT=20&maxDeltaT=30`)).rows.map((x) => x.serial)).toEqual(['10000001', '10000003', '10000005']);
    // good from 35 K: A (30) and B (34) become fair
    const r = await report(`${Q}&good=35&poor=20`);
    expect([row(r, 'A')!.level, row(r, 'B')!.level]).toEqual(['fair', 'fair']);
    expect(r.good).toBe(35);
  });

  test('the function the bench calls takes only from and to', () => {
    const r = heatReport(server.db, server.stores.readingDays, tenant, { from: '2026-01-01', to: '2026-01-31' });
    expect(r.rows).toHaveLength(8);
  });

  test('saved thresholds apply, are audited, and need settings.manage to change', async () => {
    const put = await request(server, 'PUT', '/api/reports/heat/settings', { cookie: admin, body: { good: 32 } });
    expect(put.status).toBe(200);
    expect(((await put.json()) as any).thresholds).toEqual({ good: 32, poor: 20, returnMax: 45, flowMax: 35 });
    expect(row(await report(Q), 'A')!.level).toBe('fair');
    const audit = server.db.prepare("select details from audit_entry where event = 'settings.changed' order by id desc limit 1").pluck().get() as string;
    expect(JSON.parse(audit)).toMatchObject({ key: 'reports.heat', before: { good: 30 }, after: { good: 32 } });
    const user = await server.as('user');
    expect((await get('/api/reports/heat/settings', user)).status).toBe(200);
    expect((await request(server, 'PUT', '/api/reports/heat/settings', { cookie: user, body: { good: 40 } })).status).toBe(403);
    const bad = await request(server, 'PUT', '/api/reports/heat/settings', { cookie: admin, body: { good: 10 } });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as any).error).toContain('good');
    await request(server, 'PUT', '/api/reports/heat/settings', { cookie: admin, body: { good: 30 } });
  });
});

describe('GET /api/reports/heat', () => {
  test('a group limits the rows; CSV bytes', async () => {
    const g = await request(server, 'POST', '/api/groups', { cookie: admin, body: { name: 'Heat A' } });
    const group = ((await g.json()) as any).group.id as number;
    await request(server, 'POST', `/api/groups/${group}/members`, { cookie: admin, body: { meterIds: [ids.A] } });
    const res = await get(`/api/reports/heat?${Q}&group=${group}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="heat-2026-01-01-2026-01-31.csv"');
    expect(await res.text()).toBe(
      'meter_id,manufacturer,serial,model,address,postal_code,customer_number,customer,first_reading,last_reading,energy_kwh,volume_m3,t1_c,t2_c,delta_t_k,level,method,notes\r\n' +
        `${ids.A},KAM,10000001,MULTICAL 403,,,,,2025-12-31T13:00:00+01:00,2026-01-31T13:00:00+01:00,390,20,70,40,30,good,E8/E9 registers,\r\n`
    );
  });

  test('422 naming the field, 404 for another group, 403 for CSV without export', async () => {
    for (const [query, field] of [
      ['to=2026-01-31', 'from'],
      ['from=2026-02-30&to=2026-03-01', 'from'],
      [`${Q}&level=awful`, 'level'],
      [`${Q}&good=10&poor=20`, 'good'],
      [`${Q}&minDeltaT=30&maxDeltaT=10`, 'maxDeltaT'],
      [`${Q}&colour=red`, 'colour'],
      ['from=2026-02-01&to=2026-01-01', 'to']
    ]) {
      const res = await get(`/api/reports/heat?${query}`);
      expect(res.status, query).toBe(422);
      expect(((await res.json()) as any).error, query).toContain(field);
    }
    expect((await get(`/api/reports/heat?${Q}&group=999999`)).status).toBe(404);
    const put = await request(server, 'PUT', '/api/permissions/user', { cookie: admin, body: { permissions: ['meters.read', 'readings.read'] } });
    expect(put.status).toBe(200);
    const user = await server.as('user');
    expect((await get(`/api/reports/heat?${Q}`, user)).status).toBe(200);
    expect((await get(`/api/reports/heat?${Q}&format=csv`, user)).status).toBe(403);
  });
});
