// Ingest of wired M-Bus frames (issue 8): a RSP_UD is stored raw first with link 'mbus', named
// by its CI 72 header, decoded with the shared record decoder and the meter's driver; the
// telegrams of one multi-telegram read make one reading; a frame with a wrong checksum is kept
// but never makes a reading. Frames: protocols.md TV-10 (a published MULTICAL 403 RSP_UD) and
// the same records split over two telegrams by hand (first ends with DIF 1F, §8.7).
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { fromHex } from '../../shared/bytes/hex';
import { longFrame } from '../../shared/mbus/link';
import type { Actor } from '../../server/src/auth/principal';
import type { IncomingFrame } from '../../server/src/ingest/ingest';
import { makeTestServer, useTempDir, type TestServer } from './helpers';

// protocols.md TV-10 (wmbusmeters simulations/simulation_mbus.txt): KAM 77447744, 34510 kWh, 2232.49 m3
const TV10 =
  '68464668084a72447744772d2c3404060000000406ce86000004ff073444020004ff08f8ce0100041411680300043B0f02000002593c19025da41104ff220000000004a5ff21c7d02700d916';
const HEADER = (acc: number) => `447744772d2c34040${acc}000000`;
// TV-10's records, split: energy and E8/E9 in the first telegram (then 1F), the rest in the second
const PART1 = '0406ce86000004ff073444020004ff08f8ce0100' + '1f';
const PART2 = '041411680300043B0f02000002593c19025da41104ff220000000004a5ff21c7d02700';
const telegram1 = longFrame(0x08, 0x4a, 0x72, fromHex(HEADER(6) + PART1));
const telegram2 = longFrame(0x08, 0x4a, 0x72, fromHex(HEADER(7) + PART2));

const tempDir = useTempDir();
let server: TestServer;
let actor: Actor;
const T = 1_790_000_000_000 - 3_600_000;

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  const tenantId = (server.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  actor = { tenantId, userId: null, name: 'M-Bus system 1', device: null };
});
afterEach(() => server.close());

function addMeter(serial = '77447744'): number {
  return server.stores.meters.create(actor, { manufacturer: 'KAM', serial, readingMode: 'wired' }, T).id;
}

const wired = (bytes: Uint8Array, receivedAt = T): IncomingFrame => ({ bytes, receivedAt, source: 'mbus:1', rssi: null, link: 'mbus' });

function frames() {
  return server.db.prepare('select id, link, status, reason, meter_id as meterId, address, source from frame order by id').all() as {
    id: number;
    link: string;
    status: string;
    reason: string | null;
    meterId: number | null;
    address: string | null;
    source: string;
  }[];
}

function readings(meterId: number) {
  return server.db.prepare('select at, energy, volume, flow, t_flow as tFlow, t_return as tReturn from reading where meter_id = ? order by at').all(meterId) as {
    at: number;
    energy: number | null;
    volume: number | null;
    flow: number | null;
    tFlow: number | null;
    tReturn: number | null;
  }[];
}

describe('wired RSP_UD ingest', () => {
  test('TV-10 is stored raw with link mbus and makes the reading the published values give', () => {
    const meterId = addMeter();
    const [r] = server.stores.ingest.ingest(actor, [wired(fromHex(TV10))], T);
    expect(r).toMatchObject({ status: 'decoded', meter: 'KAM 77447744', meterId });
    expect(frames()).toEqual([{ id: r.frameId, link: 'mbus', status: 'decoded', reason: null, meterId, address: null, source: 'mbus:1' }]);
    const raw = server.stores.frames.raw(actor.tenantId, r.frameId!);
    expect(Buffer.from(raw!).toString('hex')).toBe(TV10.toLowerCase());
    // 34510 kWh, 2232.49 m3, 0.527 m3/h, 64.60 °C, 45.16 °C (protocols.md TV-10 "Expected")
    expect(readings(meterId)).toEqual([{ at: T, energy: 34510 * 3.6e6, volume: 2232.49e6, flow: 527_000, tFlow: 6460, tReturn: 4516 }]);
  });

  test('the two telegrams of one read make one reading with the records of both; each is its own frame', () => {
    const meterId = addMeter();
    const results = server.stores.ingest.ingest(actor, [wired(telegram1), wired(telegram2)], T);
    expect(results.map((r) => r.status)).toEqual(['decoded', 'decoded']);
    expect(frames().map((f) => [f.link, f.status])).toEqual([
      ['mbus', 'decoded'],
      ['mbus', 'decoded']
    ]);
    // energy only in the first telegram, volume and temperatures only in the second
    expect(readings(meterId)).toEqual([{ at: T, energy: 34510 * 3.6e6, volume: 2232.49e6, flow: 527_000, tFlow: 6460, tReturn: 4516 }]);
  });

  test('a frame with a wrong checksum is kept as failed with the reason and never makes a reading', () => {
    const meterId = addMeter();
    const damaged = fromHex(TV10);
    damaged[damaged.length - 2] ^= 0x01; // checksum D9 → D8
    const [r] = server.stores.ingest.ingest(actor, [wired(damaged)], T);
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(/checksum D8, computed D9/);
    expect(frames()).toMatchObject([{ link: 'mbus', status: 'failed', meterId: null }]);
    expect(readings(meterId)).toEqual([]);
    // decoding the waiting frames again does not make one either
    server.stores.ingest.redecode(actor, { limit: 100 }, T + 1);
    expect(frames()[0].status).toBe('failed');
    expect(readings(meterId)).toEqual([]);
  });

  test('a damaged telegram of a read does not stop the good one from counting, and is not part of the reading', () => {
    const meterId = addMeter();
    const bad = telegram2.slice();
    bad[20] ^= 0xff; // inside the records: the checksum no longer matches
    const results = server.stores.ingest.ingest(actor, [wired(telegram1), wired(bad)], T);
    expect(results.map((r) => r.status)).toEqual(['decoded', 'failed']);
    const [reading] = readings(meterId);
    expect(reading.energy).toBe(34510 * 3.6e6);
    expect(reading.volume).toBeNull();
  });

  test('frames of an unknown meter wait and make one reading per read when the meter arrives', () => {
    const results = server.stores.ingest.ingest(actor, [wired(telegram1), wired(telegram2), wired(fromHex(TV10), T + 900_000)], T);
    expect(results.map((r) => [r.status, r.meter])).toEqual([
      ['unknown-meter', 'KAM 77447744'],
      ['unknown-meter', 'KAM 77447744'],
      ['unknown-meter', 'KAM 77447744']
    ]);
    const meterId = addMeter();
    const counts = server.stores.ingest.metersChanged(actor.tenantId, [meterId], T + 1);
    expect(counts).toEqual({ frames: 3, decoded: 3, waiting: 0 });
    expect(frames().map((f) => [f.status, f.meterId])).toEqual([
      ['decoded', meterId],
      ['decoded', meterId],
      ['decoded', meterId]
    ]);
    const rows = readings(meterId);
    expect(rows.map((r) => r.at)).toEqual([T, T + 900_000]);
    // the split read merged again: both registers at T
    expect(rows[0]).toMatchObject({ energy: 34510 * 3.6e6, volume: 2232.49e6 });
  });

  test('a retried read is recognised: no new frames, the reading is not counted twice', () => {
    const meterId = addMeter();
    server.stores.ingest.ingest(actor, [wired(telegram1), wired(telegram2)], T);
    const again = server.stores.ingest.ingest(actor, [wired(telegram1), wired(telegram2)], T + 5);
    expect(again.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(frames()).toHaveLength(2);
    expect(readings(meterId)).toHaveLength(1);
  });
});
