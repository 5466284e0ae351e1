// The field app's doorstep optical read (issue 9, R2/R6/R7) without a browser: what the screen
// makes of logger records (daily consumption bars, the info-code log with meanings), how a read's
// KMP answers are stored (Dexie on fake-indexeddb: link 'kmp', meter "KAM <serial>", queued) and
// what Send/Receive puts on the wire for them; then the page's session against the simulated
// head and MULTICAL 603 (hardware/sim/kmp-shim.ts) opened by the real Web Serial adapter, with
// cancel and resume, and Send/Receive to the REAL in-process server (tests/web/sync/harness.ts).
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type ReadoutDb } from '../../web/src/lib/db/index';
import { kmpMeterKey, kmpMeterName, storeOpticalRead } from '../../web/src/lib/db/optical';
import { dailyConsumption, infoLog, type LogRecord } from '../../web/src/lib/optical-field/logs';
import { doorstepRegisters } from '../../web/src/lib/optical-field/session.svelte';
import { toWire } from '../../web/src/lib/sync/send';
import { OpticalFieldSession } from '../../web/src/lib/optical-field/session.svelte';
import { openOpticalHead } from '../../web/src/lib/optical-field/head';
import { SERIAL_SETTINGS, WebSerialTransport } from '../../web/src/lib/hardware/web-serial';
import { SimKmpSerialPort } from '../../web/src/lib/hardware/sim/kmp-shim';
import { useHarness } from './sync/harness';
import type { KmpValue } from '../../shared/kmp/value';
import { fromHex, toHex } from '../../shared/bytes/hex';

if (!('navigator' in globalThis)) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true }); // Node 20

const dbs: ReadoutDb[] = [];
const sessions: OpticalFieldSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.disconnect();
  for (const d of dbs.splice(0)) d.close();
});

function freshDb(): ReadoutDb {
  const d = openDb(`readout-optical-${Math.random().toString(36).slice(2)}`, { indexedDB, IDBKeyRange });
  dbs.push(d);
  return d;
}

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);
/** KMP unit codes (§5.4): 02 kWh, 03 MWh, 28 m³, 00 a plain number. */
const v = (unit: number, mantissa: number, exponent = 0, negative = false): KmpValue => ({ unit, negative, mantissa: BigInt(mantissa), exponent });
const M3 = 0x28;

function rec(i: number, e1kWh: number | null, v1: number | null, info = 0): LogRecord {
  const values = new Map<number, KmpValue>();
  if (e1kWh !== null) values.set(60, v(0x02, e1kWh));
  if (v1 !== null) values.set(68, v(M3, Math.round(v1 * 100), -2));
  values.set(99, v(0x00, info));
  return { recordId: 1000 + i, at: T0 + i * DAY, values };
}

describe('dailyConsumption', () => {
  it('one bar per pair of consecutive days, the difference of E1, in the order of time whatever order records came in', () => {
    const records = [rec(2, 1130, 50.5), rec(0, 1000, 50), rec(1, 1042, 50.25), rec(3, 1130, 50.75)];
    const a = dailyConsumption(records, 'energy');
    expect(a.unit).toBe('kWh');
    expect(a.resolution).toBe('day');
    expect(a.buckets.map((b) => [b.from, b.to, b.value])).toEqual([
      [T0, T0 + DAY, 42],
      [T0 + DAY, T0 + 2 * DAY, 88],
      [T0 + 2 * DAY, T0 + 3 * DAY, 0]
    ]);
    expect(a.total).toBe(130);
  });

  it('V1 in m3 from a decimal exponent, without binary noise', () => {
    const a = dailyConsumption([rec(0, 1, 12.1), rec(1, 1, 12.3), rec(2, 1, 12.6)], 'volume');
    expect(a.unit).toBe('m3');
    expect(a.buckets.map((b) => b.value)).toEqual([0.2, 0.3]);
    expect(a.total).toBe(0.5);
  });

  it('MWh records are bars in kWh', () => {
    const r = (i: number, mwh: number): LogRecord => ({ recordId: i, at: T0 + i * DAY, values: new Map([[60, v(0x03, mwh * 1000, -3)]]) });
    expect(dailyConsumption([r(0, 12.345), r(1, 12.5)], 'energy').buckets[0]!.value).toBe(155);
  });

  it('a register that went down is a reset mark and no bar, never a negative one; a missing day is one longer bar', () => {
    const a = dailyConsumption([rec(0, 500, null), rec(1, 520, null), rec(2, 3, null), rec(4, 13, null)], 'energy');
    expect(a.buckets.map((b) => [b.value, b.reset])).toEqual([[20, false], [null, true], [10, false]]);
    expect(a.buckets[2]!.to - a.buckets[2]!.from).toBe(2 * DAY);
    expect(a.total).toBe(30);
  });

  it('a day whose record has an info code is marked with it; records without the register are left out', () => {
    const a = dailyConsumption([rec(0, 10, null), rec(1, 11, null, 8), rec(2, null, 4), rec(3, 12, null)], 'energy');
    expect(a.buckets.map((b) => b.info ?? null)).toEqual([[{ meterId: 0, code: 8 }], null]);
    expect(dailyConsumption([rec(0, 10, null)], 'energy').buckets).toEqual([]);
  });
});

describe('infoLog', () => {
  it('newest first, each set bit with its meaning (MULTICAL 603 low 16 bits, §4.5.1), 0 as no error', () => {
    const log = infoLog([rec(0, null, null, 0), rec(1, null, null, 8 + 256), rec(2, null, null, 1 << 20)], '603');
    expect(log.map((e) => [e.at, e.code, e.meanings])).toEqual([
      [T0 + 2 * DAY, 1 << 20, ['bit 20']],
      [T0 + DAY, 264, ['t1 above range', 'V1 air']],
      [T0, 0, ['no error']]
    ]);
  });

  it('an 803 reads its upper 16 bits too', () => {
    expect(infoLog([rec(0, null, null, 1 << 20)], '803')[0]!.meanings).toEqual(['t3 above range']);
  });
});

describe('doorstepRegisters', () => {
  it('asks a 603 for its analog inputs P1/P2, a 403 not', () => {
    expect(doorstepRegisters('603')).toEqual(expect.arrayContaining([60, 68, 99, 91, 92]));
    expect(doorstepRegisters('403')).not.toContain(91);
    expect(doorstepRegisters('403')).toContain(60);
  });
});

describe('storeOpticalRead', () => {
  // protocols.md §5.7-style GetSerialNo and GetRegister answers are stored as received; the bytes need not decode here
  const A = fromHex('403f0200bc614e8c1e0d');
  const B = fromHex('403f1000500203000000012c1e0d');

  it('stores each answer raw with link kmp and the meter, queues it, adds the readings, in one go', async () => {
    const db = freshDb();
    const at = Date.UTC(2026, 10, 26, 10);
    const s = await storeOpticalRead(db, { frames: [A, B.subarray(0)], receivedAt: at, source: 'kmp optical head (usb)', serial: 12345, what: 'registers', readings: [{ at, fields: { E1: { value: 300, unit: 'kWh', text: '300' } } }, { at, fields: {} }] }, at + 1);
    expect(s.frameIds).toHaveLength(2);
    const rows = await db.frames.bulkGet(s.frameIds);
    expect(rows.map((r) => [toHex(r!.raw), r!.link, r!.meter, r!.meterKey, r!.status])).toEqual([
      [toHex(A), 'kmp', 'KAM 00012345', 'KAM-00012345', 'decoded'],
      [toHex(B), 'kmp', 'KAM 00012345', 'KAM-00012345', 'decoded']
    ]);
    expect((await db.outbox.toArray()).map((o) => o.kind).sort()).toEqual(['frames', 'frames', 'readings']);
    const readings = await db.readings.toArray();
    expect(readings).toHaveLength(1); // the empty one is not kept
    expect(readings[0]).toMatchObject({ meterKey: 'KAM-00012345', at, frameId: s.frameIds[0], driver: 'kmp-registers' });
  });

  it('Send/Receive sends link kmp with the meter, and never a KMP answer without one', async () => {
    const db = freshDb();
    const at = Date.UTC(2026, 10, 26, 10);
    const { frameIds } = await storeOpticalRead(db, { frames: [A], receivedAt: at, source: 'kmp optical head (bluetooth)', serial: 87654321, what: 'daily' }, at);
    const row = (await db.frames.get(frameIds[0]!))!;
    expect(toWire(row as typeof row & { clientId: string })).toEqual({ clientId: row.clientId, hex: toHex(A), receivedAt: at, rssi: null, source: 'kmp optical head (bluetooth)', link: 'kmp', meter: 'KAM 87654321' });
    const { meter: _, ...bare } = row;
    expect(toWire(bare as typeof row & { clientId: string })).toEqual({ unsendable: expect.stringContaining('meter serial') });
  });

  it('refuses an empty read and a serial that is no number', async () => {
    const db = freshDb();
    await expect(storeOpticalRead(db, { frames: [], receivedAt: 1, source: 's', serial: 1, what: 'daily' }, 1)).rejects.toThrow(/at least one frame/);
    expect(() => kmpMeterName(-1)).toThrow(/serial/);
    expect(kmpMeterKey(7)).toBe('KAM-00000007');
  });
});

/** The simulated head runs SPEED× faster than a real eye; the client waits 10× longer than it needs (a busy machine). */
const SPEED = 100;
const SERIAL = 71234567;

async function connected(db: ReadoutDb, startEpochMs: number, clock?: () => number) {
  const port = new SimKmpSerialPort({ serial: SERIAL, speed: SPEED, startEpochMs });
  const session = new OpticalFieldSession({ store: (read, at) => storeOpticalRead(db, read, at), open: (t) => openOpticalHead(t, { timeScale: SPEED / 10 }), ...(clock ? { clock } : {}) });
  sessions.push(session);
  expect(await session.connect('serial', async () => new WebSerialTransport(port, SERIAL_SETTINGS.kmp))).toBe(true);
  return { port, session };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('OpticalFieldSession on the simulated head', () => {
  it('identifies the 603, reads its registers (P1/P2 too) and stores the answers with the meter', { timeout: 30_000 }, async () => {
    const db = freshDb();
    const { port, session } = await connected(db, Date.UTC(2026, 10, 20, 12));
    expect(port.opened).toMatchObject({ baudRate: 1200, stopBits: 2 });
    await expect(session.readRegisters()).rejects.toThrow(/identify the meter first/);
    expect(await session.identify()).toMatchObject({ serial: SERIAL, model: '603' });
    await session.readRegisters();
    expect(session.error).toBeNull();
    const keys = session.registers.map((r) => r.key);
    expect(keys).toEqual(expect.arrayContaining(['E1', 'V1', 'INFO', 'P1', 'P2', 'HR']));
    const e1 = session.registers.find((r) => r.key === 'E1')!;
    expect(Number(e1.text)).toBeGreaterThan(0);
    const frames = await db.frames.toArray();
    expect(frames.length).toBe(Math.ceil(doorstepRegisters('603').length / 8));
    expect(frames.every((f) => f.link === 'kmp' && f.meter === 'KAM 71234567' && f.raw[0] === 0x40 && f.raw[f.raw.length - 1] === 0x0d)).toBe(true);
    const [reading] = await db.readings.toArray();
    expect(reading!.fields).toMatchObject({ E1: { text: e1.text } });
  });

  it('a daily read cancelled part way keeps its records and frames; Resume ends with every day once and a chart of them', { timeout: 60_000 }, async () => {
    const db = freshDb();
    const { session } = await connected(db, Date.UTC(2026, 10, 20, 12));
    await session.identify();
    const running = session.readLog('daily');
    while ((session.progress?.done ?? 0) < 60) await sleep(5);
    session.cancel();
    await running;
    const part = session.logs.daily!;
    expect(part.complete).toBe(false);
    expect(part.records.length).toBeGreaterThanOrEqual(60);
    expect(part.records.length).toBeLessThan(460);
    expect(session.notice).toMatch(/Resume continues/);
    const storedBefore = await db.frames.count();
    expect(storedBefore).toBe(part.frames);
    expect(storedBefore).toBeGreaterThan(0);

    await session.readLog('daily', { resume: true });
    const all = session.logs.daily!;
    expect(all.complete).toBe(true);
    const days = all.records.map((r) => r.at);
    expect(new Set(days).size).toBe(days.length);
    expect(days.length).toBeGreaterThanOrEqual(460);
    for (let i = 1; i < days.length; i++) expect(days[i]! - days[i - 1]!).toBe(DAY);
    expect(await db.frames.count()).toBe(all.frames);
    expect(await db.readings.count()).toBe(days.length); // one reading per record, none twice
    const chart = dailyConsumption(all.records, 'energy');
    expect(chart.buckets).toHaveLength(days.length - 1);
    expect(chart.buckets.every((b) => b.value !== null && b.value >= 0)).toBe(true);
    expect(chart.total).toBeGreaterThan(0);
  });

  it('the info-code log reads with meanings', { timeout: 60_000 }, async () => {
    const db = freshDb();
    const { session } = await connected(db, Date.UTC(2026, 10, 20, 12));
    await session.identify();
    await session.readLog('info');
    expect(session.error).toBeNull();
    const log = infoLog(session.logs.info!.records, '603');
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((e) => e.meanings.length > 0)).toBe(true);
  });

  it('a silent meter: a sentence about the eye, nothing stored, the head still usable', { timeout: 30_000 }, async () => {
    const db = freshDb();
    const { port, session } = await connected(db, Date.UTC(2026, 10, 20, 12));
    await session.identify();
    port.head!.injectFault('silence', 'silence', 'silence');
    await session.readRegisters([60]);
    expect(session.error).toMatch(/did not answer.*optical eye/);
    expect(session.isOpen).toBe(true);
    expect(await db.frames.count()).toBe(0);
    await session.readRegisters([60]);
    expect(session.error).toBeNull();
    expect(session.registers.map((r) => r.key)).toEqual(['E1']);
  });

  it('a meter that stops answering mid-logger: the records so far are kept and stored, with a sentence; Resume completes', { timeout: 60_000 }, async () => {
    const db = freshDb();
    const { port, session } = await connected(db, Date.UTC(2026, 10, 20, 12));
    await session.identify();
    const since = Date.UTC(2026, 8, 1);
    const running = session.readLog('daily', { since });
    while ((session.progress?.done ?? 0) < 20) await sleep(5);
    port.head!.injectFault('silence', 'silence', 'silence');
    await running;
    const part = session.logs.daily!;
    expect(part.complete).toBe(false);
    expect(session.error).toMatch(new RegExp(`did not answer.* The ${part.records.length} records read are kept\\.`));
    expect(await db.readings.count()).toBe(part.records.length);
    await session.readLog('daily', { resume: true });
    expect(session.error).toBeNull();
    const all = session.logs.daily!;
    expect(all.complete).toBe(true);
    const want = port.head!.meter.records('daily', Date.now()).filter((x) => x.timeMs >= since);
    expect(all.records.map((r) => r.recordId)).toEqual(want.map((x) => x.recId));
  });

  it('reads the hourly logger of the last day', { timeout: 30_000 }, async () => {
    const db = freshDb();
    const end = Date.UTC(2026, 10, 20, 12);
    const { session } = await connected(db, end);
    await session.identify();
    await session.readLog('hourly', { since: end - DAY });
    const h = session.logs.hourly!;
    expect(h.complete).toBe(true);
    expect(h.records.length).toBeGreaterThanOrEqual(24);
    expect(h.records.every((r, i) => i === 0 || r.at - h.records[i - 1]!.at === 3_600_000)).toBe(true);
    expect((await db.frames.toArray()).every((f) => f.link === 'kmp' && f.meter === 'KAM 71234567')).toBe(true);
  });

  const harness = useHarness();

  it('Send/Receive delivers the answers with the meter; the server makes readings of the registers and the daily records', { timeout: 60_000 }, async () => {
    const h = harness();
    const { meter } = await h.api('POST', '/api/meters', { manufacturer: 'KAM', serial: String(SERIAL), medium: 'heat' });
    const { state } = await h.device();
    const { session } = await connected(h.db, h.start, () => h.start);
    await session.identify();
    await session.readRegisters();
    await session.readLog('daily', { since: h.start - 10 * DAY });
    expect(session.logs.daily!.complete).toBe(true);
    const n = session.logs.daily!.records.length;
    expect(n).toBeGreaterThanOrEqual(10);
    const local = await h.db.frames.count();
    const run = (await state.run())!;
    expect(run.outcome, JSON.stringify(run)).toBe('done');
    const rows = h.server.db.prepare("select link, meter_id as meterId from frame where source like 'device %'").all() as { link: string; meterId: number | null }[];
    expect(rows).toHaveLength(local);
    expect(rows.every((r) => r.link === 'kmp' && r.meterId === meter.id)).toBe(true);
    const readings = (h.server.db.prepare('select count(*) as n from reading where meter_id = ?').get(meter.id) as { n: number }).n;
    expect(readings).toBeGreaterThanOrEqual(n + 1);
    expect(await h.db.outbox.where('kind').equals('frames').count()).toBe(0);
  });
});
