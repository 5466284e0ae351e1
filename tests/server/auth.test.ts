import { beforeEach, describe, expect, test } from 'vitest';
import { readMigrations } from '../../server/src/db/migrate';
import { migrationsDir } from '../../server/src/paths';
import { ADMIN_PASSWORD as PASSWORD, makeTestServer, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();

let server: TestServer;
let db: TestServer['db'];
let app: TestServer['app'];

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  ({ db, app } = server);
  return () => server.close();
});

const login = (body: unknown) =>
  app.request('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'vitest-browser' },
    body: JSON.stringify(body)
  });
const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0];
const auditEvents = () =>
  db.prepare('select event, actor, device, details from audit_entry order by id').all() as {
    event: string;
    actor: string;
    device: string | null;
    details: string | null;
  }[];

describe('sign-in', () => {
  test('first start made "Demo Utility" and an administrator, audited', () => {
    expect(db.prepare('select name from tenant').all()).toEqual([{ name: 'Demo Utility' }]);
    expect(db.prepare('select login, role from app_user').all()).toEqual([{ login: 'admin', role: 'administrator' }]);
    expect(auditEvents().map((e) => e.event)).toEqual(['user.created']);
  });

  test('the administrator signs in; the cookie is httpOnly and SameSite=Strict; /me knows them', async () => {
    const res = await login({ login: 'admin', password: PASSWORD });
    expect(res.status).toBe(200);
    expect((await res.json()).user).toMatchObject({ login: 'admin', role: 'administrator', tenantName: 'Demo Utility' });
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/readout_session=[\w-]{40,}/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toMatch(/Secure/); // plain http in this test

    const me = await app.request('/api/auth/me', { headers: { cookie: cookieOf(res) } });
    expect(me.status).toBe(200);
    expect((await me.json()).user.login).toBe('admin');
    expect(auditEvents().at(-1)).toMatchObject({ event: 'auth.sign-in', actor: 'admin', device: 'vitest-browser' });
  });

  test('the stored session is a hash, not the cookie value', async () => {
    const res = await login({ login: 'admin', password: PASSWORD });
    const token = cookieOf(res).split('=')[1];
    const stored = db.prepare('select token_hash from session').all() as { token_hash: string }[];
    expect(stored).toHaveLength(1);
    expect(stored[0].token_hash).not.toContain(token);
  });

  test('a wrong password gets one clear message, no cookie, and an audit entry', async () => {
    const res = await login({ login: 'admin', password: 'Tr0ub4dor&3' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Wrong user name or password.' });
    expect(res.headers.get('set-cookie')).toBeNull();
    const last = auditEvents().at(-1)!;
    expect(last.event).toBe('auth.sign-in-failed');
    expect(JSON.parse(last.details!)).toEqual({ reason: 'wrong password' });
    expect(JSON.stringify(auditEvents())).not.toContain('Tr0ub4dor&3'); // the password tried is never stored
  });

  test('an unknown login gets the same message as a wrong password', async () => {
    const res = await login({ login: 'nobody', password: PASSWORD });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Wrong user name or password.' });
  });

  test('malformed bodies get specific errors, not a crash', async () => {
    const missing = await login({ login: 'admin' });
    expect(missing.status).toBe(422);
    expect((await missing.json()).error).toBe('password: enter your password');
    const broken = await app.request('/api/auth/login', { method: 'POST', body: '{"login":' });
    expect(broken.status).toBe(400);
    expect((await broken.json()).error).toBe('The request body is not valid JSON.');
  });

  test('a session expires, and signing out ends it', async () => {
    const cookie = cookieOf(await login({ login: 'admin', password: PASSWORD }));
    const out = await app.request('/api/auth/logout', { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(200);
    expect((await app.request('/api/auth/me', { headers: { cookie } })).status).toBe(401);

    const second = cookieOf(await login({ login: 'admin', password: PASSWORD }));
    server.clock.now += 13 * 3_600_000; // default session length is 12 hours
    expect((await app.request('/api/auth/me', { headers: { cookie: second } })).status).toBe(401);
  });

  test('health answers without a session; unknown API paths are 404 JSON', async () => {
    const health = await app.request('/api/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', schema: readMigrations(migrationsDir).length });
    const nope = await app.request('/api/nothing-here');
    expect(nope.status).toBe(404);
    expect((await nope.json()).error).toMatch(/No API route GET \/api\/nothing-here/);
  });
});
