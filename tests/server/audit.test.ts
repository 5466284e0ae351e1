// The audit trail (M19): query by period, user and event type, newest first, paged; only the
// caller's tenant; append-only in the database itself.
import { beforeAll, afterAll, describe, expect, test } from 'vitest';
import { audit } from '../../server/src/audit';
import { makeTestServer, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let admin: string;
let tenantId: number;
let adminId: number;
const T0 = 1_790_000_000_000;

// One server for the file: these tests only read (the append-only test writes nothing that lasts).
beforeAll(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  await server.as('administrator', 'Other Utility');
  tenantId = (server.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  adminId = (server.db.prepare("select id from app_user where login = 'admin'").get() as { id: number }).id;
  const other = (server.db.prepare("select id from tenant where name = 'Other Utility'").get() as { id: number }).id;
  // a known history, in the future of everything the setup wrote
  const at = (minutes: number) => T0 + 86_400_000 + minutes * 60_000;
  audit(server.db, at(1), { tenantId, event: 'auth.sign-in', userId: adminId, actor: 'admin', device: 'Firefox' });
  audit(server.db, at(2), { tenantId, event: 'meter.created', userId: adminId, actor: 'admin', details: { meterId: 7 } });
  audit(server.db, at(3), { tenantId, event: 'auth.sign-in-failed', actor: 'mallory', details: { reason: 'wrong password' } });
  audit(server.db, at(4), { tenantId, event: 'authx.other', actor: 'system' });
  audit(server.db, at(5), { tenantId: other, event: 'auth.sign-in', actor: 'their admin', details: { secret: 'theirs' } });
  audit(server.db, at(6), { tenantId, event: "auth.' or 1=1 --", actor: 'weird' });
});
afterAll(() => server.close());

async function query(qs: string, cookie = admin) {
  const res = await server.app.request(`/api/audit${qs ? `?${qs}` : ''}`, { headers: { cookie } });
  return { status: res.status, body: await res.json() };
}
const since = `from=${T0 + 86_400_000}`;

describe('querying', () => {
  test('newest first, each entry with time, event, user login, actor, device and parsed details', async () => {
    const { status, body } = await query(since);
    expect(status).toBe(200);
    expect(body.entries.map((e: { event: string }) => e.event)).toEqual([
      "auth.' or 1=1 --",
      'authx.other',
      'auth.sign-in-failed',
      'meter.created',
      'auth.sign-in'
    ]);
    expect(body.entries[3]).toMatchObject({
      at: T0 + 86_400_000 + 120_000,
      event: 'meter.created',
      userId: adminId,
      userLogin: 'admin',
      actor: 'admin',
      device: null,
      details: { meterId: 7 }
    });
    expect(body.entries[4].device).toBe('Firefox');
    expect(body.nextCursor).toBeNull();
    expect(JSON.stringify(body)).not.toContain('theirs'); // another tenant's entry
  });

  test('event type: exact, or a prefix ending in "." or "*"', async () => {
    const events = async (e: string) =>
      (await query(`${since}&event=${encodeURIComponent(e)}`)).body.entries.map((x: { event: string }) => x.event);
    expect(await events('auth.sign-in')).toEqual(['auth.sign-in']);
    expect(await events('auth.')).toEqual(["auth.' or 1=1 --", 'auth.sign-in-failed', 'auth.sign-in']);
    expect(await events('auth*')).toEqual(["auth.' or 1=1 --", 'authx.other', 'auth.sign-in-failed', 'auth.sign-in']);
    expect(await events('auth.sign-in*')).toEqual(['auth.sign-in-failed', 'auth.sign-in']);
    expect(await events('nothing.')).toEqual([]);
  });

  test('SQL metacharacters in the event filter are plain text', async () => {
    const events = async (e: string) => {
      const r = await query(`event=${encodeURIComponent(e)}`);
      expect(r.status, e).toBe(200);
      return r.body.entries.map((x: { event: string }) => x.event);
    };
    expect(await events("' or 1=1 --")).toEqual([]);
    expect(await events("auth.' or 1=1 --")).toEqual(["auth.' or 1=1 --"]);
    expect(await events('%')).toEqual([]);
    expect(await events('_uth.sign-in')).toEqual([]);
    expect(await events('%.')).toEqual([]);
    expect(await events('"; delete from audit_entry; --')).toEqual([]);
    expect(await events('\\')).toEqual([]);
    expect((server.db.prepare('select count(*) as n from audit_entry').get() as { n: number }).n).toBeGreaterThan(6);
  });

  test('by user and by period (from inclusive, to exclusive; ms or ISO)', async () => {
    const byUser = await query(`${since}&userId=${adminId}`);
    expect(byUser.body.entries.map((e: { event: string }) => e.event)).toEqual(['meter.created', 'auth.sign-in']);
    const t2 = T0 + 86_400_000 + 2 * 60_000;
    const window = await query(`from=${t2}&to=${t2 + 2 * 60_000}`);
    expect(window.body.entries.map((e: { event: string }) => e.event)).toEqual(['auth.sign-in-failed', 'meter.created']);
    const iso = await query(`from=${encodeURIComponent(new Date(t2).toISOString())}&to=${encodeURIComponent(new Date(t2 + 60_000).toISOString())}`);
    expect(iso.body.entries.map((e: { event: string }) => e.event)).toEqual(['meter.created']);
  });

  test('pages with a cursor, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: { entries: { event: string }[]; nextCursor: string | null } } = await query(
        `${since}&limit=2${cursor ? `&cursor=${cursor}` : ''}`
      );
      seen.push(...page.body.entries.map((e) => e.event));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual((await query(since)).body.entries.map((e: { event: string }) => e.event));
  });

  test('bad parameters are 422 naming them', async () => {
    for (const [qs, message] of [
      ['userId=abc', /^userId: expected a number/],
      ['userId=-3', /^userId:/],
      ['from=yesterday', /^from: expected UTC milliseconds or an ISO 8601/],
      ['limit=0', /^limit:/],
      ['limit=501', /^limit:/],
      ['cursor=abc', /^cursor: expected the nextCursor/],
      ['user=admin', /user/],
      ['event=', /^event:/]
    ] as const) {
      const r = await query(qs);
      expect(r.status, qs).toBe(422);
      expect(r.body.error).toMatch(message);
    }
  });
});

describe('who may read it', () => {
  test('users and superusers get 403 (default matrix); without a session 401', async () => {
    expect((await query('', await server.as('user'))).status).toBe(403);
    expect((await query('', await server.as('superuser'))).status).toBe(403);
    expect((await server.app.request('/api/audit')).status).toBe(401);
  });

  test("the other tenant's administrator sees only their own entries", async () => {
    const { body } = await query(since, await server.as('administrator', 'Other Utility'));
    expect(body.entries.map((e: { actor: string }) => e.actor)).toEqual(['their admin']);
  });
});

describe('append-only', () => {
  test('the database refuses to change or delete an entry, whoever asks', () => {
    expect(() => server.db.prepare("update audit_entry set event = 'nothing'").run()).toThrow(/append-only: entries cannot be changed/);
    expect(() => server.db.prepare('delete from audit_entry').run()).toThrow(/append-only: entries cannot be deleted/);
    expect((server.db.prepare("select count(*) as n from audit_entry where event = 'nothing'").get() as { n: number }).n).toBe(0);
  });

  test('there is no API route that changes or removes entries', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const path of ['/api/audit', '/api/audit/1']) {
        const res = await server.app.request(path, { method, headers: { cookie: admin } });
        expect(res.status, `${method} ${path}`).toBe(404);
      }
    }
  });
});
