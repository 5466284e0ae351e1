import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestServer, useTempDir, type TestServer } from './helpers';
import { apiClient } from './registry-client';

// Alarms across the utility (M8): current alarms per meter sorted and filtered, `since`, the CSV
// file byte for byte, and per-meter history counted on Copenhagen calendar days across the DST
// change of 29 March 2026 (CET +01:00 → CEST +02:00 at 01:00 UTC). MULTICAL 21 info code
// (info-codes.ts): bit 0 dry (warning), bit 2 leak (critical), bit 3 burst (critical), bits 4-6 the
// dry duration over the last 30 days (not active now).

const tempDir = useTempDir();
let server: TestServer;
let call: ReturnType<typeof apiClient>;
let admin: string;
let other: string;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T = Date.parse('2026-03-30T10:00:00Z');
const id: Record<string, number> = {};
let group: number;
let otherMeter: number;

async function meter(cookie: string, serial: string, o: { water?: boolean; model?: string; customer?: string; address?: string } = {}): Promise<number> {
  const body = { manufacturer: 'KAM', serial, medium: o.water ? 'water' : 'heat', driver: o.water ? 'kamstrup-multical21' : null, model: o.model ?? null };
  const created = (await call(cookie, 'POST', '/api/meters', body)).json.meter.id;
  if (o.customer) {
    const customer = (await call(cookie, 'POST', '/api/customers', { number: `C-${serial}`, name: o.customer })).json.customer.id;
    const point = (await call(cookie, 'POST', '/api/metering-points', { address: o.address ?? `Street ${serial}`, postalCode: '8000', customerId: customer })).json
      .meteringPoint.id;
    expect((await call(cookie, 'POST', `/api/meters/${created}/install`, { meteringPointId: point, from: T - 30 * DAY })).status).toBe(200);
  }
  return created;
}

function reading(meterId: number, at: number, info: number | null) {
  server.db.prepare('insert into reading (meter_id, at, volume, info) values (?, ?, ?, ?)').run(meterId, at, 1_000_000, info);
}

const serials = (items: { serial: string }[]) => items.map((r) => r.serial);
const list = async (query = '') => {
  const res = await call(admin, 'GET', `/api/alarms${query}`);
  expect(res.status).toBe(200);
  return res.json;
};

beforeAll(async () => {
  server = await makeTestServer(tempDir());
  server.clock.now = T + HOUR;
  call = apiClient(server);
  admin = await server.as('administrator');
  other = await server.as('administrator', 'Other Utility');
  id.a = await meter(admin, 'A1', { water: true, model: 'MULTICAL 21', customer: 'Hansen, Jens "JH"', address: 'Søndergade 1' });
  id.b = await meter(admin, 'B2', { water: true });
  id.c = await meter(admin, 'C3');
  id.d = await meter(admin, 'D4', { water: true });
  id.e = await meter(admin, 'E5', { water: true });
  id.f = await meter(admin, 'F6', { water: true });
  otherMeter = await meter(other, 'X9', { water: true });
  // A: clear three days ago, then leak, then leak + dry: the run began two days ago
  reading(id.a, T - 3 * DAY, 0);
  reading(id.a, T - 2 * DAY, 0b0100);
  reading(id.a, T - DAY, 0b0101);
  reading(id.a, T, 0b0101);
  // B: dry in every reading it has
  reading(id.b, T - 10 * HOUR, 0b0001);
  reading(id.b, T - 5 * HOUR, 0b0001);
  // C: no driver, so an undocumented bit (severity info)
  reading(id.c, T - HOUR, 4);
  // D: an alarm that has cleared; E: only a duration code (dry 1-8 h in the last 30 days), nothing active now
  reading(id.d, T - DAY, 0b0100);
  reading(id.d, T - HOUR, 0);
  reading(id.e, T - HOUR, 0b10000);
  // F: burst, in a group
  reading(id.f, T - HOUR, 0b1000);
  reading(otherMeter, T, 0b0100);
  group = (await call(admin, 'POST', '/api/groups', { name: 'Bursts' })).json.group.id;
  expect((await call(admin, 'POST', `/api/groups/${group}/members`, { meterIds: [id.f] })).status).toBe(200);
});
afterAll(() => server.close());

describe('current alarms (M8)', () => {
  test('one row per meter with active alarms, worst severity first, then newest', async () => {
    const page = await list();
    expect(serials(page.items)).toEqual(['A1', 'F6', 'B2', 'C3']);
    expect(page).toMatchObject({ total: 4, limit: 50, offset: 0 });
    expect(page.items[0]).toEqual({
      meterId: id.a,
      manufacturer: 'KAM',
      serial: 'A1',
      model: 'MULTICAL 21',
      address: 'Søndergade 1',
      postalCode: '8000',
      customer: 'Hansen, Jens "JH"',
      customerNumber: 'C-A1',
      since: T - 2 * DAY,
      sinceCapped: false,
      at: T,
      info: 5,
      alarms: [
        { kind: 'leak', severity: 'critical', label: 'Leak' },
        { kind: 'dry', severity: 'warning', label: 'Dry (no water in meter)' }
      ],
      worst: 'critical'
    });
    // B never had a clear reading: the run starts at its first reading
    expect(page.items[2]).toMatchObject({ since: T - 10 * HOUR, at: T - 5 * HOUR, worst: 'warning', address: null, customer: null });
    expect(page.items[3]).toMatchObject({ worst: 'info', alarms: [{ kind: 'unknown', severity: 'info', label: 'Undocumented status bit' }] });
  });

  test('reversed, by time, and paged', async () => {
    expect(serials((await list('?desc=false')).items)).toEqual(['C3', 'B2', 'F6', 'A1']);
    // C and F were read at the same time: meter id decides
    expect(serials((await list('?sort=time')).items)).toEqual(['A1', 'C3', 'F6', 'B2']);
    expect(serials((await list('?sort=time&desc=false')).items)).toEqual(['B2', 'C3', 'F6', 'A1']);
    const page = await list('?limit=2&offset=1');
    expect(serials(page.items)).toEqual(['F6', 'B2']);
    expect(page).toMatchObject({ total: 4, limit: 2, offset: 1 });
  });

  test('filters: minimum severity, kind, group', async () => {
    expect(serials((await list('?severity=warning')).items)).toEqual(['A1', 'F6', 'B2']);
    expect(serials((await list('?severity=critical')).items)).toEqual(['A1', 'F6']);
    expect(serials((await list('?kind=dry')).items)).toEqual(['A1', 'B2']);
    expect(serials((await list('?kind=burst')).items)).toEqual(['F6']);
    expect((await list('?kind=tamper')).total).toBe(0);
    expect(serials((await list(`?group=${group}`)).items)).toEqual(['F6']);
    expect(serials((await list('?group=ungrouped&sort=time')).items)).toEqual(['A1', 'C3', 'B2']);
    expect((await call(admin, 'GET', '/api/alarms?group=999999')).status).toBe(404);
    // another utility sees only its own meter
    expect(serials((await call(other, 'GET', '/api/alarms')).json.items)).toEqual(['X9']);
  });

  test('a new clear reading ends the alarm; a new alarm starts a new run', async () => {
    reading(id.b, T - 4 * HOUR, 0);
    expect(serials((await list()).items)).toEqual(['A1', 'F6', 'C3']);
    reading(id.b, T - 3 * HOUR, 0b0001);
    const b = (await list('?kind=dry')).items.find((r: { serial: string }) => r.serial === 'B2');
    expect(b).toMatchObject({ since: T - 3 * HOUR, at: T - 3 * HOUR });
    server.db.prepare('delete from reading where meter_id = ? and at >= ?').run(id.b, T - 4 * HOUR);
    // a reading before the 400-day look-back and none clear inside it: the run may be longer
    reading(id.b, T - 5 * HOUR - 401 * DAY, 0b0001);
    const capped = (await list('?kind=dry')).items.find((r: { serial: string }) => r.serial === 'B2');
    expect(capped).toMatchObject({ since: T - 10 * HOUR, sinceCapped: true });
    server.db.prepare('delete from reading where meter_id = ? and at < ?').run(id.b, T - 400 * DAY);
  });

  test('CSV: every matching meter, RFC 4180 quoting, Copenhagen wall clock, as a download', async () => {
    const res = await server.app.request('/api/alarms?format=csv&severity=warning&limit=1', { headers: { cookie: admin } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    // 2026-03-30T11:00Z is 13:00 CEST
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="alarms-2026-03-30.csv"');
    const bytes = new Uint8Array(await res.arrayBuffer());
    const expected =
      'meter_id,manufacturer,serial,model,address,postal_code,customer_number,customer,severity,alarms,since,at\r\n' +
      // since 28 March 10:00Z is still CET (+01:00); at 30 March 10:00Z is CEST (+02:00)
      `${id.a},KAM,A1,MULTICAL 21,Søndergade 1,8000,C-A1,"Hansen, Jens ""JH""",critical,Leak; Dry (no water in meter),2026-03-28T11:00:00+01:00,2026-03-30T12:00:00+02:00\r\n` +
      `${id.f},KAM,F6,,,,,,critical,Burst,2026-03-30T11:00:00+02:00,2026-03-30T11:00:00+02:00\r\n` +
      `${id.b},KAM,B2,,,,,,warning,Dry (no water in meter),2026-03-30T02:00:00+02:00,2026-03-30T07:00:00+02:00\r\n`;
    expect(new TextDecoder().decode(bytes)).toBe(expected);
    expect(bytes).toEqual(new TextEncoder().encode(expected));
    const empty = await server.app.request('/api/alarms?format=csv&kind=tamper', { headers: { cookie: admin } });
    expect(await empty.text()).toBe('meter_id,manufacturer,serial,model,address,postal_code,customer_number,customer,severity,alarms,since,at\r\n');
  });

  test('bad query values are 422 naming the parameter', async () => {
    for (const [query, field] of [
      ['severity=urgent', 'severity'],
      ['kind=fire', 'kind'],
      ['sort=serial', 'sort'],
      ['group=abc', 'group'],
      ['desc=maybe', 'desc'],
      ['format=xml', 'format'],
      ['limit=0', 'limit'],
      ['colour=red', 'colour']
    ]) {
      const res = await call(admin, 'GET', `/api/alarms?${query}`);
      expect(res.status, query).toBe(422);
      expect(res.json.fields.map((f: { field: string }) => f.field), query).toEqual([field]);
    }
  });
});

describe('alarm history of a meter (M8)', () => {
  let h: number;
  beforeAll(async () => {
    h = await meter(admin, 'H7', { water: true });
    const at = (iso: string) => Date.parse(iso);
    reading(h, at('2026-03-27T22:30:00Z'), 0b0100); // 27 March 23:30 CET: leak
    reading(h, at('2026-03-28T22:30:00Z'), 0b0100); // 28 March 23:30 CET: leak
    reading(h, at('2026-03-28T23:30:00Z'), 0b0101); // 29 March 00:30 CET (28 March in UTC): leak + dry
    reading(h, at('2026-03-29T21:30:00Z'), 0); //      29 March 23:30 CEST
    reading(h, at('2026-03-29T22:30:00Z'), 0b0001); // 30 March 00:30 CEST (29 March in UTC): dry
    reading(h, at('2026-03-30T09:00:00Z'), 0); //      30 March 11:00 CEST
  });

  test('days per kind on the utility calendar across the spring DST change', async () => {
    const res = await call(admin, 'GET', `/api/meters/${h}/alarm-history?days=3`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      meterId: h,
      timeZone: 'Europe/Copenhagen',
      days: 3,
      // 28 March 00:00 CET to 31 March 00:00 CEST: 71 hours
      from: Date.parse('2026-03-27T23:00:00Z'),
      to: Date.parse('2026-03-30T22:00:00Z'),
      daysWithReadings: 3,
      kinds: [
        {
          kind: 'leak',
          severity: 'critical',
          label: 'Leak',
          days: 2,
          firstAt: Date.parse('2026-03-28T22:30:00Z'),
          lastAt: Date.parse('2026-03-28T23:30:00Z'),
          text: 'Leak on 2 of the last 3 days'
        },
        {
          kind: 'dry',
          severity: 'warning',
          label: 'Dry (no water in meter)',
          days: 2,
          firstAt: Date.parse('2026-03-28T23:30:00Z'),
          lastAt: Date.parse('2026-03-29T22:30:00Z'),
          text: 'Dry (no water in meter) on 2 of the last 3 days'
        }
      ],
      text: 'Leak on 2 of the last 3 days; Dry (no water in meter) on 2 of the last 3 days. Readings on 3 of 3 days.'
    });
  });

  test('30 days by default; a meter without alarms says so', async () => {
    const res = await call(admin, 'GET', `/api/meters/${h}/alarm-history`);
    expect(res.json).toMatchObject({ days: 30, from: Date.parse('2026-02-28T23:00:00Z'), daysWithReadings: 4 });
    expect(res.json.kinds.map((k: { kind: string; days: number }) => [k.kind, k.days])).toEqual([
      ['leak', 3],
      ['dry', 2]
    ]);
    expect(res.json.text).toBe('Leak on 3 of the last 30 days; Dry (no water in meter) on 2 of the last 30 days. Readings on 4 of 30 days.');
    const quiet = await call(admin, 'GET', `/api/meters/${id.c}/alarm-history?days=7`);
    // C's undocumented bit is still an alarm kind; E's duration code is not active
    expect(quiet.json.text).toBe('Undocumented status bit on 1 of the last 7 days. Readings on 1 of 7 days.');
    expect((await call(admin, 'GET', `/api/meters/${id.e}/alarm-history?days=7`)).json).toMatchObject({
      kinds: [],
      daysWithReadings: 1,
      text: 'No alarms in the last 7 days. Readings on 1 of 7 days.'
    });
  });

  test("another utility's meter is 404, bad days are 422", async () => {
    expect((await call(admin, 'GET', `/api/meters/${otherMeter}/alarm-history`)).status).toBe(404);
    expect((await call(other, 'GET', `/api/meters/${h}/alarm-history`)).status).toBe(404);
    for (const q of ['days=0', 'days=401', 'days=1.5', 'days=x', 'from=1']) {
      expect((await call(admin, 'GET', `/api/meters/${h}/alarm-history?${q}`)).status, q).toBe(422);
    }
    expect((await call(admin, 'GET', '/api/meters/abc/alarm-history')).status).toBe(422);
  });
});

describe('alarms and permissions', () => {
  test('the CSV file needs the export permission as well; the list does not', async () => {
    const put = await call(admin, 'PUT', '/api/permissions/user', { permissions: ['meters.read', 'readings.read'] });
    expect(put.status).toBe(200);
    const user = await server.as('user');
    const csv = await call(user, 'GET', '/api/alarms?format=csv');
    expect(csv.status).toBe(403);
    expect(csv.json.error).toContain('"export"');
    expect((await call(user, 'GET', '/api/alarms')).json.total).toBeGreaterThan(0);
    expect((await call(admin, 'PUT', '/api/permissions/user', { permissions: ['meters.read', 'readings.read', 'export'] })).status).toBe(200);
    expect((await call(user, 'GET', '/api/alarms?format=csv')).status).toBe(200);
  });
});
