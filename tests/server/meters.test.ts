import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestServer, useTempDir, type TestServer } from './helpers';
import { apiClient, auditText } from './registry-client';

const tempDir = useTempDir();
let server: TestServer;
let call: ReturnType<typeof apiClient>;
let admin: string;
let other: string;

interface Fixture {
  customer: number;
  point: number;
  meter: number;
}
const DAY = 86_400_000;
const T0 = Date.parse('2025-01-01T00:00:00Z');

async function meterAt(i: number, o: { name: string; address: string; postalCode: string; model: string; medium?: string }): Promise<Fixture> {
  const customer = (await call(admin, 'POST', '/api/customers', { number: `KN${i}`, name: o.name })).json.customer.id;
  const point = (
    await call(admin, 'POST', '/api/metering-points', { number: `MP${i}`, address: o.address, postalCode: o.postalCode, city: 'By', customerId: customer })
  ).json.meteringPoint.id;
  const created = await call(admin, 'POST', '/api/meters', { manufacturer: 'kam', serial: String(70000000 + i), model: o.model, medium: o.medium ?? 'heat' });
  expect(created.status).toBe(201);
  const meter = created.json.meter.id;
  expect((await call(admin, 'POST', `/api/meters/${meter}/install`, { meteringPointId: point, from: T0 })).status).toBe(200);
  return { customer, point, meter };
}

const serials = (res: { json: { items: { serial: string }[] } }) => res.json.items.map((m) => m.serial);

let a: Fixture, b: Fixture, c: Fixture, d: Fixture;
beforeAll(async () => {
  server = await makeTestServer(tempDir());
  call = apiClient(server);
  admin = await server.as('administrator');
  other = await server.as('administrator', 'Other Utility');
  a = await meterAt(1, { name: 'Anna Sørensen', address: 'Hovedgaden 12', postalCode: '8000', model: 'MULTICAL 603' });
  b = await meterAt(2, { name: "Bo O'Neil", address: 'Østergade 3', postalCode: '2100', model: 'MULTICAL 21', medium: 'water' });
  c = await meterAt(3, { name: 'Carl 100%_Test', address: 'Kirkevej 7; --', postalCode: '5000', model: 'flowIQ "2200" \\x' });
  d = await meterAt(4, { name: 'Dorte Hansen', address: 'Birkevej 1', postalCode: '8000', model: 'MULTICAL 403' });
});
afterAll(() => server.close());

describe('meters: list and search', () => {
  test('each row carries its metering point, customer, key flag and latest reading time', async () => {
    server.db.prepare('insert into reading (meter_id, at, energy) values (?, ?, 1), (?, ?, 2)').run(a.meter, T0 + DAY, a.meter, T0 + 2 * DAY);
    const res = await call(admin, 'GET', '/api/meters?q=70000001');
    expect(res.status).toBe(200);
    expect(res.json.total).toBe(1);
    expect(res.json.items[0]).toMatchObject({
      manufacturer: 'KAM',
      serial: '70000001',
      hasKey: false,
      meteringPoint: { id: a.point, address: 'Hovedgaden 12', postalCode: '8000' },
      customer: { id: a.customer, name: 'Anna Sørensen' },
      lastReadingAt: T0 + 2 * DAY
    });
  });

  test('q matches serial, manufacturer, model, customer name and number, address and postal code', async () => {
    expect(serials(await call(admin, 'GET', '/api/meters?q=sørensen'))).toEqual(['70000001']);
    expect(serials(await call(admin, 'GET', '/api/meters?q=KN2'))).toEqual(['70000002']);
    expect(serials(await call(admin, 'GET', '/api/meters?q=østergade'))).toEqual(['70000002']);
    expect(serials(await call(admin, 'GET', '/api/meters?q=8000'))).toEqual(['70000001', '70000004']);
    expect(serials(await call(admin, 'GET', '/api/meters?q=multical%2040'))).toEqual(['70000004']);
    expect(serials(await call(admin, 'GET', '/api/meters?q=hoved%2012'))).toEqual(['70000001']);
    expect((await call(admin, 'GET', '/api/meters?q=kam')).json.total).toBe(4);
    expect(serials(await call(admin, 'GET', '/api/meters?q=nowhere'))).toEqual([]);
  });

  test('SQL and full-text metacharacters in q return the right rows and no error', async () => {
    const cases: [string, string[]][] = [
      // 1-2 characters alone match the start of the serial or postal code: none of these
      ["'", []],
      ['%', []],
      ['_', []],
      [';', []],
      ['--', []],
      ['"', []],
      ['\\', []],
      ['%%', []],
      // next to a longer word they must occur in its rows
      ["Neil '", ['70000002']],
      ['Carl %', ['70000003']],
      ['Carl _', ['70000003']],
      ['Kirkevej ;', ['70000003']],
      ['Kirkevej --', ['70000003']],
      ['flowIQ "', ['70000003']],
      ['flowIQ \\', ['70000003']],
      ['Anna %', []],
      // 3+ characters anywhere
      ["O'Neil", ['70000002']],
      ['100%_', ['70000003']],
      ['; --', []],
      ['Kirkevej 7; --', ['70000003']],
      ['"2200"', ['70000003']],
      ['\\x', []],
      ['"2200" \\x', ['70000003']],
      ['AND OR NOT', []],
      ['***', []],
      ["' or 1=1 --", []],
      ['NEAR(a b)', []],
      ['7000000', ['70000001', '70000002', '70000003', '70000004']],
      ['70', ['70000001', '70000002', '70000003', '70000004']],
      ['80', ['70000001', '70000004']],
      ['8', ['70000001', '70000004']],
      ['00', []]
    ];
    for (const [q, expected] of cases) {
      const res = await call(admin, 'GET', `/api/meters?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      expect(serials(res), q).toEqual(expected);
    }
  });

  test('sort by serial, customer, address, postal code and type, both ways, with paging', async () => {
    const order = async (sort: string, desc = false) => serials(await call(admin, 'GET', `/api/meters?sort=${sort}${desc ? '&desc=true' : ''}`));
    expect(await order('serial')).toEqual(['70000001', '70000002', '70000003', '70000004']);
    expect(await order('serial', true)).toEqual(['70000004', '70000003', '70000002', '70000001']);
    expect(await order('customer')).toEqual(['70000001', '70000002', '70000003', '70000004']);
    expect(await order('address')).toEqual(['70000004', '70000001', '70000003', '70000002']);
    expect(await order('postalCode')).toEqual(['70000002', '70000003', '70000001', '70000004']);
    // medium, then model (binary order: upper case before lower case)
    expect(await order('type')).toEqual(['70000004', '70000001', '70000003', '70000002']);
    const page = await call(admin, 'GET', '/api/meters?sort=address&limit=2&offset=1');
    expect(page.json).toMatchObject({ total: 4, limit: 2, offset: 1 });
    expect(serials(page)).toEqual(['70000001', '70000003']);
    expect((await call(admin, 'GET', '/api/meters?sort=colour')).status).toBe(422);
    expect((await call(admin, 'GET', '/api/meters?offset=-1')).status).toBe(422);
  });

  test('changes to the point or customer reach the search at once', async () => {
    await call(admin, 'PATCH', `/api/metering-points/${d.point}`, { address: 'Lindealle 99' });
    await call(admin, 'PATCH', `/api/customers/${d.customer}`, { name: 'Dorte Lindholm' });
    expect(serials(await call(admin, 'GET', '/api/meters?q=lindealle'))).toEqual(['70000004']);
    expect(serials(await call(admin, 'GET', '/api/meters?q=lindholm'))).toEqual(['70000004']);
    expect(serials(await call(admin, 'GET', '/api/meters?q=birkevej'))).toEqual([]);
  });
});

describe('installations and meter exchange (M12)', () => {
  test('exchange closes the old installation and opens the new one at the same instant', async () => {
    const fresh = (await call(admin, 'POST', '/api/meters', { manufacturer: 'KAM', serial: '71000001', model: 'MULTICAL 603' })).json.meter;
    const at = T0 + 100 * DAY;
    const res = await call(admin, 'POST', `/api/metering-points/${a.point}/exchange`, { oldMeterId: a.meter, newMeterId: fresh.id, at: new Date(at).toISOString() });
    expect(res.status).toBe(200);
    expect(res.json.meteringPoint.meter.id).toBe(fresh.id);
    expect(res.json.meteringPoint.installations).toMatchObject([
      { meterId: fresh.id, from: at, to: null },
      { meterId: a.meter, from: T0, to: at }
    ]);
    const old = (await call(admin, 'GET', `/api/meters/${a.meter}`)).json.meter;
    expect(old.meteringPoint).toBeNull();
    expect(old.installations).toMatchObject([{ meteringPointId: a.point, from: T0, to: at }]);
    expect(serials(await call(admin, 'GET', '/api/meters?q=hovedgaden'))).toEqual(['71000001']);
    expect(auditText(server, 'meter.exchanged')).toContain(`"newMeterId":${fresh.id}`);
  });

  test('an exchange that does not fit is refused and changes nothing', async () => {
    const before = server.db.prepare('select count(*) as n from installation').get();
    // b is not the meter at a's point
    const r1 = await call(admin, 'POST', `/api/metering-points/${a.point}/exchange`, { oldMeterId: b.meter, newMeterId: a.meter, at: T0 + 200 * DAY });
    expect(r1.status).toBe(409);
    // the new meter is installed elsewhere
    const r2 = await call(admin, 'POST', `/api/metering-points/${c.point}/exchange`, { oldMeterId: c.meter, newMeterId: d.meter, at: T0 + 200 * DAY });
    expect(r2.status).toBe(409);
    // before the old installation began
    const r3 = await call(admin, 'POST', `/api/metering-points/${b.point}/exchange`, { oldMeterId: b.meter, newMeterId: a.meter, at: T0 - DAY });
    expect(r3.status).toBe(422);
    expect(r3.json.error).toContain('at');
    const r4 = await call(admin, 'POST', `/api/metering-points/${b.point}/exchange`, { oldMeterId: b.meter, newMeterId: b.meter, at: T0 + 200 * DAY });
    expect(r4.status).toBe(422);
    expect(server.db.prepare('select count(*) as n from installation').get()).toEqual(before);
  });

  test('install and uninstall check the history', async () => {
    const m = (await call(admin, 'POST', '/api/meters', { manufacturer: 'KAM', serial: '71000002' })).json.meter;
    const p = (await call(admin, 'POST', '/api/metering-points', { number: 'MP-free', address: 'Tom 1' })).json.meteringPoint;
    expect((await call(admin, 'POST', `/api/meters/${m.id}/install`, { meteringPointId: b.point, from: T0 })).status).toBe(409);
    expect((await call(admin, 'POST', `/api/meters/${m.id}/install`, { meteringPointId: p.id, from: T0 })).status).toBe(200);
    expect((await call(admin, 'POST', `/api/meters/${m.id}/install`, { meteringPointId: p.id, from: T0 })).status).toBe(409);
    expect((await call(admin, 'POST', `/api/meters/${m.id}/uninstall`, { at: T0 - 1 })).status).toBe(422);
    const done = await call(admin, 'POST', `/api/meters/${m.id}/uninstall`, { at: T0 + DAY });
    expect(done.json.meter.installations).toMatchObject([{ meteringPointId: p.id, to: T0 + DAY }]);
    expect((await call(admin, 'POST', `/api/meters/${m.id}/install`, { meteringPointId: p.id, from: T0 })).status).toBe(409);
    expect((await call(admin, 'POST', `/api/meters/${m.id}/install`, { meteringPointId: p.id, from: T0 + DAY })).status).toBe(200);
  });
});

describe('meters: create, change, delete', () => {
  test('duplicate identity is 409; bad fields are 422 naming them', async () => {
    expect((await call(admin, 'POST', '/api/meters', { manufacturer: 'KAM', serial: '70000002' })).status).toBe(409);
    const bad = await call(admin, 'POST', '/api/meters', { manufacturer: 'KAMS', serial: '1', readingMode: 'teleport' });
    expect(bad.status).toBe(422);
    expect(bad.json.error).toContain('manufacturer');
    expect(bad.json.error).toContain('readingMode');
    expect((await call(admin, 'POST', '/api/meters', { manufacturer: 'KAM', serial: '5', secret: 1 })).status).toBe(422);
    expect((await call(admin, 'PATCH', `/api/meters/${b.meter}`, { serial: '70000003' })).status).toBe(409);
    const ok = await call(admin, 'PATCH', `/api/meters/${b.meter}`, { model: 'MULTICAL 21 v2', intervalS: 16 });
    expect(ok.json.meter).toMatchObject({ model: 'MULTICAL 21 v2', intervalS: 16 });
  });

  test('a meter with history is deleted only with force, which says what went with it', async () => {
    const refused = await call(admin, 'DELETE', `/api/meters/${a.meter}`);
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatch(/2 reading\(s\)/);
    expect((await call(admin, 'DELETE', `/api/meters/${a.meter}?force=true`)).status).toBe(200);
    expect((await call(admin, 'GET', `/api/meters/${a.meter}`)).status).toBe(404);
    expect(auditText(server, 'meter.deleted')).toContain('"deletedReadings":2');
    const loose = (await call(admin, 'POST', '/api/meters', { manufacturer: 'ABC', serial: '1' })).json.meter;
    expect((await call(admin, 'DELETE', `/api/meters/${loose.id}`)).status).toBe(200);
  });

  test('a metering point with installations is deleted only with force; the meter stays', async () => {
    const p = (await call(admin, 'POST', '/api/metering-points', { number: 'MP-del', address: 'Væk 1' })).json.meteringPoint;
    const m = (await call(admin, 'POST', '/api/meters', { manufacturer: 'KAM', serial: '72000001' })).json.meter;
    await call(admin, 'POST', `/api/meters/${m.id}/install`, { meteringPointId: p.id, from: T0 });
    expect((await call(admin, 'DELETE', `/api/metering-points/${p.id}`)).status).toBe(409);
    expect((await call(admin, 'DELETE', `/api/metering-points/${p.id}?force=1`)).status).toBe(200);
    const meter = (await call(admin, 'GET', `/api/meters/${m.id}`)).json.meter;
    expect(meter.installations).toEqual([]);
    expect((await call(admin, 'POST', '/api/metering-points', { number: 'MP1', address: 'Dup' })).status).toBe(409);
  });
});

describe("another tenant's ids", () => {
  test('are 404 on every meter and metering point route, and never listed', async () => {
    const otherPoint = (await call(other, 'POST', '/api/metering-points', { number: 'O1', address: 'Andet sted 1' })).json.meteringPoint.id;
    const otherMeter = (await call(other, 'POST', '/api/meters', { manufacturer: 'KAM', serial: '79999999' })).json.meter.id;
    const routes: [string, string, unknown?][] = [
      ['GET', `/api/meters/${b.meter}`],
      ['PATCH', `/api/meters/${b.meter}`, { model: 'x' }],
      ['DELETE', `/api/meters/${b.meter}?force=true`],
      ['POST', `/api/meters/${b.meter}/install`, { meteringPointId: otherPoint, from: T0 }],
      ['POST', `/api/meters/${b.meter}/uninstall`, { at: T0 + 300 * DAY }],
      ['POST', `/api/meters/${otherMeter}/install`, { meteringPointId: c.point, from: T0 }],
      ['GET', `/api/metering-points/${b.point}`],
      ['PATCH', `/api/metering-points/${b.point}`, { address: 'x' }],
      ['DELETE', `/api/metering-points/${b.point}?force=true`],
      ['POST', `/api/metering-points/${b.point}/exchange`, { oldMeterId: b.meter, newMeterId: otherMeter, at: T0 + 300 * DAY }],
      ['POST', `/api/metering-points/${otherPoint}/exchange`, { oldMeterId: b.meter, newMeterId: otherMeter, at: T0 + 300 * DAY }],
      ['PATCH', `/api/metering-points/${otherPoint}`, { customerId: b.customer }],
      ['GET', `/api/meters?group=1`]
    ];
    for (const [method, path, body] of routes) {
      const res = await call(other, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.text).not.toContain('70000002');
    }
    const list = await call(other, 'GET', '/api/meters?q=kam');
    expect(serials(list)).toEqual(['79999999']);
    expect((await call(other, 'GET', '/api/metering-points')).json.items.map((p: { id: number }) => p.id)).toEqual([otherPoint]);
    expect((await call(admin, 'GET', `/api/meters/${b.meter}`)).json.meter.meteringPoint.id).toBe(b.point);
  });
});
