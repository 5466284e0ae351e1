// The permission matrix (M20): administrators read and edit what 'user' and 'superuser' may do;
// a change applies at once, also to open sessions, and only in the administrator's tenant.
import { beforeEach, describe, expect, test } from 'vitest';
import { DEFAULT_PERMISSIONS, PERMISSIONS } from '../../server/src/auth/permissions';
import { makeTestServer, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let admin: string;

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  return () => server.close();
});

function call(method: string, path: string, cookie?: string, body?: unknown) {
  return server.app.request(path, {
    method,
    headers: { ...(cookie ? { cookie } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined
  });
}
const put = (role: string, permissions: unknown, cookie = admin) => call('PUT', `/api/permissions/${role}`, cookie, { permissions });

describe('reading the matrix', () => {
  test('administrators see every permission, which can be granted, and the defaults', async () => {
    const res = await call('GET', '/api/permissions', admin);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.permissions.map((p: { name: string }) => p.name)).toEqual([...PERMISSIONS]);
    expect(body.permissions.filter((p: { grantable: boolean }) => !p.grantable).map((p: { name: string }) => p.name)).toEqual([
      'users.manage',
      'permissions.manage'
    ]);
    expect(body.roles.user).toEqual([...DEFAULT_PERMISSIONS.user]);
    expect(body.roles.superuser).toEqual([...DEFAULT_PERMISSIONS.superuser]);
    expect(body.roles.administrator).toEqual([...PERMISSIONS]);
  });

  test('users and superusers may not read or change it (403)', async () => {
    for (const role of ['user', 'superuser'] as const) {
      const cookie = await server.as(role);
      expect((await call('GET', '/api/permissions', cookie)).status).toBe(403);
      expect((await put('user', ['audit.read'], cookie)).status).toBe(403);
    }
    expect(server.db.prepare('select count(*) as n from role_permission').get()).toEqual({ n: 0 });
  });
});

describe('changing the matrix', () => {
  test('applies at once to open sessions, is audited, and stays in this tenant', async () => {
    const user = await server.as('user');
    const otherUser = await server.as('user', 'Other Utility');
    expect((await call('GET', '/api/audit', user)).status).toBe(403);

    const res = await put('user', ['meters.read', 'audit.read', 'audit.read']);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ role: 'user', permissions: ['meters.read', 'audit.read'] });
    expect((await call('GET', '/api/audit', user)).status).toBe(200);
    expect((await call('GET', '/api/audit', otherUser)).status).toBe(403);

    const entry = server.db.prepare("select details from audit_entry where event = 'permissions.changed'").get() as { details: string };
    expect(JSON.parse(entry.details)).toEqual({ role: 'user', before: [...DEFAULT_PERMISSIONS.user], after: ['meters.read', 'audit.read'] });

    expect((await put('user', [])).status).toBe(200);
    expect((await call('GET', '/api/audit', user)).status).toBe(403);
    expect((await (await call('GET', '/api/permissions', admin)).json()).roles.user).toEqual([]);
  });

  test('unknown names are 422 naming them; nothing changes', async () => {
    const res = await put('superuser', ['meters.read', 'meters.delete', "x'; drop table role_permission; --"]);
    expect(res.status).toBe(422);
    expect((await res.json()).error).toBe(`permissions: unknown "meters.delete", "x'; drop table role_permission; --"`);
    expect(server.db.prepare('select count(*) as n from role_permission').get()).toEqual({ n: 0 });
  });

  test('permissions kept for administrators cannot be granted (422)', async () => {
    for (const p of ['users.manage', 'permissions.manage']) {
      const res = await put('superuser', ['meters.read', p]);
      expect(res.status).toBe(422);
      expect((await res.json()).error).toBe(`permissions: ${p} cannot be given to the role superuser; they stay with administrators.`);
    }
  });

  test('the administrator role and unknown roles are 422; bad bodies are 422', async () => {
    expect(((await (await put('administrator', ['meters.read'])).json()) as { error: string }).error).toMatch(/^role: an administrator may do everything/);
    const bad = await put('root', ['meters.read']);
    expect(bad.status).toBe(422);
    expect((await bad.json()).error).toBe('role: expected user or superuser, got "root"');
    expect((await put('user', 'meters.read')).status).toBe(422);
    expect((await call('PUT', '/api/permissions/user', admin, { permissions: [], extra: 1 })).status).toBe(422);
    expect((await call('PUT', '/api/permissions/user', admin, {})).status).toBe(422);
  });

  test('without a sign-in it is 401', async () => {
    expect((await call('GET', '/api/permissions')).status).toBe(401);
    expect((await put('user', [], '')).status).toBe(401);
  });
});
