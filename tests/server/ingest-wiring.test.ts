// Frames that wait for a key or a meter are decoded as soon as the registry, the key vault or an
// import brings it: the routes tell the ingest after their change committed (routes/waiting.ts).
// Telegrams: protocols.md TV-4 (a published MULTICAL 21 frame and its key) and MULTICAL 403
// frames made by shared/wmbus/encode.ts with a throwaway key.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { fromHex, toHex } from '../../shared/bytes/hex';
import { aesKey } from '../../shared/crypto/aes';
import { encodeRecords } from '../../shared/mbus/encode-records';
import type { MeterAddress } from '../../shared/model/address';
import { encodeTelegram } from '../../shared/wmbus/encode';
import { makeTestServer, useTempDir, type TestServer } from './helpers';
import { kemFile } from './kem-file';

// protocols.md §10 TV-4 (wmbusmeters tests/test_aes.sh): MULTICAL 21 76348799, ELL AES-CTR, total 6.408 m3
const TV4 = '2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24';
const TV4_KEY = '28F64A24988064A079AA2C807D6102AE';

const HEAT: MeterAddress = { manufacturer: 'KAM', id: '71054899', version: 0x34, deviceType: 0x0c };
const HEAT_METER = { manufacturer: 'KAM', serial: '71054899', version: 0x34, deviceType: 0x0c };
const HEAT_KEY = '0F1E2D3C4B5A69788796A5B4C3D2E1F0';

/** A MULTICAL 403 telegram: energy in kWh; encrypted (security mode 5) unless `key` is null. */
function heatFrame(acc: number, kwh: number, key: string | null = HEAT_KEY, serial = HEAT.id): string {
  const payload = encodeRecords([
    { type: 'int32', quantity: 'energy kWh', value: kwh },
    { type: 'int32', quantity: 'volume 10 l', value: 359116 },
    { type: 'int16', quantity: 'flow temperature 0.01 °C', value: 6215 },
    { type: 'int16', quantity: 'return temperature 0.01 °C', value: 3474 }
  ]);
  const security = key === null ? ({ mode: 0 } as const) : ({ mode: 5, key: aesKey(fromHex(key)) } as const);
  return toHex(encodeTelegram({ address: { ...HEAT, id: serial }, tpl: { header: 'short', acc, security, payload } }));
}

/** A KEM file as Kamstrup builds it (protocols.md §4.8): AES-128-CBC, key = IV = password zero-padded. */
function kemOf(meters: { serial: string; name: string; key: string }[], password: string): string {
  const xml =
    '<?xml version="1.0" encoding="utf-8"?><MetersInOrder>' +
    meters
      .map(
        (m) =>
          `<Meter><MeterName>${m.name}</MeterName><ConsumptionType>Water</ConsumptionType><MeterNo>1</MeterNo><SerialNo>${m.serial}</SerialNo>` +
          `<VendorId>KAM</VendorId><ConfigNo>1</ConfigNo><TypeNo>021</TypeNo><DEK>${m.key}</DEK></Meter>`
      )
      .join('') +
    '</MetersInOrder>';
  return kemFile(xml, password);
}

const tempDir = useTempDir();
let server: TestServer;
let admin: string;
const T = 1_790_000_000_000 - 3_600_000;

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
});
afterEach(() => server.close());

async function call(method: string, path: string, body?: unknown, cookie = admin) {
  const res = await server.app.request(path, {
    method,
    headers: { cookie, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  return { status: res.status, json: (await res.json()) as any };
}

/** Ingest one frame; answers its result {status, frameId, …}. */
async function ingest(hex: string, receivedAt = T, cookie = admin) {
  const r = await call('POST', '/api/ingest/frames', { frames: [{ hex, receivedAt, source: 'gw-1', rssi: -70 }] }, cookie);
  expect(r.status).toBe(200);
  return r.json.results[0] as { status: string; frameId: number; meterId: number | null };
}

const frameStatus = (id: number) => (server.db.prepare('select status from frame where id = ?').get(id) as { status: string }).status;

async function latest(meterId: number) {
  const r = await call('GET', `/api/meters/${meterId}/latest`);
  expect(r.status).toBe(200);
  return r.json.reading as { at: number; values: Record<string, number> } | null;
}

const ONE_DECODED = { frames: 1, decoded: 1, waiting: 0 };

describe('a new meter decodes the frames that waited for it', () => {
  test('POST /api/meters: an unknown-meter frame becomes a reading', async () => {
    const f = await ingest(heatFrame(1, 1234, null));
    expect(f.status).toBe('unknown-meter');

    const created = await call('POST', '/api/meters', HEAT_METER);
    expect(created.status).toBe(201);
    expect(created.json.redecoded).toEqual(ONE_DECODED);
    expect(frameStatus(f.frameId)).toBe('decoded');
    const reading = await latest(created.json.meter.id);
    expect(reading?.at).toBe(T);
    expect(reading?.values.energy).toBe(1234);
  });

  test('TV-4: unknown meter → created → waits for its key → PUT key → decoded', async () => {
    const f = await ingest(TV4);
    expect(f.status).toBe('unknown-meter');
    const created = await call('POST', '/api/meters', { manufacturer: 'KAM', serial: '76348799', driver: 'kamstrup-multical21' });
    expect(created.json.redecoded).toEqual({ frames: 1, decoded: 0, waiting: 1 });
    expect(frameStatus(f.frameId)).toBe('no-key');
    expect(await latest(created.json.meter.id)).toBeNull();

    const set = await call('PUT', `/api/meters/${created.json.meter.id}/key`, { key: TV4_KEY });
    expect(set.status).toBe(200);
    expect(set.json).toEqual({ meterId: created.json.meter.id, replaced: false, redecoded: ONE_DECODED });
    expect(frameStatus(f.frameId)).toBe('decoded');
    expect((await latest(created.json.meter.id))?.values.volume).toBe(6.408);
  });

  test('a meter created in another utility leaves this one\'s waiting frame alone', async () => {
    const other = await server.as('administrator', 'Other Utility');
    const f = await ingest(heatFrame(1, 5, null));
    const created = await call('POST', '/api/meters', HEAT_METER, other);
    expect(created.status).toBe(201);
    expect(created.json.redecoded).toEqual({ frames: 0, decoded: 0, waiting: 0 });
    expect(frameStatus(f.frameId)).toBe('unknown-meter');
  });

  test('PATCH /api/meters/:id to the frame\'s serial decodes it with the meter\'s key; other changes decode nothing', async () => {
    const meter = (await call('POST', '/api/meters', { ...HEAT_METER, serial: '11111111' })).json.meter;
    expect((await call('PUT', `/api/meters/${meter.id}/key`, { key: HEAT_KEY })).status).toBe(200);
    // the ingest now holds the key in memory under the old serial
    expect((await ingest(heatFrame(1, 70, HEAT_KEY, '11111111'), T - 60_000)).status).toBe('decoded');
    const f = await ingest(heatFrame(1, 77));
    expect(f.status).toBe('unknown-meter');
    const renamed = await call('PATCH', `/api/meters/${meter.id}`, { model: 'MULTICAL 403' });
    expect(renamed.status).toBe(200);
    expect(renamed.json.redecoded).toBeUndefined();
    expect(frameStatus(f.frameId)).toBe('unknown-meter');

    const fixed = await call('PATCH', `/api/meters/${meter.id}`, { serial: '71054899' });
    expect(fixed.status).toBe(200);
    expect(fixed.json.redecoded).toEqual(ONE_DECODED);
    expect((await latest(meter.id))?.values.energy).toBe(77);
  });

  test('CSV import of meters decodes their waiting frames', async () => {
    const f = await ingest(heatFrame(1, 4321, null));
    expect(f.status).toBe('unknown-meter');
    const csv = 'manufacturer;serial;version;deviceType\nKAM;71054899;52;12\nKAM;71054900;52;12\n';
    const dry = await call('POST', '/api/imports/csv', { kind: 'meters', separator: ';', csv, dryRun: true });
    expect(dry.json.redecoded).toEqual({ frames: 0, decoded: 0, waiting: 0 });
    expect(frameStatus(f.frameId)).toBe('unknown-meter');

    const res = await call('POST', '/api/imports/csv', { kind: 'meters', separator: ';', csv });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ created: 2, imported: true, redecoded: ONE_DECODED });
    expect(frameStatus(f.frameId)).toBe('decoded');
  });
});

describe('a new key decodes the frames that waited for it', () => {
  test('PUT /api/meters/:id/key: a no-key frame becomes a reading; the next frame decodes at once; DELETE takes the key away', async () => {
    const meter = (await call('POST', '/api/meters', HEAT_METER)).json.meter;
    const f = await ingest(heatFrame(1, 100));
    expect(f).toMatchObject({ status: 'no-key', meterId: meter.id });

    const set = await call('PUT', `/api/meters/${meter.id}/key`, { key: HEAT_KEY });
    expect(set.json.redecoded).toEqual(ONE_DECODED);
    expect(frameStatus(f.frameId)).toBe('decoded');
    expect((await latest(meter.id))?.values.energy).toBe(100);

    // the in-memory key ring follows at once, without waiting for its periodic check
    expect((await ingest(heatFrame(2, 101), T + 60_000)).status).toBe('decoded');
    expect((await call('DELETE', `/api/meters/${meter.id}/key`)).status).toBe(200);
    expect((await ingest(heatFrame(3, 102), T + 120_000)).status).toBe('no-key');
  });

  test('a wrong key keeps the frame waiting; the right one decodes it', async () => {
    const meter = (await call('POST', '/api/meters', HEAT_METER)).json.meter;
    const f = await ingest(heatFrame(1, 100));
    const wrong = await call('PUT', `/api/meters/${meter.id}/key`, { key: '00'.repeat(16) });
    expect(wrong.json.redecoded).toEqual({ frames: 1, decoded: 0, waiting: 1 });
    expect(frameStatus(f.frameId)).toBe('no-key');
    const right = await call('PUT', `/api/meters/${meter.id}/key`, { key: HEAT_KEY });
    expect(right.json).toMatchObject({ replaced: true, redecoded: ONE_DECODED });
  });

  test('CSV import of keys decodes the waiting frames; a dry run or a refused file does not', async () => {
    const meter = (await call('POST', '/api/meters', HEAT_METER)).json.meter;
    const f = await ingest(heatFrame(1, 200));
    expect(f.status).toBe('no-key');

    const refused = await call('POST', '/api/imports/csv', { kind: 'keys', csv: `serial,key\n71054899,${HEAT_KEY}\n99999999,${HEAT_KEY}\n` });
    expect(refused.status).toBe(422);
    const dry = await call('POST', '/api/imports/csv', { kind: 'keys', csv: `serial,key\n71054899,${HEAT_KEY}\n`, dryRun: true });
    expect(dry.json.redecoded).toEqual({ frames: 0, decoded: 0, waiting: 0 });
    expect(frameStatus(f.frameId)).toBe('no-key');

    const res = await call('POST', '/api/imports/csv', { kind: 'keys', csv: `serial,key\n71054899,${HEAT_KEY}\n` });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ created: 1, imported: true, redecoded: ONE_DECODED });
    expect((await latest(meter.id))?.values.energy).toBe(200);
    expect((await ingest(heatFrame(2, 201), T + 60_000)).status).toBe('decoded');

    // the same file again changes no key and decodes nothing
    const again = await call('POST', '/api/imports/csv', { kind: 'keys', csv: `serial,key\n71054899,${HEAT_KEY}\n` });
    expect(again.json).toMatchObject({ unchanged: 1, redecoded: { frames: 0, decoded: 0, waiting: 0 } });
  });

  test('KEM import: creates the meter of an unknown-meter frame and stores its key; the frame is decoded', async () => {
    const f = await ingest(TV4);
    expect(f.status).toBe('unknown-meter');
    const file = kemOf([{ serial: '76348799', name: 'MC21', key: TV4_KEY }], 'pw');
    const res = await call('POST', '/api/imports/kem', { file, password: 'pw' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ metersCreated: 1, keysCreated: 1, imported: true, redecoded: ONE_DECODED });
    expect(frameStatus(f.frameId)).toBe('decoded');
    const meterId = (await call('GET', '/api/meters?q=76348799')).json.items[0].id as number;
    expect((await latest(meterId))?.values.volume).toBe(6.408);
  });

  test('KEM import: the key of an existing meter decodes its no-key frame', async () => {
    const meter = (await call('POST', '/api/meters', { manufacturer: 'KAM', serial: '76348799', driver: 'kamstrup-multical21' })).json.meter;
    const f = await ingest(TV4);
    expect(f.status).toBe('no-key');
    const res = await call('POST', '/api/imports/kem', { file: kemOf([{ serial: '76348799', name: 'MC21', key: TV4_KEY }], 'pw'), password: 'pw' });
    expect(res.json).toMatchObject({ metersCreated: 0, keysCreated: 1, redecoded: ONE_DECODED });
    expect((await latest(meter.id))?.values.volume).toBe(6.408);
  });
});

describe('listeners hear which meters got readings, after the commit', () => {
  test('a decoded frame and a re-decode after a key arrives each name the meter once; an undecodable frame names none', async () => {
    const heard: { tenantId: number; meterIds: number[]; stored: number }[] = [];
    const off = server.stores.ingest.onReadings((tenantId, meterIds) => {
      // after the commit: the reading is already there to read
      const stored = (server.db.prepare('select count(*) as n from reading where meter_id = ?').get(meterIds[0]) as { n: number }).n;
      heard.push({ tenantId, meterIds: [...meterIds], stored });
    });
    const meter = (await call('POST', '/api/meters', HEAT_METER)).json.meter;
    expect((await ingest(heatFrame(1, 10))).status).toBe('no-key');
    expect(heard).toEqual([]);

    expect((await call('PUT', `/api/meters/${meter.id}/key`, { key: HEAT_KEY })).status).toBe(200);
    const tenantId = (server.db.prepare('select tenant_id as t from meter where id = ?').get(meter.id) as { t: number }).t;
    expect(heard).toEqual([{ tenantId, meterIds: [meter.id], stored: 1 }]);

    expect((await ingest(heatFrame(2, 11), T + 60_000)).status).toBe('decoded');
    expect(heard[1]).toEqual({ tenantId, meterIds: [meter.id], stored: 2 });

    // a listener that throws is logged and does not fail the ingest
    const offBad = server.stores.ingest.onReadings(() => {
      throw new Error('listener bug');
    });
    expect((await ingest(heatFrame(3, 12), T + 120_000)).status).toBe('decoded');
    expect(heard).toHaveLength(3);
    offBad();
    off();
    expect((await ingest(heatFrame(4, 13), T + 180_000)).status).toBe('decoded');
    expect(heard).toHaveLength(3);
  });
});
