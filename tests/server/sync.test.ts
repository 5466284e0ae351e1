// The field app's Send/Receive (issue 5, R1/B1): a device's route with its keys only once
// authorised, frames sent by client id (idempotent, resumable), and what went each way.
// Telegrams: protocols.md TV-4 (MULTICAL 21 76348799 and its published key) and MULTICAL 403
// frames made by shared/wmbus/encode.ts with a throwaway key.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { fromHex, toHex } from '../../shared/bytes/hex';
import { aesKey } from '../../shared/crypto/aes';
import { encodeRecords } from '../../shared/mbus/encode-records';
import type { MeterAddress } from '../../shared/model/address';
import { encodeTelegram } from '../../shared/wmbus/encode';
import { makeTestServer, request, useTempDir, type RequestOptions, type TestServer } from './helpers';

const TV4 = '2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24';
const TV4_KEY = '28F64A24988064A079AA2C807D6102AE';
const HEAT: MeterAddress = { manufacturer: 'KAM', id: '71054899', version: 0x34, deviceType: 0x0c };
const HEAT_KEY = '0F1E2D3C4B5A69788796A5B4C3D2E1F0';
const OTHER_KEY = 'A0A1A2A3A4A5A6A7A8A9AAABACADAEAF';

function heatFrame(acc: number, kwh: number): string {
  const payload = encodeRecords([
    { type: 'int32', quantity: 'energy kWh', value: kwh },
    { type: 'int32', quantity: 'volume 10 l', value: 359116 },
    { type: 'int16', quantity: 'flow temperature 0.01 °C', value: 6215 },
    { type: 'int16', quantity: 'return temperature 0.01 °C', value: 3474 }
  ]);
  return toHex(encodeTelegram({ address: HEAT, tpl: { header: 'short', acc, security: { mode: 5, key: aesKey(fromHex(HEAT_KEY)) }, payload } }));
}

const tempDir = useTempDir();
let server: TestServer;
let admin: string;
let demo: number;
const T = 1_790_000_000_000 - 3_600_000;

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  demo = tenantId('Demo Utility');
});
afterEach(() => server.close());

function tenantId(name: string): number {
  return (server.db.prepare('select id from tenant where name = ?').get(name) as { id: number }).id;
}

const call = (method: string, path: string, opts: RequestOptions = {}) => request(server, method, path, opts);

async function json(res: Response | Promise<Response>): Promise<{ status: number; body: any; res: Response }> {
  const r = await res;
  return { status: r.status, body: await r.json(), res: r };
}

/** A device registered by the admin; authorised unless told otherwise. */
async function device(opts: { authorise?: boolean; cookie?: string; name?: string } = {}) {
  const cookie = opts.cookie ?? admin;
  const reg = await json(call('POST', '/api/devices/register', { cookie, body: { name: opts.name ?? 'Van 3 tablet' } }));
  expect(reg.status).toBe(201);
  if (opts.authorise !== false) expect((await call('POST', `/api/devices/${reg.body.device.id}/authorise`, { cookie })).status).toBe(200);
  return { id: reg.body.device.id as number, secret: reg.body.secret as string };
}

function addMeter(tenant: number, manufacturer: string, serial: string, extra: { version?: number; deviceType?: number } = {}): number {
  return (
    server.db
      .prepare(
        `insert into meter (tenant_id, manufacturer, serial, version, device_type, medium, created_at, updated_at)
         values (?, ?, ?, ?, ?, 'water', ?, ?) returning id`
      )
      .get(tenant, manufacturer, serial, extra.version ?? null, extra.deviceType ?? null, T, T) as { id: number }
  ).id;
}

function addKey(tenant: number, meterId: number, hex: string) {
  server.stores.keys.put(tenant, meterId, fromHex(hex), 'csv', T);
  server.stores.ingest.keysChanged(tenant, [meterId], T);
}

function addGroup(tenant: number, name: string, meterIds: number[]): number {
  const id = (server.db.prepare('insert into meter_group (tenant_id, name, created_at) values (?, ?, ?) returning id').get(tenant, name, T) as { id: number }).id;
  const add = server.db.prepare('insert into group_member (group_id, meter_id) values (?, ?)');
  for (const m of meterIds) add.run(id, m);
  return id;
}

const setRoute = (deviceId: number, groupIds: number[], cookie = admin) => json(call('POST', `/api/devices/${deviceId}/route`, { cookie, body: { groupIds } }));
const count = (table: string) => (server.db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
const auditRows = (event: string) =>
  server.db.prepare('select actor, device, details from audit_entry where event = ? order by id').all(event) as { actor: string; device: string; details: string }[];

/** Two meters on the route (TV-4's with its key, one without a key) and one keyed meter off it. */
function fleet() {
  const tv4 = addMeter(demo, 'KAM', '76348799', { version: 0x1b, deviceType: 0x16 });
  const bare = addMeter(demo, 'KAM', '11111111');
  const off = addMeter(demo, 'KAM', '22222222');
  addKey(demo, tv4, TV4_KEY);
  addKey(demo, off, OTHER_KEY);
  const route = addGroup(demo, 'Route north', [tv4, bare]);
  const elsewhere = addGroup(demo, 'Route south', [off]);
  return { tv4, bare, off, route, elsewhere };
}

describe('receive: the route and its keys', () => {
  test('an authorised device gets only its route\'s meters and keys, no-store, with one audit entry naming the meters', async () => {
    const f = fleet();
    // a point with an address and position for the TV-4 meter
    const point = (
      server.db
        .prepare(`insert into metering_point (tenant_id, address, postal_code, city, lat, lon, created_at, updated_at)
                  values (?, 'Storgatan 1', '11122', 'Stockholm', 59.33, 18.06, ?, ?) returning id`)
        .get(demo, T, T) as { id: number }
    ).id;
    server.db.prepare('insert into installation (tenant_id, meter_id, metering_point_id, from_at) values (?, ?, ?, ?)').run(demo, f.tv4, point, T);
    const d = await device();
    const set = await setRoute(d.id, [f.route]);
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ groups: [{ id: f.route, name: 'Route north', meters: 2 }], meters: 2 });
    expect(auditRows('device.route-set')).toHaveLength(1);

    server.clock.now += 1000;
    const r = await json(call('GET', '/api/sync/route', { bearer: d.secret }));
    expect(r.status).toBe(200);
    expect(r.res.headers.get('cache-control')).toBe('no-store');
    expect(r.body.meters.map((m: any) => m.id)).toEqual([f.tv4, f.bare]);
    expect(r.body.meters[0]).toEqual({
      id: f.tv4,
      manufacturer: 'KAM',
      serial: '76348799',
      version: 0x1b,
      deviceType: 0x16,
      medium: 'water',
      model: null,
      lat: 59.33,
      lon: 18.06,
      address: 'Storgatan 1',
      postalCode: '11122',
      city: 'Stockholm',
      groupIds: [f.route]
    });
    expect(r.body.groups).toEqual([{ id: f.route, name: 'Route north' }]);
    expect(r.body.keys).toEqual([{ meterId: f.tv4, manufacturer: 'KAM', serial: '76348799', key: TV4_KEY }]);
    expect(JSON.stringify(r.body)).not.toContain(OTHER_KEY);
    expect(r.body.compactFormats.version).toBe(1);
    expect(r.body.compactFormats.formats.length).toBeGreaterThan(0);
    expect(r.body).toMatchObject({ total: 2, next: null, generatedAt: server.clock.now });

    const sent = auditRows('key.sent-to-device');
    expect(sent).toHaveLength(1);
    expect(sent[0].device).toBe('Van 3 tablet');
    expect(JSON.parse(sent[0].details)).toMatchObject({ deviceId: d.id, meterIds: [f.tv4], routeMeters: 2 });
    const everything = JSON.stringify(server.db.prepare('select * from audit_entry').all());
    expect(everything.toUpperCase()).not.toContain(TV4_KEY);
    expect(everything.toUpperCase()).not.toContain(OTHER_KEY);

    // the status shows what went to the device and when
    const st = await json(call('GET', '/api/sync/status', { bearer: d.secret }));
    expect(st.body.receive).toEqual({ at: server.clock.now, meters: 2, keys: 1 });
    expect(st.body.send).toMatchObject({ lastAt: null, lastBatch: null, frames: 0 });
  });

  test('a pending device gets 403 and no keys; no token is 401; a revoked device is 401', async () => {
    const f = fleet();
    const d = await device({ authorise: false });
    expect((await setRoute(d.id, [f.route])).status).toBe(200); // an administrator may prepare the route first
    const pending = await json(call('GET', '/api/sync/route', { bearer: d.secret }));
    expect(pending.status).toBe(403);
    expect(JSON.stringify(pending.body)).not.toContain(TV4_KEY);
    expect((await call('POST', '/api/sync/frames', { bearer: d.secret, body: { batchId: randomUUID(), frames: [] } })).status).toBe(403);
    expect((await call('GET', '/api/sync/status', { bearer: d.secret })).status).toBe(403);
    expect((await call('GET', '/api/sync/route')).status).toBe(401);
    expect(auditRows('key.sent-to-device')).toHaveLength(0);

    expect((await call('POST', `/api/devices/${d.id}/authorise`, { cookie: admin })).status).toBe(200);
    expect((await call('GET', '/api/sync/route', { bearer: d.secret })).status).toBe(200);
    expect((await call('POST', `/api/devices/${d.id}/revoke`, { cookie: admin })).status).toBe(200);
    const revoked = await json(call('GET', '/api/sync/route', { bearer: d.secret }));
    expect(revoked.status).toBe(401);
    expect(JSON.stringify(revoked.body)).not.toContain(TV4_KEY);
    expect((await setRoute(d.id, [f.route])).status).toBe(409);
  });

  test('a person (even an administrator) or an API token is told the route is the device\'s own: 400, no keys', async () => {
    fleet();
    const r = await json(call('GET', '/api/sync/route', { cookie: admin }));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/field device/);
    const token = await json(call('POST', '/api/tokens', { cookie: admin, body: { name: 't', scopes: ['meters.read', 'ingest'] } }));
    expect((await call('GET', '/api/sync/route', { bearer: token.body.secret })).status).toBe(400);
    expect((await call('POST', '/api/sync/frames', { bearer: token.body.secret, body: {} })).status).toBe(400);
    expect(auditRows('key.sent-to-device')).toHaveLength(0);
  });

  test('another utility\'s groups and devices are 404 and change nothing; a user may not set routes', async () => {
    const f = fleet();
    const d = await device();
    await setRoute(d.id, [f.route]);
    const otherAdmin = await server.as('administrator', 'Other Utility');
    const other = tenantId('Other Utility');
    const foreign = addGroup(other, 'Their route', [addMeter(other, 'KAM', '33333333')]);
    const r = await setRoute(d.id, [f.elsewhere, foreign]);
    expect(r.status).toBe(404);
    expect(r.body.error).toBe(`Group ${foreign} not found.`);
    expect(r.body.error).toBe((await setRoute(d.id, [999_999])).body.error.replace('999999', String(foreign)));
    expect((await json(call('GET', `/api/devices/${d.id}/route`, { cookie: admin }))).body.groups.map((g: any) => g.id)).toEqual([f.route]);

    expect((await setRoute(d.id, [foreign], otherAdmin)).status).toBe(404);
    expect((await call('GET', `/api/devices/${d.id}/route`, { cookie: otherAdmin })).status).toBe(404);
    expect((await setRoute(d.id, [f.route], await server.as('user'))).status).toBe(403);
    expect((await setRoute(d.id, [f.route], await server.as('superuser'))).status).toBe(403);

    // bad bodies: 422 naming the field
    for (const body of [{}, { groupIds: [0] }, { groupIds: 'x' }, { groupIds: [1], extra: 1 }]) {
      const res = await json(call('POST', `/api/devices/${d.id}/route`, { cookie: admin, body }));
      expect(res.status).toBe(422);
    }
    // an empty list clears the route
    expect((await setRoute(d.id, [])).body).toEqual({ groups: [], meters: 0 });
    const after = await json(call('GET', '/api/sync/route', { bearer: d.secret }));
    expect(after.body).toMatchObject({ meters: [], keys: [], total: 0 });
  });

  test('a meter in two route groups comes once, with both groups; a deleted group leaves the route', async () => {
    const f = fleet();
    const both = addGroup(demo, 'Both', [f.tv4, f.off]);
    const d = await device();
    await setRoute(d.id, [f.route, both]);
    const r = await json(call('GET', '/api/sync/route', { bearer: d.secret }));
    expect(r.body.meters.map((m: any) => [m.id, m.groupIds])).toEqual([
      [f.tv4, [f.route, both].sort((a, b) => a - b)],
      [f.bare, [f.route]],
      [f.off, [both]]
    ]);
    expect(r.body.keys.map((k: any) => k.meterId)).toEqual([f.tv4, f.off]);
    expect((await call('DELETE', `/api/groups/${both}`, { cookie: admin })).status).toBe(200);
    expect((await json(call('GET', '/api/sync/route', { bearer: d.secret }))).body.total).toBe(2);
  });

  test('a large route (10,000 meters) comes in pages, one audit entry per page', async () => {
    const ids: number[] = [];
    const insert = server.db.prepare(
      `insert into meter (tenant_id, manufacturer, serial, created_at, updated_at) values (?, 'KAM', ?, ?, ?) returning id`
    );
    server.db.transaction(() => {
      for (let i = 0; i < 10_000; i++) ids.push((insert.get(demo, String(10_000_000 + i), T, T) as { id: number }).id);
      for (const id of ids.slice(0, 3000)) server.stores.keys.put(demo, id, fromHex(HEAT_KEY), 'csv', T);
    })();
    const g = addGroup(demo, 'Everything', ids);
    const d = await device();
    await setRoute(d.id, [g]);

    const started = performance.now();
    const whole = await json(call('GET', '/api/sync/route?limit=10000', { bearer: d.secret }));
    expect(performance.now() - started).toBeLessThan(1500); // ~100 ms on one core
    expect(whole.body.meters).toHaveLength(10_000);
    expect(whole.body.keys).toHaveLength(3000);
    expect(whole.body.next).toBeNull();

    const seen: number[] = [];
    let keys = 0;
    let cursor: number | null = null;
    let pages = 0;
    do {
      const page: { body: any } = await json(call('GET', `/api/sync/route?limit=4000${cursor ? `&cursor=${cursor}` : ''}`, { bearer: d.secret }));
      seen.push(...page.body.meters.map((m: any) => m.id));
      keys += page.body.keys.length;
      expect(page.body.total).toBe(10_000);
      cursor = page.body.next;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);
    expect(keys).toBe(3000);
    expect(auditRows('key.sent-to-device')).toHaveLength(4);
    expect((await json(call('GET', '/api/sync/status', { bearer: d.secret }))).body.receive).toMatchObject({ meters: 10_000, keys: 3000 });
    expect((await call('GET', '/api/sync/route?limit=10001', { bearer: d.secret })).status).toBe(422);
  });
});

describe('send: frames by client id', () => {
  async function sendSetup() {
    const tv4 = addMeter(demo, 'KAM', '76348799', { version: 0x1b, deviceType: 0x16 });
    addKey(demo, tv4, TV4_KEY);
    const heat = addMeter(demo, HEAT.manufacturer, HEAT.id);
    addKey(demo, heat, HEAT_KEY);
    const d = await device();
    return { tv4, heat, d };
  }
  const send = (secret: string, body: unknown) => json(call('POST', '/api/sync/frames', { bearer: secret, body }));
  const frames = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ clientId: randomUUID(), hex: heatFrame(i + 1, 1000 + i), receivedAt: T + i * 60_000, rssi: -70 }));
  const stored = () => ({ frames: count('frame'), readings: count('reading'), receptions: count('frame_reception'), sync: count('sync_frame') });

  test('frames are decoded by the server; a retried batch or frame changes nothing and answers the same each time', async () => {
    const { tv4, heat, d } = await sendSetup();
    const batch = { batchId: randomUUID(), frames: [{ clientId: randomUUID(), hex: TV4, receivedAt: T, rssi: -80, source: 'im871a' }, ...frames(2)] };
    const first = await send(d.secret, batch);
    expect(first.status).toBe(200);
    expect(first.body.results.map((r: any) => [r.clientId, r.status, r.meterId])).toEqual([
      [batch.frames[0].clientId, 'decoded', tv4],
      [batch.frames[1].clientId, 'decoded', heat],
      [batch.frames[2].clientId, 'decoded', heat]
    ]);
    expect(first.body.counts).toEqual({ decoded: 3 });
    const source = (server.db.prepare('select source from frame where id = ?').get(first.body.results[0].frameId) as { source: string }).source;
    expect(source).toBe(`device ${d.id}/im871a`);
    const before = stored();
    expect(before).toEqual({ frames: 3, readings: 3, receptions: 0, sync: 3 });
    const ingested = auditRows('frames.ingested').length;

    const retry = await send(d.secret, batch);
    expect(retry.status).toBe(200);
    expect(retry.body.results).toEqual(
      first.body.results.map((r: any) => ({ ...r, status: 'duplicate', first: { batchId: batch.batchId, at: server.clock.now, status: 'decoded' } }))
    );
    expect(stored()).toEqual(before);
    expect(auditRows('frames.ingested')).toHaveLength(ingested);
    server.clock.now += 5000;
    const again = await send(d.secret, batch);
    expect(again.body.results).toEqual(retry.body.results);

    // one frame retried in another batch: the same
    const single = await send(d.secret, { batchId: randomUUID(), frames: [batch.frames[1]] });
    expect(single.body.results).toEqual([retry.body.results[1]]);
    expect(stored()).toEqual(before);

    const st = (await json(call('GET', '/api/sync/status', { bearer: d.secret }))).body;
    expect(st.send).toMatchObject({ lastAt: server.clock.now, frames: 3, byArrival: { decoded: 3 }, byStatus: { decoded: 3 } });
  });

  test('a half-delivered batch retried: "duplicate" for what the server committed, the rest stored, nothing lost or doubled', async () => {
    const { d } = await sendSetup();
    const batch = { batchId: randomUUID(), frames: frames(6) };
    // the server committed the first three, then the connection dropped before the app heard back
    const cut = await send(d.secret, { batchId: batch.batchId, frames: batch.frames.slice(0, 3) });
    expect(cut.body.counts).toEqual({ decoded: 3 });
    server.clock.now += 60_000;
    const retried = await send(d.secret, batch);
    expect(retried.body.results.map((r: any) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'decoded', 'decoded', 'decoded']);
    expect(retried.body.results.slice(0, 3).map((r: any) => r.frameId)).toEqual(cut.body.results.map((r: any) => r.frameId));
    expect(retried.body.results[0].first).toEqual({ batchId: batch.batchId, at: server.clock.now - 60_000, status: 'decoded' });
    expect(stored()).toEqual({ frames: 6, readings: 6, receptions: 0, sync: 6 });
    const st = (await json(call('GET', '/api/sync/status', { bearer: d.secret }))).body;
    expect(st.send.lastBatch).toEqual({ batchId: batch.batchId, firstAt: server.clock.now - 60_000, lastAt: server.clock.now, frames: 6, attempts: 2 });
    expect(st.send.frames).toBe(6);
  });

  test('a telegram a gateway already delivered is merged, not doubled', async () => {
    const { d } = await sendSetup();
    const hex = heatFrame(7, 1234);
    const gw = await json(call('POST', '/api/ingest/frames', { cookie: admin, body: { frames: [{ hex, receivedAt: T, source: 'gw-1', rssi: -90 }] } }));
    expect(gw.body.results[0].status).toBe('decoded');
    const r = await send(d.secret, { batchId: randomUUID(), frames: [{ clientId: randomUUID(), hex, receivedAt: T + 1000, rssi: -60 }] });
    expect(r.body.results[0]).toMatchObject({ status: 'duplicate', frameId: gw.body.results[0].frameId });
    expect(r.body.results[0].first).toBeUndefined();
    expect(count('frame')).toBe(1);
    expect(count('frame_reception')).toBe(2);

  });

  test('a clientId reused for other bytes is rejected; duplicates inside a batch, bad fields and readings are 422', async () => {
    const { d } = await sendSetup();
    const [a, b] = frames(2);
    await send(d.secret, { batchId: randomUUID(), frames: [a] });
    const reused = await send(d.secret, { batchId: randomUUID(), frames: [{ ...b, clientId: a.clientId }, { ...b, clientId: randomUUID() }] });
    expect(reused.body.results.map((r: any) => r.status)).toEqual(['rejected', 'decoded']);
    expect(count('frame')).toBe(2);

    const before = stored();
    for (const [body, field] of [
      [{ batchId: randomUUID(), frames: [a, a] }, /frames\.1\.clientId/],
      [{ batchId: 'not-a-uuid', frames: [a] }, /^batchId/],
      [{ batchId: randomUUID(), frames: [{ ...a, clientId: 'x' }] }, /frames\.0\.clientId/],
      [{ batchId: randomUUID(), frames: [{ ...a, hex: 'ABC' }] }, /frames\.0\.hex/],
      [{ batchId: randomUUID(), frames: [{ ...a, receivedAt: server.clock.now + 2 * 86_400_000 }] }, /frames\.0\.receivedAt/],
      [{ batchId: randomUUID(), frames: [a], readings: [{ meterId: 1, volume: 5 }] }, /readings/],
      [{ batchId: randomUUID(), frames: [] }, /^frames/]
    ] as const) {
      const r = await send(d.secret, body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(r.body.error).toMatch(field);
    }
    expect(stored()).toEqual(before);
    const broken = await call('POST', '/api/sync/frames', { bearer: d.secret, body: undefined });
    expect(broken.status).toBe(400);
  });

  test('a frame of a meter without a key waits with no-key and the status shows it decoded once the key arrives', async () => {
    const d = await device();
    const meter = addMeter(demo, HEAT.manufacturer, HEAT.id);
    const r = await send(d.secret, { batchId: randomUUID(), frames: frames(1) });
    expect(r.body.results[0].status).toBe('no-key');
    addKey(demo, meter, HEAT_KEY);
    const st = (await json(call('GET', '/api/sync/status', { bearer: d.secret }))).body;
    expect(st.send.byArrival).toEqual({ 'no-key': 1 });
    expect(st.send.byStatus).toEqual({ decoded: 1 });
  });
});
