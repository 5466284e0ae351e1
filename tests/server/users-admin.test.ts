// What the Manager's Users screen relies on beyond the CRUD (tests/server/users.test.ts): nobody
// disables their own login, even with other administrators about, and the list carries each
// person's latest successful sign-in from the audit log.
import { beforeEach, describe, expect, test } from 'vitest';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let admin: string;

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.signIn('admin');
  return () => server.close();
});

const idOf = (login: string) => (server.db.prepare('select id from app_user where login = ?').get(login) as { id: number }).id;

async function createUser(login: string, role: string) {
  const res = await request(server, 'POST', '/api/users', { cookie: admin, body: { login, displayName: login, role, password: 'long enough pw' } });
  expect(res.status).toBe(201);
}

describe('disabling your own login', () => {
  test('is refused with the reason even when another administrator exists; the other may do it', async () => {
    await createUser('second-admin', 'administrator');
    const own = await request(server, 'POST', `/api/users/${idOf('admin')}/disable`, { cookie: admin });
    expect(own.status).toBe(409);
    expect(((await own.json()) as { error: string }).error).toBe('You cannot disable your own login: ask another administrator to do it.');
    expect(server.db.prepare("select disabled_at from app_user where login = 'admin'").pluck().get()).toBeNull();

    const second = await server.signIn('second-admin', 'long enough pw');
    const byOther = await request(server, 'POST', `/api/users/${idOf('admin')}/disable`, { cookie: second });
    expect(byOther.status).toBe(200);
  });
});

describe('the list shows the latest sign-in', () => {
  test('null before any sign-in, then the time of the newest successful one (failures do not count)', async () => {
    await createUser('anna', 'user');
    type Listed = { login: string; lastSignInAt: number | null };
    const list = async () =>
      ((await (await request(server, 'GET', '/api/users?q=anna', { cookie: admin })).json()) as { users: Listed[] }).users;
    expect(await list()).toMatchObject([{ login: 'anna', lastSignInAt: null }]);

    const first = server.clock.now;
    await server.signIn('anna', 'long enough pw');
    server.clock.now += 60_000;
    const second = server.clock.now;
    await server.signIn('anna', 'long enough pw');
    server.clock.now += 60_000;
    const wrong = await request(server, 'POST', '/api/auth/login', { body: { login: 'anna', password: 'not her password' } });
    expect(wrong.status).toBe(401);
    expect(second).toBeGreaterThan(first);
    expect(await list()).toMatchObject([{ login: 'anna', lastSignInAt: second }]);
  });
});
