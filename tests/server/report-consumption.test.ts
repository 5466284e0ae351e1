// Consumption report (M6): values computed by hand from the readings below, on the utility's
// calendar (Demo Utility: Europe/Copenhagen, UTC+2 until 25 October 2026 01:00 UTC, then UTC+1).
// October 2026 runs from 30 Sep 22:00 UTC to 31 Oct 23:00 UTC.
import { beforeAll, describe, expect, test } from 'vitest';
import type { ReadingColumns } from '../../server/src/ingest/columns';
import { consumptionReport, type ConsumptionReport, type ConsumptionRow } from '../../server/src/report/consumption';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let tenant: number;
let admin: string;
let group: number;
const ids: Record<string, number> = {};
const points: Record<string, number> = {};
const utc = (s: string) => Date.parse(s);
const M3 = 1e6; // mL per m3
const KWH = 3.6e6; // J per kWh

function row(c: Partial<ReadingColumns>): ReadingColumns {
  return { energy: null, volume: null, flow: null, power: null, tFlow: null, tReturn: null, info: null, extra: null, ...c };
}
function meter(name: string, serial: string, manufacturer = 'WAT'): number {
  const at = utc('2026-01-01T00:00:00Z');
  ids[name] = (
    server.db
      .prepare('insert into meter (tenant_id, manufacturer, serial, medium, created_at, updated_at) values (?, ?, ?, ?, ?, ?) returning id')
      .get(tenant, manufacturer, serial, manufacturer === 'KAM' ? 'heat' : 'water', at, at) as { id: number }
  ).id;
  return ids[name];
}
function point(name: string, address: string, customer: string, number: string): number {
  const at = utc('2026-01-01T00:00:00Z');
  const c = server.db
    .prepare('insert into customer (tenant_id, number, name, created_at, updated_at) values (?, ?, ?, ?, ?) returning id')
    .get(tenant, number, customer, at, at) as { id: number };
  points[name] = (
    server.db
      .prepare('insert into metering_point (tenant_id, customer_id, address, created_at, updated_at) values (?, ?, ?, ?, ?) returning id')
      .get(tenant, c.id, address, at, at) as { id: number }
  ).id;
  return points[name];
}
function install(meterId: number, pointId: number, from = '2026-01-01T00:00:00Z', to: string | null = null): void {
  server.db
    .prepare('insert into installation (tenant_id, meter_id, metering_point_id, from_at, to_at) values (?, ?, ?, ?, ?)')
    .run(tenant, meterId, pointId, utc(from), to === null ? null : utc(to));
}
const vol = (meterId: number, at: string, m3: number) => server.stores.readings.put(meterId, utc(at), row({ volume: Math.round(m3 * M3) }));

const report = (q: Record<string, unknown> = {}): ConsumptionReport =>
  consumptionReport(server.db, server.stores.readingDays, tenant, { group, from: '2026-10-01', to: '2026-10-31', ...q });
const rowOf = (r: ConsumptionReport, name: string): ConsumptionRow | undefined =>
  r.rows.find((x) => x.meteringPointId === points[name] || (x.meteringPointId === null && x.meterId === ids[name]));
const api = async (query: string, cookie = admin) => request(server, 'GET', `/api/reports/consumption${query}`, { cookie });

beforeAll(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  tenant = (server.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  server.stores.readingDays.ensureTenant(tenant);

  // A, plain: 30 Sep 23:30 local (21:30 UTC) 100.000 opens October; 31 Oct 23:30 local (22:30 UTC)
  // 112.250 closes it. 12.25 m3. (On a UTC calendar it would be 113.000 − 100.400 = 12.6.)
  install(meter('A', '00000001'), point('A', 'Plain 1', 'Ann', 'C-1'));
  vol(ids.A, '2026-09-30T21:30:00Z', 100);
  vol(ids.A, '2026-09-30T22:30:00Z', 100.4);
  vol(ids.A, '2026-10-15T12:00:00Z', 105.5);
  vol(ids.A, '2026-10-31T22:30:00Z', 112.25);
  vol(ids.A, '2026-10-31T23:30:00Z', 113);
  // B, rollover of a 5-digit register: 99,990 → 99,998 (8) → 3 (100,000 − 99,998 + 3 = 5) → 10 (7): 20 m3
  install(meter('B', '00000002'), point('B', 'Rollover 2', 'Bob', 'C-2'));
  vol(ids.B, '2026-09-30T12:00:00Z', 99_990);
  vol(ids.B, '2026-10-10T12:00:00Z', 99_998);
  vol(ids.B, '2026-10-20T12:00:00Z', 3);
  vol(ids.B, '2026-10-30T12:00:00Z', 10);
  // C, exchange on 15 Oct 10:00 UTC: old meter 50.000 → final 53.500 (3.5), new meter start 0.010 → 4.510 (4.5): 8 m3
  point('C', 'Exchange 3', 'Cat', 'C-3');
  install(meter('Cold', '00000031'), points.C, '2026-01-01T00:00:00Z', '2026-10-15T10:00:00Z');
  install(meter('Cnew', '00000032'), points.C, '2026-10-15T10:00:00Z');
  vol(ids.Cold, '2026-09-30T12:00:00Z', 50);
  vol(ids.Cold, '2026-10-10T12:00:00Z', 52);
  vol(ids.Cold, '2026-10-15T10:00:00Z', 53.5);
  vol(ids.Cnew, '2026-10-15T10:00:00Z', 0.01);
  vol(ids.Cnew, '2026-10-31T12:00:00Z', 4.51);
  // D, reset: 500 → 510 (10), → 2 (a drop far from the top of 1,000: counts 0), → 6 (4): 14 m3
  install(meter('D', '00000004'), point('D', 'Reset 4', 'Dan', 'C-4'));
  vol(ids.D, '2026-09-30T12:00:00Z', 500);
  vol(ids.D, '2026-10-10T12:00:00Z', 510);
  vol(ids.D, '2026-10-12T12:00:00Z', 2);
  vol(ids.D, '2026-10-30T12:00:00Z', 6);
  // E, missing start: installed all year, first reading on 5 Oct
  install(meter('E', '00000005'), point('E', 'Late 5', 'Eve', 'C-5'));
  vol(ids.E, '2026-10-05T12:00:00Z', 10);
  vol(ids.E, '2026-10-30T12:00:00Z', 12);
  // F, missing end: nothing heard in October
  install(meter('F', '00000006'), point('F', 'Silent 6', 'Fay', 'C-6'));
  vol(ids.F, '2026-09-20T12:00:00Z', 7);
  vol(ids.F, '2026-09-30T12:00:00Z', 7.5);
  // G, zero: 42 → 42
  install(meter('G', '00000007'), point('G', 'Empty 7', 'Gus', 'C-7'));
  vol(ids.G, '2026-09-30T12:00:00Z', 42);
  vol(ids.G, '2026-10-31T12:00:00Z', 42);
  // H, heat meter (energy and volume): energy 1,000 → 1,234.5 kWh: 234.5 kWh
  install(meter('H', '00000008', 'KAM'), point('H', 'Heat 8', 'Hal', 'C-8'));
  server.stores.readings.put(ids.H, utc('2026-09-30T12:00:00Z'), row({ energy: 1000 * KWH, volume: 20 * M3 }));
  server.stores.readings.put(ids.H, utc('2026-10-31T12:00:00Z'), row({ energy: 1234.5 * KWH, volume: 25 * M3 }));
  // I, in the group but installed nowhere: 1.000 → 3.500: 2.5 m3
  meter('I', '00000009');
  vol(ids.I, '2026-09-30T12:00:00Z', 1);
  vol(ids.I, '2026-10-31T12:00:00Z', 3.5);
  // J, not in the group: 0 → 1,000 m3
  install(meter('J', '00000010'), point('J', 'Other 10', 'Joe', 'C-10'));
  vol(ids.J, '2026-09-30T12:00:00Z', 0);
  vol(ids.J, '2026-10-31T12:00:00Z', 1000);

  // K, hourly on a 4-digit register, not in the group: k = 0..745 from 30 Sep 21:00 UTC (k = 0 before
  // the start) to 31 Oct 22:00 UTC, 0.5 m3 an hour; 9,999.5 → 0 at k = 20 (rollover, 0.5), and at
  // k = 400 a reset from 189.5 to 1 (counts 0). 745 steps × 0.5 − the reset's 0.5 = 372 m3
  install(meter('K', '00000011'), point('K', 'Hourly 11', 'Kim', 'C-11'));
  for (let k = 0; k <= 745; k++) {
    const v = k < 400 ? (9990 + 0.5 * k) % 10_000 : 1 + 0.5 * (k - 400);
    vol(ids.K, new Date(utc('2026-09-30T21:00:00Z') + k * 3_600_000).toISOString(), v);
  }
  // L, first read 20 minutes after local midnight 1 Oct (30 Sep 22:20 UTC), in the start's grace hour: 5 → 7.5: 2.5 m3
  install(meter('L', '00000012'), point('L', 'Midnight 12', 'Liv', 'C-12'));
  vol(ids.L, '2026-09-30T22:20:00Z', 5);
  vol(ids.L, '2026-10-20T12:00:00Z', 6);
  vol(ids.L, '2026-10-31T12:00:00Z', 7.5);
  // M, read at the start (10), reset on 1 Oct to 2 (counts 0), then 5: 3 m3
  install(meter('M', '00000013'), point('M', 'Reset at start 13', 'Max', 'C-13'));
  vol(ids.M, '2026-09-30T22:00:00Z', 10);
  vol(ids.M, '2026-10-01T06:00:00Z', 2);
  vol(ids.M, '2026-10-31T12:00:00Z', 5);

  const g = await request(server, 'POST', '/api/groups', { cookie: admin, body: { name: 'October' } });
  group = ((await g.json()) as { group: { id: number } }).group.id;
  const members = ['A', 'B', 'Cnew', 'D', 'E', 'F', 'G', 'H', 'I'].map((n) => ids[n]);
  expect((await request(server, 'POST', `/api/groups/${group}/members`, { cookie: admin, body: { meterIds: members } })).status).toBe(200);
});

describe('values', () => {
  test('plain: the last reading before local midnight 1 Oct to the last before local midnight 1 Nov', () => {
    expect(rowOf(report(), 'A')).toMatchObject({ value: 12.25, unit: 'm3', missing: [], rollover: false, exchange: false, reset: false });
  });
  test('rollover of a 5-digit register counts the wrap', () => {
    expect(rowOf(report(), 'B')).toMatchObject({ value: 20, rollover: true, exchange: false, reset: false });
  });
  test("exchange: the old meter's final reading and the new meter's start reading, one row for the point", () => {
    const c = rowOf(report(), 'C')!;
    expect(c).toMatchObject({ value: 8, exchange: true, meterId: ids.Cnew, customer: 'Cat', address: 'Exchange 3' });
    expect(c.meters.map((m) => m.serial)).toEqual(['00000031', '00000032']);
  });
  test('reset: a drop far from the top counts 0 and is flagged', () => {
    expect(rowOf(report(), 'D')).toMatchObject({ value: 14, reset: true, rollover: false });
  });
  test('missing start or end leaves the value empty and says which', () => {
    expect(rowOf(report(), 'E')).toMatchObject({ value: null, missing: ['no reading before 1 Oct 2026'] });
    expect(rowOf(report(), 'F')).toMatchObject({ value: null, missing: ['no readings in the interval'] });
  });
  test('zero, energy in kWh, a meter installed nowhere, and only the group', () => {
    const r = report();
    expect(rowOf(r, 'G')).toMatchObject({ value: 0, missing: [] });
    expect(rowOf(r, 'H')).toMatchObject({ value: 234.5, unit: 'kWh' });
    expect(rowOf(r, 'I')).toMatchObject({ key: `m${ids.I}`, value: 2.5, meteringPointId: null });
    expect(rowOf(r, 'J')).toBeUndefined();
    expect(r.count).toBe(9);
    expect(rowOf(report({ group: undefined }), 'J')).toMatchObject({ value: 1000 });
  });
  test('the same numbers as ReadingStore.consumption for the point and interval', () => {
    const r = report();
    for (const name of ['A', 'B', 'C', 'D', 'G', 'H']) {
      const p = server.stores.readings.consumption(tenant, points[name], r.start, r.end, 'day')!;
      expect(rowOf(r, name)!.value, name).toBe(p.total);
      expect(rowOf(r, name)!.unit, name).toBe(p.unit);
    }
  });
  test('hourly readings with a rollover and a reset: only the days where the register fell are walked', () => {
    const r = report({ group: undefined });
    expect(rowOf(r, 'K')).toMatchObject({ value: 372, rollover: true, reset: true, exchange: false });
    expect(server.stores.readings.consumption(tenant, points.K, r.start, r.end, 'day')!.total).toBe(372);
  });
  test('without a reading before the start, one in its first hour is the start value', () => {
    const r = report({ group: undefined });
    expect(rowOf(r, 'L')).toMatchObject({ value: 2.5, missing: [] });
    expect(server.stores.readings.consumption(tenant, points.L, r.start, r.end, 'day')!.total).toBe(2.5);
    expect(rowOf(r, 'M')).toMatchObject({ value: 3, reset: true, missing: [] });
    expect(server.stores.readings.consumption(tenant, points.M, r.start, r.end, 'day')!.total).toBe(3);
  });
  test('a one-day interval on the day summer time ends (25 hours): 15 Oct is outside, nothing for A', () => {
    // 25 Oct local runs 24 Oct 22:00 UTC to 25 Oct 23:00 UTC; A's last readings before and in it are both 105.5
    const r = report({ from: '2026-10-25', to: '2026-10-25' });
    expect(r.end - r.start).toBe(25 * 3_600_000);
    expect(rowOf(r, 'A')).toMatchObject({ value: null, missing: ['no readings in the interval'] });
  });
});

describe('totals and filters', () => {
  test('totals per unit over all rows: m3 12.25 + 20 + 8 + 14 + 0 + 2.5 = 56.75 (2 rows without a value); kWh 234.5', () => {
    const t = report().totals;
    expect(t.all).toEqual({ m3: { value: 56.75, rows: 8, missing: 2 }, kWh: { value: 234.5, rows: 1, missing: 0 } });
  });
  test('zero consumption', () => {
    const r = report({ zero: true });
    expect(r.rows.map((x) => x.meterId)).toEqual([ids.G]);
    expect(r.totals.filtered.m3).toEqual({ value: 0, rows: 1, missing: 0 });
  });
  test('at least 13 m3: B (20) and D (14), 34 m3; at most 2.5 m3: G (0) and I (2.5)', () => {
    const above = report({ unit: 'm3', min: 13 });
    expect(above.rows.map((x) => x.meterId).sort()).toEqual([ids.B, ids.D].sort());
    expect(above.totals.filtered).toEqual({ m3: { value: 34, rows: 2, missing: 0 }, kWh: { value: 0, rows: 0, missing: 0 } });
    expect(report({ unit: 'm3', max: 2.5 }).rows.map((x) => x.meterId).sort()).toEqual([ids.G, ids.I].sort());
  });
  test('missing data and sorting by value (rows without a value last)', () => {
    expect(report({ missing: true }).rows.map((x) => x.meterId).sort()).toEqual([ids.E, ids.F].sort());
    const byValue = report({ unit: 'm3', sort: 'value', desc: true }).rows.map((x) => x.value);
    expect(byValue).toEqual([20, 14, 12.25, 8, 2.5, 0, null, null]);
  });
});

describe('API', () => {
  test('JSON pages, totals and the hits as meter ids', async () => {
    const res = await api(`?group=${group}&from=2026-10-01&to=2026-10-31&unit=m3&min=13&sort=value&desc=true&limit=1`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { count: number; matched: number; items: ConsumptionRow[] };
    expect(body.count).toBe(9);
    expect(body.matched).toBe(2);
    expect(body.items.map((x) => x.value)).toEqual([20]);
    const hits = await request(server, 'GET', `/api/reports/consumption/meter-ids?group=${group}&from=2026-10-01&to=2026-10-31&unit=m3&min=13`, {
      cookie: admin
    });
    expect(((await hits.json()) as { meterIds: number[] }).meterIds.sort()).toEqual([ids.B, ids.D].sort());
    // unfiltered: the meter at each point at the end of the interval (the new one after the exchange) and the unplaced one
    const all = await request(server, 'GET', `/api/reports/consumption/meter-ids?group=${group}&from=2026-10-01&to=2026-10-31`, { cookie: admin });
    const allIds = ((await all.json()) as { meterIds: number[] }).meterIds;
    expect(allIds.sort()).toEqual(['A', 'B', 'Cnew', 'D', 'E', 'F', 'G', 'H', 'I'].map((n) => ids[n]).sort());
  });
  test('CSV: every kept row, RFC 4180, times on the utility wall clock', async () => {
    const res = await api(`?group=${group}&from=2026-10-01&to=2026-10-31&zero=true&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="consumption-2026-10-01-2026-10-31.csv"');
    expect(await res.text()).toBe(
      'metering_point_id,point_number,address,postal_code,city,customer_number,customer,consumer,meters,meter_ids,from,to,consumption,unit,missing,rollover,exchange,reset\r\n' +
        `${points.G},,Empty 7,,,C-7,Gus,Gus,WAT 00000007,${ids.G},2026-10-01T00:00:00+02:00,2026-11-01T00:00:00+01:00,0,m3,,false,false,false\r\n`
    );
  });
  test('CSV needs the export permission too; JSON does not', async () => {
    const put = await request(server, 'PUT', '/api/permissions/user', { cookie: admin, body: { permissions: ['meters.read', 'readings.read'] } });
    expect(put.status).toBe(200);
    const user = await server.as('user');
    expect((await api(`?from=2026-10-01&to=2026-10-31&format=csv`, user)).status).toBe(403);
    expect((await api(`?from=2026-10-01&to=2026-10-31`, user)).status).toBe(200);
  });
  test('422 naming the field, 404 for a group of no one', async () => {
    const field = async (q: string) => {
      const res = await api(q);
      expect(res.status, q).toBe(422);
      return ((await res.json()) as { fields: { field: string }[] }).fields.map((f) => f.field);
    };
    expect(await field('?from=2026-10-01&to=2026-10-31&min=5')).toEqual(['unit']);
    expect(await field('?from=2026-10-01&to=2026-10-31&unit=m3&min=5&max=1')).toEqual(['max']);
    expect(await field('?from=2026-10-31&to=2026-10-01')).toEqual(['to']);
    expect(await field('?from=2026-02-30&to=2026-10-01')).toEqual(['from']);
    expect(await field('?from=2026-10-01&to=2026-10-31&unit=l')).toEqual(['unit']);
    expect(await field('?from=2026-10-01&to=2026-10-31&min=lots&unit=m3')).toEqual(['min']);
    expect(await field('?from=2026-10-01&to=2026-10-31&colour=red')).toEqual(['colour']);
    expect((await api('?group=999999&from=2026-10-01&to=2026-10-31')).status).toBe(404);
  });
});
