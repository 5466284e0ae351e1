import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestServer, useTempDir, type TestServer } from './helpers';
import { apiClient, auditText } from './registry-client';

const tempDir = useTempDir();
let server: TestServer;
let call: ReturnType<typeof apiClient>;
let admin: string;
let other: string;
beforeAll(async () => {
  server = await makeTestServer(tempDir());
  call = apiClient(server);
  admin = await server.as('administrator');
  other = await server.as('administrator', 'Other Utility');
});
afterAll(() => server.close());

const NASTY = ["O'Brien", '100% Energi', 'a_b', 'semi;colon', 'dash--dash', 'say "hi"', 'back\\slash'];

describe('customers', () => {
  test('create, read, change; the audit names the change', async () => {
    const created = await call(admin, 'POST', '/api/customers', { number: 'C-1', name: 'Anna Jensen', email: 'anna@example.org' });
    expect(created.status).toBe(201);
    const id = created.json.customer.id;
    expect(created.json.customer).toMatchObject({ number: 'C-1', name: 'Anna Jensen', meteringPoints: 0 });
    const changed = await call(admin, 'PATCH', `/api/customers/${id}`, { phone: '+45 12345678' });
    expect(changed.json.customer.phone).toBe('+45 12345678');
    expect((await call(admin, 'GET', `/api/customers/${id}`)).json.customer.name).toBe('Anna Jensen');
    expect(auditText(server, 'customer.changed')).toContain('+45 12345678');
    expect((await call(admin, 'POST', '/api/customers', { number: 'C-1', name: 'Twin' })).status).toBe(409);
  });

  test('bad input names the field; unknown fields are refused; nothing stored', async () => {
    const before = (await call(admin, 'GET', '/api/customers')).json.total;
    const empty = await call(admin, 'POST', '/api/customers', { name: '' });
    expect(empty.status).toBe(422);
    expect(empty.json.error).toContain('name');
    const unknown = await call(admin, 'POST', '/api/customers', { name: 'X', colour: 'red' });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error).toContain('colour');
    expect((await call(admin, 'POST', '/api/customers', '{"name": ')).status).toBe(400);
    expect((await call(admin, 'GET', '/api/customers?limit=501')).status).toBe(422);
    expect((await call(admin, 'GET', '/api/customers?colour=red')).status).toBe(422);
    expect((await call(admin, 'GET', '/api/customers')).json.total).toBe(before);
  });

  test('search with SQL metacharacters finds exactly the right rows', async () => {
    for (const [i, name] of NASTY.entries()) {
      expect((await call(admin, 'POST', '/api/customers', { number: `M-${i}`, name })).status).toBe(201);
    }
    for (const name of NASTY) {
      const res = await call(admin, 'GET', `/api/customers?q=${encodeURIComponent(name)}`);
      expect(res.status, name).toBe(200);
      expect(res.json.items.map((c: { name: string }) => c.name), name).toEqual([name]);
    }
    const percent = await call(admin, 'GET', `/api/customers?q=${encodeURIComponent('%')}`);
    expect(percent.json.items.map((c: { name: string }) => c.name)).toEqual(['100% Energi']);
    const underscore = await call(admin, 'GET', `/api/customers?q=_`);
    expect(underscore.json.items.map((c: { name: string }) => c.name)).toEqual(['a_b']);
    expect((await call(admin, 'GET', `/api/customers?q=${encodeURIComponent("' or 1=1 --")}`)).json.items).toEqual([]);
  });

  test('paging and sorting', async () => {
    const all = (await call(admin, 'GET', '/api/customers?sort=number&limit=500')).json;
    const numbers = all.items.map((c: { number: string }) => c.number);
    expect(numbers).toEqual([...numbers].sort());
    const page = (await call(admin, 'GET', '/api/customers?sort=number&limit=3&offset=3')).json;
    expect(page).toMatchObject({ total: all.total, limit: 3, offset: 3 });
    expect(page.items.map((c: { number: string }) => c.number)).toEqual(numbers.slice(3, 6));
  });

  test('deleting a customer with metering points: 409, or unlinked with force', async () => {
    const c = (await call(admin, 'POST', '/api/customers', { number: 'D-1', name: 'Leaving' })).json.customer;
    const p = (await call(admin, 'POST', '/api/metering-points', { number: 'P-D1', address: 'Vej 1', customerId: c.id })).json.meteringPoint;
    const refused = await call(admin, 'DELETE', `/api/customers/${c.id}`);
    expect(refused.status).toBe(409);
    expect(refused.json.error).toContain('force=true');
    expect((await call(admin, 'DELETE', `/api/customers/${c.id}?force=true`)).status).toBe(200);
    const point = (await call(admin, 'GET', `/api/metering-points/${p.id}`)).json.meteringPoint;
    expect(point.customer).toBeNull();
    expect((await call(admin, 'GET', `/api/customers/${c.id}`)).status).toBe(404);
  });

  test("another tenant's customer is 404 on every route and absent from lists", async () => {
    const mine = (await call(admin, 'POST', '/api/customers', { number: 'T-1', name: 'Tenant Test' })).json.customer;
    const missing = await call(other, 'GET', '/api/customers/999999');
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'Stolen' }],
      ['DELETE', undefined]
    ] as const) {
      const res = await call(other, method, `/api/customers/${mine.id}`, body);
      expect(res.status, method).toBe(404);
      expect(res.json.error.replace(String(mine.id), 'N')).toBe(missing.json.error.replace('999999', 'N'));
    }
    expect((await call(other, 'GET', '/api/customers?q=Tenant')).json.items).toEqual([]);
    expect((await call(other, 'POST', '/api/metering-points', { address: 'X', customerId: mine.id })).status).toBe(404);
    expect((await call(admin, 'GET', `/api/customers/${mine.id}`)).json.customer.name).toBe('Tenant Test');
  });
});
