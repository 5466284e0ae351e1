// Walks every /api route with every role (M20): a route answers 403 exactly when the caller's
// role lacks the route's permission, 401 without a sign-in, and no route is left unguarded.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_PERMISSIONS, type Permission, type Role } from '../../server/src/auth/permissions';
import { makeTestServer, useTempDir, type TestServer } from './helpers';

// Routes anyone may call: they check what they need themselves.
const PUBLIC = new Set([
  'GET /api/health',
  'POST /api/auth/login',
  'POST /api/auth/logout',
  'GET /api/auth/me',
  'POST /api/auth/logout-everywhere',
  'POST /api/users/me/password',
  'POST /api/devices/register',
  'GET /api/devices/me',
  'GET /api/devices/me/keys',
  'GET /api/docs',
  'GET /api/openapi.json'
]);

const tempDir = useTempDir();
let server: TestServer;
beforeAll(async () => {
  server = await makeTestServer(tempDir());
});
afterAll(() => server.close());

interface GuardedRoute {
  method: string;
  path: string;
  permission: Permission | null;
}

function apiRoutes(s: TestServer): GuardedRoute[] {
  const byKey = new Map<string, GuardedRoute>();
  for (const r of s.app.routes) {
    if (!r.path.startsWith('/api/') || r.path === '/api/*' || r.method === 'ALL') continue;
    const key = `${r.method} ${r.path}`;
    const route = byKey.get(key) ?? { method: r.method, path: r.path, permission: null };
    const tag = (r.handler as { permission?: Permission }).permission;
    if (tag) route.permission = tag;
    byKey.set(key, route);
  }
  return [...byKey.values()];
}

const allowed = (role: Role, p: Permission) => role === 'administrator' || DEFAULT_PERMISSIONS[role].includes(p);

function call(s: TestServer, r: GuardedRoute, cookie?: string) {
  const path = r.path.replace(/:(\w+)(\{[^}]*\})?/g, '1');
  const hasBody = r.method !== 'GET' && r.method !== 'DELETE';
  return s.app.request(path, {
    method: r.method,
    headers: { ...(cookie ? { cookie } : {}), ...(hasBody ? { 'content-type': 'application/json' } : {}) },
    body: hasBody ? '{}' : undefined
  });
}

describe('every route, every role', () => {
  test('every /api route is public by name or guarded by a permission', () => {
    const unguarded = apiRoutes(server).filter((r) => !r.permission && !PUBLIC.has(`${r.method} ${r.path}`));
    expect(unguarded.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  test('without a sign-in every guarded route is 401', async () => {
    for (const r of apiRoutes(server).filter((r) => r.permission)) {
      const res = await call(server, r);
      expect(res.status, `${r.method} ${r.path}`).toBe(401);
    }
  });

  for (const role of ['user', 'superuser', 'administrator'] as const) {
    test(`${role}: 403 exactly where the role lacks the permission`, async () => {
      const cookie = await server.as(role);
      for (const r of apiRoutes(server).filter((r) => r.permission)) {
        const res = await call(server, r, cookie);
        const label = `${role} ${r.method} ${r.path} (${r.permission})`;
        if (allowed(role, r.permission!)) expect(res.status, label).not.toBeOneOf([401, 403]);
        else expect(res.status, label).toBe(403);
      }
    });
  }
});
