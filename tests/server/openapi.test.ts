// The OpenAPI description (GET /api/openapi.json) and its page (GET /api/docs): public, made
// from the routes' zod schemas, and true to the routes (same paths, same permissions).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Permission } from '../../server/src/auth/permissions';
import { describedOperations, openApiPath } from '../../server/src/openapi';
import { makeTestServer, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
beforeAll(async () => {
  server = await makeTestServer(tempDir());
});
afterAll(() => server.close());

/** method+path → permission of the real routes. */
function realRoutes(): Map<string, Permission | null> {
  const out = new Map<string, Permission | null>();
  for (const r of server.app.routes) {
    if (!r.path.startsWith('/api/') || r.path === '/api/*' || r.method === 'ALL') continue;
    const key = `${r.method.toLowerCase()} ${r.path}`;
    const tag = (r.handler as { permission?: Permission }).permission ?? null;
    out.set(key, tag ?? out.get(key) ?? null);
  }
  return out;
}

describe('GET /api/openapi.json', () => {
  test('is public and describes the ingest body from its zod schema', async () => {
    const res = await server.app.request('/api/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    const op = doc.paths['/api/ingest/frames'].post;
    expect(op['x-permission']).toBe('ingest');
    const schema = op.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['frames']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.frames).toMatchObject({ type: 'array', minItems: 1, maxItems: 10000 });
    expect(schema.properties.frames.items.required).toEqual(['hex', 'receivedAt', 'source']);
    const readings = doc.paths['/api/meters/{id}/readings'].get;
    expect(readings.parameters.map((p: any) => `${p.in}:${p.name}`)).toEqual(['path:id', 'query:from', 'query:to', 'query:resolution']);
    expect(readings.parameters.find((p: any) => p.name === 'resolution').schema.enum).toEqual(['hour', 'day', 'month', 'year']);
  });

  test('every described operation is a real route with the same permission', () => {
    const real = realRoutes();
    for (const op of describedOperations()) {
      const key = `${op.method} ${op.path}`;
      expect(real.has(key), key).toBe(true);
      expect(real.get(key), key).toBe(op.permission);
    }
  });

  test('every /api route is described: a new route without describeRoute() fails here', () => {
    const described = new Set(describedOperations().map((o) => `${o.method} ${o.path}`));
    const real = realRoutes();
    expect(real.size).toBeGreaterThan(70);
    const missing = [...real.keys()].filter((k) => !described.has(k));
    expect(missing).toEqual([]);
    // and the count matches both ways (no operation described twice under another spelling)
    expect(describedOperations().length).toBe(real.size);
  });

  test('request bodies and queries come from the routes\' zod schemas', async () => {
    const doc = (await (await server.app.request('/api/openapi.json')).json()) as any;
    const meter = doc.paths['/api/meters'].post;
    expect(meter['x-permission']).toBe('meters.write');
    const body = meter.requestBody.content['application/json'].schema;
    expect(body.additionalProperties).toBe(false);
    expect(body.required).toEqual(['manufacturer', 'serial']);
    expect(body.properties.readingMode.enum).toBeDefined();
    expect(Object.keys(meter.responses)).toContain('201');
    const list = doc.paths['/api/meters'].get;
    const limit = list.parameters.find((p: any) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', required: false });
    expect(limit.schema).toMatchObject({ maximum: 500 });
    const login = doc.paths['/api/auth/login'].post;
    expect(login['x-permission']).toBeNull();
    expect(login.security).toEqual([]);
    expect(login.requestBody.content['application/json'].schema.required).toEqual(['login', 'password']);
    const role = doc.paths['/api/permissions/{role}'].put.parameters.find((p: any) => p.name === 'role');
    expect(role.schema.enum).toEqual(['user', 'superuser']);
    const key = doc.paths['/api/meters/{id}/key'].put;
    expect(key['x-permission']).toBe('keys.write');
    expect(key.requestBody.content['application/json'].schema.required).toEqual(['key']);
    const audit = doc.paths['/api/audit'].get.parameters.map((p: any) => p.name);
    expect(audit).toEqual(['from', 'to', 'userId', 'event', 'limit', 'cursor']);
  });

  test('paths use OpenAPI parameters', () => {
    expect(openApiPath('/api/meters/:id/readings')).toBe('/api/meters/{id}/readings');
  });
});

describe('GET /api/docs', () => {
  test('a self-contained page listing the operations', async () => {
    const res = await server.app.request('/api/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('/api/ingest/frames');
    expect(html).toContain('needs readings.erase');
    for (const op of ['/api/auth/login', '/api/meters/:id/key', '/api/imports/kem', '/api/users/:id/disable', '/api/devices/me/keys', '/api/audit', '/api/health']) {
      expect(html).toContain(`<code>${op}</code>`);
    }
    for (const tag of ['Sign-in', 'Customers', 'Metering points', 'Meters', 'Key vault', 'Groups', 'Imports', 'Users', 'API tokens', 'Field devices', 'Audit']) {
      expect(html).toContain(`<h2>${tag}</h2>`);
    }
    expect(html).toContain('needs keys.read');
    expect(html).toContain('needs permissions.manage');
    expect(html).not.toMatch(/<script|https?:\/\/(?!localhost)/); // no CDN, nothing fetched from elsewhere
  });
});
