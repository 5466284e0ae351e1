// Field devices: a signed-in person registers a device (secret shown once), it stays pending and
// may do nothing until authorised, then fetches its route's keys; revoking ends it.
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

async function register(cookie: string, name = 'Van 3 tablet') {
  const res = await call('POST', '/api/devices/register', { cookie, body: { name } });
  expect(res.status).toBe(201);
  return (await res.json()) as { device: { id: number; status: string; name: string }; secret: string };
}
const status = async (secret: string) => (await (await call('GET', '/api/devices/me', { bearer: secret })).json()).device.status;
const events = () => (server.db.prepare('select event from audit_entry order by id').all() as { event: string }[]).map((e) => e.event);

describe('registering', () => {
  test('any signed-in person registers the device they use; the secret is shown once and stored hashed', async () => {
    const user = await server.as('user');
    const { device, secret } = await register(user);
    expect(secret).toMatch(/^rdd_[A-Za-z0-9_-]{43}$/);
    expect(device).toMatchObject({ name: 'Van 3 tablet', status: 'pending', userAgent: 'Field tablet (Android 15)' });
    expect(device).toMatchObject({ registeredBy: { login: 'user@demo-utility' }, authorisedAt: null });
    const row = server.db.prepare('select token_hash as h from device').get() as { h: string };
    expect(row.h).toBe(createHash('sha256').update(secret).digest('hex'));
    const listed = await (await call('GET', '/api/devices', { cookie: admin })).text();
    expect(listed).not.toContain(secret);
    expect(events().at(-1)).toBe('device.registered');
  });

  test('without a session (or with an API token or another device) registering is 401', async () => {
    expect((await call('POST', '/api/devices/register', { body: { name: 'x' } })).status).toBe(401);
    const { secret } = await register(admin);
    expect((await call('POST', '/api/devices/register', { bearer: secret, body: { name: 'x' } })).status).toBe(401);
    const token = await (await call('POST', '/api/tokens', { cookie: admin, body: { name: 't', scopes: ['meters.read'] } })).json();
    expect((await call('POST', '/api/devices/register', { bearer: token.secret, body: { name: 'x' } })).status).toBe(401);
  });

  test('bad bodies are 422 naming the field', async () => {
    for (const [body, message] of [
      [{}, /^name:/],
      [{ name: '   ' }, /^name: enter a name/],
      [{ name: 'x', authorised: true }, /authorised/]
    ] as const) {
      const res = await call('POST', '/api/devices/register', { cookie: admin, body });
      expect(res.status).toBe(422);
      expect((await res.json()).error).toMatch(message);
    }
    expect(server.db.prepare('select count(*) as n from device').get()).toEqual({ n: 0 });
  });
});

describe('authorising and revoking', () => {
  test('pending grants nothing; authorised is seen by the device; revoked is 401', async () => {
    const { device, secret } = await register(admin);
    expect(await status(secret)).toBe('pending');
    expect((await call('GET', '/api/devices', { bearer: secret })).status).toBe(403);
    expect((await call('GET', '/api/devices/me/keys?meters=1', { bearer: secret })).status).toBe(403);

    const pending = await (await call('GET', '/api/devices?status=pending', { cookie: admin })).json();
    expect(pending.devices.map((d: { id: number }) => d.id)).toEqual([device.id]);

    const res = await call('POST', `/api/devices/${device.id}/authorise`, { cookie: admin });
    expect(res.status).toBe(200);
    expect((await res.json()).device).toMatchObject({ status: 'authorised', authorisedBy: { login: 'administrator@demo-utility' } });
    expect(await status(secret)).toBe('authorised');
    expect((await call('POST', `/api/devices/${device.id}/authorise`, { cookie: admin })).status).toBe(200); // again: no change
    expect((await (await call('GET', '/api/devices?status=pending', { cookie: admin })).json()).devices).toEqual([]);

    expect((await call('POST', `/api/devices/${device.id}/revoke`, { cookie: admin })).status).toBe(200);
    const gone = await call('GET', '/api/devices/me', { bearer: secret });
    expect(gone.status).toBe(401);
    expect((await gone.json()).error).toBe('This device is unknown or was revoked.');
    const again = await call('POST', `/api/devices/${device.id}/authorise`, { cookie: admin });
    expect(again.status).toBe(409);
    expect((await again.json()).error).toMatch(/revoked and cannot be authorised again/);
    expect(events().filter((e) => e.startsWith('device.'))).toEqual(['device.registered', 'device.authorised', 'device.revoked']);
  });

  test('GET /me without a device token is 401; the list filter is checked', async () => {
    expect((await call('GET', '/api/devices/me')).status).toBe(401);
    expect((await call('GET', '/api/devices/me', { cookie: admin })).status).toBe(401);
    expect((await call('GET', '/api/devices?status=lost', { cookie: admin })).status).toBe(422);
    expect((await call('GET', '/api/devices?status=pending&extra=1', { cookie: admin })).status).toBe(422);
  });
});

describe('keys for an authorised device', () => {
  function meterWithKey(tenant: string, serial: string, keyHex: string | null): number {
    const t = server.db.prepare('select id from tenant where name = ?').get(tenant) as { id: number };
    const { id } = server.db
      .prepare("insert into meter (tenant_id, manufacturer, serial, created_at, updated_at) values (?, 'KAM', ?, 0, 0) returning id")
      .get(t.id, serial) as { id: number };
    if (keyHex) server.stores.keys.put(t.id, id, new Uint8Array(Buffer.from(keyHex, 'hex')), 'manual', 0);
    return id;
  }

  test('only its tenant\'s meters with keys; audited without the key; no-store', async () => {
    await server.as('user', 'Other Utility');
    const a = meterWithKey('Demo Utility', '76348799', '000102030405060708090A0B0C0D0E0F');
    const b = meterWithKey('Demo Utility', '76348800', null);
    const theirs = meterWithKey('Other Utility', '11111111', 'FFEEDDCCBBAA99887766554433221100');
    const { device, secret } = await register(admin);
    await call('POST', `/api/devices/${device.id}/authorise`, { cookie: admin });

    const res = await call('GET', `/api/devices/me/keys?meters=${a},${b},${theirs},999`, { bearer: secret });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      keys: [{ meterId: a, manufacturer: 'KAM', serial: '76348799', key: '000102030405060708090A0B0C0D0E0F' }],
      withoutKey: [b, theirs, 999]
    });
    const entry = server.db.prepare("select actor, device, details from audit_entry where event = 'key.sent-to-device'").get() as {
      actor: string;
      device: string;
      details: string;
    };
    expect(entry).toMatchObject({ actor: 'device Van 3 tablet', device: 'Van 3 tablet' });
    expect(JSON.parse(entry.details)).toEqual({ deviceId: device.id, meterIds: [a], requested: 4 });
    expect(JSON.stringify(server.db.prepare('select * from audit_entry').all())).not.toMatch(/000102030405060708090A0B0C0D0E0F/i);
  });

  test('people, tokens and bad meter lists are refused', async () => {
    expect((await call('GET', '/api/devices/me/keys?meters=1', { cookie: admin })).status).toBe(403);
    const { device, secret } = await register(admin);
    await call('POST', `/api/devices/${device.id}/authorise`, { cookie: admin });
    for (const q of ['', '?meters=', '?meters=1,,2', "?meters=1'%20or%201=1", '?meters=0', `?meters=${Array.from({ length: 501 }, (_, i) => i + 1).join(',')}`]) {
      const res = await call('GET', `/api/devices/me/keys${q}`, { bearer: secret });
      expect(res.status, q.slice(0, 30)).toBe(422);
      expect((await res.json()).error).toMatch(/^meters: /);
    }
  });
});

describe('hostile callers', () => {
  test("another tenant's device ids are 404 and nothing changes", async () => {
    const { device, secret } = await register(await server.as('administrator', 'Other Utility'));
    for (const action of ['authorise', 'revoke']) {
      const res = await call('POST', `/api/devices/${device.id}/${action}`, { cookie: admin });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'No such device.' });
    }
    expect(await status(secret)).toBe('pending');
    expect((await (await call('GET', '/api/devices', { cookie: admin })).json()).devices).toEqual([]);
  });

  test('users and superusers cannot list, authorise or revoke devices (403)', async () => {
    const { device } = await register(admin);
    for (const role of ['user', 'superuser'] as const) {
      const cookie = await server.as(role);
      expect((await call('GET', '/api/devices', { cookie })).status).toBe(403);
      expect((await call('POST', `/api/devices/${device.id}/authorise`, { cookie })).status).toBe(403);
      expect((await call('POST', `/api/devices/${device.id}/revoke`, { cookie })).status).toBe(403);
    }
    expect((await (await call('GET', '/api/devices', { cookie: admin })).json()).devices[0].status).toBe('pending');
  });
});
