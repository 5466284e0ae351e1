import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestServer, useTempDir, type TestServer } from './helpers';
import { apiClient, auditText } from './registry-client';

const tempDir = useTempDir();
let server: TestServer;
let call: ReturnType<typeof apiClient>;
let admin: string;
let other: string;
const meterIds: number[] = [];
beforeAll(async () => {
  server = await makeTestServer(tempDir());
  call = apiClient(server);
  admin = await server.as('administrator');
  other = await server.as('administrator', 'Other Utility');
  for (let i = 0; i < 6; i++) {
    meterIds.push((await call(admin, 'POST', '/api/meters', { manufacturer: 'KAM', serial: String(60000000 + i) })).json.meter.id);
  }
});
afterAll(() => server.close());

describe('groups', () => {
  test('create, rename, members in bulk, counts, ungrouped, delete', async () => {
    const route = (await call(admin, 'POST', '/api/groups', { name: 'Route 1' })).json.group;
    const north = (await call(admin, 'POST', '/api/groups', { name: 'North' })).json.group;
    expect((await call(admin, 'POST', '/api/groups', { name: 'North' })).status).toBe(409);

    const added = await call(admin, 'POST', `/api/groups/${route.id}/members`, { meterIds: [meterIds[0], meterIds[1], meterIds[2], meterIds[2]] });
    expect(added.json).toMatchObject({ added: 3, alreadyMembers: 0, group: { meters: 3 } });
    const again = await call(admin, 'POST', `/api/groups/${route.id}/members`, { meterIds: [meterIds[2], meterIds[3]] });
    expect(again.json).toMatchObject({ added: 1, alreadyMembers: 1, group: { meters: 4 } });
    await call(admin, 'POST', `/api/groups/${north.id}/members`, { meterIds: [meterIds[0]] });

    let list = (await call(admin, 'GET', '/api/groups')).json;
    expect(list).toMatchObject({ meters: 6, ungrouped: 2 });
    expect(list.groups.map((g: { name: string; meters: number }) => [g.name, g.meters])).toEqual([
      ['North', 1],
      ['Route 1', 4]
    ]);
    const inRoute = (await call(admin, 'GET', `/api/meters?group=${route.id}`)).json;
    expect(inRoute.total).toBe(4);
    const ungrouped = (await call(admin, 'GET', '/api/meters?group=ungrouped')).json;
    expect(ungrouped.items.map((m: { id: number }) => m.id)).toEqual([meterIds[4], meterIds[5]]);
    expect((await call(admin, 'GET', `/api/meters/${meterIds[0]}`)).json.meter.groups.map((g: { name: string }) => g.name)).toEqual(['North', 'Route 1']);

    const removed = await call(admin, 'POST', `/api/groups/${route.id}/members/remove`, { meterIds: [meterIds[1], meterIds[5]] });
    expect(removed.json).toMatchObject({ removed: 1, group: { meters: 3 } });
    const renamed = await call(admin, 'PATCH', `/api/groups/${route.id}`, { name: 'Route A' });
    expect(renamed.json.group.name).toBe('Route A');
    expect((await call(admin, 'PATCH', `/api/groups/${route.id}`, { name: 'North' })).status).toBe(409);

    expect((await call(admin, 'DELETE', `/api/groups/${north.id}`)).status).toBe(200);
    list = (await call(admin, 'GET', '/api/groups')).json;
    expect(list).toMatchObject({ meters: 6, ungrouped: 3 });
    expect(auditText(server)).toMatch(/group\.members-added .*"added":3/);
  });

  test('bulk limits and bad ids', async () => {
    const g = (await call(admin, 'POST', '/api/groups', { name: 'Big' })).json.group;
    const tooMany = await call(admin, 'POST', `/api/groups/${g.id}/members`, { meterIds: Array.from({ length: 5001 }, (_, i) => i + 1) });
    expect(tooMany.status).toBe(422);
    expect(tooMany.json.error).toContain('5000');
    expect((await call(admin, 'POST', `/api/groups/${g.id}/members`, { meterIds: [] })).status).toBe(422);
    expect((await call(admin, 'POST', `/api/groups/${g.id}/members`, { meterIds: ['1'] })).status).toBe(422);
    const missing = await call(admin, 'POST', `/api/groups/${g.id}/members`, { meterIds: [meterIds[0], 999999] });
    expect(missing.status).toBe(404);
    expect(missing.json.error).toContain('999999');
    expect((await call(admin, 'GET', `/api/groups/${g.id}`)).json.group.meters).toBe(0);
    const many = await call(admin, 'POST', `/api/groups/${g.id}/members`, { meterIds: Array.from({ length: 5000 }, () => meterIds[1]) });
    expect(many.json.added).toBe(1);
  });

  test("another tenant's groups and meters are 404 on every group route", async () => {
    const mine = (await call(admin, 'POST', '/api/groups', { name: 'Mine' })).json.group;
    const theirs = (await call(other, 'POST', '/api/groups', { name: 'Theirs' })).json.group;
    const routes: [string, string, unknown?][] = [
      ['GET', `/api/groups/${mine.id}`],
      ['PATCH', `/api/groups/${mine.id}`, { name: 'Taken' }],
      ['DELETE', `/api/groups/${mine.id}`],
      ['POST', `/api/groups/${mine.id}/members`, { meterIds: [meterIds[0]] }],
      ['POST', `/api/groups/${mine.id}/members/remove`, { meterIds: [meterIds[0]] }],
      ['POST', `/api/groups/${theirs.id}/members`, { meterIds: [meterIds[0]] }],
      ['GET', `/api/meters?group=${mine.id}`]
    ];
    for (const [method, path, body] of routes) {
      expect((await call(other, method, path, body)).status, `${method} ${path}`).toBe(404);
    }
    const list = (await call(other, 'GET', '/api/groups')).json;
    expect(list).toMatchObject({ meters: 0, ungrouped: 0 });
    expect(list.groups.map((g: { name: string }) => g.name)).toEqual(['Theirs']);
    expect((await call(admin, 'GET', `/api/groups/${mine.id}`)).json.group).toMatchObject({ name: 'Mine', meters: 0 });
  });
});
