// Meter exchange in the field (M12), device side: queued in the real Dexie store (fake-indexeddb)
// and sent by sendExchanges to the real server in process (fetch = app.request), as
// Send/Receive does. An exchange lands on the server exactly once, however the connection goes.
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../web/src/lib/api/client';
import { openDb, type ReadingRow, type ReadoutDb } from '../../../web/src/lib/db/index';
import { checkDraft, parseValue, radioValue, type ExchangeDraft } from '../../../web/src/lib/sync/exchange-draft';
import { discardExchange, ExchangeDraftError, listExchanges, queueExchange, requeueExchange, sendExchanges } from '../../../web/src/lib/sync/exchanges';
import { DAY, exchangeScene, type ExchangeScene } from '../../server/field-exchange-fixture';
import { makeTestServer, useTempDir, type TestServer } from '../../server/helpers';

const tempDir = useTempDir();
let server: TestServer;
let s: ExchangeScene;
let db: ReadoutDb;
let n = 0;

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  s = await exchangeScene(server);
  db = openDb(`exchanges-test-${++n}-${Math.random().toString(36).slice(2)}`, { indexedDB, IDBKeyRange });
});
afterEach(() => {
  db.close();
  server.close();
});

const HEAT = { manufacturer: 'KAM', serial: '71054899' };
const serverFetch = ((url: string, init?: RequestInit) => server.app.request(url, init)) as unknown as typeof fetch;
const ctx = (f: typeof fetch = serverFetch) => ({ db, fetch: f, token: s.device.secret, now: () => server.clock.now });

function draft(o: Partial<ExchangeDraft> = {}): ExchangeDraft {
  return {
    meterKey: 'KAM-71054899',
    meterId: s.heat.meter,
    address: 'Hovedgaden 12',
    at: s.t0 + 3 * DAY,
    final: { value: 1020.25, unit: 'kWh', source: 'typed' },
    newMeter: { manufacturer: 'KAM', serial: '80112233' },
    start: { value: 0, unit: 'kWh' },
    ...o
  };
}

const applied = () => (server.db.prepare('select count(*) as n from field_exchange').get() as { n: number }).n;
const currentMeterAt = (point: number) => server.stores.meters.currentMeterAt(point);
const outbox = () => db.outbox.where('kind').equals('exchanges').toArray();

describe('queue and send', () => {
  it('queues the row and its outbox entry together; Send/Receive applies it and the outbox empties', async () => {
    const row = await queueExchange(db, draft(), HEAT, server.clock.now);
    expect(row).toMatchObject({ status: 'queued', final: { register: 'energy', value: 1020.25, unit: 'kWh', source: 'typed' }, start: { register: 'energy' } });
    expect(row.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await outbox()).map((e) => e.ref)).toEqual([row.id]);

    expect(await sendExchanges(ctx())).toEqual({ sent: 1, rejected: 0 });
    const done = await db.exchanges.get(row.id!);
    expect(done).toMatchObject({ status: 'done', answeredAt: server.clock.now, answer: { meteringPointId: s.heat.point, newMeterNeedsKey: true, newMeterCreated: true, duplicate: false } });
    expect(await outbox()).toEqual([]);
    expect(currentMeterAt(s.heat.point)).toBe(done!.answer!.newMeterId);
    expect(server.db.prepare('select serial from meter where id = ?').pluck().get(done!.answer!.newMeterId)).toBe('80112233');

    // nothing left: a second Send/Receive sends nothing
    expect(await sendExchanges(ctx())).toEqual({ sent: 0, rejected: 0 });
  });

  it('a queue that cannot be written does not leave half an exchange: a bad draft is refused before anything is stored', async () => {
    await expect(queueExchange(db, draft({ newMeter: { manufacturer: 'KAM', serial: '71054899' } }), HEAT, server.clock.now)).rejects.toThrow(ExchangeDraftError);
    expect(await db.exchanges.count()).toBe(0);
    expect(await outbox()).toEqual([]);
  });

  it('an answer lost on the way back: the exchange stays queued, the retry is a duplicate, and the server holds exactly one', async () => {
    const row = await queueExchange(db, draft(), HEAT, server.clock.now);
    const dropping = (async (url: string, init?: RequestInit) => {
      await server.app.request(url, init); // the server applies it ...
      throw new TypeError('Failed to fetch'); // ... and the connection drops before the answer
    }) as unknown as typeof fetch;
    const lost = await sendExchanges(ctx(dropping)).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(ApiError);
    expect((lost as ApiError).reason).toBe('offline');
    expect(await db.exchanges.get(row.id!)).toMatchObject({ status: 'queued' });
    expect(await outbox()).toHaveLength(1);
    expect(applied()).toBe(1);

    expect(await sendExchanges(ctx())).toEqual({ sent: 1, rejected: 0 });
    expect(await db.exchanges.get(row.id!)).toMatchObject({ status: 'done', answer: { duplicate: true, meteringPointId: s.heat.point } });
    expect(await outbox()).toEqual([]);
    expect(applied()).toBe(1);
    expect(server.db.prepare('select count(*) from installation where metering_point_id = ?').pluck().get(s.heat.point)).toBe(2);
  });

  it('without network nothing changes on the device', async () => {
    const row = await queueExchange(db, draft(), HEAT, server.clock.now);
    const offline = (() => Promise.reject(new TypeError('Failed to fetch'))) as unknown as typeof fetch;
    await expect(sendExchanges(ctx(offline))).rejects.toMatchObject({ reason: 'offline' });
    expect(await db.exchanges.get(row.id!)).toMatchObject({ status: 'queued' });
    expect(await outbox()).toHaveLength(1);
  });
});

describe('refused exchanges', () => {
  it('a rejected answer is kept with its reason; corrected, it goes again under a new client id; or it is discarded', async () => {
    const offRoute = await queueExchange(db, draft({ meterKey: 'KAM-22222222', meterId: s.offRoute.meter }), { manufacturer: 'KAM', serial: '22222222' }, server.clock.now);
    const wrongSerial = await queueExchange(db, draft({ newMeter: { manufacturer: 'KAM', serial: '76348799' } }), HEAT, server.clock.now);
    expect(await sendExchanges(ctx())).toEqual({ sent: 0, rejected: 2 });
    expect(await outbox()).toEqual([]);
    const a = await db.exchanges.get(offRoute.id!);
    expect(a).toMatchObject({ status: 'rejected' });
    expect(a!.error).toMatch(/not on this device's route/);
    const b = await db.exchanges.get(wrongSerial.id!);
    expect(b!.fields!.map((f) => f.field)).toEqual(['newMeter.serial']);
    expect(b!.error).toMatch(/KAM 76348799 is installed at metering point \d+ \(Hovedgaden 14\)/);
    expect(currentMeterAt(s.heat.point)).toBe(s.heat.meter);

    // correct the serial and queue again: a new client id, queued with one outbox entry
    const fixed = await requeueExchange(db, wrongSerial.id!, draft({ newMeter: { manufacturer: 'KAM', serial: '80112233' } }), HEAT, server.clock.now);
    expect(fixed.clientId).not.toBe(wrongSerial.clientId);
    expect(await db.exchanges.get(wrongSerial.id!)).toMatchObject({ status: 'queued', newMeter: { serial: '80112233' } });
    expect((await db.exchanges.get(wrongSerial.id!))!.error).toBeUndefined();
    expect((await outbox()).map((e) => e.ref)).toEqual([wrongSerial.id]);
    expect(await sendExchanges(ctx())).toEqual({ sent: 1, rejected: 0 });
    expect(await db.exchanges.get(wrongSerial.id!)).toMatchObject({ status: 'done' });
    await expect(requeueExchange(db, wrongSerial.id!, draft(), HEAT, server.clock.now)).rejects.toThrow(/only a refused exchange/);
    await expect(discardExchange(db, wrongSerial.id!)).rejects.toThrow(/applied/);

    // the other one is given up
    await discardExchange(db, offRoute.id!);
    expect((await listExchanges(db)).map((r) => r.id)).toEqual([wrongSerial.id]);
  });

  it('a row the server cannot answer under (broken client id) is refused alone; the others in the batch are applied', async () => {
    const broken = await queueExchange(db, draft({ meterId: s.water.meter, meterKey: 'KAM-76348799', final: { value: 12, unit: 'm3', source: 'typed' }, start: { value: 0, unit: 'm3' } }), { manufacturer: 'KAM', serial: '76348799' }, server.clock.now);
    await db.exchanges.update(broken.id!, { clientId: 'not-a-uuid' });
    const good = await queueExchange(db, draft(), HEAT, server.clock.now);
    expect(await sendExchanges(ctx())).toEqual({ sent: 1, rejected: 1 });
    expect(await db.exchanges.get(broken.id!)).toMatchObject({ status: 'rejected', error: expect.stringMatching(/^clientId: expected a UUID/) });
    expect(await db.exchanges.get(good.id!)).toMatchObject({ status: 'done' });
    expect(await outbox()).toEqual([]);
  });

  it('a refused device token throws and keeps everything queued', async () => {
    const row = await queueExchange(db, draft(), HEAT, server.clock.now);
    await expect(sendExchanges({ ...ctx(), token: 'rdd_unknown' })).rejects.toMatchObject({ reason: 'unauthorised' });
    expect(await db.exchanges.get(row.id!)).toMatchObject({ status: 'queued' });
    expect(await outbox()).toHaveLength(1);
    expect(applied()).toBe(0);
  });
});

describe('what the fitter enters', () => {
  it('typed values: decimal point or comma, never negative or with thousands separators', () => {
    expect(parseValue('1234,567')).toEqual({ value: 1234.567 });
    expect(parseValue(' 0 ')).toEqual({ value: 0 });
    expect(parseValue('')).toHaveProperty('error');
    expect(parseValue('-3')).toEqual({ error: 'A meter register is never negative.' });
    expect(parseValue('1.234,5')).toHaveProperty('error');
    expect(parseValue('12e3')).toHaveProperty('error');
  });

  it('the radio value is the reading\'s primary register with its unit', () => {
    const reading = (fields: Record<string, unknown>, primary?: string): ReadingRow => ({ meterKey: 'KAM-1', at: 1, frameId: 1, fields, primary });
    expect(radioValue(reading({ total: { value: 6.408, unit: 'm3' }, flow: { value: 0.1, unit: 'm3/h' } }, 'total'))).toEqual({ value: 6.408, unit: 'm3', register: 'volume' });
    expect(radioValue(reading({ energy: { value: 12.3, unit: 'MWh' } }))).toEqual({ value: 12.3, unit: 'MWh', register: 'energy' });
    expect(radioValue(reading({ energy: { value: null, unit: 'kWh' } }, 'energy'))).toBeNull();
  });

  it('the checks name the field, as the server does', () => {
    const now = s.t0 + 3 * DAY;
    expect(checkDraft(draft(), HEAT, now)).toEqual([]);
    const fields = (d: Partial<ExchangeDraft>) => checkDraft(draft(d), HEAT, now).map((p) => p.field);
    expect(fields({ newMeter: { manufacturer: 'KAM', serial: '71054899' } })).toEqual(['newMeter.serial']);
    expect(fields({ newMeter: { manufacturer: 'KA', serial: '8011223' } })).toEqual(['newMeter.manufacturer', 'newMeter.serial']);
    expect(fields({ start: { value: 0, unit: 'm3' } })).toEqual(['start.unit']);
    expect(fields({ final: { value: Number.NaN, unit: 'furlong', source: 'typed' } })).toEqual(['final.unit', 'final.value']);
    expect(fields({ at: now + 3_600_000 })).toEqual(['at']);
    expect(fields({ final: { value: 1, unit: 'kWh', source: 'radio', readAt: now + 1000 } })).toEqual(['at']);
  });
});
