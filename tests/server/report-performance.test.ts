// Reading performance (M7): expected against received messages per meter, per gateway and per
// drive-by route, with hand-computed figures. The utility's zone is Europe/Copenhagen; the
// interval 28-29 March 2026 crosses the change to summer time (29 March 01:00 UTC), so it runs
// from 2026-03-27T23:00Z (midnight CET) to 2026-03-29T22:00Z (midnight CEST): 24 + 23 = 47 hours.
import { beforeAll, describe, expect, test } from 'vitest';
import type { ReadingColumns } from '../../server/src/ingest/columns';
import { fromHex, toHex } from '../../shared/bytes/hex';
import { aesKey } from '../../shared/crypto/aes';
import { encodeRecords } from '../../shared/mbus/encode-records';
import { encodeTelegram } from '../../shared/wmbus/encode';
import { expectedMessages } from '../../server/src/report/performance';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let tenant: number;
let admin: string;
let group: number;
const utc = (s: string) => Date.parse(s);
const FROM = utc('2026-03-27T23:00:00Z');
const TO = utc('2026-03-29T22:00:00Z');
const Q = 'from=2026-03-28&to=2026-03-29';
const ids: Record<'a' | 'b' | 'c' | 'd' | 'e' | 'f', number> = { a: 0, b: 0, c: 0, d: 0, e: 0, f: 0 };
let device = 0;

const row = (c: Partial<ReadingColumns> = {}): ReadingColumns => ({
  energy: null, volume: 1, flow: null, power: null, tFlow: null, tReturn: null, info: null, extra: null, ...c
});

function meter(serial: string, mode: string, intervalS: number | null, createdAt: number): number {
  return (
    server.db
      .prepare('insert into meter (tenant_id, manufacturer, serial, reading_mode, interval_s, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?) returning id')
      .get(tenant, 'KAM', serial, mode, intervalS, createdAt, createdAt) as { id: number }
  ).id;
}

let digest = 0;
/** A stored frame as ingest leaves it: the frame row, plus reception rows when several receivers heard it. */
function frame(meterId: number | null, at: number, source: string, also: string[] = []): void {
  const d = Buffer.alloc(16);
  d.writeUInt32BE(++digest);
  const id = (
    server.db
      .prepare(`insert into frame (tenant_id, digest, raw, meter_id, received_at, source, status) values (?, ?, x'00', ?, ?, ?, ?) returning id`)
      .get(tenant, d, meterId, at, source, meterId === null ? 'unknown-meter' : 'decoded') as { id: number }
  ).id;
  if (also.length) for (const s of [source, ...also]) server.db.prepare('insert into frame_reception (frame_id, source, received_at) values (?, ?, ?)').run(id, s, at);
}

const get = async (path: string, cookie = admin) => {
  const res = await request(server, 'GET', path, { cookie });
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? ((await res.json()) as any) : await res.text() };
};

beforeAll(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  tenant = (server.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  server.stores.readingDays.ensureTenant(tenant);
  const jan = utc('2026-01-01T00:00:00Z');
  ids.a = meter('10000001', 'fixed-network', 900, jan);
  ids.b = meter('10000002', 'drive-by', null, jan);
  ids.c = meter('10000003', 'drive-by', null, jan);
  ids.d = meter('10000004', 'fixed-network', null, utc('2026-03-29T10:30:00Z')); // 12:30 local, default 900 s
  ids.e = meter('10000005', 'wired', null, jan);
  ids.f = meter('10000006', 'fixed-network', 900, utc('2026-04-05T00:00:00Z'));
  group = (server.db.prepare("insert into meter_group (tenant_id, name, created_at) values (?, 'M7', ?) returning id").get(tenant, jan) as { id: number }).id;
  for (const id of Object.values(ids)) server.db.prepare('insert into group_member (group_id, meter_id) values (?, ?)').run(group, id);

  // A: every 900 s from FROM (k = 0..187) except 10:00-12:59 local on 28 March (09:00-11:59 UTC,
  // k 40-51) and three of the four in 15:00 local (14:00 UTC, k 61-63): 188 - 15 = 173 readings.
  for (let k = 0; k < 188; k++) {
    if ((k >= 40 && k < 52) || (k >= 61 && k < 64)) continue;
    server.stores.readings.put(ids.a, FROM + k * 900_000, row({ volume: k }));
  }
  server.stores.readings.put(ids.a, FROM - 900_000, row()); // before the interval: not counted
  server.stores.readings.put(ids.b, utc('2026-03-28T08:00:00Z'), row()); // read once by the van
  // D: hourly from 11:00 to 21:00 UTC on 29 March: 11 readings in 11 local hours
  for (let h = 11; h <= 21; h++) server.stores.readings.put(ids.d, utc(`2026-03-29T${String(h).padStart(2, '0')}:00:00Z`), row());
  server.stores.readings.put(ids.e, utc('2026-03-28T05:00:00Z'), row()); // wired: one of two days

  // gw-north heard 100 of A's messages, 20 of them also heard by gw-south; gw-south heard D's 11
  // and 5 frames of no known meter; one frame before the interval counts nowhere.
  for (let k = 0; k < 100; k++) frame(ids.a, FROM + k * 900_000, 'gw-north', k < 20 ? ['gw-south'] : []);
  for (let h = 11; h <= 21; h++) frame(ids.d, utc(`2026-03-29T${String(h).padStart(2, '0')}:00:05Z`), 'gw-south');
  for (let i = 0; i < 5; i++) frame(null, FROM + i * 60_000, 'gw-south');
  frame(ids.a, FROM - 1, 'gw-north');
  // a van whose route is the group "Van route" with B and C: it heard B, and E off its route
  device = (
    server.db
      .prepare("insert into device (tenant_id, name, token_hash, registered_at) values (?, 'Van 1', 'x', ?) returning id")
      .get(tenant, jan) as { id: number }
  ).id;
  const route = (server.db.prepare("insert into meter_group (tenant_id, name, created_at) values (?, 'Van route', ?) returning id").get(tenant, jan) as { id: number }).id;
  for (const id of [ids.b, ids.c]) server.db.prepare('insert into group_member (group_id, meter_id) values (?, ?)').run(route, id);
  server.db.prepare('insert into device_route (device_id, group_id) values (?, ?)').run(device, route);
  frame(ids.b, utc('2026-03-28T08:00:00Z'), `device ${device}/IR head`);
  frame(ids.e, utc('2026-03-28T05:00:00Z'), `device ${device}`);
});

const byMeter = (rows: any[]) => Object.fromEntries(rows.map((r) => [r.meterId, r]));

describe('GET /api/reports/performance', () => {
  test('per meter: received against expected by reading mode, hours with a value, across the DST day', async () => {
    const { status, body } = await get(`/api/reports/performance?${Q}&group=${group}&sort=meter&limit=500`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ from: FROM, to: TO, timeZone: 'Europe/Copenhagen', poorBelow: 80, meters: 6, total: 6 });
    const r = byMeter(body.rows);
    // A: 47 h × 3600 s / 900 s = 188 expected; 173 / 188 = 92.02 %; hours 47 - 3 = 44, 44 / 47 = 93.62 %
    expect(r[ids.a]).toMatchObject({ readingMode: 'fixed-network', intervalS: 900, defaultInterval: false, expectedFrom: FROM, received: 173, expected: 188, share: 92, hoursWithValue: 44, hours: 47, hourShare: 93.6, poor: false });
    expect(r[ids.a].lastReadingAt).toBe(FROM + 187 * 900_000);
    // B: drive-by read once: 1 of 1; C: not read, 0 of 1; no hourly slots
    expect(r[ids.b]).toMatchObject({ received: 1, expected: 1, share: 100, hours: null, hourShare: null, poor: false });
    expect(r[ids.c]).toMatchObject({ received: 0, expected: 1, share: 0, hours: null, poor: true, lastReadingAt: null });
    // D: known from 10:30 UTC; (22:00 - 10:30) = 41,400 s / 900 (default) = 46; 11 / 46 = 23.9 %;
    //    hours from 12:00 local (10:00 UTC) to midnight = 12, 11 / 12 = 91.7 %
    expect(r[ids.d]).toMatchObject({ intervalS: 900, defaultInterval: true, expectedFrom: utc('2026-03-29T10:30:00Z'), received: 11, expected: 46, share: 23.9, hoursWithValue: 11, hours: 12, hourShare: 91.7, poor: true });
    // E: wired, one per day: 1 of 2 = 50 %
    expect(r[ids.e]).toMatchObject({ received: 1, expected: 2, share: 50, poor: true });
    // F: created after the interval: nothing expected, not poor
    expect(r[ids.f]).toMatchObject({ expected: 0, share: null, hours: 0, hourShare: null, poor: false });
    // totals: expected 188 + 1 + 1 + 46 + 2 + 0 = 238; counted 173 + 1 + 0 + 11 + 1 = 186; 186 / 238 = 78.15 %
    expect(body).toMatchObject({ poor: 3, received: 186, expected: 238, share: 78.2 });
  });

  test('a meter created after the start is known from its first reading: its local hour, or the start when earlier', async () => {
    // created after the dates (the clock's now): G first heard at FROM + 1 min, known from that
    // hour: 47 h / 1 h = 47, 2 readings = 4.3 %. H heard the day before: owes the whole interval,
    // 47, none = 0 %. I first heard 29 March 10:20 UTC (12:20 CEST): known from 10:00 UTC, to
    // 22:00 UTC = 12 h = 12 expected and 12 hourly slots, 1 reading = 8.3 %.
    const g = meter('10000007', 'point-to-point', 3600, server.clock.now);
    server.stores.readings.put(g, FROM + 60_000, row());
    server.stores.readings.put(g, FROM + 2 * 3_600_000, row());
    const h = meter('10000008', 'point-to-point', 3600, server.clock.now);
    server.stores.readings.put(h, FROM - 86_400_000, row());
    const i = meter('10000009', 'point-to-point', 3600, server.clock.now);
    server.stores.readings.put(i, utc('2026-03-29T10:20:00Z'), row());
    const { body } = await get(`/api/reports/performance?${Q}&sort=meter&limit=500`);
    const r = byMeter(body.rows);
    expect(r[g]).toMatchObject({ expectedFrom: FROM, received: 2, expected: 47, share: 4.3, hours: 47, hoursWithValue: 2 });
    expect(r[h]).toMatchObject({ expectedFrom: FROM, received: 0, expected: 47, share: 0, lastReadingAt: FROM - 86_400_000 });
    expect(r[i]).toMatchObject({ expectedFrom: utc('2026-03-29T10:00:00Z'), received: 1, expected: 12, share: 8.3, hours: 12, hoursWithValue: 1 });

    // the gateway view's light count of what each meter owes gives the same numbers for every meter
    const owed = expectedMessages(server.db, server.stores.readingDays, tenant, { from: '2026-03-28', to: '2026-03-29' });
    for (const row of body.rows as { meterId: number; expected: number }[]) expect([row.meterId, owed.get(row.meterId)]).toEqual([row.meterId, row.expected]);
    expect(owed.size).toBe(body.rows.length);
  });

  test('threshold and only-poor: worst first, the saved threshold applies when none is given', async () => {
    const poor = await get(`/api/reports/performance?${Q}&group=${group}&poorBelow=95&onlyPoor=true`);
    // at 95 %: A (92.0) joins C, D and E; share order 0, 23.9, 50, 92
    expect(poor.body.poor).toBe(4);
    expect(poor.body.rows.map((r: any) => r.meterId)).toEqual([ids.c, ids.d, ids.e, ids.a]);
    const put = await request(server, 'PUT', '/api/reports/performance/settings', { cookie: admin, body: { poorBelow: 20 } });
    expect(put.status).toBe(200);
    expect((await get('/api/reports/performance/settings')).body).toEqual({ poorBelow: 20 });
    const saved = await get(`/api/reports/performance?${Q}&group=${group}&onlyPoor=1`);
    expect(saved.body).toMatchObject({ poorBelow: 20, poor: 1, total: 1 });
    expect(saved.body.rows[0].meterId).toBe(ids.c);
    const audit = server.db.prepare("select details from audit_entry where event = 'settings.changed' order by id desc limit 1").get() as { details: string };
    expect(JSON.parse(audit.details)).toEqual({ key: 'reports.performance', before: { poorBelow: 80 }, after: { poorBelow: 20 } });
    // a superuser may read it but not change it; out of range is named
    expect((await request(server, 'PUT', '/api/reports/performance/settings', { cookie: await server.as('superuser'), body: { poorBelow: 50 } })).status).toBe(403);
    const bad = await request(server, 'PUT', '/api/reports/performance/settings', { cookie: admin, body: { poorBelow: 150 } });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as any).fields[0].field).toBe('poorBelow');
    await request(server, 'PUT', '/api/reports/performance/settings', { cookie: admin, body: { poorBelow: 80 } });
  });

  test('422 names the field: dates, threshold, unknown parameters', async () => {
    for (const [q, field] of [
      ['from=2026-13-01&to=2026-03-29', 'from'],
      ['from=2026-03-29&to=2026-03-28', 'to'],
      [`${Q}&poorBelow=lots`, 'poorBelow'],
      [`${Q}&sort=name`, 'sort'],
      [`${Q}&colour=red`, 'colour']
    ]) {
      const res = await get(`/api/reports/performance?${q}`);
      expect(res.status, q).toBe(422);
      expect(res.body.fields.map((f: any) => f.field), q).toContain(field);
    }
    expect((await get(`/api/reports/performance?${Q}&group=99999`)).status).toBe(404);
  });
});

describe('gateways and drive-by routes', () => {
  test('per gateway: receptions, meters heard and the share of their expected messages', async () => {
    const { status, body } = await get(`/api/reports/performance/gateways?${Q}`);
    expect(status).toBe(200);
    // gw-north: A's 100 of 188 = 53.19 %; gw-south: A's 20 + D's 11 of 188 + 46 = 31 / 234 = 13.25 %,
    // 36 frames with the 5 of no known meter; field devices are not gateways
    expect(body.gateways).toEqual([
      { source: 'gw-north', frames: 100, messages: 100, meters: 1, expected: 188, share: 53.2, lastAt: FROM + 99 * 900_000 },
      { source: 'gw-south', frames: 36, messages: 31, meters: 2, expected: 234, share: 13.2, lastAt: utc('2026-03-29T21:00:05Z') }
    ]);
    // in a group the frames of no known meter are out of scope
    const g = await get(`/api/reports/performance/gateways?${Q}&group=${group}`);
    expect(g.body.gateways[1]).toMatchObject({ source: 'gw-south', frames: 31, messages: 31 });
  });

  test('per route: meters on the device\'s route, heard by it, read at all', async () => {
    const { body } = await get(`/api/reports/performance/routes?${Q}`);
    // route B and C: the van heard B (1 of 2 = 50 %); it also uploaded E, off its route (2 messages)
    expect(body.routes).toEqual([
      { deviceId: device, device: 'Van 1', revoked: false, groups: [{ id: expect.any(Number), name: 'Van route' }], meters: 2, heard: 1, read: 1, messages: 2, share: 50, lastAt: utc('2026-03-28T08:00:00Z') }
    ]);
    const csv = await get(`/api/reports/performance/routes?${Q}&format=csv`);
    expect(csv.body).toBe(
      'device_id,device,groups,meters,heard,read,messages,share_percent,last_reception\r\n' + `${device},Van 1,Van route,2,1,1,2,50,2026-03-28T08:00:00.000Z\r\n`
    );
  });
});

describe('comments on rows', () => {
  test('create, edit, show on the row and in the CSV, delete; audited; alerts.write only', async () => {
    const superuser = await server.as('superuser');
    const path = `/api/reports/performance/comments/${ids.c}`;
    expect((await request(server, 'PUT', path, { cookie: await server.as('user'), body: { text: 'x' } })).status).toBe(403);
    const empty = await request(server, 'PUT', path, { cookie: superuser, body: { text: '   ' } });
    expect(empty.status).toBe(422);
    expect(((await empty.json()) as any).fields).toEqual([{ field: 'text', message: 'write a comment, or delete it' }]);
    expect((await request(server, 'PUT', '/api/reports/performance/comments/999999', { cookie: superuser, body: { text: 'x' } })).status).toBe(404);

    const made = await request(server, 'PUT', path, { cookie: superuser, body: { text: 'Antenna moved 3 Nov' } });
    expect(made.status).toBe(200);
    expect(await made.json()).toMatchObject({ meterId: ids.c, text: 'Antenna moved 3 Nov', author: 'superuser@demo-utility' });
    server.clock.now += 60_000;
    const edited = (await (await request(server, 'PUT', path, { cookie: superuser, body: { text: 'Antenna moved 3 Nov, "north wall"' } })).json()) as any;
    expect(edited.updatedAt - edited.createdAt).toBe(60_000);

    const report = await get(`/api/reports/performance?${Q}&group=${group}&onlyPoor=true`);
    expect(report.body.rows.find((r: any) => r.meterId === ids.c).comment).toMatchObject({ text: 'Antenna moved 3 Nov, "north wall"' });
    const csv = await get(`/api/reports/performance?${Q}&group=${group}&format=csv&sort=meter`);
    expect(csv.status).toBe(200);
    const lines = (csv.body as string).split('\r\n');
    expect(lines[0]).toBe(
      'meter_id,manufacturer,serial,model,address,postal_code,customer_number,customer,reading_mode,interval_s,expected_from,received,expected,share_percent,hours_with_value,hours,hour_share_percent,last_reading,poor,comment,comment_by,comment_at'
    );
    expect(lines).toContain(`${ids.a},KAM,10000001,,,,,,fixed-network,900,2026-03-27T23:00:00.000Z,173,188,92,44,47,93.6,2026-03-29T21:45:00.000Z,no,,,`);
    expect(lines).toContain(
      `${ids.c},KAM,10000003,,,,,,drive-by,,2026-03-27T23:00:00.000Z,0,1,0,,,,,yes,"Antenna moved 3 Nov, ""north wall""",superuser@demo-utility,${new Date(edited.updatedAt).toISOString()}`
    );
    expect(lines).toHaveLength(8); // header, 6 meters, the empty field after the last CRLF

    expect((await request(server, 'DELETE', path, { cookie: superuser })).status).toBe(204);
    expect((await request(server, 'DELETE', path, { cookie: superuser })).status).toBe(404);
    const events = server.db
      .prepare("select event, details from audit_entry where event like 'report.comment.%' order by id")
      .all() as { event: string; details: string }[];
    expect(events.map((e) => e.event)).toEqual(['report.comment.created', 'report.comment.changed', 'report.comment.deleted']);
    expect(JSON.parse(events[1].details)).toEqual({ report: 'performance', meterId: ids.c, before: 'Antenna moved 3 Nov', text: 'Antenna moved 3 Nov, "north wall"' });
  });

  test('CSV needs export as well as readings.read', async () => {
    const put = await request(server, 'PUT', '/api/permissions/user', { cookie: admin, body: { permissions: ['meters.read', 'readings.read'] } });
    expect(put.status).toBe(200);
    const user = await server.as('user');
    expect((await get(`/api/reports/performance?${Q}`, user)).status).toBe(200);
    expect((await get(`/api/reports/performance?${Q}&format=csv`, user)).status).toBe(403);
    expect((await get(`/api/reports/performance/gateways?${Q}&format=csv`, user)).status).toBe(403);
  });
});

describe('receptions counted as frames arrive (frame_source_day)', () => {
  test('a telegram heard by two gateways counts once for each; decoded later, it moves to its meter', async () => {
    // a MULTICAL 403 (security mode 5) whose meter is not known yet, heard by gw-east then gw-west
    const KEY = '00112233445566778899AABBCCDDEEFF';
    const address = { manufacturer: 'KAM', id: '55667788', version: 0x34, deviceType: 0x0c };
    const payload = encodeRecords([{ type: 'int32', quantity: 'energy kWh', value: 1234 }]);
    const hex = toHex(encodeTelegram({ address, tpl: { header: 'short', acc: 1, security: { mode: 5, key: aesKey(fromHex(KEY)) }, payload } }));
    const at = utc('2026-03-28T12:00:00Z');
    const ingest = await request(server, 'POST', '/api/ingest/frames', {
      cookie: admin,
      body: { frames: [{ hex, receivedAt: at, source: 'gw-east' }, { hex, receivedAt: at + 100, source: 'gw-west' }, { hex, receivedAt: at + 200, source: 'gw-west' }] }
    });
    expect(ingest.status).toBe(200);
    const rows = async () =>
      Object.fromEntries(((await get(`/api/reports/performance/gateways?${Q}`)).body.gateways as any[]).map((g) => [g.source, g]));
    // one frame each (the retried gw-west reception is the same reception), no known meter yet
    let g = await rows();
    expect(g['gw-east']).toMatchObject({ frames: 1, messages: 0, meters: 0, expected: 0, share: null, lastAt: at });
    expect(g['gw-west']).toMatchObject({ frames: 1, messages: 0, meters: 0, lastAt: at + 100 });

    const made = await request(server, 'POST', '/api/meters', { cookie: admin, body: { manufacturer: 'KAM', serial: '55667788', version: 0x34, deviceType: 0x0c } });
    expect(made.status).toBe(201);
    const meterId = ((await made.json()) as any).meter.id;
    expect((await request(server, 'PUT', `/api/meters/${meterId}/key`, { cookie: admin, body: { key: KEY } })).status).toBe(200);
    // decoded now: a drive-by meter (the default) owes one reading, and each gateway has it
    g = await rows();
    expect(g['gw-east']).toMatchObject({ frames: 1, messages: 1, meters: 1, expected: 1, share: 100 });
    expect(g['gw-west']).toMatchObject({ frames: 1, messages: 1, meters: 1, expected: 1, share: 100 });

    // counting the stored frames again (a database upgraded from before migration 011) gives
    // what the triggers kept
    const counts = () => ({
      days: server.db.prepare('select meter_id, source, day, n, last_at from frame_source_day where tenant_id = ? and n > 0 order by 1, 2, 3').all(tenant),
      pairs: server.db.prepare('select meter_id, source from frame_meter_source where tenant_id = ? order by 1, 2').all(tenant)
    });
    const kept = counts();
    server.stores.readingDays.rebuildReceptions(tenant);
    expect(counts().days).toEqual(kept.days);
    // the triggers keep a pair once heard (the frame's time without a meter); the recount has the current ones
    expect(kept.pairs).toEqual(expect.arrayContaining(counts().pairs));
    expect(counts().pairs).toContainEqual({ meter_id: meterId, source: 'gw-west' });
  });
});
