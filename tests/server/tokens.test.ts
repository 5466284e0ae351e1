// API tokens (M16): scoped to what their creator may do, the secret shown once and stored as a
// hash, revocable, expiring; another tenant's tokens are invisible.
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, test } from 'vitest';
import { makeTestServer, request, useTempDir, type RequestOptions, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let admin: string;

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  return () => server.close();
});

const call = (method: string, path: string, opts: RequestOptions = {}) => request(server, method, path, opts);
const make = (body: unknown, cookie = admin) => call('POST', '/api/tokens', { cookie, body });
async function token(scopes: string[], extra: Record<string, unknown> = {}, cookie = admin) {
  const res = await make({ name: 'billing export', scopes, ...extra }, cookie);
  expect(res.status).toBe(201);
  return (await res.json()) as { token: { id: number; status: string; scopes: string[] }; secret: string };
}

describe('making and using a token', () => {
  test('the secret is shown once, stored only as SHA-256, and never listed', async () => {
    const { token: t, secret } = await token(['audit.read', 'meters.read']);
    expect(secret).toMatch(/^rdt_[A-Za-z0-9_-]{43}$/);
    expect(t).toMatchObject({ name: 'billing export', scopes: ['audit.read', 'meters.read'], status: 'active', expiresAt: null });
    const stored = server.db.prepare('select token_hash as h from api_token').get() as { h: string };
    expect(stored.h).toBe(createHash('sha256').update(secret).digest('hex'));
    const list = await call('GET', '/api/tokens', { cookie: admin });
    const text = await list.text();
    expect(text).not.toContain(secret);
    expect(text).not.toContain(stored.h);
    expect(JSON.parse(text).tokens).toHaveLength(1);
    expect(JSON.stringify(server.db.prepare('select * from audit_entry').all())).not.toContain(secret.slice(4));
    const created = server.db.prepare("select details from audit_entry where event = 'token.created'").get() as { details: string };
    expect(JSON.parse(created.details)).toEqual({ tokenId: t.id, name: 'billing export', scopes: ['audit.read', 'meters.read'], expiresAt: null });
  });

  test('a token may do what its scopes say and nothing else', async () => {
    const { secret } = await token(['audit.read']);
    expect((await call('GET', '/api/audit', { bearer: secret })).status).toBe(200);
    expect((await call('GET', '/api/users', { bearer: secret })).status).toBe(403);
    expect((await call('GET', '/api/tokens', { bearer: secret })).status).toBe(403);
    const used = await (await call('GET', '/api/tokens', { cookie: admin })).json();
    expect(used.tokens[0].lastUsedAt).toBe(server.clock.now);
  });

  test('scopes: unknown, not grantable, or beyond the creator\'s own permissions are 422', async () => {
    const unknown = await make({ name: 'x', scopes: ['meters.read', 'everything'] });
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).error).toBe('scopes: unknown "everything"');
    const locked = await make({ name: 'x', scopes: ['users.manage'] });
    expect(locked.status).toBe(422);
    expect((await locked.json()).error).toBe('scopes: users.manage cannot be given to an API token');

    // a superuser allowed to make tokens cannot give one more than they have
    await call('PUT', '/api/permissions/superuser', { cookie: admin, body: { permissions: ['meters.read', 'tokens.manage'] } });
    const superuser = await server.as('superuser');
    const beyond = await make({ name: 'x', scopes: ['meters.read', 'audit.read'] }, superuser);
    expect(beyond.status).toBe(422);
    expect((await beyond.json()).error).toMatch(/^scopes: audit\.read — a token may only do what you may do yourself/);
    expect((await make({ name: 'x', scopes: ['meters.read'] }, superuser)).status).toBe(201);
    expect(server.db.prepare('select count(*) as n from api_token').get()).toEqual({ n: 1 });
  });

  test('bad bodies are 422 naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ scopes: ['meters.read'] }, /^name:/],
      [{ name: 'x', scopes: [] }, /^scopes: give at least one permission/],
      [{ name: 'x', scopes: 'meters.read' }, /^scopes: expected a list/],
      [{ name: 'x', scopes: ['meters.read'], expiresAt: 'next week' }, /^expiresAt: expected UTC milliseconds or an ISO 8601/],
      [{ name: 'x', scopes: ['meters.read'], expiresAt: 1 }, /^expiresAt: must be in the future/],
      [{ name: 'x', scopes: ['meters.read'], secret: 'rdt_mine' }, /secret/]
    ];
    for (const [body, message] of cases) {
      const res = await make(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await res.json()).error).toMatch(message);
    }
    expect(server.db.prepare('select count(*) as n from api_token').get()).toEqual({ n: 0 });
  });
});

describe('ending a token', () => {
  test('a revoked token is 401 at once; revoking is audited and idempotent', async () => {
    const { token: t, secret } = await token(['audit.read']);
    const res = await call('DELETE', `/api/tokens/${t.id}`, { cookie: admin });
    expect(res.status).toBe(200);
    expect((await res.json()).token).toMatchObject({ id: t.id, status: 'revoked', revokedAt: server.clock.now });
    const denied = await call('GET', '/api/audit', { bearer: secret });
    expect(denied.status).toBe(401);
    expect((await denied.json()).error).toBe('The API token is unknown, expired or revoked.');
    expect((await call('DELETE', `/api/tokens/${t.id}`, { cookie: admin })).status).toBe(200);
    expect(server.db.prepare("select count(*) as n from audit_entry where event = 'token.revoked'").get()).toEqual({ n: 1 });
    // a revoked token never falls back to the session cookie sent alongside it
    const both = await server.app.request('/api/audit', { headers: { authorization: `Bearer ${secret}`, cookie: admin } });
    expect(both.status).toBe(401);
  });

  test('an expired token is 401; an ISO expiry works too', async () => {
    const { token: t, secret } = await token(['audit.read'], { expiresAt: new Date(server.clock.now + 3_600_000).toISOString() });
    expect(t.status).toBe('active');
    expect((await call('GET', '/api/audit', { bearer: secret })).status).toBe(200);
    server.clock.now += 3_600_000;
    expect((await call('GET', '/api/audit', { bearer: secret })).status).toBe(401);
    const list = await (await call('GET', '/api/tokens', { cookie: admin })).json();
    expect(list.tokens[0].status).toBe('expired');
  });

  test('an unknown or malformed token is 401', async () => {
    expect((await call('GET', '/api/audit', { bearer: 'rdt_' + 'A'.repeat(43) })).status).toBe(401);
    expect((await call('GET', '/api/audit', { bearer: 'not-a-token' })).status).toBe(401);
  });
});

describe('hostile callers', () => {
  test("another tenant's token ids are 404 and the token keeps working; their list stays theirs", async () => {
    const otherAdmin = await server.as('administrator', 'Other Utility');
    const { token: theirs, secret } = await token(['audit.read'], {}, otherAdmin);
    const res = await call('DELETE', `/api/tokens/${theirs.id}`, { cookie: admin });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'No such API token.' });
    expect((await call('GET', '/api/audit', { bearer: secret })).status).toBe(200);
    expect((await (await call('GET', '/api/tokens', { cookie: admin })).json()).tokens).toEqual([]);
    expect((await call('DELETE', '/api/tokens/abc', { cookie: admin })).status).toBe(422);
  });

  test('users and superusers (default matrix) get 403', async () => {
    for (const role of ['user', 'superuser'] as const) {
      const cookie = await server.as(role);
      expect((await call('GET', '/api/tokens', { cookie })).status).toBe(403);
      expect((await make({ name: 'x', scopes: ['meters.read'] }, cookie)).status).toBe(403);
      expect((await call('DELETE', '/api/tokens/1', { cookie })).status).toBe(403);
    }
  });

  test('a token cannot sign out everywhere or change a password', async () => {
    const { secret } = await token(['meters.read']);
    expect((await call('POST', '/api/auth/logout-everywhere', { bearer: secret })).status).toBe(401);
  });
});
