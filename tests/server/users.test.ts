// People (M20, M21): administrator CRUD, disabling, last-administrator protection, one's own
// password, sign out everywhere; tenant isolation and hostile input.
import { beforeEach, describe, expect, test } from 'vitest';
import { ADMIN_PASSWORD, makeTestServer, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let admin: string;

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.signIn('admin');
  return () => server.close();
});

function call(method: string, path: string, opts: { cookie?: string; body?: unknown; bearer?: string } = {}) {
  return server.app.request(path, {
    method,
    headers: {
      'user-agent': 'vitest',
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {})
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined
  });
}

const lastEvent = () =>
  server.db.prepare('select event, user_id as userId, actor, details from audit_entry order by id desc limit 1').get() as {
    event: string;
    userId: number | null;
    actor: string;
    details: string;
  };
const me = (cookie: string) => call('GET', '/api/auth/me', { cookie });
const adminId = () => (server.db.prepare("select id from app_user where login = 'admin'").get() as { id: number }).id;

async function create(body: Record<string, unknown>, cookie = admin) {
  return call('POST', '/api/users', { cookie, body: { displayName: 'Someone', role: 'user', password: 'long enough pw', ...body } });
}

describe('administrators manage people', () => {
  test('create, then the new person signs in; audited without the password', async () => {
    const res = await create({ login: 'jens', displayName: 'Jens Hansen', role: 'superuser', password: 'jens secret pw' });
    expect(res.status).toBe(201);
    const { user } = await res.json();
    expect(user).toMatchObject({ login: 'jens', displayName: 'Jens Hansen', role: 'superuser', disabledAt: null });
    expect(user.passwordHash).toBeUndefined();
    const e = lastEvent();
    expect(e.event).toBe('user.created');
    expect(JSON.parse(e.details)).toEqual({ userId: user.id, login: 'jens', role: 'superuser' });
    expect(JSON.stringify(e)).not.toContain('jens secret pw');
    expect((await me(await server.signIn('jens', 'jens secret pw'))).status).toBe(200);
  });

  test('bad bodies are 422 naming the field; nothing is stored', async () => {
    const before = server.db.prepare('select count(*) as n from app_user').get();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ login: 'ab' }, /^login: expected 3-64/],
      [{ login: 'x y z' }, /^login:/],
      [{ login: 'okay', password: 'short' }, /^password: at least 10 characters/],
      [{ login: 'okay', role: 'root' }, /^role: expected user, superuser or administrator/],
      [{ login: 'okay', isAdmin: true }, /isAdmin/],
      [{ login: 'okay', displayName: '' }, /^displayName: enter a name/]
    ];
    for (const [body, message] of cases) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await res.json()).error).toMatch(message);
    }
    expect(server.db.prepare('select count(*) as n from app_user').get()).toEqual(before);
  });

  test('a login in use (any case, any tenant) is 409', async () => {
    await server.as('user', 'Other Utility');
    expect((await create({ login: 'ADMIN' })).status).toBe(409);
    const res = await create({ login: 'user@other-utility' });
    expect(res.status).toBe(409);
    expect((await res.json()).error).toBe('login: "user@other-utility" is already in use; choose another user name.');
  });

  test('list and search; metacharacters are taken literally', async () => {
    const people: [string, string][] = [['a_b', 'Name a_b'], ['axb', 'Name axb'], ['pqr', '100% sure'], ['obrien', "O'Brien"]];
    for (const [login, displayName] of people) expect((await create({ login, displayName })).status).toBe(201);
    const list = async (query: string) => {
      const res = await call('GET', `/api/users?${query}`, { cookie: admin });
      expect(res.status, query).toBe(200);
      return (await res.json()) as { users: { login: string }[]; total: number };
    };
    expect((await list('')).total).toBe(5);
    expect((await list(`q=${encodeURIComponent('_')}`)).users.map((u) => u.login)).toEqual(['a_b']);
    expect((await list(`q=${encodeURIComponent('%')}`)).users.map((u) => u.login)).toEqual(['pqr']);
    expect((await list(`q=${encodeURIComponent("'")}`)).users.map((u) => u.login)).toEqual(['obrien']);
    expect((await list(`q=${encodeURIComponent("' or 1=1 --")}`)).users).toEqual([]);
    expect((await list(`q=${encodeURIComponent('"; drop table app_user; --')}`)).users).toEqual([]);
    expect((await list('q=NAME%20A_')).users.map((u) => u.login)).toEqual(['a_b']); // display name, any case
    expect((await list('role=administrator')).users.map((u) => u.login)).toEqual(['admin']);
    const page = await list('limit=2&offset=1');
    expect(page.users).toHaveLength(2);
    expect(page.total).toBe(5);
    expect((await call('GET', '/api/users?limit=501', { cookie: admin })).status).toBe(422);
    const unknown = await call('GET', '/api/users?sort=login', { cookie: admin });
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).error).toMatch(/sort/);
  });

  test('change role and display name: audited with before and after, effective at once', async () => {
    const { user } = await (await create({ login: 'eva', role: 'administrator', password: 'eva secret pw' })).json();
    const eva = await server.signIn('eva', 'eva secret pw');
    expect((await call('GET', '/api/users', { cookie: eva })).status).toBe(200);
    const res = await call('PATCH', `/api/users/${user.id}`, { cookie: admin, body: { role: 'user', displayName: 'Eva' } });
    expect(res.status).toBe(200);
    expect((await res.json()).user).toMatchObject({ role: 'user', displayName: 'Eva' });
    expect(JSON.parse(lastEvent().details)).toEqual({
      userId: user.id,
      login: 'eva',
      displayName: { before: 'Someone', after: 'Eva' },
      role: { before: 'administrator', after: 'user' }
    });
    expect((await call('GET', '/api/users', { cookie: eva })).status).toBe(403); // same session, new role
    expect((await call('PATCH', `/api/users/${user.id}`, { cookie: admin, body: {} })).status).toBe(422);
    expect((await call('PATCH', `/api/users/${user.id}`, { cookie: admin, body: { login: 'evil' } })).status).toBe(422);
  });

  test('disable: sessions and API tokens end at once, sign-in refused; enable lets them back in', async () => {
    const { user } = await (await create({ login: 'ole', role: 'administrator', password: 'ole secret pw' })).json();
    const ole = await server.signIn('ole', 'ole secret pw');
    const made = await call('POST', '/api/tokens', { cookie: ole, body: { name: 'ole script', scopes: ['audit.read'] } });
    const { secret } = await made.json();
    expect((await call('GET', '/api/audit', { bearer: secret })).status).toBe(200);

    const res = await call('POST', `/api/users/${user.id}/disable`, { cookie: admin });
    expect(res.status).toBe(200);
    expect((await res.json()).user.disabledAt).toBe(server.clock.now);
    expect(JSON.parse(lastEvent().details)).toEqual({ userId: user.id, login: 'ole', sessionsEnded: 1, tokensRevoked: 1 });
    expect((await me(ole)).status).toBe(401);
    expect((await call('GET', '/api/audit', { bearer: secret })).status).toBe(401);
    await expect(server.signIn('ole', 'ole secret pw')).rejects.toThrow(/401/);
    expect((await call('GET', '/api/users', { cookie: admin })).status).toBe(200);
    const listed = (await (await call('GET', '/api/users?includeDisabled=true', { cookie: admin })).json()).users;
    expect(listed.map((u: { login: string }) => u.login)).toContain('ole');
    expect((await (await call('GET', '/api/users', { cookie: admin })).json()).users.map((u: { login: string }) => u.login)).not.toContain('ole');

    expect((await call('POST', `/api/users/${user.id}/enable`, { cookie: admin })).status).toBe(200);
    expect(lastEvent().event).toBe('user.enabled');
    expect((await me(await server.signIn('ole', 'ole secret pw'))).status).toBe(200);
  });
});

describe('the last active administrator', () => {
  test('cannot disable or demote themself (409); with a second administrator they can', async () => {
    const id = adminId();
    const disable = await call('POST', `/api/users/${id}/disable`, { cookie: admin });
    expect(disable.status).toBe(409);
    expect((await disable.json()).error).toBe('You cannot disable your own login: ask another administrator to do it.');
    const demote = await call('PATCH', `/api/users/${id}`, { cookie: admin, body: { role: 'superuser' } });
    expect(demote.status).toBe(409);
    expect((await demote.json()).error).toMatch(/cannot change the role of the last active administrator/);
    expect((await me(admin)).status).toBe(200);

    // a disabled administrator does not count
    const { user: other } = await (await create({ login: 'second', role: 'administrator' })).json();
    await call('POST', `/api/users/${other.id}/disable`, { cookie: admin });
    expect((await call('POST', `/api/users/${id}/disable`, { cookie: admin })).status).toBe(409);

    await call('POST', `/api/users/${other.id}/enable`, { cookie: admin });
    expect((await call('PATCH', `/api/users/${id}`, { cookie: admin, body: { role: 'superuser' } })).status).toBe(200);
  });

  test('an administrator of another tenant does not count', async () => {
    await server.as('administrator', 'Other Utility');
    expect((await call('POST', `/api/users/${adminId()}/disable`, { cookie: admin })).status).toBe(409);
  });
});

describe('hostile callers', () => {
  test('a user or superuser calling the administrator routes gets 403 and changes nothing', async () => {
    for (const role of ['user', 'superuser'] as const) {
      const cookie = await server.as(role);
      expect((await call('GET', '/api/users', { cookie })).status).toBe(403);
      expect((await create({ login: 'sneaky' }, cookie)).status).toBe(403);
      expect((await call('PATCH', `/api/users/${adminId()}`, { cookie, body: { role: 'user' } })).status).toBe(403);
      expect((await call('POST', `/api/users/${adminId()}/disable`, { cookie })).status).toBe(403);
      expect((await call('POST', `/api/users/${adminId()}/password`, { cookie, body: { password: 'taken over pw' } })).status).toBe(403);
    }
    expect(server.db.prepare("select role, disabled_at as d from app_user where login = 'admin'").get()).toEqual({ role: 'administrator', d: null });
  });

  test("another tenant's user ids are 404 with the same message as a missing id", async () => {
    await server.as('user', 'Other Utility');
    const otherId = (server.db.prepare("select id from app_user where login = 'user@other-utility'").get() as { id: number }).id;
    const attempts = [
      call('GET', `/api/users/${otherId}`, { cookie: admin }),
      call('PATCH', `/api/users/${otherId}`, { cookie: admin, body: { displayName: 'Hacked' } }),
      call('POST', `/api/users/${otherId}/disable`, { cookie: admin }),
      call('POST', `/api/users/${otherId}/enable`, { cookie: admin }),
      call('POST', `/api/users/${otherId}/password`, { cookie: admin, body: { password: 'taken over pw' } }),
      call('GET', '/api/users/99999', { cookie: admin })
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'No such user.' });
    }
    const list = await (await call('GET', '/api/users?q=other', { cookie: admin })).json();
    expect(list.users).toEqual([]);
    expect(server.db.prepare('select display_name as n, disabled_at as d from app_user where id = ?').get(otherId)).toEqual({
      n: 'user of Other Utility',
      d: null
    });
    expect((await me(await server.as('user', 'Other Utility'))).status).toBe(200);
  });

  test('ids that are not positive whole numbers are 422', async () => {
    for (const id of ['0', '-1', 'abc', '1.5', '1e3', "1'%20or%20'1'='1"]) {
      const res = await call('GET', `/api/users/${id}`, { cookie: admin });
      expect(res.status, id).toBe(422);
      expect((await res.json()).error).toMatch(/^id: expected a positive whole number/);
    }
  });

  test('an expired session is 401 on every administrator route', async () => {
    server.clock.now += 13 * 3_600_000;
    expect((await call('GET', '/api/users', { cookie: admin })).status).toBe(401);
    expect((await create({ login: 'late' })).status).toBe(401);
  });
});

describe('passwords', () => {
  test('changing one\'s own password ends the other sessions and keeps this one', async () => {
    const other = await server.signIn('admin');
    const res = await call('POST', '/api/users/me/password', {
      cookie: admin,
      body: { currentPassword: ADMIN_PASSWORD, newPassword: 'a new admin password' }
    });
    expect(res.status).toBe(200);
    expect((await me(admin)).status).toBe(200);
    expect((await me(other)).status).toBe(401);
    expect(JSON.parse(lastEvent().details)).toMatchObject({ login: 'admin', by: 'self', sessionsEnded: 1 });
    expect(JSON.stringify(server.db.prepare('select * from audit_entry').all())).not.toContain('a new admin password');
    await expect(server.signIn('admin')).rejects.toThrow(/401/);
    expect((await me(await server.signIn('admin', 'a new admin password'))).status).toBe(200);
  });

  test('wrong current password, short or unchanged new password, unknown fields: 422 and nothing changes', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ currentPassword: 'not it at all', newPassword: 'a new admin password' }, /^currentPassword: this is not your current password/],
      [{ currentPassword: ADMIN_PASSWORD, newPassword: 'short' }, /^newPassword: at least 10 characters/],
      [{ currentPassword: ADMIN_PASSWORD, newPassword: ADMIN_PASSWORD }, /^newPassword: must differ/],
      [{ currentPassword: ADMIN_PASSWORD, newPassword: 'a new admin password', userId: 2 }, /userId/],
      [{ newPassword: 'a new admin password' }, /^currentPassword: enter your current password/]
    ];
    for (const [body, message] of cases) {
      const res = await call('POST', '/api/users/me/password', { cookie: admin, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await res.json()).error).toMatch(message);
    }
    expect(lastEvent().event).toBe('user.password-change-failed');
    expect((await me(await server.signIn('admin'))).status).toBe(200);
  });

  test('without a session (or with an API token) changing a password is 401', async () => {
    const body = { currentPassword: ADMIN_PASSWORD, newPassword: 'a new admin password' };
    expect((await call('POST', '/api/users/me/password', { body })).status).toBe(401);
    const { secret } = await (await call('POST', '/api/tokens', { cookie: admin, body: { name: 't', scopes: ['audit.read'] } })).json();
    expect((await call('POST', '/api/users/me/password', { bearer: secret, body })).status).toBe(401);
  });

  test('an administrator sets a new password for someone: all their sessions end', async () => {
    const cookie = await server.as('user');
    const id = (server.db.prepare("select id from app_user where login = 'user@demo-utility'").get() as { id: number }).id;
    expect((await call('POST', `/api/users/${id}/password`, { cookie: admin, body: { password: 'short' } })).status).toBe(422);
    const res = await call('POST', `/api/users/${id}/password`, { cookie: admin, body: { password: 'reset by admin' } });
    expect(res.status).toBe(200);
    expect((await me(cookie)).status).toBe(401);
    expect(JSON.parse(lastEvent().details)).toMatchObject({ userId: id, by: 'administrator', sessionsEnded: 1 });
    expect((await me(await server.signIn('user@demo-utility', 'reset by admin'))).status).toBe(200);
  });
});

describe('sign out everywhere', () => {
  test('ends every session of the caller, audited; others keep theirs', async () => {
    const second = await server.signIn('admin');
    const user = await server.as('user');
    const res = await call('POST', '/api/auth/logout-everywhere', { cookie: admin });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, sessionsEnded: 2 });
    expect(res.headers.get('set-cookie')).toMatch(/readout_session=;/);
    expect((await me(admin)).status).toBe(401);
    expect((await me(second)).status).toBe(401);
    expect((await me(user)).status).toBe(200);
    expect(lastEvent()).toMatchObject({ event: 'auth.sign-out-everywhere', actor: 'admin', userId: adminId() });
  });

  test('without a session it is 401', async () => {
    expect((await call('POST', '/api/auth/logout-everywhere')).status).toBe(401);
  });
});
