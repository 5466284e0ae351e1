// POST /api/ingest/frames (R3, R4): raw first, dedupe across receivers, idempotent retries,
// decoding again when a key or a compact format arrives, shared gateways, hostile input.
// Telegrams: protocols.md TV-4 (a published MULTICAL 21 frame and its key) and frames made by
// shared/wmbus/encode.ts with throwaway AES keys.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { encodeRecords, type RecordSpec } from '../../shared/mbus/encode-records';
import { encodeFrameFormat, encodeTelegram } from '../../shared/wmbus/encode';
import { aesKey } from '../../shared/crypto/aes';
import { fromHex, toHex } from '../../shared/bytes/hex';
import type { MeterAddress } from '../../shared/model/address';
import { makeTestServer, useTempDir, type TestServer } from './helpers';

// protocols.md TV-4 (wmbusmeters tests/test_aes.sh): MULTICAL 21 76348799, ELL AES-CTR, total 6.408 m3
const TV4 = '2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24';
const TV4_KEY = '28F64A24988064A079AA2C807D6102AE';

const HEAT: MeterAddress = { manufacturer: 'KAM', id: '71054899', version: 0x34, deviceType: 0x0c };
const HEAT_KEY = '0F1E2D3C4B5A69788796A5B4C3D2E1F0';

/** A MULTICAL 403 telegram, security mode 5: energy kWh, volume 10 l, flow l/h, t1, t2 0.01 °C. */
function heatFrame(acc: number, kwh: number, key = HEAT_KEY): Uint8Array {
  const payload = encodeRecords([
    { type: 'int32', quantity: 'energy kWh', value: kwh },
    { type: 'int32', quantity: 'volume 10 l', value: 359116 },
    { type: 'int32', quantity: 'volume flow l/h', value: 237 },
    { type: 'int16', quantity: 'flow temperature 0.01 °C', value: 6215 },
    { type: 'int16', quantity: 'return temperature 0.01 °C', value: 3474 },
    { type: 'int16', quantity: 'power 0.1 kW', value: 125 },
    { type: 'int32', vif: [0xff, 0x22], value: 0 }
  ]);
  return encodeTelegram({ address: HEAT, tpl: { header: 'short', acc, security: { mode: 5, key: aesKey(fromHex(key)) }, payload } });
}

const tempDir = useTempDir();
let server: TestServer;
let demo: number;
let admin: string;
const T = 1_790_000_000_000 - 3_600_000;

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  demo = tenantId('Demo Utility');
  admin = await server.as('administrator');
});
afterEach(() => server.close());

function tenantId(name: string): number {
  return (server.db.prepare('select id from tenant where name = ?').get(name) as { id: number }).id;
}

function addMeter(tenant: number, a: MeterAddress): number {
  return (
    server.db
      .prepare(
        `insert into meter (tenant_id, manufacturer, serial, version, device_type, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?, ?) returning id`
      )
      .get(tenant, a.manufacturer, a.id, a.version, a.deviceType, T, T) as { id: number }
  ).id;
}

function addKey(tenant: number, meterId: number, hex: string) {
  server.stores.keys.put(tenant, meterId, fromHex(hex), 'csv', T);
  return server.stores.ingest.keysChanged(tenant, [meterId], server.clock.now);
}

interface FrameIn {
  hex: string;
  receivedAt: number | string;
  source: string;
  rssi?: number;
}

async function post(cookie: string, body: unknown) {
  const res = await server.app.request('/api/ingest/frames', {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  });
  return { status: res.status, body: (await res.json()) as any };
}

const ingest = (frames: FrameIn[], cookie = admin) => post(cookie, { frames });

function count(table: string): number {
  return (server.db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
}

const frameRow = (id: number) =>
  server.db.prepare('select tenant_id as tenantId, meter_id as meterId, status, reason, rssi, source, raw from frame where id = ?').get(id) as {
    tenantId: number;
    meterId: number | null;
    status: string;
    reason: string | null;
    rssi: number | null;
    source: string;
    raw: Buffer;
  };

describe('raw first, decode when the key arrives', () => {
  test('an encrypted frame without a key is stored raw with status no-key and a reason without key material', async () => {
    const meter = addMeter(demo, { manufacturer: 'KAM', id: '76348799', version: 0x1b, deviceType: 0x16 });
    const r = await ingest([{ hex: TV4, receivedAt: T, source: 'gw-1', rssi: -80 }]);
    expect(r.status).toBe(200);
    expect(r.body.results).toEqual([
      { index: 0, status: 'no-key', frameId: expect.any(Number), meter: 'KAM 76348799', meterId: meter, reason: expect.any(String) }
    ]);
    const f = frameRow(r.body.results[0].frameId);
    expect(toHex(f.raw)).toBe(TV4);
    expect(f.status).toBe('no-key');
    expect(f.reason!.toUpperCase()).not.toContain(TV4_KEY);
    expect(count('reading')).toBe(0);

    // the key arrives: the waiting frame is decoded, its reading appears
    expect(addKey(demo, meter, TV4_KEY)).toEqual({ frames: 1, decoded: 1, waiting: 0 });
    expect(frameRow(r.body.results[0].frameId).status).toBe('decoded');
    const latest = await server.app.request(`/api/meters/${meter}/latest`, { headers: { cookie: admin } });
    const body = (await latest.json()) as any;
    expect(body.reading.at).toBe(T);
    expect(body.reading.values.volume).toBe(6.408); // TV-4: total 6.408 m3
    // TV-4: target 6.408 m3, minimum ambient temperature 19 °C (127 °C = not available is left out)
    expect(body.reading.extra).toEqual({ target: 6.408, minExternalTemperature: 19 });
  });

  test('a key stored without telling ingest is picked up within a minute for new frames', async () => {
    const meter = addMeter(demo, HEAT);
    const first = await ingest([{ hex: toHex(heatFrame(1, 10)), receivedAt: T, source: 'gw-1' }]);
    expect(first.body.results[0].status).toBe('no-key');
    server.stores.keys.put(demo, meter, fromHex(HEAT_KEY), 'csv', T); // no keysChanged()
    server.clock.now += 61_000;
    const later = await ingest([{ hex: toHex(heatFrame(2, 11)), receivedAt: T + 900_000, source: 'gw-1' }]);
    expect(later.body.results[0].status).toBe('decoded');
  });

  test('a damaged frame is kept with status failed and the reason', async () => {
    addMeter(demo, HEAT);
    const bytes = heatFrame(1, 32175);
    const damaged = bytes.slice(0, 20); // cut short
    damaged[0] = bytes[0];
    const r = await ingest([{ hex: toHex(damaged), receivedAt: T, source: 'gw-1' }]);
    expect(r.body.results[0].status).toBe('failed');
    expect(r.body.results[0].reason).toMatch(/\d/);
    expect(toHex(frameRow(r.body.results[0].frameId).raw)).toBe(toHex(damaged));
  });

  test('a decoded heat telegram becomes a reading in the fixed small units', async () => {
    const meter = addMeter(demo, HEAT);
    addKey(demo, meter, HEAT_KEY);
    const r = await ingest([{ hex: toHex(heatFrame(7, 32175)), receivedAt: new Date(T).toISOString(), source: 'gw-1', rssi: -70 }]);
    expect(r.body.results[0]).toMatchObject({ status: 'decoded', meterId: meter });
    const row = server.db.prepare('select * from reading where meter_id = ?').get(meter) as Record<string, unknown>;
    // 32175 kWh = 115,830,000,000 J; 359116 × 10 l = 3,591,160,000 mL; 237 l/h = 237,000 mL/h;
    // 12.5 kW = 12,500 W; 62.15 °C = 6215; 34.74 °C = 3474; info code 0
    expect(row).toMatchObject({
      at: T,
      energy: 115_830_000_000,
      volume: 3_591_160_000,
      flow: 237_000,
      power: 12_500,
      t_flow: 6215,
      t_return: 3474,
      info: 0
    });
  });
});

describe('duplicates and retries', () => {
  test('the same telegram from 3 gateways is one frame with 3 receptions; the best RSSI wins', async () => {
    const meter = addMeter(demo, HEAT);
    addKey(demo, meter, HEAT_KEY);
    const plain = heatFrame(3, 100);
    const withCrcs = encodeFrameFormat(plain, 'A'); // another receiver hands over the CRCs too
    const r = await ingest([
      { hex: toHex(plain), receivedAt: T, source: 'gw-1', rssi: -90 },
      { hex: toHex(withCrcs), receivedAt: T + 150, source: 'gw-2', rssi: -60 },
      { hex: toHex(plain), receivedAt: T + 300, source: 'gw-3', rssi: -75 }
    ]);
    expect(r.body.results.map((x: any) => x.status)).toEqual(['decoded', 'duplicate', 'duplicate']);
    const ids = new Set(r.body.results.map((x: any) => x.frameId));
    expect(ids.size).toBe(1);
    expect(count('frame')).toBe(1);
    expect(count('frame_reception')).toBe(3);
    expect(count('reading')).toBe(1);
    const f = frameRow([...ids][0] as number);
    expect(f).toMatchObject({ rssi: -60, source: 'gw-2' });
    const detail = (await (await server.app.request(`/api/frames/${[...ids][0]}`, { headers: { cookie: admin } })).json()) as any;
    expect(detail.frame.receptions.map((x: any) => [x.source, x.rssi])).toEqual([
      ['gw-1', -90],
      ['gw-2', -60],
      ['gw-3', -75]
    ]);
  });

  test('a replayed batch stores nothing new and answers duplicate for each frame', async () => {
    const meter = addMeter(demo, HEAT);
    addKey(demo, meter, HEAT_KEY);
    const batch = [
      { hex: toHex(heatFrame(1, 100)), receivedAt: T, source: 'gw-1', rssi: -80 },
      { hex: toHex(heatFrame(2, 101)), receivedAt: T + 900_000, source: 'gw-1', rssi: -81 },
      { hex: toHex(heatFrame(2, 101)), receivedAt: T + 900_100, source: 'gw-2', rssi: -70 },
      { hex: 'DEADBEEF', receivedAt: T, source: 'gw-1' }
    ];
    const first = await ingest(batch);
    expect(first.body.results.map((x: any) => x.status)).toEqual(['decoded', 'decoded', 'duplicate', 'failed']);
    const before = ['frame', 'frame_reception', 'reading', 'audit_entry'].map(count);
    const again = await ingest(batch);
    expect(again.status).toBe(200);
    expect(again.body.results.map((x: any) => x.status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(again.body.results.map((x: any) => x.frameId)).toEqual(first.body.results.map((x: any) => x.frameId));
    expect(['frame', 'frame_reception', 'reading', 'audit_entry'].map(count)).toEqual(before);
  });

  test('the same bytes much later are a new transmission', async () => {
    addMeter(demo, HEAT);
    const hex = toHex(heatFrame(1, 100));
    const r = await ingest([
      { hex, receivedAt: T, source: 'gw-1' },
      { hex, receivedAt: T + 11 * 60_000, source: 'gw-1' }
    ]);
    expect(r.body.results.map((x: any) => x.status)).toEqual(['no-key', 'no-key']);
    expect(count('frame')).toBe(2);
  });

  test('the window holds across an hour boundary (the dedupe index is by hour) and ends at exactly 10 minutes', async () => {
    addMeter(demo, HEAT);
    const hour = Math.ceil(T / 3_600_000) * 3_600_000;
    const [a, b, c] = [1, 2, 3].map((acc) => toHex(heatFrame(acc, 100)));
    const r = await ingest([
      { hex: a, receivedAt: hour - 4 * 60_000, source: 'gw-1' },
      { hex: a, receivedAt: hour + 6 * 60_000, source: 'gw-2' }, // 10 min later: the same transmission
      { hex: b, receivedAt: hour + 4 * 60_000, source: 'gw-1' },
      { hex: b, receivedAt: hour - 6 * 60_000, source: 'gw-2' }, // heard earlier, posted later
      { hex: c, receivedAt: hour + 5 * 60_000, source: 'gw-1' },
      { hex: c, receivedAt: hour - 5 * 60_000 - 1, source: 'gw-2' } // 10 min + 1 ms: another transmission
    ]);
    const results = r.body.results;
    expect(results.map((x: any) => x.status)).toEqual(['no-key', 'duplicate', 'no-key', 'duplicate', 'no-key', 'no-key']);
    expect(results[1].frameId).toBe(results[0].frameId);
    expect(results[3].frameId).toBe(results[2].frameId);
    expect(count('frame')).toBe(4);
  });
});

describe('compact frames', () => {
  // A MULTICAL 21 register set that no published format has: the full frame must teach it.
  const MC21: MeterAddress = { manufacturer: 'KAM', id: '12345670', version: 0x1b, deviceType: 0x16 };
  const records = (litres: number): { difvif: Uint8Array; data: Uint8Array }[] => {
    const specs: RecordSpec[] = [
      { type: 'int16', vif: [0xff, 0x20], value: 0 },
      { type: 'int32', quantity: 'volume l', value: litres },
      { type: 'int16', quantity: 'volume flow l/h', value: 12 },
      { type: 'int32', quantity: 'volume l', storage: 1, value: 1000 }
    ];
    return specs.map((s) => {
      const all = encodeRecords([s]);
      const dataLength = s.type === 'int16' ? 2 : 4;
      return { difvif: all.subarray(0, all.length - dataLength), data: all.subarray(all.length - dataLength) };
    });
  };
  const compact = (acc: number, litres: number) =>
    encodeTelegram({ address: MC21, ell: { ci: 0x8c, cc: 0x20, acc }, tpl: { header: 'none', compact: records(litres) } });
  const full = (acc: number, litres: number) =>
    encodeTelegram({
      address: MC21,
      ell: { ci: 0x8c, cc: 0x20, acc },
      tpl: { header: 'none', payload: Uint8Array.from(records(litres).flatMap((r) => [...r.difvif, ...r.data])) }
    });

  test('a compact frame before its full frame waits with unknown-format, and is decoded once the full frame arrives', async () => {
    const meter = addMeter(demo, MC21);
    const a = await ingest([{ hex: toHex(compact(1, 2000)), receivedAt: T, source: 'gw-1' }]);
    expect(a.body.results[0]).toMatchObject({ status: 'unknown-format', meterId: meter });
    expect(a.body.results[0].reason).toMatch(/format [0-9A-F]{4} is not known/);

    const b = await ingest([{ hex: toHex(full(2, 2500)), receivedAt: T + 16_000, source: 'gw-2' }]);
    expect(b.body.results[0].status).toBe('decoded');
    expect(frameRow(a.body.results[0].frameId).status).toBe('decoded');
    const volumes = server.db.prepare('select at, volume from reading where meter_id = ? order by at').all(meter);
    expect(volumes).toEqual([
      { at: T, volume: 2_000_000 }, // 2000 l
      { at: T + 16_000, volume: 2_500_000 }
    ]);
    // learnt formats are kept for every receiver of the utility
    const saved = JSON.parse(server.db.prepare("select value from setting where tenant_id = ? and key = 'compact-formats'").pluck().get(demo) as string);
    expect(saved.formats.some((f: any) => f.source === 'KAM 12345670')).toBe(true);
  });

  test('in one batch, a compact frame before its full frame is answered as decoded', async () => {
    addMeter(demo, MC21);
    const r = await ingest([
      { hex: toHex(compact(5, 3000)), receivedAt: T, source: 'gw-1' },
      { hex: toHex(full(6, 3100)), receivedAt: T + 16_000, source: 'gw-1' }
    ]);
    expect(r.body.results.map((x: any) => x.status)).toEqual(['decoded', 'decoded']);
    expect(r.body.results[0].reason).toBeUndefined();
  });
});

describe('tenants', () => {
  test('a frame from a shared gateway is stored for the utility that has the meter, and only it sees the frame', async () => {
    const other = await server.as('administrator', 'Other Utility');
    const otherId = tenantId('Other Utility');
    const theirs = addMeter(otherId, HEAT);
    const gw = await server.app.request('/api/gateways', {
      method: 'POST',
      headers: { cookie: admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'mast-7' })
    });
    const gateway = ((await gw.json()) as any).gateway;
    const share = await server.app.request(`/api/gateways/${gateway.id}/shares`, {
      method: 'PUT',
      headers: { cookie: admin, 'content-type': 'application/json' },
      body: JSON.stringify({ tenants: ['Other Utility'] })
    });
    expect(share.status).toBe(200);

    const stray: MeterAddress = { manufacturer: 'KAM', id: '99999999', version: 0x34, deviceType: 0x0c };
    const strayFrame = encodeTelegram({ address: stray, tpl: { header: 'short', acc: 1, payload: encodeRecords([{ type: 'int32', quantity: 'energy kWh', value: 1 }]) } });
    const r = await ingest([
      { hex: toHex(heatFrame(9, 500)), receivedAt: T, source: 'mast-7', rssi: -70 },
      { hex: toHex(strayFrame), receivedAt: T, source: 'mast-7', rssi: -70 }
    ]);
    expect(r.body.results.map((x: any) => x.status)).toEqual(['no-key', 'unknown-meter']);
    expect(r.body.results[0].meterId).toBe(theirs);
    expect(frameRow(r.body.results[0].frameId).tenantId).toBe(otherId);
    expect(frameRow(r.body.results[1].frameId).tenantId).toBe(demo);

    const ours = (await (await server.app.request('/api/frames', { headers: { cookie: admin } })).json()) as any;
    expect(ours.frames.map((f: any) => f.address)).toEqual(['KAM 99999999']);
    const seen = (await (await server.app.request('/api/frames', { headers: { cookie: other } })).json()) as any;
    expect(seen.frames.map((f: any) => f.id)).toEqual([r.body.results[0].frameId]);
    // the other utility's frame id is a 404 for us, ours for them
    expect((await server.app.request(`/api/frames/${r.body.results[0].frameId}`, { headers: { cookie: admin } })).status).toBe(404);
    expect((await server.app.request(`/api/frames/${r.body.results[1].frameId}`, { headers: { cookie: other } })).status).toBe(404);

    // without the share, the same gateway name of ours keeps everything with us
    await server.app.request(`/api/gateways/${gateway.id}/shares`, {
      method: 'PUT',
      headers: { cookie: admin, 'content-type': 'application/json' },
      body: JSON.stringify({ tenants: [] })
    });
    const later = await ingest([{ hex: toHex(heatFrame(10, 501)), receivedAt: T + 3_600_000, source: 'mast-7' }]);
    expect(later.body.results[0].status).toBe('unknown-meter');
    expect(frameRow(later.body.results[0].frameId).tenantId).toBe(demo);
  });

  test('the other utility cannot share our gateway or see it', async () => {
    const other = await server.as('administrator', 'Other Utility');
    const gw = await server.app.request('/api/gateways', {
      method: 'POST',
      headers: { cookie: admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'mast-8' })
    });
    const id = ((await gw.json()) as any).gateway.id;
    const res = await server.app.request(`/api/gateways/${id}/shares`, {
      method: 'PUT',
      headers: { cookie: other, 'content-type': 'application/json' },
      body: JSON.stringify({ tenants: ['Other Utility'] })
    });
    expect(res.status).toBe(404);
    expect(((await (await server.app.request('/api/gateways', { headers: { cookie: other } })).json()) as any).gateways).toEqual([]);
  });
});

describe('bad input: 4xx naming the field, nothing stored', () => {
  const good = () => ({ hex: toHex(heatFrame(1, 1)), receivedAt: T, source: 'gw-1' });

  test.each([
    ['odd hex', { frames: [{ ...good(), hex: 'ABC' }] }, 'frames.0.hex'],
    ['not hex', { frames: [good(), { ...good(), hex: 'ZZZZ' }] }, 'frames.1.hex'],
    ['unknown field', { frames: [{ ...good(), colour: 'red' }] }, 'frames.0'],
    ['unknown top-level field', { frames: [good()], gateway: 'x' }, 'gateway'],
    ['wrong type', { frames: [{ ...good(), rssi: 'loud' }] }, 'frames.0.rssi'],
    ['missing source', { frames: [{ hex: good().hex, receivedAt: T }] }, 'frames.0.source'],
    ['bad time', { frames: [{ ...good(), receivedAt: 'yesterday' }] }, 'frames.0.receivedAt'],
    ['empty batch', { frames: [] }, 'frames'],
    ['no frames', {}, 'frames']
  ])('%s', async (_name, body, field) => {
    const r = await post(admin, body);
    expect(r.status).toBe(422);
    expect(r.body.error).toContain(field);
    expect(count('frame')).toBe(0);
  });

  test('a frame from more than a day in the future', async () => {
    const r = await ingest([good(), { ...good(), receivedAt: server.clock.now + 2 * 86_400_000 }]);
    expect(r.status).toBe(422);
    expect(r.body.error).toContain('frames.1.receivedAt');
    expect(count('frame')).toBe(0);
  });

  test('more than 10,000 frames in a batch', async () => {
    const f = { hex: '00', receivedAt: T, source: 'g' };
    const r = await post(admin, { frames: Array.from({ length: 10_001 }, () => f) });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatch(/^frames: expected at most 10000/);
    expect(count('frame')).toBe(0);
  });

  test('broken JSON', async () => {
    const r = await post(admin, '{"frames": [');
    expect(r.status).toBe(400);
    expect(count('frame')).toBe(0);
  });

  test('a user (no ingest permission) is refused', async () => {
    const r = await ingest([good()], await server.as('user'));
    expect(r.status).toBe(403);
    expect(count('frame')).toBe(0);
  });
});

describe('decoding again', () => {
  test('ingest.metersChanged decodes the frames that waited for a new meter, also ones unlinked from a deleted meter', async () => {
    const r = await ingest([
      { hex: TV4, receivedAt: T, source: 'gw-1' },
      { hex: toHex(heatFrame(1, 5)), receivedAt: T, source: 'gw-1' }
    ]);
    expect(r.body.results.map((x: any) => x.status)).toEqual(['unknown-meter', 'unknown-meter']);
    const meter = addMeter(demo, { manufacturer: 'KAM', id: '76348799', version: 0x1b, deviceType: 0x16 });
    server.stores.keys.put(demo, meter, fromHex(TV4_KEY), 'csv', T);
    expect(server.stores.ingest.metersChanged(demo, [meter], server.clock.now)).toEqual({ frames: 1, decoded: 1, waiting: 0 });
    expect(frameRow(r.body.results[0].frameId)).toMatchObject({ status: 'decoded', meterId: meter });
    expect(frameRow(r.body.results[1].frameId).status).toBe('unknown-meter');

    // unlinked as the meter registry does when a meter is deleted: the address comes from the bytes
    server.db.prepare("update frame set meter_id = null, status = 'unknown-meter', reason = 'meter deleted' where meter_id = ?").run(meter);
    expect(server.stores.ingest.metersChanged(demo, [meter], server.clock.now)).toEqual({ frames: 1, decoded: 1, waiting: 0 });
  });

  test('POST /api/frames/redecode decodes frames whose meter was created later', async () => {
    const r = await ingest([{ hex: TV4, receivedAt: T, source: 'gw-1' }]);
    expect(r.body.results[0].status).toBe('unknown-meter');
    const meter = addMeter(demo, { manufacturer: 'KAM', id: '76348799', version: 0x1b, deviceType: 0x16 });
    server.stores.keys.put(demo, meter, fromHex(TV4_KEY), 'csv', T);
    const res = await server.app.request('/api/frames/redecode', {
      method: 'POST',
      headers: { cookie: admin, 'content-type': 'application/json' },
      body: '{}'
    });
    expect(await res.json()).toEqual({ frames: 1, decoded: 1, waiting: 0 });
    expect(frameRow(r.body.results[0].frameId)).toMatchObject({ status: 'decoded', meterId: meter });
    const entry = server.db.prepare("select details from audit_entry where event = 'frames.redecoded'").pluck().get() as string;
    expect(JSON.parse(entry)).toEqual({ frames: 1, decoded: 1, waiting: 0 });
  });
});
