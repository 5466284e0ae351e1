// Registering this browser as a field device and following its status (issue 5): the secret is
// kept in IndexedDB meta, the status comes from GET /api/devices/me with that token.
import { describe, expect, it } from 'vitest';
import { KeyStore } from '../../../web/src/lib/db/keys';
import { DEVICE_META, TOKEN_META } from '../../../web/src/lib/sync/device';
import { useHarness } from './harness';

const harness = useHarness();

describe('device registration', () => {
  it('register → pending → authorised; the secret is kept in meta with the device id and name', async () => {
    const h = harness();
    const s = h.state();
    await s.refresh();
    expect(s.device).toBeNull();
    expect(s.blocked).toBe('Register this device first.');
    expect(await s.run()).toBeNull(); // nothing to run with: no request, no log
    expect(s.log).toEqual([]);

    expect(await s.register('  Van 3 tablet ')).toBe(true);
    const token = (await h.db.meta.get(TOKEN_META))?.value as string;
    expect(token).toMatch(/^rdd_/);
    expect((await h.db.meta.get(DEVICE_META))?.value).toMatchObject({ id: s.device!.id, name: 'Van 3 tablet', status: 'pending' });
    const row = h.server.db.prepare('select name, authorised_at from device where id = ?').get(s.device!.id) as { name: string; authorised_at: number | null };
    expect(row).toEqual({ name: 'Van 3 tablet', authorised_at: null });

    // registered once: a second registration would orphan this one on the server
    expect(await s.register('Another name')).toBe(false);
    expect(s.error).toMatch(/registered already/);
    expect((await h.db.meta.get(TOKEN_META))?.value).toBe(token);

    await s.check();
    expect(s.device!.status).toBe('pending');
    // pending: a run asks the server, which says not yet; nothing is sent or received
    const run = await s.run();
    expect(run!.outcome).toBe('failed');
    expect(run!.error).toMatch(/"Van 3 tablet" is not authorised yet: ask an administrator/);

    await h.api('POST', `/api/devices/${s.device!.id}/authorise`);
    h.server.clock.now += 60_000;
    await s.check();
    expect(s.device).toMatchObject({ status: 'authorised', checkedAt: h.server.clock.now });
    expect(s.blocked).toBeNull();
    // a second state (the app reloaded) reads the same device from the store
    const again = h.state();
    await again.refresh();
    expect(again.device).toEqual(s.device);
  });

  it('a revoked token is a clear "not accepted"; register anew forgets the token and the keys', async () => {
    const h = harness();
    const { id, state: s } = await h.device();
    await new KeyStore(h.db).replaceAll([{ manufacturer: 'KAM', serial: '12345678', key: new Uint8Array(16).fill(7) }]);
    await h.api('POST', `/api/devices/${id}/revoke`);
    await s.check();
    expect(s.device!.status).toBe('unknown');
    expect(s.blocked).toBe('This device is no longer accepted: register it anew.');
    expect(await s.run()).toBeNull();
    expect(s.error).toMatch(/register it anew/);

    await s.forget();
    expect(s.device).toBeNull();
    expect(await h.db.meta.get(TOKEN_META)).toBeUndefined();
    expect(await h.db.keys.count()).toBe(0);
    expect(h.decoder.keyEntries).toEqual([]);
    expect(await s.register('Van 3 tablet (new)')).toBe(true);
    expect(s.device!.id).not.toBe(id);
  });

  it('a token revoked while in use: the run says so and the device shows not accepted', async () => {
    const h = harness();
    const { id, state: s } = await h.device({ groupIds: [] });
    const ok = await s.run();
    expect(ok!.outcome).toBe('done');
    await h.api('POST', `/api/devices/${id}/revoke`);
    await s.refresh();
    const run = await s.run(); // the stored status still says authorised: the run finds out
    expect(run!.outcome).toBe('failed');
    expect(run!.error).toMatch(/no longer accepts "Van 3 tablet"/);
    expect(s.device!.status).toBe('unknown');
  });

  it('registering needs a person signed in, and a name', async () => {
    const h = harness();
    const anonymous: typeof fetch = async (input, init) => h.server.app.request(String(input), init);
    const s = h.state({ fetch: anonymous });
    expect(await s.register('Van 3 tablet')).toBe(false);
    expect(s.error).toBe('Sign in with your user name and password first, then register this device.');
    expect(await h.db.meta.get(TOKEN_META)).toBeUndefined();

    const named = h.state();
    expect(await named.register('   ')).toBe(false);
    expect(named.error).toMatch(/name/);
    expect(await h.db.meta.get(TOKEN_META)).toBeUndefined();
  });

  it('offline (the browser says so): the button says why and nothing runs', async () => {
    const h = harness();
    await (await h.device({ groupIds: [] })).state.check();
    let calls = 0;
    const s = h.state({ online: () => false, fetch: (input, init) => (calls++, h.browser(input, init)) });
    await s.refresh();
    expect(s.device!.status).toBe('authorised');
    expect(s.blocked).toBe('Offline: Send/Receive needs a network connection. Everything read stays on this device.');
    expect(await s.run()).toBeNull();
    expect(s.error).toBe(s.blocked);
    expect(calls).toBe(0);
    s.setOnline(true);
    expect(s.blocked).toBeNull(); // the 'online' event
  });

  it('offline: registration says the server cannot be reached and stores nothing', async () => {
    const h = harness();
    const s = h.state({ fetch: async () => Promise.reject(new TypeError('Failed to fetch')) });
    expect(await s.register('Van 3 tablet')).toBe(false);
    expect(s.error).toMatch(/cannot be reached/);
    expect(await h.db.meta.count()).toBe(0);
  });
});
