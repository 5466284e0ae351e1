// Ingest of Kamstrup KMP answers (issue 9, contract B): each answer is stored raw first with link
// 'kmp' and the meter its sender named; a GetRegister answer becomes one reading at the time it was
// received, a logger answer one reading per record at the record's own time. Frames are real KMP
// bytes made by the simulated MULTICAL 603 (shared/kmp/sim SimKmpMeter.answer) to real requests
// (shared/kmp/commands.ts), stored in a real SQLite file.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { toHex } from '../../shared/bytes/hex';
import { getRegister, getSerialNo, getType, logRequest, nextLogPage, parseLogResponse, type LogRequest } from '../../shared/kmp/commands';
import { decodeFrame } from '../../shared/kmp/frame';
import { firstLogPage, loggerFor, type LoggerKind } from '../../shared/kmp/loggers';
import { SimKmpMeter, simTime, type SimRegisterValue } from '../../shared/kmp/sim';
import type { Actor } from '../../server/src/auth/principal';
import type { IncomingFrame } from '../../server/src/ingest/ingest';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let actor: Actor;
/** The instant of the read (the sim's "now"); the meter was installed 1,200 days before. */
const T = 1_790_000_000_000 - 3_600_000;
const SERIAL = 12345678;
const METER = 'KAM 12345678';
const sim = new SimKmpMeter({ serial: SERIAL, startEpochMs: T - 30 * 86_400_000, seed: 7 });

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  const tenantId = (server.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  actor = { tenantId, userId: null, name: 'optical test', device: null };
});
afterEach(() => server.close());

function setZone(zone: string): void {
  server.db.prepare('update tenant set time_zone = ? where id = ?').run(zone, actor.tenantId);
}

function addMeter(serial = String(SERIAL)): number {
  return server.stores.meters.create(actor, { manufacturer: 'KAM', serial, readingMode: 'optical' }, T).id;
}

const kmp = (bytes: Uint8Array, receivedAt = T, meter: string = METER): IncomingFrame => ({ bytes, receivedAt, source: 'optical head', rssi: null, link: 'kmp', meter });

/** The sim's answer to a request, which must not be silence. */
function answer(request: Uint8Array, at = T, meter: SimKmpMeter = sim): Uint8Array {
  const a = meter.answer(request, at);
  if (a === null) throw new Error(`the sim stayed silent (${meter.lastOutcome})`);
  return a;
}

/** Every answer of a whole logger read from the oldest record on, paged as a client pages (A0, then A2). */
function readLog(kind: LoggerKind, at = T, since = Date.UTC(2000, 0, 1)): Uint8Array[] {
  const logger = loggerFor('603', kind);
  let req: LogRequest | null = firstLogPage(logger, simTime(since));
  const out: Uint8Array[] = [];
  while (req) {
    const a = answer(logRequest(req, logger.dst), at);
    out.push(a);
    const u = decodeFrame(a);
    if (u.kind !== 'response') throw new Error(`not an answer: ${u.kind}`);
    const res = parseLogResponse({ dst: u.dst, cid: u.cid, data: u.data });
    if (res instanceof Error) throw res;
    req = nextLogPage(req, res);
  }
  return out;
}

interface Row {
  at: number;
  energy: number | null;
  volume: number | null;
  flow: number | null;
  power: number | null;
  tFlow: number | null;
  tReturn: number | null;
  info: number | null;
  extra: Record<string, unknown> | null;
}

function readings(meterId: number): Row[] {
  return (
    server.db
      .prepare('select at, energy, volume, flow, power, t_flow as tFlow, t_return as tReturn, info, extra from reading where meter_id = ? order by at')
      .all(meterId) as (Omit<Row, 'extra'> & { extra: string | null })[]
  ).map((r) => ({ ...r, extra: r.extra === null ? null : JSON.parse(r.extra) }));
}

function frames() {
  return server.db
    .prepare('select id, link, status, reason, meter_id as meterId, address, meter_hint as meterHint from frame order by id')
    .all() as { id: number; link: string; status: string; reason: string | null; meterId: number | null; address: string | null; meterHint: string | null }[];
}

/** A sim register value as the nearest double to its decimal (mantissa × 10^exponent, "1717976e-2"). */
const num = (v: SimRegisterValue) => Number(`${v.mantissa}e${v.exponent}`);
const byId = (values: readonly SimRegisterValue[]) => new Map(values.map((v) => [v.id, v]));

describe('KMP register answers', () => {
  test('two GetRegister answers of one read make one reading at the time received: E1, V1, flow, power, t1, t2, info in columns; P1, P2, E3 in extra', () => {
    const meterId = addMeter();
    const first = answer(getRegister([60, 68, 74, 80, 86, 87, 99, 91]));
    const second = answer(getRegister([92, 63, 1001, 1002]));
    const results = server.stores.ingest.ingest(actor, [kmp(first), kmp(second)], T);
    expect(results.map((r) => [r.status, r.meter, r.meterId])).toEqual([
      ['decoded', METER, meterId],
      ['decoded', METER, meterId]
    ]);
    expect(frames()).toEqual([
      { id: results[0].frameId, link: 'kmp', status: 'decoded', reason: null, meterId, address: null, meterHint: METER },
      { id: results[1].frameId, link: 'kmp', status: 'decoded', reason: null, meterId, address: null, meterHint: METER }
    ]);
    expect(Buffer.from(server.stores.frames.raw(actor.tenantId, results[0].frameId!)!).equals(Buffer.from(first))).toBe(true);

    const v = byId(sim.values(T));
    const get = (id: number) => v.get(id)!;
    // units of the sim's 603 (shared/kmp/sim/config.ts): kWh, m³ 0.01, l/h, kW 0.1, °C 0.01, bar 0.01
    expect(get(60).unit).toBe(0x02);
    expect(readings(meterId)).toEqual([
      {
        at: T,
        energy: get(60).mantissa * 3_600_000,
        volume: get(68).mantissa * 10_000,
        flow: get(74).mantissa * 1000,
        power: get(80).mantissa * 100,
        tFlow: get(86).mantissa,
        tReturn: get(87).mantissa,
        info: get(99).mantissa,
        // the serial and the clock are no readings
        extra: { P1: num(get(91)), P2: num(get(92)), cooling: num(get(63)) }
      }
    ]);
    expect(get(86).mantissa).toBeGreaterThan(get(87).mantissa); // a heating meter: flow warmer than return
  });

  test('GetType and GetSerialNo answers are kept as decoded frames without a reading; a serial that is not the named meter fails', () => {
    const meterId = addMeter();
    const other = new SimKmpMeter({ serial: 87654321, startEpochMs: T, seed: 1 });
    const results = server.stores.ingest.ingest(actor, [kmp(answer(getType())), kmp(answer(getSerialNo())), kmp(answer(getSerialNo(), T, other), T + 5000)], T);
    expect(results.map((r) => r.status)).toEqual(['decoded', 'decoded', 'failed']);
    expect(results[2].reason).toBe('the meter answered serial 87654321: this frame is not from KAM 12345678');
    expect(readings(meterId)).toEqual([]);
  });

  test('a frame with a bad CRC is stored as failed with the reason and never becomes a reading, not even when decoded again', () => {
    const meterId = addMeter();
    const damaged = answer(getRegister([60, 68])).slice();
    damaged[8] ^= 0x01; // a value byte: the CRC no longer matches (no byte that needs stuffing)
    expect(decodeFrame(damaged).kind).toBe('garbage');
    const [r] = server.stores.ingest.ingest(actor, [kmp(damaged)], T);
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(/^not a KMP answer: CRC [0-9A-F]{4}, computed [0-9A-F]{4}/);
    expect(frames()).toMatchObject([{ link: 'kmp', status: 'failed', meterId, meterHint: METER }]);
    expect(readings(meterId)).toEqual([]);
    server.stores.ingest.redecode(actor, { limit: 100 }, T + 1);
    expect(frames()[0].status).toBe('failed');
    expect(readings(meterId)).toEqual([]);
  });

  test('GetType answers of two meters of one type are two frames, not one heard twice', () => {
    addMeter();
    addMeter('87654321');
    const other = new SimKmpMeter({ serial: 87654321, startEpochMs: T, seed: 1 });
    const a = answer(getType());
    const b = answer(getType(), T, other);
    expect(toHex(a)).toBe(toHex(b));
    const results = server.stores.ingest.ingest(actor, [kmp(a), kmp(b, T + 60_000, 'KAM 87654321')], T);
    expect(results.map((r) => [r.status, r.meter])).toEqual([
      ['decoded', METER],
      ['decoded', 'KAM 87654321']
    ]);
    expect(frames()).toHaveLength(2);
  });
});

describe('KMP logger answers', () => {
  test('a daily logger of 460 records makes 460 daily readings at the records\' times with the sim\'s values; the re-sent batch changes nothing', () => {
    setZone('UTC'); // the sim's meter clock is UTC: record times compare exactly
    const meterId = addMeter();
    const pages = readLog('daily');
    const batch = pages.map((p, i) => kmp(p, T + i * 1000));
    const results = server.stores.ingest.ingest(actor, batch, T + 600_000);
    expect(results.every((r) => r.status === 'decoded' && r.reason === undefined)).toBe(true);

    const expected = sim.daily(T);
    expect(expected).toHaveLength(460);
    const rows = readings(meterId);
    expect(rows).toHaveLength(460);
    expect(rows.map((r) => r.at)).toEqual(expected.map((e) => e.timeMs));
    rows.forEach((row, i) => {
      const v = byId(expected[i].values);
      expect(row).toEqual({
        at: expected[i].timeMs,
        energy: v.get(60)!.mantissa * 3_600_000,
        volume: v.get(68)!.mantissa * 10_000,
        flow: null,
        power: null,
        tFlow: null,
        tReturn: null,
        info: v.get(99)!.mantissa,
        extra: { cooling: num(v.get(63)!), V2: num(v.get(69)!), onTime: num(v.get(1004)!), onTimeError: num(v.get(175)!) }
      });
    });
    // the meter counts up: energy never falls from one day to the next
    for (let i = 1; i < rows.length; i++) expect(rows[i].energy!).toBeGreaterThanOrEqual(rows[i - 1].energy!);

    const framesBefore = frames();
    const again = server.stores.ingest.ingest(actor, batch, T + 700_000);
    expect(again.map((r) => r.status)).toEqual(batch.map(() => 'duplicate'));
    expect(again.map((r) => r.frameId)).toEqual(results.map((r) => r.frameId));
    expect(frames()).toEqual(framesBefore);
    expect(readings(meterId)).toEqual(rows);
  });

  test('a record\'s date is the meter\'s wall clock in the utility\'s time zone (Copenhagen: UTC+2 in summer, UTC+1 in winter)', () => {
    setZone('Europe/Copenhagen');
    const meterId = addMeter();
    const pages = readLog('daily');
    server.stores.ingest.ingest(actor, pages.map((p, i) => kmp(p, T + i * 1000)), T + 600_000);
    const rows = readings(meterId);
    const expected = sim.daily(T);
    // the sim's record for date D holds DATE = D at 00:00 on its clock: the reading is at local midnight of D
    const summer = expected.findIndex((e) => new Date(e.timeMs).getUTCMonth() === 6);
    const winter = expected.findIndex((e) => new Date(e.timeMs).getUTCMonth() === 0);
    expect(summer).toBeGreaterThanOrEqual(0);
    expect(winter).toBeGreaterThanOrEqual(0);
    expect(rows[summer].at).toBe(expected[summer].timeMs - 2 * 3_600_000);
    expect(rows[winter].at).toBe(expected[winter].timeMs - 3_600_000);
    expect(rows[summer].energy).toBe(byId(expected[summer].values).get(60)!.mantissa * 3_600_000);
  });

  test('an hourly record at a daily record\'s midnight adds to that reading and takes nothing away; a reading already there keeps its registers', () => {
    setZone('UTC');
    const meterId = addMeter();
    const midnight = sim.daily(T).at(-1)!.timeMs;
    // a reading from elsewhere (a radio telegram) at the same instant, with temperatures
    server.stores.readings.put(meterId, midnight, { energy: null, volume: null, flow: null, power: null, tFlow: 5012, tReturn: 3011, info: null, extra: '{"radio":1}' });
    server.stores.ingest.ingest(actor, readLog('daily', T, midnight - 86_400_000).map((p, i) => kmp(p, T + i * 1000)), T);
    server.stores.ingest.ingest(actor, readLog('hourly', T, midnight - 3 * 3_600_000).map((p, i) => kmp(p, T + 100_000 + i * 1000)), T);
    const atMidnight = readings(meterId).find((r) => r.at === midnight)!;
    const daily = byId(sim.daily(T).at(-1)!.values);
    expect(atMidnight).toEqual({
      at: midnight,
      energy: daily.get(60)!.mantissa * 3_600_000,
      volume: daily.get(68)!.mantissa * 10_000,
      flow: null,
      power: null,
      tFlow: 5012,
      tReturn: 3011,
      info: daily.get(99)!.mantissa,
      extra: { radio: 1, cooling: num(daily.get(63)!), V2: num(daily.get(69)!), onTime: num(daily.get(1004)!), onTimeError: num(daily.get(175)!) }
    });
    // the hourly records around it are readings of their own
    const hours = readings(meterId).filter((r) => r.at > midnight - 3 * 3_600_000 && r.at < midnight);
    expect(hours.map((r) => r.at)).toEqual([midnight - 2 * 3_600_000, midnight - 3_600_000]);
  });
});

describe('KMP frames of a meter the utility does not have yet', () => {
  test('wait as unknown-meter with the named meter, and become readings when the meter arrives, and again after it is deleted and created anew', () => {
    setZone('UTC');
    const regs = answer(getRegister([60, 68]));
    const pages = readLog('daily', T, T - 3 * 86_400_000);
    const results = server.stores.ingest.ingest(actor, [kmp(regs), ...pages.map((p, i) => kmp(p, T + 1000 + i * 1000))], T);
    expect(results.map((r) => [r.status, r.meter, r.meterId])).toEqual(results.map(() => ['unknown-meter', METER, null]));
    expect(frames()[0]).toMatchObject({ status: 'unknown-meter', reason: 'no meter KAM 12345678 in this utility', address: METER, meterHint: METER });

    const meterId = addMeter();
    const counts = server.stores.ingest.metersChanged(actor.tenantId, [meterId], T + 1);
    expect(counts).toEqual({ frames: results.length, decoded: results.length, waiting: 0 });
    expect(frames().map((f) => [f.status, f.meterId, f.address])).toEqual(results.map(() => ['decoded', meterId, null]));
    const rows = readings(meterId);
    const days = sim.daily(T).filter((d) => d.timeMs >= T - 3 * 86_400_000);
    expect(rows.map((r) => r.at)).toEqual([...days.map((d) => d.timeMs), T].sort((a, b) => a - b));

    // deleted with its readings: the frames are kept and find the meter again by the name they were sent with
    server.stores.meters.delete(actor, meterId, true, T + 2);
    expect(frames().map((f) => [f.status, f.meterId])).toEqual(results.map(() => ['unknown-meter', null]));
    const again = addMeter();
    expect(server.stores.ingest.metersChanged(actor.tenantId, [again], T + 3).decoded).toBe(results.length);
    expect(readings(again)).toEqual(rows);
  });
});

describe('KMP over HTTP', () => {
  async function device(admin: string): Promise<string> {
    const reg = await request(server, 'POST', '/api/devices/register', { cookie: admin, body: { name: 'Doorstep phone' } });
    expect(reg.status).toBe(201);
    const body = (await reg.json()) as { device: { id: number }; secret: string };
    expect((await request(server, 'POST', `/api/devices/${body.device.id}/authorise`, { cookie: admin })).status).toBe(200);
    return body.secret;
  }

  test('Send: link kmp with meter is stored and read; the re-sent batch answers duplicate and changes nothing', async () => {
    setZone('UTC');
    const meterId = addMeter();
    const secret = await device(await server.as('administrator'));
    const pages = readLog('daily', T, T - 5 * 86_400_000);
    const batch = {
      batchId: randomUUID(),
      frames: [answer(getSerialNo()), answer(getRegister([60, 68, 99])), ...pages].map((b, i) => ({
        clientId: randomUUID(),
        hex: toHex(b),
        receivedAt: T + i * 1000,
        source: 'IR head BLE',
        link: 'kmp',
        meter: METER
      }))
    };
    const first = await request(server, 'POST', '/api/sync/frames', { bearer: secret, body: batch });
    expect(first.status).toBe(200);
    const body = (await first.json()) as { results: { status: string; meter: string; meterId: number }[] };
    expect(body.results.map((r) => [r.status, r.meter, r.meterId])).toEqual(batch.frames.map(() => ['decoded', METER, meterId]));
    const rows = readings(meterId);
    expect(rows).toHaveLength(sim.daily(T).filter((d) => d.timeMs >= T - 5 * 86_400_000).length + 1);
    expect(rows.at(-1)!.at).toBe(T + 1000); // the register answer, at the time it was received

    const again = await request(server, 'POST', '/api/sync/frames', { bearer: secret, body: batch });
    expect(((await again.json()) as { results: { status: string }[] }).results.map((r) => r.status)).toEqual(batch.frames.map(() => 'duplicate'));
    expect(readings(meterId)).toEqual(rows);
    expect(frames()).toHaveLength(batch.frames.length);
  });

  test('Send: 422 naming frames.N.meter when the meter is missing or malformed for kmp, or given for another link; nothing stored', async () => {
    const secret = await device(await server.as('administrator'));
    const hex = toHex(answer(getRegister([60])));
    const frame = (extra: Record<string, unknown>) => ({ batchId: randomUUID(), frames: [{ clientId: randomUUID(), hex, receivedAt: T, ...extra }] });
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ link: 'kmp' }, /frames\.0\.meter: required for link kmp/],
      [{ link: 'kmp', meter: 'KAM12345678' }, /frames\.0\.meter: expected the manufacturer code and the serial/],
      [{ link: 'kmp', meter: 'kam 12345678' }, /frames\.0\.meter: expected the manufacturer code and the serial/],
      [{ link: 'kmp', meter: 'KAM 99999999999' }, /frames\.0\.meter: expected the manufacturer code and the serial/],
      [{ link: 'kmp', meter: 'KAM 4294967296' }, /frames\.0\.meter: expected a serial of at most 4294967295/],
      [{ link: 'kmp', meter: 12345678 }, /frames\.0\.meter: expected the meter as text/],
      [{ link: 'mbus', meter: METER }, /frames\.0\.meter: only for link kmp/],
      [{ meter: METER }, /frames\.0\.meter: only for link kmp/]
    ];
    for (const [extra, message] of cases) {
      const res = await request(server, 'POST', '/api/sync/frames', { bearer: secret, body: frame(extra) });
      expect(res.status, JSON.stringify(extra)).toBe(422);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
    expect(frames()).toEqual([]);
  });

  test('POST /api/ingest/frames takes link kmp with meter, and refuses it without', async () => {
    const meterId = addMeter();
    const admin = await server.as('administrator');
    const hex = toHex(answer(getRegister([60, 68])));
    const ok = await request(server, 'POST', '/api/ingest/frames', {
      cookie: admin,
      body: { frames: [{ hex, receivedAt: T, source: 'optical head', link: 'kmp', meter: 'KAM 12345678' }] }
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { results: { status: string; meterId: number }[] }).results).toMatchObject([{ status: 'decoded', meterId }]);
    expect(readings(meterId)).toHaveLength(1);

    const missing = await request(server, 'POST', '/api/ingest/frames', { cookie: admin, body: { frames: [{ hex, receivedAt: T + 1, source: 'optical head', link: 'kmp' }] } });
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { error: string }).error).toMatch(/frames\.0\.meter: required for link kmp/);
    expect(frames()).toHaveLength(1);
  });
});
