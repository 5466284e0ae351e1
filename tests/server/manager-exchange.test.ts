// The Manager's meter exchange (M12) with the readings taken at it: POST /api/metering-points/:id/exchange
// with final and start register values stores them as readings at the exchange, in the same
// transaction, so the point's consumption continues across the exchange.
import { beforeEach, afterEach, describe, expect, test } from 'vitest';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let admin: string;
let point: number;
let oldMeter: number;
let newMeter: number;
const utc = (s: string) => Date.parse(s);
const AT = utc('2026-11-02T12:00:00Z');

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  const post = async (path: string, body: unknown) => (await (await request(server, 'POST', path, { cookie: admin, body })).json()) as any;
  point = (await post('/api/metering-points', { address: 'Vestergade 1' })).meteringPoint.id;
  oldMeter = (await post('/api/meters', { manufacturer: 'KAM', serial: '11111111', medium: 'water' })).meter.id;
  newMeter = (await post('/api/meters', { manufacturer: 'KAM', serial: '22222222', medium: 'water' })).meter.id;
  await post(`/api/meters/${oldMeter}/install`, { meteringPointId: point, from: utc('2026-10-01T00:00:00Z') });
  server.stores.readings.put(oldMeter, utc('2026-11-01T12:00:00Z'), {
    energy: null, volume: 100_500_000, flow: null, power: null, tFlow: null, tReturn: null, info: null, extra: null
  }); // 100.5 m3
});
afterEach(() => server.close());

const exchange = (body: unknown) => request(server, 'POST', `/api/metering-points/${point}/exchange`, { cookie: admin, body });

describe('POST /api/metering-points/:id/exchange with readings', () => {
  test('stores the final and start readings at the exchange; consumption continues across it', async () => {
    const res = await exchange({
      oldMeterId: oldMeter, newMeterId: newMeter, at: AT, final: { register: 'volume', value: 101.25 }, start: { register: 'volume', value: 0.5 }
    });
    expect(res.status).toBe(200);
    const rows = server.db.prepare('select meter_id as m, volume as v, extra from reading where at = ? order by meter_id').all(AT) as any[];
    expect(rows).toEqual([
      { m: oldMeter, v: 101_250_000, extra: '{"source":"manager-exchange","exchange":"final"}' },
      { m: newMeter, v: 500_000, extra: '{"source":"manager-exchange","exchange":"start"}' }
    ]);
    server.stores.readings.put(newMeter, utc('2026-11-03T12:00:00Z'), {
      energy: null, volume: 2_000_000, flow: null, power: null, tFlow: null, tReturn: null, info: null, extra: null
    });
    const c = (await (await server.app.request(
      `/api/metering-points/${point}/consumption?from=2026-10-31T23:00:00Z&to=2026-11-03T23:00:00Z&resolution=day`,
      { headers: { cookie: admin } }
    )).json()) as any;
    // day 2 (2 Nov): 101.25 - 100.5 on the old meter; day 3: 2 - 0.5 on the new one
    expect(c.buckets.map((b: any) => b.value)).toEqual([null, 0.75, 1.5]);
    const audit = server.db.prepare("select details from audit_entry where event = 'meter.exchanged'").pluck().get() as string;
    expect(JSON.parse(audit)).toMatchObject({ via: 'manager', final: { register: 'volume', value: 101.25 }, start: { value: 0.5 } });
  });

  test('joinGroups: the new meter joins the old meter\'s groups in the same change', async () => {
    const g = (await (await request(server, 'POST', '/api/groups', { cookie: admin, body: { name: 'Route north' } })).json()) as any;
    await request(server, 'POST', `/api/groups/${g.group.id}/members`, { cookie: admin, body: { meterIds: [oldMeter] } });
    const res = await exchange({ oldMeterId: oldMeter, newMeterId: newMeter, at: AT, joinGroups: true });
    expect(res.status).toBe(200);
    const detail = (await (await server.app.request(`/api/meters/${newMeter}`, { headers: { cookie: admin } })).json()) as any;
    expect(detail.meter.groups).toEqual([{ id: g.group.id, name: 'Route north' }]);
  });

  test('a start register other than the final one is a 422; a refused exchange stores no reading', async () => {
    const bad = await exchange({ oldMeterId: oldMeter, newMeterId: newMeter, at: AT, final: { register: 'volume', value: 1 }, start: { register: 'energy', value: 0 } });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as any).error).toContain('start.register');
    const wrong = await exchange({ oldMeterId: newMeter, newMeterId: oldMeter, at: AT, final: { register: 'volume', value: 1 }, start: { register: 'volume', value: 0 } });
    expect(wrong.status).toBe(409);
    expect(server.db.prepare('select count(*) from reading where at = ?').pluck().get(AT)).toBe(0);
  });
});
