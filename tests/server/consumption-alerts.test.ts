// Consumption alerts (M10): limits per day, ISO week (Monday start) and calendar month of the
// utility (Europe/Copenhagen: UTC+2 in summer, UTC+1 in winter, back to winter time on
// 25 October 2026 at 01:00 UTC, so that local day has 25 hours), evaluated as readings arrive and
// on the schedule, with hand-computed consumption. Telegrams: MULTICAL 21 frames made by
// shared/wmbus/encode.ts (protocols.md §2.2, §4) with a throwaway key, ingested like a gateway's.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { fromHex, toHex } from '../../shared/bytes/hex';
import { aesKey } from '../../shared/crypto/aes';
import { encodeRecords } from '../../shared/mbus/encode-records';
import { encodeTelegram } from '../../shared/wmbus/encode';
import type { ReadingColumns } from '../../server/src/ingest/columns';
import { Scheduler } from '../../server/src/jobs/scheduler';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let admin: string;
let tenant: number;
const utc = (s: string) => Date.parse(s);
const M3 = 1e6; // mL per m3 (reading.volume)
const KWH = 3.6e6; // J per kWh (reading.energy)

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  tenant = (server.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
});
afterEach(() => server.close());

/** Moves the clock and signs in again (a session idles out over hours). */
async function clock(at: string) {
  server.clock.now = utc(at);
  admin = await server.signIn('admin');
}

async function call(method: string, path: string, body?: unknown, cookie = admin) {
  const res = await request(server, method, path, { cookie, body });
  const text = await res.text();
  return { status: res.status, json: text.startsWith('{') ? JSON.parse(text) : null, text, headers: res.headers };
}

async function meter(serial: string, medium: 'water' | 'heat'): Promise<number> {
  const r = await call('POST', '/api/meters', { manufacturer: 'KAM', serial, medium });
  expect(r.status).toBe(201);
  return r.json.meter.id;
}

function put(meterId: number, at: string, c: Partial<ReadingColumns>) {
  server.stores.readings.put(meterId, utc(at), { energy: null, volume: null, flow: null, power: null, tFlow: null, tReturn: null, info: null, extra: null, ...c });
}

async function alertsOf(meterId: number) {
  const r = await call('GET', `/api/meters/${meterId}/alert`);
  expect(r.status).toBe(200);
  return r.json.alerts as any[];
}

async function setAlert(body: Record<string, unknown>, cookie = admin) {
  return call('PUT', '/api/alerts', body, cookie);
}

describe('periods on the utility calendar', () => {
  test('a day limit on the 25-hour DST day counts from local midnight (22:00 UTC the day before)', async () => {
    const id = await meter('10000001', 'water');
    put(id, '2026-10-24T21:00:00Z', { volume: 100.0 * M3 }); // local 23:00 on 24 Oct: the day's base
    put(id, '2026-10-24T23:00:00Z', { volume: 100.2 * M3 }); // local 01:00 on 25 Oct
    put(id, '2026-10-25T22:00:00Z', { volume: 100.65 * M3 }); // local 23:00 on 25 Oct (UTC+1 by then)
    await clock('2026-10-25T22:30:00Z');

    const set = await setAlert({ meterIds: [id], period: 'day', limit: 0.6, validFrom: '2026-10-01' });
    expect(set.status).toBe(200);
    expect(set.json).toEqual({ set: 1, replaced: 0, units: { kWh: 0, m3: 1 }, exceeded: 1 });
    const [a] = await alertsOf(id);
    // 100.65 − 100.0 = 0.65 m3 > 0.6 (a UTC day would count 100.65 − 100.2 = 0.45)
    expect(a).toMatchObject({ period: 'day', unit: 'm3', limit: 0.6, state: 'exceeded', value: 0.65, validity: 'valid' });
    expect(a.periodStart).toBe(utc('2026-10-24T22:00:00Z'));
    expect(a.periodEnd).toBe(utc('2026-10-25T23:00:00Z')); // 25 hours later
    expect(a.exceeded).toEqual({ at: utc('2026-10-25T22:00:00Z'), value: 0.65, periodStart: a.periodStart, periodEnd: a.periodEnd });

    // the same day under a limit of 0.7 m3: armed, 0.65 counted; setting again replaces (says so)
    const again = await setAlert({ meterIds: [id], period: 'day', limit: 0.7, validFrom: '2026-10-01' });
    expect(again.json).toMatchObject({ set: 1, replaced: 1, exceeded: 0 });
    expect(await alertsOf(id)).toMatchObject([{ state: 'armed', value: 0.65, limit: 0.7, exceeded: null }]);
  });

  test('a week limit counts from Monday 00:00 local, and the schedule finds the reading that goes over', async () => {
    const id = await meter('10000002', 'heat');
    put(id, '2026-11-21T12:00:00Z', { energy: 4900 * KWH }); // Saturday
    put(id, '2026-11-22T22:00:00Z', { energy: 5000 * KWH }); // Sunday 23:00 local: the week's base
    put(id, '2026-11-23T06:00:00Z', { energy: 5010 * KWH }); // Monday
    put(id, '2026-11-29T10:00:00Z', { energy: 5150 * KWH }); // Sunday 11:00 local
    await clock('2026-11-29T11:00:00Z');

    await setAlert({ meterIds: [id], period: 'week', limit: 200, validFrom: '2026-11-01' });
    const [a] = await alertsOf(id);
    // 5150 − 5000 = 150 kWh ≤ 200 (a week from Sunday would count 5150 − 4900 = 250)
    expect(a).toMatchObject({ unit: 'kWh', state: 'armed', value: 150, periodStart: utc('2026-11-22T23:00:00Z'), periodEnd: utc('2026-11-29T23:00:00Z') });

    // a reading written without the ingest (no listener): the 15-minute schedule evaluates it
    put(id, '2026-11-29T11:10:00Z', { energy: 5201 * KWH });
    await clock('2026-11-29T11:15:00Z');
    new Scheduler({ db: server.db, stores: server.stores, now: () => server.clock.now }).tick();
    // 5201 − 5000 = 201 kWh > 200
    expect(await alertsOf(id)).toMatchObject([{ state: 'exceeded', value: 201, exceeded: { value: 201, at: utc('2026-11-29T11:10:00Z') } }]);

    // the next Monday the schedule counts the new week: 5201 is its base, nothing consumed yet
    await clock('2026-11-30T00:15:00Z'); // Monday 01:15 local
    new Scheduler({ db: server.db, stores: server.stores, now: () => server.clock.now }).tick();
    expect(await alertsOf(id)).toMatchObject([
      { state: 'exceeded', value: 0, periodStart: utc('2026-11-29T23:00:00Z'), exceeded: { value: 201, periodStart: utc('2026-11-22T23:00:00Z') } }
    ]);
  });

  test('a month limit across a register rollover, and validity from mid-month', async () => {
    const a = await meter('10000003', 'water');
    const b = await meter('10000004', 'water');
    for (const id of [a, b]) {
      put(id, '2026-10-31T20:00:00Z', { volume: 99_999.0 * M3 }); // before 1 Nov 00:00 local (23:00 UTC)
      put(id, '2026-11-10T00:00:00Z', { volume: 99_999.8 * M3 });
      put(id, '2026-11-20T00:00:00Z', { volume: 1.3 * M3 }); // the 5-digit register wrapped at 100,000
      put(id, '2026-11-26T12:00:00Z', { volume: 2.0 * M3 });
    }
    await clock('2026-11-26T13:00:00Z');
    await setAlert({ meterIds: [a], period: 'month', limit: 2.5, validFrom: '2026-11-01' });
    await setAlert({ meterIds: [b], period: 'month', limit: 2.5, validFrom: '2026-11-15' });
    // a: 0.8 + (100,000 − 99,999.8 + 1.3 = 1.5) + 0.7 = 3.0 m3 > 2.5
    expect(await alertsOf(a)).toMatchObject([{ state: 'exceeded', value: 3, periodStart: utc('2026-10-31T23:00:00Z') }]);
    // b counts from 15 Nov 00:00 local: base 99,999.8 (10 Nov), then 1.5 + 0.7 = 2.2 m3 ≤ 2.5
    expect(await alertsOf(b)).toMatchObject([{ state: 'armed', value: 2.2 }]);

    // a register reset (a drop far from the top of the register) counts 0 for that step
    const c = await meter('10000008', 'water');
    put(c, '2026-10-31T20:00:00Z', { volume: 500 * M3 });
    put(c, '2026-11-05T00:00:00Z', { volume: 510 * M3 });
    put(c, '2026-11-06T00:00:00Z', { volume: 3 * M3 });
    put(c, '2026-11-26T12:00:00Z', { volume: 4.5 * M3 });
    await setAlert({ meterIds: [c], period: 'month', limit: 12, validFrom: '2026-11-01' });
    // 10 + 0 + 1.5 = 11.5 m3 ≤ 12 (the plain difference would be 4.5 − 500 = −495.5)
    expect(await alertsOf(c)).toMatchObject([{ state: 'armed', value: 11.5 }]);
  });

  test('an ended or not yet valid alert is not evaluated; an open-ended one is', async () => {
    const ids = [await meter('10000005', 'water'), await meter('10000006', 'water'), await meter('10000007', 'water')];
    for (const id of ids) {
      put(id, '2026-11-26T00:00:00Z', { volume: 10 * M3 });
      put(id, '2026-11-26T10:00:00Z', { volume: 11 * M3 });
    }
    await clock('2026-11-26T12:00:00Z');
    await setAlert({ meterIds: [ids[0]], period: 'day', limit: 0.5, validFrom: '2026-11-01', validTo: '2026-11-25' });
    await setAlert({ meterIds: [ids[1]], period: 'day', limit: 0.5, validFrom: '2026-11-27', validTo: null });
    await setAlert({ meterIds: [ids[2]], period: 'day', limit: 0.5, validFrom: '2026-11-26' });
    expect(await alertsOf(ids[0])).toMatchObject([{ validity: 'ended', state: 'armed', value: null, evaluatedAt: null }]);
    expect(await alertsOf(ids[1])).toMatchObject([{ validity: 'not-yet', state: 'armed', value: null }]);
    // 11 − 10 = 1 m3 > 0.5
    expect(await alertsOf(ids[2])).toMatchObject([{ validity: 'valid', validTo: null, state: 'exceeded', value: 1 }]);

    const bad = await setAlert({ meterIds: [ids[0]], period: 'day', limit: 1, validFrom: '2026-11-10', validTo: '2026-11-09' });
    expect(bad.status).toBe(422);
    expect(bad.json.fields).toEqual([{ field: 'validTo', message: 'expected a date on or after validFrom (2026-11-10)' }]);
    expect(await alertsOf(ids[0])).toMatchObject([{ limit: 0.5 }]); // nothing stored was lost
  });
});

// A MULTICAL 21 C1 telegram: total volume in litres and the info code, ELL AES-CTR (protocols.md §2.2, §4).
const KEY = '5A'.repeat(8) + 'C3'.repeat(8);
function waterFrame(serial: string, litres: number, counter: number): string {
  const payload = encodeRecords([
    { type: 'int32', quantity: 'volume l', value: litres },
    { type: 'int16', vif: [0xff, 0x20], value: 0 }
  ]);
  const sn = ((1 << 29) | ((counter & 0x1ffffff) << 4) | (counter & 0xf)) >>> 0;
  return toHex(
    encodeTelegram({
      address: { manufacturer: 'KAM', id: serial, version: 0x1b, deviceType: 0x16 },
      ell: { ci: 0x8d, cc: 0x20, acc: counter & 0xff, sn, key: aesKey(fromHex(KEY)) },
      tpl: { header: 'none', payload }
    })
  );
}

describe('evaluated as readings arrive; reset, disarm, arm, delete', () => {
  test('telegrams over the limit exceed the alert; the list, the meter list and the audit log show it', async () => {
    const serial = '20000001';
    const r = await call('POST', '/api/meters', { manufacturer: 'KAM', serial, version: 0x1b, deviceType: 0x16, medium: 'water', model: 'MULTICAL 21', driver: 'kamstrup-multical21' });
    const id = r.json.meter.id as number;
    expect((await call('PUT', `/api/meters/${id}/key`, { key: KEY })).status).toBe(200);
    let counter = 1;
    const ingest = async (at: string, litres: number) => {
      await clock(at);
      const res = await call('POST', '/api/ingest/frames', { frames: [{ hex: waterFrame(serial, litres, counter++), receivedAt: utc(at), source: 'gw-1' }] });
      expect(res.json.counts.decoded).toBe(1);
    };
    await ingest('2026-11-26T07:00:00Z', 1000); // 08:00 local
    await clock('2026-11-26T07:30:00Z');
    expect((await setAlert({ meterIds: [id], period: 'day', limit: 0.1, validFrom: '2026-11-26' })).json.units).toEqual({ kWh: 0, m3: 1 });

    await ingest('2026-11-26T08:00:00Z', 1050); // 1.050 − 1.000 = 0.05 m3
    expect(await alertsOf(id)).toMatchObject([{ state: 'armed', value: 0.05 }]);
    await ingest('2026-11-26T09:00:00Z', 1150); // 0.15 m3 > 0.1
    const [a] = await alertsOf(id);
    expect(a).toMatchObject({ state: 'exceeded', value: 0.15, exceeded: { value: 0.15, at: utc('2026-11-26T09:00:00Z') } });

    const list = await call('GET', '/api/meters?limit=10');
    expect(list.json.items.find((m: any) => m.id === id).alert).toEqual({ state: 'exceeded', period: 'day', limit: 0.1, value: 0.15, unit: 'm3' });
    const alerts = await call('GET', '/api/alerts?state=exceeded');
    expect(alerts.json).toMatchObject({ total: 1, items: [{ id: a.id, serial, state: 'exceeded' }] });

    // reset: armed again, counting from now (1.150 is the base until the day ends)
    await clock('2026-11-26T09:30:00Z');
    expect((await call('POST', '/api/alerts/reset', { ids: [a.id] })).json).toEqual({ changed: 1 });
    expect(await alertsOf(id)).toMatchObject([{ state: 'armed', value: 0, exceeded: null, countsFrom: utc('2026-11-26T09:30:00Z') }]);
    await ingest('2026-11-26T10:00:00Z', 1200); // 1.200 − 1.150 = 0.05
    expect(await alertsOf(id)).toMatchObject([{ state: 'armed', value: 0.05 }]);

    // disarmed: readings are not evaluated; armed again: counting from then
    expect((await call('POST', '/api/alerts/disarm', { ids: [a.id] })).json).toEqual({ changed: 1 });
    await ingest('2026-11-26T11:00:00Z', 1500);
    expect(await alertsOf(id)).toMatchObject([{ state: 'disarmed', value: 0.05 }]);
    expect((await call('POST', '/api/alerts/arm', { ids: [a.id] })).json).toEqual({ changed: 1 });
    expect(await alertsOf(id)).toMatchObject([{ state: 'armed', value: 0 }]);
    await ingest('2026-11-26T12:00:00Z', 1650); // 1.650 − 1.500 = 0.15 > 0.1
    expect(await alertsOf(id)).toMatchObject([{ state: 'exceeded', value: 0.15 }]);

    expect((await call('DELETE', '/api/alerts', { ids: [a.id] })).json).toEqual({ changed: 1 });
    expect(await alertsOf(id)).toEqual([]);
    expect((await call('GET', '/api/meters?limit=10')).json.items.find((m: any) => m.id === id).alert).toBeNull();

    const audit = server.db.prepare("select event, details from audit_entry where event like 'alerts.%' order by id").all() as { event: string; details: string }[];
    expect(audit.map((e) => [e.event, JSON.parse(e.details).count])).toEqual([
      ['alerts.set', 1],
      ['alerts.reset', 1],
      ['alerts.disarmed', 1],
      ['alerts.armed', 1],
      ['alerts.deleted', 1]
    ]);
  });
});

describe('bulk limits, permissions, CSV', () => {
  function bulkMeters(n: number, groupName?: string): number[] {
    const ins = server.db.prepare("insert into meter (tenant_id, manufacturer, serial, medium, created_at, updated_at) values (?, 'KAM', ?, 'water', 0, 0) returning id").pluck();
    const ids = server.db.transaction(() => Array.from({ length: n }, (_, i) => ins.get(tenant, String(50_000_000 + i)) as number))();
    if (groupName) {
      const g = server.db.prepare('insert into meter_group (tenant_id, name, created_at) values (?, ?, 0) returning id').pluck().get(tenant, groupName) as number;
      const add = server.db.prepare('insert into group_member (group_id, meter_id) values (?, ?)');
      server.db.transaction(() => ids.forEach((id) => add.run(g, id)))();
      return [g, ...ids];
    }
    return ids;
  }

  test('5,000 meters in one call; 5,001 ids or a group of 5,001 is a 422 naming the field', { timeout: 30_000 }, async () => {
    const [group, ...ids] = bulkMeters(5001, 'Big');
    const over = await setAlert({ meterIds: ids, period: 'month', limit: 10 });
    expect(over.status).toBe(422);
    expect(over.json.fields).toEqual([{ field: 'meterIds', message: '5,001 meters: at most 5,000 per call' }]);
    const overGroup = await setAlert({ group, period: 'month', limit: 10 });
    expect(overGroup.json.fields).toEqual([{ field: 'group', message: '5,001 meters: at most 5,000 per call' }]);
    expect(server.db.prepare('select count(*) from consumption_alert').pluck().get()).toBe(0);

    const ok = await setAlert({ meterIds: ids.slice(0, 5000), period: 'month', limit: 10 });
    expect(ok.json).toEqual({ set: 5000, replaced: 0, units: { kWh: 0, m3: 5000 }, exceeded: 0 });
    const reset = await call('POST', '/api/alerts/reset', { ids: Array.from({ length: 5001 }, (_, i) => i + 1) });
    expect(reset.status).toBe(422);
    expect(reset.json.fields[0].field).toBe('ids');
    const page = await call('GET', '/api/alerts?period=month&limit=2');
    expect(page.json.total).toBe(5000);
  });

  test('a group sets its meters; unknown meters are named; roles without alerts.write get 403', async () => {
    const [group, ...ids] = bulkMeters(3, 'Block A');
    expect((await setAlert({ group, period: 'week', limit: 5 })).json.set).toBe(3);
    const unknown = await setAlert({ meterIds: [ids[0], 999_999], period: 'week', limit: 5 });
    expect(unknown.json.fields).toEqual([{ field: 'meterIds', message: 'no meter 999999' }]);
    const both = await setAlert({ period: 'week', limit: 5 });
    expect(both.json.fields).toEqual([{ field: 'meterIds', message: 'give either meterIds or group' }]);
    const negative = await setAlert({ meterIds: [ids[0]], period: 'year', limit: -1 });
    expect(negative.json.fields.map((f: any) => f.field).sort()).toEqual(['limit', 'period']);

    const user = await server.as('user');
    expect((await setAlert({ meterIds: [ids[0]], period: 'day', limit: 1 }, user)).status).toBe(403);
    expect((await call('POST', '/api/alerts/reset', { ids: [1] }, user)).status).toBe(403);
    expect((await call('DELETE', '/api/alerts', { ids: [1] }, user)).status).toBe(403);
    expect((await call('GET', '/api/alerts', undefined, user)).json.total).toBe(3);
    const superuser = await server.as('superuser');
    expect((await setAlert({ meterIds: [ids[0]], period: 'day', limit: 1 }, superuser)).status).toBe(200);
    // another utility sees none of them and cannot set them
    const other = await server.as('administrator', 'Other Utility');
    expect((await call('GET', '/api/alerts', undefined, other)).json.total).toBe(0);
    expect((await setAlert({ meterIds: [ids[0]], period: 'day', limit: 1 }, other)).json.fields[0].message).toBe(`no meter ${ids[0]}`);
  });

  test('CSV: one RFC 4180 row per alert with consumption, limit and state', async () => {
    const id = await meter('10000009', 'water');
    put(id, '2026-11-25T22:00:00Z', { volume: 5 * M3 });
    put(id, '2026-11-26T10:00:00Z', { volume: 5.25 * M3 });
    await clock('2026-11-26T12:00:00Z');
    await setAlert({ meterIds: [id], period: 'day', limit: 0.2, validFrom: '2026-11-26' });
    const csv = await call('GET', '/api/alerts?format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="consumption-alerts-2026-11-26.csv"');
    const lines = csv.text.split('\r\n');
    expect(lines[0]).toBe(
      'meter_id,manufacturer,serial,model,address,postal_code,customer_number,customer,period,limit,unit,consumption,period_start,state,since,exceeded_value,exceeded_at,valid_from,valid_to'
    );
    // 5.25 − 5 = 0.25 m3 > 0.2, the day from 26 Nov 00:00 local (UTC+1)
    expect(lines[1]).toBe(`${id},KAM,10000009,,,,,,day,0.2,m3,0.25,2026-11-26T00:00:00+01:00,exceeded,2026-11-26T13:00:00+01:00,0.25,2026-11-26T11:00:00+01:00,2026-11-26,`);
    expect(lines).toHaveLength(3);
  });
});
