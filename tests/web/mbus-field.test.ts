// The field app's wired M-Bus (issue 8, R5) without a browser: the simulated level converter
// (hardware/sim/mbus-shim.ts: a SimBus segment behind a SimLine with real timers) is opened by the
// real Web Serial adapter, the page's session (lib/mbus-field/session.svelte.ts) scans and reads
// through TransportMbusLink and the master, each read's telegrams land raw in the Dexie
// (fake-indexeddb) with link 'mbus', stay out of the radio pipeline, and Send/Receive delivers
// them to the REAL in-process server (tests/web/sync/harness.ts), which makes one reading per read.
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type ReadoutDb } from '../../web/src/lib/db/index';
import { dexiePipelineStore } from '../../web/src/lib/db/pipeline';
import { appendFrames } from '../../web/src/lib/db/frames';
import { storeWiredRead } from '../../web/src/lib/db/wired';
import { replaceRoute } from '../../web/src/lib/db/route';
import { mbusSerialSettings, WebSerialTransport } from '../../web/src/lib/hardware/web-serial';
import { SimMbusSerialPort, type SimMbusConfig } from '../../web/src/lib/hardware/sim/mbus-shim';
import { MbusFieldSession } from '../../web/src/lib/mbus-field/session.svelte';
import { mainValues, valueText } from '../../web/src/lib/mbus-field/values';
import { toWire } from '../../web/src/lib/sync/send';
import { decodeMbusFrame } from '../../shared/mbus/frame';
import { fromHex } from '../../shared/bytes/hex';
import { simSegment, type SimMbusMeter } from '../../shared/mbus/sim/index';
import { useHarness } from './sync/harness';

// protocols.md TV-10: a published MULTICAL 403 RSP_UD, KAM 77447744, 34510 kWh, 2232.49 m3
const TV10 =
  '68464668084a72447744772d2c3404060000000406ce86000004ff073444020004ff08f8ce0100041411680300043B0f02000002593c19025da41104ff220000000004a5ff21c7d02700d916';

/** Times faster than a cable: waits stay ~60 ms or more at 2400 baud, so a busy machine does not turn answers into silence. */
const SPEED = 5;

const dbs: ReadoutDb[] = [];
const sessions: MbusFieldSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.disconnect();
  for (const d of dbs.splice(0)) d.close();
});

function freshDb(): ReadoutDb {
  const d = openDb(`readout-mbus-${Math.random().toString(36).slice(2)}`, { indexedDB, IDBKeyRange });
  dbs.push(d);
  return d;
}

async function connected(db: ReadoutDb, config: SimMbusConfig, baud: 300 | 2400 | 9600 = 2400, clock?: () => number) {
  const port = new SimMbusSerialPort({ speed: SPEED, ...config });
  const session = new MbusFieldSession({ store: (read, at) => storeWiredRead(db, read, at), timeScale: port.speed, ...(clock ? { clock } : {}) });
  sessions.push(session);
  expect(await session.connect(baud, async () => new WebSerialTransport(port, mbusSerialSettings(baud)))).toBe(true);
  return { port, session };
}

const four: SimMbusMeter[] = simSegment(4, { seed: 3 }).map((m, i) => ({ ...m, primaryAddress: [2, 5, 6, 11][i]! }));

describe('mainValues', () => {
  it('TV-10: energy, volume, flow and the temperatures, in that order, in the units a person reads', () => {
    const d = decodeMbusFrame(fromHex(TV10));
    expect(d.ok).toBe(true);
    const v = mainValues([d.ok ? d.value : (undefined as never)]);
    expect(v.map((x) => x.quantity)).toEqual(['energy', 'volume', 'volume flow', 'flow temperature', 'return temperature']);
    expect(v.map(valueText)).toEqual(['34,510 kWh', '2,232.49 m³', '0.527 m3/h'.replace('m3', 'm³'), '64.6 °C', '45.16 °C']);
  });
});

describe('storeWiredRead', () => {
  it('a read of a route meter marks it read once; telegrams are queued, the reading too; an empty read is refused', async () => {
    const db = freshDb();
    await replaceRoute(db, [{ id: 9, manufacturer: 'KAM', serial: '77447744', position: null, group: 'Plant room', make: 'Kamstrup MULTICAL 403' }]);
    const read = { telegrams: [{ raw: fromHex(TV10), status: 'decoded' as const }], receivedAt: Date.UTC(2026, 0, 5), source: 'mbus 2400 baud', meterKey: 'KAM-77447744', fields: { energy: { value: 34_510_000, unit: 'Wh' } } };
    const first = await storeWiredRead(db, read, Date.UTC(2026, 0, 5));
    expect(first.mark).toEqual({ meterKey: 'KAM-77447744', at: Date.UTC(2026, 0, 5), frameId: first.frameIds[0] });
    expect(first.readingId).not.toBeNull();
    const again = await storeWiredRead(db, { ...read, receivedAt: Date.UTC(2026, 0, 6) }, Date.UTC(2026, 0, 6));
    expect(again.mark).toBeNull(); // read already
    expect((await db.route.get('KAM-77447744'))!.frameId).toBe(first.frameIds[0]);
    expect(await db.frames.where('meterKey').equals('KAM-77447744').count()).toBe(2);
    expect((await db.frames.toArray()).every((f) => f.onRoute === true && f.link === 'mbus')).toBe(true);
    const outbox = await db.outbox.toArray();
    expect(outbox.map((o) => o.kind).sort()).toEqual(['frames', 'frames', 'readings', 'readings']);
    await expect(storeWiredRead(db, { ...read, telegrams: [] }, 0)).rejects.toThrow('a read has at least one telegram, got 0');
  });
});

describe('wired M-Bus session on the simulated converter', () => {
  it('primary scan finds the meters with progress; read all stores each read raw with link mbus and shows its values', async () => {
    const db = freshDb();
    const { port, session } = await connected(db, { list: four });
    expect(session.label).toMatch(/FT232R|FTDI|0403/);
    const seen: number[] = [];
    const watch = setInterval(() => session.progress && seen.push(session.progress.done), 5);
    await session.scan('primary', { from: 0, to: 12 });
    clearInterval(watch);
    expect(session.meters.map((m) => m.primaryAddress)).toEqual([2, 5, 6, 11]);
    expect(session.progress).toEqual({ what: 'scan', done: 13, total: 13, found: 4 });
    expect(session.notice).toBe('4 meters found.');
    // a primary hit is not identified until it is read
    expect(session.meters.every((m) => m.address === null && m.read.state === 'unread')).toBe(true);

    await session.readAll();
    expect(session.notice).toBe('4 of 4 meters read.');
    for (const [i, m] of session.meters.entries()) {
      expect(m.address?.id).toBe(four[i]!.id);
      expect(m.read.state).toBe('read');
      if (m.read.state !== 'read') continue;
      expect(m.read.values[0]?.quantity).toMatch(/^(energy|volume)$/);
      expect(m.read.values.every((v) => Number.isFinite(v.value))).toBe(true);
    }
    // the MULTICAL 603 of the segment answers in several telegrams (§8.7); each read's telegrams share one receivedAt
    const frames = await db.frames.orderBy('id').toArray();
    const reads = session.meters.map((m) => (m.read.state === 'read' ? m.read : null)!);
    expect(frames).toHaveLength(reads.reduce((n, r) => n + r.telegrams, 0));
    expect(frames.every((f) => f.link === 'mbus' && f.status === 'decoded' && f.raw[0] === 0x68 && f.rssi === null && f.source === 'mbus 2400 baud')).toBe(true);
    for (const r of reads) {
      const own = frames.filter((f) => r.frameIds.includes(f.id!));
      expect(new Set(own.map((f) => f.receivedAt)).size).toBe(1);
      expect(new Set(own.map((f) => f.meterKey)).size).toBe(1);
    }
    // queued for Send/Receive: every frame, and one local reading per read
    const outbox = await db.outbox.toArray();
    expect(outbox.filter((o) => o.kind === 'frames').map((o) => o.ref).sort()).toEqual(frames.map((f) => f.id).sort());
    expect(await db.readings.count()).toBe(4);
    // the radio pipeline never decodes a wired frame as a wM-Bus telegram
    await appendFrames(db, [{ raw: Uint8Array.of(0x2a, 0x44), receivedAt: Date.now(), source: 'iM871A', rssi: -70 }], Date.now());
    const fresh = await dexiePipelineStore(db).framesWithStatus('new');
    expect(fresh.map((f) => f.source)).toEqual(['iM871A']);
    expect(port.bus.stats.requests).toBeGreaterThan(13);
  });

  it('the secondary search finds every meter of a colliding segment with its identification', { timeout: 30_000 }, async () => {
    const db = freshDb();
    const meters = simSegment(8, { seed: 5 });
    const { port, session } = await connected(db, { list: meters }, 9600);
    await session.scan('secondary');
    expect(session.meters.map((m) => m.secondary).sort()).toEqual([...port.bus.secondaries].sort());
    expect(session.meters.map((m) => m.address?.id).sort()).toEqual(meters.map((m) => m.id).sort());
    expect(session.progress).toMatchObject({ what: 'search', done: 1000, total: 1000, found: 8 });
    // read one by its secondary address: stored with link mbus
    const m = session.meters[3]!;
    await session.read(m.key);
    const after = session.meters.find((x) => x.key === m.key)!;
    expect(after.read.state).toBe('read');
    expect((await db.frames.toArray()).every((f) => f.link === 'mbus' && f.meterKey === `${m.address!.manufacturer}-${m.address!.id}`)).toBe(true);
  });

  it('a meter that stops answering gets a sentence naming it; the others are read; nothing is stored for it', async () => {
    const db = freshDb();
    const { port, session } = await connected(db, { list: four });
    await session.scan('primary', { from: 0, to: 12 });
    port.bus.setFaults({ silence: 1 }); // from now on no answer reaches the master
    await session.read('p5');
    const m = session.meters.find((x) => x.key === 'p5')!;
    expect(m.read.state).toBe('error');
    if (m.read.state === 'error') {
      expect(m.read.code).toBe('timeout');
      expect(m.read.message).toMatch(/^Meter at primary address 5 did not answer SND_NKE \(3 attempts, [\d.]+ s timeout each\)\.$/);
    }
    expect(await db.frames.count()).toBe(0);
    port.bus.setFaults({});
    await session.readAll();
    expect(session.notice).toBe('4 of 4 meters read.');
  });

  it('a multi-telegram read cut short keeps the telegram that came, under its meter, and says which one failed', { timeout: 30_000 }, async () => {
    const db = freshDb();
    const { port, session } = await connected(db, { list: [{ model: 'multical-603', primaryAddress: 3, id: '51234567' }] });
    await session.scan('primary', { from: 3, to: 3 });
    // the meter answers its first RSP_UD, then falls silent (a cable unplugged at the meter)
    const answer = port.bus.answer.bind(port.bus);
    let telegrams = 0;
    port.bus.answer = (bytes, now, baud) => {
      const a = answer(bytes, now, baud);
      if (a && a[0] === 0x68 && ++telegrams > 1) return null;
      return a;
    };
    await session.read('p3');
    const m = session.meters[0]!;
    expect(m.read.state).toBe('error');
    if (m.read.state !== 'error') return;
    expect(m.read.message).toMatch(/^Meter at primary address 3 did not answer REQ_UD2 for telegram 2 \(3 attempts/);
    const frames = await db.frames.toArray();
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ link: 'mbus', status: 'decoded', meterKey: 'KAM-51234567' });
    expect(m.read.frameIds).toEqual([frames[0]!.id]);
    // no local reading from half a read; the server groups the stored telegram by itself
    expect(await db.readings.count()).toBe(0);
  });

  it('Cancel stops a scan at once: busy ends, the hits so far stay, and the master can scan again', async () => {
    const db = freshDb();
    const { session } = await connected(db, { list: four }, 300);
    const running = session.scan('primary', { from: 0, to: 250 });
    await new Promise((r) => setTimeout(r, 700));
    expect(session.busy).toBe('scan');
    expect(session.progress!.done).toBeGreaterThan(0);
    session.cancel();
    await running;
    expect(session.busy).toBeNull();
    expect(session.notice).toMatch(/^Cancelled: \d meters? found so far\.$/);
    expect(session.progress!.done).toBeLessThan(251);
    await session.scan('primary', { from: 0, to: 3 });
    expect(session.meters.map((m) => m.primaryAddress)).toEqual([2]);
  });

  it('a converter pulled out mid-scan ends the scan with a sentence and closes the connection, no hang', async () => {
    const db = freshDb();
    const { port, session } = await connected(db, { list: four });
    const running = session.scan('primary', { from: 0, to: 250 });
    await new Promise((r) => setTimeout(r, 60));
    port.unplug();
    await running;
    expect(session.busy).toBeNull();
    expect(session.status).toBe('idle');
    expect(session.error).toMatch(/^The connection to the M-Bus failed/);
    expect(session.failure?.reason).toBe('lost');
  });

  it('a chooser closed without a port is a "nothing-picked" failure, not a crash', async () => {
    const session = new MbusFieldSession({ store: async () => ({ frameIds: [], readingId: null, mark: null }) });
    const ok = await session.connect(2400, async () => {
      throw Object.assign(new (await import('../../web/src/lib/hardware/transport')).TransportError('nothing-picked', 'serial port: no port selected'));
    });
    expect(ok).toBe(false);
    expect(session.failure?.reason).toBe('nothing-picked');
    await expect(session.scan('primary')).rejects.toThrow('connect a level converter first');
  });
});

describe('Send/Receive carries the link', () => {
  it('toWire sends link mbus for a wired frame and nothing for a radio telegram', () => {
    const base = { raw: fromHex(TV10), receivedAt: Date.UTC(2026, 0, 5), source: 'mbus 2400 baud', rssi: null, status: 'decoded' as const, clientId: crypto.randomUUID() };
    expect(toWire({ ...base, link: 'mbus' })).toMatchObject({ link: 'mbus', hex: TV10.toUpperCase() });
    expect(toWire(base)).not.toHaveProperty('link');
    expect(toWire({ ...base, link: 'wmbus' })).not.toHaveProperty('link');
  });

  const harness = useHarness();

  it('a wired read synced makes its frames wired on the server and one reading per read; a second Send/Receive sends nothing again', { timeout: 30_000 }, async () => {
    const h = harness();
    const meters = simSegment(3, { seed: 9 }).map((m, i) => ({ ...m, model: i === 0 ? ('multical-603' as const) : m.model }));
    const ids: number[] = [];
    for (const m of meters) {
      const { meter } = await h.api('POST', '/api/meters', { manufacturer: m.manufacturer ?? (m.model.startsWith('multical') ? 'KAM' : m.model === 'oms-water' ? 'DME' : 'LUG'), serial: m.id, readingMode: 'wired' });
      ids.push(meter.id);
    }
    const { state } = await h.device();
    // the test server's clock is fixed: reads are an hour before it
    const { session } = await connected(h.db, { list: meters }, 2400, () => h.start);
    await session.scan('primary', { from: 1, to: 3 });
    await session.readAll();
    expect(session.notice).toBe('3 of 3 meters read.');
    const local = await h.db.frames.toArray();
    const first = session.meters[0]!.read;
    expect(first.state === 'read' && first.telegrams).toBeGreaterThan(1); // the 603 answers in several telegrams

    const run = (await state.run())!;
    expect(run.outcome, JSON.stringify(run)).toBe('done');
    const rows = h.server.db.prepare("select link, status, meter_id as meterId from frame where source like 'device %' order by id").all() as { link: string; status: string; meterId: number }[];
    expect(rows).toHaveLength(local.length);
    expect(rows.every((r) => r.link === 'mbus' && r.status === 'decoded')).toBe(true);
    for (const id of ids) {
      const n = (h.server.db.prepare('select count(*) as n from reading where meter_id = ?').get(id) as { n: number }).n;
      expect(n, `meter ${id}`).toBe(1);
    }
    expect(await h.db.outbox.where('kind').equals('frames').count()).toBe(0);
    expect((await state.run())!.outcome).toBe('done');
    expect(h.server.db.prepare("select count(*) as n from frame where source like 'device %'").get()).toEqual({ n: local.length });
  });
});
