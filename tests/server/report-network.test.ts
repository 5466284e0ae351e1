// Heat-network analytics (B3): ranking by ΔT and m3/MWh, flags, and the trend of one
// installation, with hand-computed values (Europe/Copenhagen calendar, UTC+1 in winter).
import { beforeAll, describe, expect, test } from 'vitest';
import type { NetworkReport, HeatTrend } from '../../server/src/report/network';
import { trendSteps } from '../../server/src/report/network';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let admin: string;
let tenant: number;
const ids: Record<string, number> = {};
const Q = 'from=2026-01-01&to=2026-01-31';

function meter(name: string, deviceType: number, readings: { at: string; e: number | null; v: number; t1: number; t2: number }[]): void {
  const now = Date.parse('2025-11-01T00:00:00Z');
  const id = (
    server.db
      .prepare("insert into meter (tenant_id, manufacturer, serial, device_type, medium, created_at, updated_at) values (?, 'KAM', ?, ?, 'heat', ?, ?) returning id")
      .get(tenant, `2000000${Object.keys(ids).length}`, deviceType, now, now) as { id: number }
  ).id;
  ids[name] = id;
  for (const r of readings) {
    server.stores.readings.put(id, Date.parse(r.at), {
      energy: r.e === null ? null : r.e * 3.6e6,
      volume: r.v * 1e6,
      flow: null,
      power: null,
      tFlow: r.t1 * 100,
      tReturn: r.t2 * 100,
      info: null,
      extra: null
    });
  }
}

/** Two January readings from 0: ΔE = e kWh, ΔV = v m3, temperatures t1/t2 (time average). */
const pair = (e: number | null, v: number, t1: number, t2: number) => [
  { at: '2026-01-02T12:00:00Z', e: e === null ? null : 0, v: 0, t1, t2 },
  { at: '2026-01-30T12:00:00Z', e, v, t1, t2 }
];

beforeAll(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  tenant = (server.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  // m3/MWh = ΔV / (ΔE / 1000):
  // N1: 10 / 0.5 = 20, ΔT 70 − 40 = 30, no flags
  // N2: 20 / 0.4 = 50, ΔT 65 − 50 = 15 (< 20), t2 50 (> 45): all three flags
  // N3: 12 / 0.4 = 30, ΔT 60 − 38 = 22, no flags
  // N4: 9 / 0.3 = 30, ΔT 72 − 47 = 25, t2 47 (> 45): high return
  // N5: no energy register: not ranked
  meter('N1', 4, pair(500, 10, 70, 40));
  meter('N2', 4, pair(400, 20, 65, 50));
  meter('N3', 4, pair(400, 12, 60, 38));
  meter('N4', 4, pair(300, 9, 72, 47));
  meter('N5', 4, pair(null, 5, 70, 40));
  meter('cooling', 10, pair(100, 10, 7, 12));
  // T: Dec, Jan, Feb for the trend
  meter('T', 4, [
    { at: '2025-12-01T12:00:00Z', e: 0, v: 0, t1: 70, t2: 40 },
    { at: '2025-12-31T12:00:00Z', e: 350, v: 10, t1: 70, t2: 40 },
    { at: '2026-01-31T12:00:00Z', e: 900, v: 30, t1: 60, t2: 40 },
    { at: '2026-02-27T12:00:00Z', e: 1200, v: 40, t1: 60, t2: 45 }
  ]);
});

describe('GET /api/reports/network', () => {
  test('ranks by flags, then the mean of the ΔT rank and the m3/MWh rank', async () => {
    const res = await request(server, 'GET', `/api/reports/network?${Q}`, { cookie: admin });
    expect(res.status).toBe(200);
    const r = (await res.json()) as NetworkReport;
    const by = (name: string) => r.rows.find((x) => x.meterId === ids[name])!;
    // ΔT ascending: N2 15, N3 22, N4 25, N1 30 (T's January: 60 − 40 = 20 at 20 / 0.55 = 36.36 m3/MWh joins too)
    expect(by('T')).toMatchObject({ deltaT: 20, m3PerMWh: 36.36 });
    // ΔT ranks: N2 1, T 2, N3 3, N4 4, N1 5; m3/MWh ranks: N2 (50) 1, T (36.36) 2, N3 (30, lower id) 3, N4 (30) 4, N1 (20) 5
    expect(by('N2')).toMatchObject({ m3PerMWh: 50, rankDeltaT: 1, rankFlow: 1, score: 1, flags: { lowDeltaT: true, excessFlow: true, highReturn: true } });
    expect(by('N4')).toMatchObject({ m3PerMWh: 30, rankDeltaT: 4, rankFlow: 4, score: 4, flags: { lowDeltaT: false, excessFlow: false, highReturn: true } });
    // T: ΔT 20 is not below 20, 36.36 > 35 is excess flow: one flag, score 2
    expect(by('T').flags).toEqual({ lowDeltaT: false, excessFlow: true, highReturn: false });
    // order: N2 (3 flags), T (1, score 2), N4 (1, score 4), N3 (0, score 3), N1 (0, score 5), N5 unranked
    expect(r.rows.map((x) => x.meterId)).toEqual([ids.N2, ids.T, ids.N4, ids.N3, ids.N1, ids.N5]);
    expect(r.rows.map((x) => x.rank)).toEqual([1, 2, 3, 4, 5, null]);
    expect(r.summary).toEqual({ installations: 6, ranked: 5, lowDeltaT: 1, excessFlow: 2, highReturn: 2 });
  });

  test('thresholds per run change the flags; CSV', async () => {
    const res = await request(server, 'GET', `/api/reports/network?${Q}&returnMax=49&flowMax=40&poor=25&format=csv`, { cookie: admin });
    expect(res.status).toBe(200);
    const lines = (await res.text()).split('\r\n');
    expect(lines[0]).toBe(
      'rank,meter_id,manufacturer,serial,model,address,postal_code,customer_number,customer,energy_kwh,volume_m3,t1_c,t2_c,delta_t_k,m3_per_mwh,rank_delta_t,rank_flow,flags'
    );
    // poor 25: N2, T, N3 are low; flowMax 40: only N2; returnMax 49: only N2 (50)
    expect(lines[1]).toBe(`1,${ids.N2},KAM,20000001,,,,,,400,20,65,50,15,50,1,1,"poor cooling, excess flow, high return temperature"`);
    expect(lines[2]).toBe(`2,${ids.T},KAM,20000006,,,,,,550,20,60,40,20,36.36,2,2,poor cooling`);
    expect(lines[3]).toBe(`3,${ids.N3},KAM,20000002,,,,,,400,12,60,38,22,30,3,3,poor cooling`);
    expect(lines).toHaveLength(8); // header, 6 rows, and the empty string after the last CRLF
  });

  test('422 for bad thresholds, 404 for a group not the utility\'s', async () => {
    for (const [q, field] of [
      [`${Q}&flowMax=0`, 'flowMax'],
      [`${Q}&returnMax=hot`, 'returnMax'],
      ['from=2026-01-01', 'to']
    ]) {
      const res = await request(server, 'GET', `/api/reports/network?${q}`, { cookie: admin });
      expect(res.status, q).toBe(422);
      expect(((await res.json()) as any).error).toContain(field);
    }
    expect((await request(server, 'GET', `/api/reports/network?${Q}&group=424242`, { cookie: admin })).status).toBe(404);
  });
});

describe('GET /api/reports/network/trend', () => {
  test('per month from day sums and boundary readings', async () => {
    const res = await request(server, 'GET', `/api/reports/network/trend?meter=${ids.T}&from=2025-12-01&to=2026-02-28&step=month`, { cookie: admin });
    expect(res.status).toBe(200);
    const t = (await res.json()) as HeatTrend;
    // Dec: first reading inside (V 0, E 0) to 31 Dec (V 10, E 350): 10 / 0.35 = 28.57 m3/MWh, 70/40
    // Jan: 31 Dec (V 10, E 350) to 31 Jan (V 30, E 900): 20 / 0.55 = 36.36, temperatures of 31 Jan 60/40
    // Feb: 31 Jan to 27 Feb (V 40, E 1200): 10 / 0.3 = 33.33, 60/45
    expect(t.points).toEqual([
      { from: '2025-12-01', to: '2025-12-31', energy: 350, volume: 10, t1: 70, t2: 40, deltaT: 30, m3PerMWh: 28.57, method: 'time-average' },
      { from: '2026-01-01', to: '2026-01-31', energy: 550, volume: 20, t1: 60, t2: 40, deltaT: 20, m3PerMWh: 36.36, method: 'time-average' },
      { from: '2026-02-01', to: '2026-02-28', energy: 300, volume: 10, t1: 60, t2: 45, deltaT: 15, m3PerMWh: 33.33, method: 'time-average' }
    ]);
  });

  test('weeks start on Monday (ISO 8601) and are cut to the range', () => {
    // 1 January 2026 is a Thursday
    expect(trendSteps('2026-01-01', '2026-01-14', 'week')).toEqual([
      { from: '2026-01-01', to: '2026-01-04' },
      { from: '2026-01-05', to: '2026-01-11' },
      { from: '2026-01-12', to: '2026-01-14' }
    ]);
  });

  test('404 for a meter of no one, 422 for a bad step', async () => {
    expect((await request(server, 'GET', '/api/reports/network/trend?meter=999999&from=2026-01-01&to=2026-01-31', { cookie: admin })).status).toBe(404);
    const res = await request(server, 'GET', `/api/reports/network/trend?meter=${ids.T}&from=2026-01-01&to=2026-01-31&step=day`, { cookie: admin });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).error).toContain('step');
  });
});
