// Send/Receive carries the link (issue 8, R5): a field device that read a meter through a USB
// level converter sends its RSP_UD telegrams with link 'mbus'; the server stores them as wired
// frames and makes one reading of a multi-telegram read (same receivedAt). A re-sent batch
// changes nothing. Frames: protocols.md TV-10 (a published MULTICAL 403 RSP_UD, KAM 77447744)
// and the same records split by hand over two telegrams (the first ends with DIF 1F, §8.7).
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { fromHex, toHex } from '../../shared/bytes/hex';
import { longFrame } from '../../shared/mbus/link';
import { makeTestServer, request, useTempDir, type RequestOptions, type TestServer } from './helpers';

const HEADER = (acc: number) => `447744772d2c34040${acc}000000`;
const PART1 = '0406ce86000004ff073444020004ff08f8ce0100' + '1f';
const PART2 = '041411680300043B0f02000002593c19025da41104ff220000000004a5ff21c7d02700';
const telegram1 = toHex(longFrame(0x08, 0x4a, 0x72, fromHex(HEADER(6) + PART1)));
const telegram2 = toHex(longFrame(0x08, 0x4a, 0x72, fromHex(HEADER(7) + PART2)));

const tempDir = useTempDir();
let server: TestServer;
let admin: string;
const T = 1_790_000_000_000 - 3_600_000;

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
});
afterEach(() => server.close());

const call = (method: string, path: string, opts: RequestOptions = {}) => request(server, method, path, opts);
async function json(res: Response | Promise<Response>): Promise<{ status: number; body: any }> {
  const r = await res;
  return { status: r.status, body: await r.json() };
}

async function device(): Promise<{ id: number; secret: string }> {
  const reg = await json(call('POST', '/api/devices/register', { cookie: admin, body: { name: 'Plant room laptop' } }));
  expect(reg.status).toBe(201);
  expect((await call('POST', `/api/devices/${reg.body.device.id}/authorise`, { cookie: admin })).status).toBe(200);
  return { id: reg.body.device.id, secret: reg.body.secret };
}

function addWiredMeter(): number {
  const tenantId = (server.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  return server.stores.meters.create({ tenantId, userId: null, name: 'test', device: null }, { manufacturer: 'KAM', serial: '77447744', readingMode: 'wired' }, T).id;
}

const send = (secret: string, body: unknown) => json(call('POST', '/api/sync/frames', { bearer: secret, body }));
const storedFrames = () => server.db.prepare('select link, status, meter_id as meterId, source from frame order by id').all() as { link: string; status: string; meterId: number | null; source: string }[];
const readings = (meterId: number) =>
  server.db.prepare('select at, energy, volume, t_flow as tFlow from reading where meter_id = ?').all(meterId) as { at: number; energy: number | null; volume: number | null; tFlow: number | null }[];

describe('send: wired M-Bus frames', () => {
  test('a two-telegram read sent with link mbus is stored as wired frames and makes one reading; the re-sent batch changes nothing', async () => {
    const meterId = addWiredMeter();
    const d = await device();
    const batch = {
      batchId: randomUUID(),
      frames: [
        { clientId: randomUUID(), hex: telegram1, receivedAt: T, rssi: null, source: 'mbus 2400 baud', link: 'mbus' },
        { clientId: randomUUID(), hex: telegram2, receivedAt: T, rssi: null, source: 'mbus 2400 baud', link: 'mbus' }
      ]
    };
    const first = await send(d.secret, batch);
    expect(first.status).toBe(200);
    expect(first.body.results.map((r: any) => [r.status, r.meterId, r.meter])).toEqual([
      ['decoded', meterId, 'KAM 77447744'],
      ['decoded', meterId, 'KAM 77447744']
    ]);
    expect(storedFrames()).toEqual([
      { link: 'mbus', status: 'decoded', meterId, source: `device ${d.id}/mbus 2400 baud` },
      { link: 'mbus', status: 'decoded', meterId, source: `device ${d.id}/mbus 2400 baud` }
    ]);
    // energy from the first telegram, volume and flow temperature from the second (protocols.md TV-10)
    expect(readings(meterId)).toEqual([{ at: T, energy: 34510 * 3.6e6, volume: 2232.49e6, tFlow: 6460 }]);

    const again = await send(d.secret, batch);
    expect(again.status).toBe(200);
    expect(again.body.results.map((r: any) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(storedFrames()).toHaveLength(2);
    expect(readings(meterId)).toHaveLength(1);
  });

  test('without link a frame is a radio telegram: the same wired bytes are not read as a RSP_UD', async () => {
    const meterId = addWiredMeter();
    const d = await device();
    const r = await send(d.secret, { batchId: randomUUID(), frames: [{ clientId: randomUUID(), hex: telegram1, receivedAt: T }] });
    expect(r.status).toBe(200);
    expect(storedFrames()[0].link).toBe('wmbus');
    expect(r.body.results[0].status).not.toBe('decoded');
    expect(readings(meterId)).toEqual([]);
  });

  test('an unknown link is refused with a 422 naming the field', async () => {
    const d = await device();
    const r = await send(d.secret, { batchId: randomUUID(), frames: [{ clientId: randomUUID(), hex: telegram1, receivedAt: T, link: 'lora' }] });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body)).toContain('frames.0.link');
    expect(JSON.stringify(r.body)).toContain("expected 'wmbus'");
    expect(storedFrames()).toEqual([]);
  });
});
