// Meter exchange in the field (M12, issue 5): POST /api/sync/exchanges with the device's own
// token. The Manager keeps both meters' histories and the consumption of the metering point is
// continuous across the exchange; re-sent exchanges change nothing; bad ones are refused alone.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DAY, exchangeScene, KWH, type ExchangeScene } from './field-exchange-fixture';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let s: ExchangeScene;

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  s = await exchangeScene(server);
});
afterEach(() => server.close());

async function send(body: unknown, auth: { bearer?: string; cookie?: string } = { bearer: s.device.secret }) {
  const res = await request(server, 'POST', '/api/sync/exchanges', { ...auth, body });
  return { status: res.status, body: (await res.json()) as any };
}

/** The heat meter 71054899 exchanged 3 days after installation for KAM 80112233: final 1020.25 kWh typed, start 0.5 kWh. */
function heatExchange(o: Record<string, unknown> = {}) {
  return {
    clientId: randomUUID(),
    meterId: s.heat.meter,
    at: new Date(s.t0 + 3 * DAY).toISOString(),
    final: { register: 'energy', value: 1020.25, unit: 'kWh', source: 'typed' },
    newMeter: { manufacturer: 'KAM', serial: '80112233' },
    start: { register: 'energy', value: 0.5, unit: 'kWh' },
    ...o
  };
}

const count = (sql: string, ...args: unknown[]) => (server.db.prepare(sql).get(...args) as { n: number }).n;

/** Everything an exchange could change, to show that a refused one changed nothing. */
function snapshot() {
  return {
    meters: count('select count(*) as n from meter'),
    installations: server.db.prepare('select meter_id, metering_point_id, from_at, to_at from installation order by id').all(),
    readings: count('select count(*) as n from reading'),
    members: count('select count(*) as n from group_member'),
    audit: count('select count(*) as n from audit_entry'),
    applied: count('select count(*) as n from field_exchange')
  };
}

describe('POST /api/sync/exchanges: a field exchange as the Manager sees it', () => {
  test('switches the installation at `at`, keeps the old history, creates the new meter without a key, and consumption stays continuous', async () => {
    const x = heatExchange();
    const at = s.t0 + 3 * DAY;
    const r = await send({ exchanges: [x] });
    expect(r.status).toBe(200);
    expect(r.body.counts).toEqual({ done: 1 });
    const result = r.body.results[0];
    expect(result).toMatchObject({
      clientId: x.clientId,
      status: 'done',
      meteringPointId: s.heat.point,
      oldMeterId: s.heat.meter,
      newMeterNeedsKey: true,
      newMeterCreated: true
    });
    const newId = result.newMeterId as number;

    // the new meter: as printed, same kind as the old one, in the old one's group (so on the route), no key
    const fresh = (await s.call(s.admin, 'GET', `/api/meters/${newId}`)).json.meter;
    expect(fresh).toMatchObject({ manufacturer: 'KAM', serial: '80112233', medium: 'heat', deviceType: 4, hasKey: false, key: null });
    expect(fresh.meteringPoint.id).toBe(s.heat.point);
    expect(fresh.installations).toEqual([{ id: expect.any(Number), meteringPointId: s.heat.point, address: 'Hovedgaden 12', from: at, to: null }]);
    expect(fresh.groups).toEqual([{ id: s.group, name: 'Route north' }]);

    // the old meter: its installation closed at the same instant, its readings all kept, the final one added
    const old = (await s.call(s.admin, 'GET', `/api/meters/${s.heat.meter}`)).json.meter;
    expect(old.meteringPoint).toBeNull();
    expect(old.installations).toEqual([{ id: expect.any(Number), meteringPointId: s.heat.point, address: 'Hovedgaden 12', from: s.t0, to: at }]);
    const oldReadings = server.db.prepare('select at, energy, extra from reading where meter_id = ? order by at').all(s.heat.meter) as any[];
    expect(oldReadings.map((x) => [x.at, x.energy / KWH])).toEqual([
      [s.t0 + DAY, 1000],
      [s.t0 + 2 * DAY, 1010.5],
      [at, 1020.25]
    ]);
    expect(JSON.parse(oldReadings[2].extra)).toEqual({ source: 'field-exchange', exchange: 'final', read: 'typed', clientId: x.clientId });
    const latest = (await s.call(s.admin, 'GET', `/api/meters/${newId}/latest`)).json.reading;
    expect(latest).toMatchObject({ at, values: { energy: 0.5 }, extra: { source: 'field-exchange', exchange: 'start' } });

    // later radio readings of the new meter
    server.db.prepare('insert into reading (meter_id, at, energy) values (?, ?, ?), (?, ?, ?)').run(newId, at + DAY, 7.5 * KWH, newId, at + 2 * DAY, 12.75 * KWH);

    // by hand: (1020.25 − 1000) on the old meter + (12.75 − 0.5) on the new one = 20.25 + 12.25 = 32.5 kWh.
    // Without the final and start readings it would be (1010.5 − 1000) + (12.75 − 7.5) = 15.75.
    const from = new Date(s.t0).toISOString();
    const to = new Date(server.clock.now).toISOString();
    const c = await s.call(s.admin, 'GET', `/api/metering-points/${s.heat.point}/consumption?from=${from}&to=${to}&resolution=day&register=energy`);
    expect(c.status).toBe(200);
    expect(c.json.total).toBe(32.5);
    expect(c.json.installations).toEqual([
      { meterId: s.heat.meter, from: s.t0, to: at },
      { meterId: newId, from: at, to: null }
    ]);
    const exchangeDay = c.json.buckets.find((b: any) => b.from <= at && at < b.to);
    expect(exchangeDay.exchange).toBe(true);
    // the day of the exchange holds the old meter's last 9.75 kWh (1020.25 − 1010.5); the new meter starts from its start reading
    expect(exchangeDay.value).toBe(9.75);
    const after = c.json.buckets.filter((b: any) => b.value !== null && b.from > at).map((b: any) => b.value);
    expect(after).toEqual([7, 5.25]);

    // audited once, the device as actor, with what the fitter entered
    const audit = server.db.prepare(`select actor, device, details from audit_entry where event = 'meter.exchanged'`).all() as any[];
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'device Van 3 tablet', device: 'Van 3 tablet' });
    expect(JSON.parse(audit[0].details)).toMatchObject({
      meteringPointId: s.heat.point,
      oldMeterId: s.heat.meter,
      newMeterId: newId,
      at,
      via: 'field',
      clientId: x.clientId,
      deviceId: s.device.id,
      final: { value: 1020.25, unit: 'kWh', source: 'typed' },
      newMeterCreated: true
    });
    const created = server.db.prepare(`select actor from audit_entry where event = 'meter.created' and details ->> '$.meterId' = ?`).all(newId) as any[];
    expect(created.map((a) => a.actor)).toEqual(['device Van 3 tablet']);
  });

  test('units are converted to the stored register: MWh and GJ, m3 and litres', async () => {
    const heat = heatExchange({
      final: { register: 'energy', value: 1.02025, unit: 'MWh', source: 'radio' },
      start: { register: 'energy', value: 0.0036, unit: 'GJ' } // 3.6 MJ = 1 kWh
    });
    const water = {
      ...heatExchange({ meterId: s.water.meter, newMeter: { manufacturer: 'kam', serial: '80445566' } }),
      final: { register: 'volume', value: 123.456, unit: 'm3', source: 'typed' },
      start: { register: 'volume', value: 12, unit: 'l' }
    };
    const r = await send({ exchanges: [heat, water] });
    expect(r.body.results.map((x: any) => x.status)).toEqual(['done', 'done']);
    const [h, w] = r.body.results;
    const value = (meter: number, col: string) =>
      (server.db.prepare(`select ${col} as v from reading where meter_id = ? and at = ?`).get(meter, s.t0 + 3 * DAY) as { v: number }).v;
    expect(value(s.heat.meter, 'energy')).toBe(1020.25 * KWH);
    expect(value(h.newMeterId, 'energy')).toBe(KWH);
    expect(value(s.water.meter, 'volume')).toBe(123_456_000); // mL
    expect(value(w.newMeterId, 'volume')).toBe(12_000);
    expect((await s.call(s.admin, 'GET', `/api/meters/${w.newMeterId}`)).json.meter).toMatchObject({ manufacturer: 'KAM', serial: '80445566', medium: 'water' });
  });

  test('a new meter the office already knows (with its key) is used, not created: the office need not add a key', async () => {
    const known = (await s.call(s.admin, 'POST', '/api/meters', { manufacturer: 'KAM', serial: '80112233', medium: 'heat' })).json.meter.id;
    expect((await s.call(s.admin, 'PUT', `/api/meters/${known}/key`, { key: '0F1E2D3C4B5A69788796A5B4C3D2E1F0' })).status).toBe(200);
    const r = await send({ exchanges: [heatExchange()] });
    expect(r.body.results[0]).toMatchObject({ status: 'done', newMeterId: known, newMeterNeedsKey: false, newMeterCreated: false });
  });
});

describe('idempotent by clientId', () => {
  test('the same exchange sent again answers duplicate with the first result and changes nothing', async () => {
    const x = heatExchange();
    const first = await send({ exchanges: [x] });
    const before = snapshot();
    server.clock.now += 60_000;
    const again = await send({ exchanges: [x] });
    expect(again.status).toBe(200);
    expect(again.body.counts).toEqual({ duplicate: 1 });
    const { status: _s, ...firstResult } = first.body.results[0];
    expect(again.body.results[0]).toEqual({ ...firstResult, status: 'duplicate', first: { at: server.clock.now - 60_000, deviceId: s.device.id } });
    expect(snapshot()).toEqual(before);

    // once the office adds the key, a re-sent exchange says so
    const newId = first.body.results[0].newMeterId;
    expect((await s.call(s.admin, 'PUT', `/api/meters/${newId}/key`, { key: '0F1E2D3C4B5A69788796A5B4C3D2E1F0' })).status).toBe(200);
    expect((await send({ exchanges: [x] })).body.results[0]).toMatchObject({ status: 'duplicate', newMeterNeedsKey: false });
  });

  test('the same clientId with other content is rejected, names what differs, and changes nothing', async () => {
    const x = heatExchange();
    await send({ exchanges: [x] });
    const before = snapshot();
    const r = await send({ exchanges: [{ ...x, final: { ...x.final, value: 1020.3 } }] });
    expect(r.body.results[0]).toMatchObject({ clientId: x.clientId, status: 'rejected', newMeterId: null });
    expect(r.body.results[0].reason).toMatch(/clientId: .*applied .* another final\.value/);
    expect(snapshot()).toEqual(before);
  });
});

describe('refused exchanges change nothing, and do not stop the others', () => {
  test('a meter that is not on this device\'s route is rejected', async () => {
    const before = snapshot();
    const r = await send({ exchanges: [heatExchange({ meterId: s.offRoute.meter })] });
    expect(r.status).toBe(200);
    expect(r.body.results[0]).toMatchObject({ status: 'rejected', oldMeterId: s.offRoute.meter, meteringPointId: null, newMeterId: null });
    expect(r.body.results[0].reason).toBe("meterId: meter KAM 22222222 is not on this device's route: only meters of its route may be exchanged from it");
    expect(snapshot()).toEqual(before);
  });

  test('each kind of bad exchange gets its own field-specific reason; the good one in the batch is applied', async () => {
    server.db.prepare('update installation set to_at = ? where meter_id = ?').run(s.t0 + DAY, s.water.meter); // the water meter came off earlier
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ meterId: 999_999 }, 'meterId', /meter 999999 not found/],
      [{ meterId: s.water.meter }, 'meterId', /KAM 76348799 is not installed anywhere: it came off metering point \d+ \(Hovedgaden 14\)/],
      [{ newMeter: { manufacturer: 'KAM', serial: '22222222' } }, 'newMeter.serial', /KAM 22222222 is installed at metering point \d+ \(Skovvej 3\)/],
      [{ newMeter: { manufacturer: 'KAM', serial: '71054899' } }, 'newMeter.serial', /the old meter's serial/],
      [{ at: s.t0 - DAY }, 'at', /is not after the old meter's installation began/],
      [{ at: server.clock.now + 2 * 3_600_000 }, 'at', /in the future: check the device clock/],
      [{ final: { register: 'energy', value: -1, unit: 'kWh', source: 'typed' } }, 'final.value', /expected 0 or more/],
      [{ final: { register: 'energy', value: 'lots', unit: 'kWh', source: 'typed' } }, 'final.value', /expected the register value as a number/],
      [{ final: { register: 'energy', value: 1020, unit: 'm3', source: 'typed' } }, 'final.unit', /m3 is a volume unit: the energy register takes/],
      [{ start: { register: 'energy', value: 0, unit: 'furlongs' } }, 'start.unit', /unknown unit "furlongs"/],
      [{ start: { register: 'volume', value: 0, unit: 'm3' } }, 'start.register', /expected energy, the register of the final reading/],
      [
        { final: { register: 'volume', value: 359.9, unit: 'm3', source: 'typed' }, start: { register: 'volume', value: 0, unit: 'm3' } },
        'final.register',
        /heat meter: give its energy register/
      ],
      [{ newMeter: { manufacturer: 'KAM', serial: '1234' } }, 'newMeter.serial', /expected the 8 digits printed on the meter/],
      [{ newMeter: { manufacturer: 'K4M', serial: '80112233' } }, 'newMeter.manufacturer', /3-letter manufacturer code/],
      [{ final: { register: 'energy', value: 1, unit: 'kWh', source: 'guessed' } }, 'final.source', /radio .* or typed/]
    ];
    const before = snapshot();
    const bad = cases.map(([o]) => heatExchange(o));
    const good = heatExchange({ newMeter: { manufacturer: 'KAM', serial: '80998877' } });
    const r = await send({ exchanges: [...bad, good] });
    expect(r.status).toBe(200);
    expect(r.body.counts).toEqual({ rejected: cases.length, done: 1 });
    cases.forEach(([, field, message], i) => {
      const res = r.body.results[i];
      expect(res.status, `case ${i}`).toBe('rejected');
      expect(res.clientId).toBe(bad[i].clientId);
      expect(res.fields.map((f: any) => f.field), `case ${i}: ${res.reason}`).toContain(field);
      expect(res.reason, `case ${i}`).toMatch(message);
    });
    expect(r.body.results[cases.length]).toMatchObject({ status: 'done', clientId: good.clientId });
    const after = snapshot();
    expect(after.applied).toBe(before.applied + 1);
    expect(after.meters).toBe(before.meters + 1);
    expect(after.readings).toBe(before.readings + 2);
  });

  test('a batch without usable client ids is a 422 naming the field; nothing is applied', async () => {
    const before = snapshot();
    const x = heatExchange();
    for (const [body, field] of [
      [{ exchanges: [{ ...x, clientId: 'not-a-uuid' }] }, 'exchanges.0.clientId'],
      [{ exchanges: [heatExchange({ newMeter: { manufacturer: 'KAM', serial: '80998877' } }), x, x] }, 'exchanges.2.clientId'],
      [{ exchanges: [] }, 'exchanges'],
      [{ exchanges: [x], extra: 1 }, '']
    ] as [unknown, string][]) {
      const r = await send(body);
      expect(r.status).toBe(422);
      if (field) expect(r.body.fields.map((f: any) => f.field)).toContain(field);
    }
    expect(snapshot()).toEqual(before);
  });
});

describe('only an authorised field device sends exchanges', () => {
  test('a pending device gets 403, and nothing changes', async () => {
    const reg = await s.call(s.admin, 'POST', '/api/devices/register', { name: 'New phone' });
    await s.call(s.admin, 'POST', `/api/devices/${reg.json.device.id}/route`, { groupIds: [s.group] });
    const before = snapshot();
    const r = await send({ exchanges: [heatExchange()] }, { bearer: reg.json.secret });
    expect(r.status).toBe(403);
    expect(snapshot().installations).toEqual(before.installations);
    expect(server.db.prepare('select count(*) as n from field_exchange').get()).toEqual({ n: 0 });
  });

  test('a person\'s session (even an administrator\'s) or an API token gets 400 like the other sync routes; a revoked device 401', async () => {
    const before = snapshot();
    const person = await send({ exchanges: [heatExchange()] }, { cookie: s.admin });
    expect(person.status).toBe(400);
    expect(person.body.error).toMatch(/Only a field device/);
    const token = await s.call(s.admin, 'POST', '/api/tokens', { name: 'billing', scopes: ['ingest'] });
    expect((await send({ exchanges: [heatExchange()] }, { bearer: token.json.secret })).status).toBe(400);
    expect((await send({ exchanges: [heatExchange()] }, {})).status).toBe(401);
    expect((await s.call(s.admin, 'POST', `/api/devices/${s.device.id}/revoke`)).status).toBe(200);
    expect((await send({ exchanges: [heatExchange()] })).status).toBe(401);
    expect(snapshot().installations).toEqual(before.installations);
  });
});
