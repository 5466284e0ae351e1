// The field app's doorstep optical read (issue 9, R2/R6/R7) without a browser: what the screen
// makes of logger records (daily consumption bars, the info-code log with meanings), how a read's
// KMP answers are stored (Dexie on fake-indexeddb: link 'kmp', meter "KAM <serial>", queued) and
// what Send/Receive puts on the wire for them.
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type ReadoutDb } from '../../web/src/lib/db/index';
import { kmpMeterKey, kmpMeterName, storeOpticalRead } from '../../web/src/lib/db/optical';
import { dailyConsumption, infoLog, type LogRecord } from '../../web/src/lib/optical-field/logs';
import { doorstepRegisters } from '../../web/src/lib/optical-field/session.svelte';
import { toWire } from '../../web/src/lib/sync/send';
import type { KmpValue } from '../../shared/kmp/value';
import { fromHex, toHex } from '../../shared/bytes/hex';

const dbs: ReadoutDb[] = [];
afterEach(() => {
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
