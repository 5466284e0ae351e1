// Thinning (M18) with a moved clock: all readings and frames younger than keep-all days, the
// last of each local day up to keep-daily years, nothing older; one audit entry and one job run
// per run; the scheduler runs it once a day after the configured time.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { encodeRecords } from '../../shared/mbus/encode-records';
import { encodeTelegram } from '../../shared/wmbus/encode';
import { toHex } from '../../shared/bytes/hex';
import { Scheduler } from '../../server/src/jobs/scheduler';
import { makeTestServer, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let admin: string;
let demo: number;
let meter: number;
const utc = (s: string) => Date.parse(s);
const ADDRESS = { manufacturer: 'KAM', id: '44556677', version: 0x34, deviceType: 0x0c };

// now: 2026-09-21T14:13:20Z = 16:13 in Copenhagen (UTC+2)
const OLD = ['2025-06-01T10:00:00Z', '2025-06-01T12:00:00Z']; //                    before keep-daily: all go
const MID = ['2026-03-10T06:00:00Z', '2026-03-10T12:00:00Z', '2026-03-10T22:30:00Z', '2026-03-10T23:30:00Z']; // UTC+1: the last two are 23:30 on the 10th and 00:30 on the 11th
const EDGE = ['2026-09-18T20:00:00Z', '2026-09-18T21:00:00Z']; //                  22:00 and 23:00 on the 18th, before keep-all
const RECENT = ['2026-09-18T22:30:00Z', '2026-09-19T06:00:00Z', '2026-09-19T07:00:00Z']; // from 19 Sep 00:00 local: kept
const ALL = [...OLD, ...MID, ...EDGE, ...RECENT];

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  demo = (server.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  const at = server.clock.now;
  meter = (
    server.db
      .prepare(
        "insert into meter (tenant_id, manufacturer, serial, version, device_type, created_at, updated_at) values (?, 'KAM', ?, 52, 12, ?, ?) returning id"
      )
      .get(demo, ADDRESS.id, at, at) as { id: number }
  ).id;
  const frames = ALL.map((t, i) => ({
    hex: toHex(
      encodeTelegram({ address: ADDRESS, tpl: { header: 'short', acc: i, payload: encodeRecords([{ type: 'int32', quantity: 'energy kWh', value: 1000 + i }]) } })
    ),
    receivedAt: t,
    source: 'gw-1'
  }));
  const res = await call('POST', '/api/ingest/frames', { frames });
  expect(((await res.json()) as any).counts).toEqual({ decoded: ALL.length });
});
afterEach(() => server.close());

function call(method: string, path: string, body?: unknown) {
  return server.app.request(path, {
    method,
    headers: { cookie: admin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
}

const times = (table: 'reading' | 'frame') =>
  (server.db.prepare(table === 'reading' ? 'select at from reading order by at' : 'select received_at from frame order by received_at').pluck().all() as number[]).map(
    (t) => new Date(t).toISOString().replace('.000', '')
  );

describe('thinning', () => {
  test('settings: defaults, change, and a keep-daily period shorter than keep-all is refused', async () => {
    expect(((await (await call('GET', '/api/settings/thinning')).json()) as any).thinning).toEqual({ keepAllDays: 396, keepDailyYears: 5, runAt: '03:00' });
    const bad = await call('PUT', '/api/settings/thinning', { keepAllDays: 800, keepDailyYears: 2 });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as any).error).toMatch(/^keepDailyYears:/);
    const unknown = await call('PUT', '/api/settings/thinning', { keepAll: 3 });
    expect(unknown.status).toBe(422);
    const ok = await call('PUT', '/api/settings/thinning', { keepAllDays: 2, keepDailyYears: 1 });
    expect(((await ok.json()) as any).thinning).toEqual({ keepAllDays: 2, keepDailyYears: 1, runAt: '03:00' });
    const entry = server.db.prepare("select details from audit_entry where event = 'settings.changed'").pluck().get() as string;
    expect(JSON.parse(entry)).toMatchObject({ key: 'thinning', after: { keepAllDays: 2, keepDailyYears: 1 } });
  });

  test('a run keeps everything recent, the last of each older local day, nothing past keep-daily; frames alike', async () => {
    await call('PUT', '/api/settings/thinning', { keepAllDays: 2, keepDailyYears: 1 });
    const before = server.db.prepare('select count(*) from audit_entry').pluck().get() as number;
    const res = await call('POST', '/api/jobs/thinning/run');
    expect(res.status).toBe(200);
    const run = (await res.json()) as any;
    // keep-all from 19 Sep 00:00 local (18 Sep 22:00Z); keep-daily from the local day a year back
    expect(run).toMatchObject({ keepAllFrom: utc('2026-09-18T22:00:00Z'), readingsDeleted: 5, framesDeleted: 5 });
    const kept = ['2026-03-10T22:30:00Z', '2026-03-10T23:30:00Z', '2026-09-18T21:00:00Z', ...RECENT];
    expect(times('reading')).toEqual(kept);
    expect(times('frame')).toEqual(kept);

    // one audit entry with the counts, and one job run
    const entries = server.db.prepare('select event, details from audit_entry where id > (select max(id) - 10 from audit_entry) order by id').all() as { event: string; details: string }[];
    expect(server.db.prepare('select count(*) from audit_entry').pluck().get()).toBe(before + 1);
    const thinned = entries.filter((e) => e.event === 'readings.thinned');
    expect(thinned).toHaveLength(1);
    expect(JSON.parse(thinned[0].details)).toMatchObject({ readingsDeleted: 5, framesDeleted: 5, keepAllDays: 2, keepDailyYears: 1 });
    const runs = (await (await call('GET', '/api/jobs/runs?kind=thinning')).json()) as any;
    expect(runs.runs).toHaveLength(1);
    expect(runs.runs[0]).toMatchObject({ kind: 'thinning', status: 'ok', result: { readingsDeleted: 5 } });

    // again at once: the days are thinned already
    const again = (await (await call('POST', '/api/jobs/thinning/run')).json()) as any;
    expect(again).toMatchObject({ days: 0, readingsDeleted: 0, framesDeleted: 0 });
    expect(times('reading')).toEqual(kept);
  });

  test('the scheduler runs once a day after the configured local time', async () => {
    await call('PUT', '/api/settings/thinning', { keepAllDays: 2, keepDailyYears: 1 });
    const scheduler = new Scheduler({ db: server.db, stores: server.stores, now: () => server.clock.now });
    expect(scheduler.tick()).toEqual([demo]); // 16:13 local: today's 03:00 has passed, no run yet
    expect(scheduler.tick()).toEqual([]);
    server.clock.now = utc('2026-09-22T00:30:00Z'); // 02:30 local: not yet
    expect(scheduler.tick()).toEqual([]);
    server.clock.now = utc('2026-09-22T01:30:00Z'); // 03:30 local
    expect(scheduler.tick()).toEqual([demo]);
    expect(scheduler.tick()).toEqual([]);
    // keep-all now starts 20 Sep 00:00 local: of 19 Sep only its last reading stays
    expect(times('reading').slice(-2)).toEqual(['2026-09-18T21:00:00Z', '2026-09-19T07:00:00Z']);
    const entry = server.db.prepare("select actor, user_id as userId from audit_entry where event = 'readings.thinned' order by id desc").get();
    expect(entry).toEqual({ actor: 'scheduler', userId: null });
  });

  test('a user may not change thinning or run it', async () => {
    const user = await server.as('user');
    for (const [method, path] of [
      ['PUT', '/api/settings/thinning'],
      ['POST', '/api/jobs/thinning/run']
    ]) {
      const res = await server.app.request(path, { method, headers: { cookie: user, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(403);
    }
    expect(times('reading')).toHaveLength(ALL.length);
  });
});
