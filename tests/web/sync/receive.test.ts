// Receive (issue 5): the route in pages, stored whole or not at all; keys wrapped and unwrapping
// to the server's bytes; the compact-format table; then the decoder and the pipeline reloaded, so
// telegrams that waited for a key decode now.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../web/src/lib/api/client';
import { KeyStore } from '../../../web/src/lib/db/keys';
import { replaceRoute } from '../../../web/src/lib/db/route';
import { FORMATS_META, loadDecoder } from '../../../web/src/lib/sync/decoder-state';
import { fetchRoute, makeOf } from '../../../web/src/lib/sync/receive';
import { runLines } from '../../../web/src/lib/sync/text';
import { TOKEN_META } from '../../../web/src/lib/sync/device';
import { toHex } from '../../../shared/bytes/hex';
import { METERS, TestDecoder, meterKeyOf, useHarness } from './harness';

const harness = useHarness();

describe('receive', () => {
  it('pages of the route → route, wrapped keys and formats; the decoder gets them and waiting telegrams decode', async () => {
    const h = harness();
    const fleet = await h.fleet();
    await h.device({ groupIds: [fleet.group] });
    // read before the first Receive: no keys yet, everything waits
    await h.read([...METERS.routeKeyed, METERS.routeBare], 3);
    expect(await h.db.frames.where('status').equals('pending').count()).toBe(15);

    const pages: string[] = [];
    const paging: typeof fetch = (input, init) => {
      if (String(input).startsWith('/api/sync/route')) pages.push(String(input));
      return h.browser(input, init);
    };
    const run = await h.state({ fetch: paging, pageSize: 2 }).run();
    expect(run!.outcome, run!.error).toBe('done');
    expect(pages).toHaveLength(3); // 5 meters, 2 per page
    expect(pages[1]).toMatch(/cursor=\d+/);

    const route = await h.db.route.orderBy('id').toArray();
    expect(route.map((r) => r.meterKey)).toEqual([...METERS.routeKeyed, METERS.routeBare].map(meterKeyOf));
    const first = METERS.routeKeyed[0];
    expect(route[0]).toMatchObject({
      id: fleet.ids.get(first),
      manufacturer: first.manufacturer,
      serial: first.id,
      position: { lat: first.position.lat, lon: first.position.lon },
      group: 'Lindebæk north',
      make: 'Kamstrup MULTICAL 403',
      address: 'Lindebæk Vej 1',
      medium: 'heat'
    });
    expect(route[1].position).toBeNull();
    expect(route[4].make).toBe(makeOf({ manufacturer: METERS.routeBare.manufacturer, medium: METERS.routeBare.kind.includes('heat') ? 'heat' : 'water', model: null }));
    expect(route.some((r) => r.meterKey === meterKeyOf(METERS.offRoute))).toBe(false);

    // keys: only the route's keyed meters, wrapped (no plaintext in the rows), unwrapping to the server's bytes
    const rows = await h.db.keys.toArray();
    expect(rows.map((r) => r.meterKey).sort()).toEqual(METERS.routeKeyed.map(meterKeyOf).sort());
    for (const r of rows) expect(toHex(r.wrapped)).not.toContain(toHex(METERS.routeKeyed.find((m) => meterKeyOf(m) === r.meterKey)!.key).slice(0, 12));
    const { keys, broken } = await new KeyStore(h.db).unwrapAll();
    expect(broken).toEqual([]);
    for (const m of METERS.routeKeyed) expect(toHex(keys.find((k) => k.serial === m.id)!.key)).toBe(toHex(m.key));

    const formats = (await h.db.meta.get(FORMATS_META))?.value as { version: number; formats: unknown[] };
    const server = await (await h.server.app.request('/api/sync/route', { headers: { authorization: `Bearer ${(await h.db.meta.get(TOKEN_META))!.value}` } })).json();
    expect(formats).toEqual(server.compactFormats);
    expect(formats.formats.length).toBeGreaterThan(0);

    // the decoder holds the keys; the pipeline knows the route and decoded the telegrams that waited
    expect(h.decoder.keys.size).toBe(4);
    expect(h.decoder.formats.size).toBe(formats.formats.length);
    // a restarted app (or worker) loads the same from the store
    const restarted = new TestDecoder();
    expect(await loadDecoder(h.db, restarted)).toEqual({ keys: 4, broken: [], formats: formats.formats.length });
    expect(restarted.keyEntries.map((e) => e.key.toUpperCase()).sort()).toEqual(METERS.routeKeyed.map((m) => toHex(m.key)).sort());
    expect(h.pipeline.progress.total).toBe(5);
    await h.pipeline.flush();
    const frames = await h.db.frames.toArray();
    for (const f of frames) {
      const keyed = METERS.routeKeyed.some((m) => meterKeyOf(m) === f.meterKey);
      expect(f.status, `${f.meterKey} ${f.reason}`).toBe(keyed ? 'decoded' : 'pending');
    }
    expect(h.pipeline.progress.read).toBe(4);
    expect(run!.received).toEqual({ meters: 5, keys: 4, formats: formats.formats.length, groups: 1, badKeys: 0 });
    expect(runLines(run!)).toContain(`Received 5 meters in 1 group, 4 keys, ${formats.formats.length} compact formats.`);
  });

  it('a pending device gets 403: a clear message and nothing stored changes', async () => {
    const h = harness();
    const fleet = await h.fleet();
    const { state: s } = await h.device({ authorise: false, groupIds: [fleet.group] });
    // what an earlier Receive left
    await replaceRoute(h.db, [{ id: 1, manufacturer: 'KAM', serial: '11111111', position: null, group: 'Old', make: 'Kamstrup meter' }]);
    await new KeyStore(h.db).replaceAll([{ manufacturer: 'KAM', serial: '11111111', key: new Uint8Array(16).fill(1) }]);
    await h.db.meta.put({ key: FORMATS_META, value: { version: 1, formats: [] } });
    const before = { route: await h.db.route.toArray(), keys: await h.db.keys.toArray(), formats: await h.db.meta.get(FORMATS_META) };

    const token = (await h.db.meta.get(TOKEN_META))!.value as string;
    const refused = await fetchRoute({ db: h.db, fetch: h.browser, now: () => h.server.clock.now }, token).catch((e) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ reason: 'forbidden', status: 403 });

    const run = await s.run();
    expect(run).toMatchObject({ outcome: 'failed', received: null });
    expect(s.error).toBe('"Van 3 tablet" is not authorised yet: ask an administrator to authorise it in the Manager (Configuration → Field devices).');
    expect(await h.db.route.toArray()).toEqual(before.route);
    expect(await h.db.keys.toArray()).toEqual(before.keys);
    expect(await h.db.meta.get(FORMATS_META)).toEqual(before.formats);
    const audit = h.server.db.prepare("select count(*) as n from audit_entry where event = 'key.sent-to-device'").get() as { n: number };
    expect(audit.n).toBe(0);
  });

  it('a connection lost on page 2 leaves the last complete route; the next Receive stores the new one', async () => {
    const h = harness();
    const fleet = await h.fleet();
    const { state: s } = await h.device({ groupIds: [fleet.other] });
    expect((await s.run())!.outcome).toBe('done');
    const old = await h.db.route.toArray();
    expect(old.map((r) => r.meterKey)).toEqual([meterKeyOf(METERS.offRoute)]);
    const oldKeys = await h.db.keys.toArray();

    await h.api('POST', `/api/devices/${s.device!.id}/route`, { groupIds: [fleet.group] });
    let pages = 0;
    const dropping: typeof fetch = async (input, init) => {
      if (String(input).startsWith('/api/sync/route') && ++pages === 2) throw new TypeError('Failed to fetch');
      return h.browser(input, init);
    };
    const cut = await h.state({ fetch: dropping, pageSize: 2 }).run();
    expect(cut!.outcome).toBe('failed');
    expect(cut!.error).toMatch(/cannot be reached/);
    expect(await h.db.route.toArray()).toEqual(old);
    expect(await h.db.keys.toArray()).toEqual(oldKeys);

    const next = await h.state({ pageSize: 2 }).run();
    expect(next!.outcome).toBe('done');
    expect((await h.db.route.count())).toBe(5);
  });
});
