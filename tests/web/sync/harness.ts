// Send/Receive against the REAL in-process server (tests/server/helpers.ts): the app's fetch is
// server.app.request with the signed-in person's cookie, as a browser on the same origin sends it.
// The server is set up as an administrator would, through its API: meters of a simulated drive
// (web/src/lib/hardware/sim/sample.ts) with their keys, a metering point, a route group; the
// field device registers itself and is authorised. Frames in the Dexie (fake-indexeddb) are the
// simulated meters' encrypted telegrams (sim/telegram.ts), so the server decodes them with the
// same keys. The decoder is the worker's own code (decode-batch.ts) run in-process.
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, beforeEach, expect } from 'vitest';
import { openDb, type ReadoutDb } from '../../../web/src/lib/db/index';
import { dexiePipelineStore } from '../../../web/src/lib/db/pipeline';
import type { Telegram } from '../../../web/src/lib/hardware/devices/receiver';
import { meterSeedOf, registersAt } from '../../../web/src/lib/hardware/sim/registers';
import { sampleDrive } from '../../../web/src/lib/hardware/sim/sample';
import { encodeSimTelegram } from '../../../web/src/lib/hardware/sim/telegram';
import type { SimMeter } from '../../../web/src/lib/hardware/sim/types';
import { ReadingPipeline, type PipelineDecoder } from '../../../web/src/lib/state/reading.svelte';
import type { DecoderHooks } from '../../../web/src/lib/sync/decoder-state';
import { sendExchanges } from '../../../web/src/lib/sync/exchanges';
import { SyncState, type SyncDeps } from '../../../web/src/lib/sync/sync.svelte';
import { decodeFrames, type BatchAnswer, type BatchFrame } from '../../../web/src/workers/decode-batch';
import type { KeyEntry } from '../../../web/src/workers/decoder.worker';
import { toHex } from '../../../shared/bytes/hex';
import { CompactFormatTable, type CompactFormatsJson } from '../../../shared/wmbus/compact';
import { KeyRing } from '../../../shared/wmbus/keyring';
import { makeTestServer, request, useTempDir, type TestServer } from '../../server/helpers';

/** The worker's decoder in-process: what loadDecoder hands over is what decodes. */
export class TestDecoder implements DecoderHooks, PipelineDecoder {
  keys = new KeyRing();
  formats = new CompactFormatTable();
  keyEntries: KeyEntry[] = [];
  async setKeys(entries: KeyEntry[]): Promise<number> {
    this.keyEntries = entries;
    this.keys.clear();
    for (const e of entries) this.keys.set({ manufacturer: e.manufacturer, id: e.id }, e.key);
    return this.keys.size;
  }
  async setFormats(json: CompactFormatsJson): Promise<number> {
    this.formats = CompactFormatTable.fromJSON(json);
    return this.formats.size;
  }
  async decodeFrames(frames: BatchFrame[]): Promise<BatchAnswer> {
    return decodeFrames(frames, this.keys, this.formats);
  }
}

export const SEED = 7;
const drive = sampleDrive(SEED, { streets: 1, length: 200 });
/**
 * Roles of the simulated meters: four on the route with keys (the first with a metering point and
 * a model), one on the route without a key, one with a key but on no route of this device, one the
 * server has never heard of.
 */
export const METERS = {
  routeKeyed: drive.meters.slice(0, 4),
  routeBare: drive.meters[4],
  offRoute: drive.meters[5],
  unknown: drive.meters[6]
};
export const ALL: SimMeter[] = [...METERS.routeKeyed, METERS.routeBare, METERS.offRoute, METERS.unknown];
export const meterKeyOf = (m: SimMeter) => `${m.manufacturer}-${m.id}`;

export interface Fleet {
  ids: Map<SimMeter, number>;
  group: number;
  other: number;
}

export interface Harness {
  server: TestServer;
  admin: string;
  /** The field person's session cookie (role "user"). */
  person: string;
  db: ReadoutDb;
  decoder: TestDecoder;
  pipeline: ReadingPipeline;
  /** Server time; frames are received an hour before. */
  start: number;
  /** A browser on the same origin as the server, signed in as the field person. */
  browser: typeof fetch;
  state(o?: Partial<SyncDeps>): SyncState;
  /** An administrator's call; fails the test on a non-2xx answer. */
  api(method: string, path: string, body?: unknown): Promise<any>;
  fleet(): Promise<Fleet>;
  /** Registers this device with the person's session and (unless told) authorises it with route `groupIds`. */
  device(o?: { authorise?: boolean; groupIds?: number[] }): Promise<{ id: number; state: SyncState }>;
  /** `n` telegrams of each meter through the receive pipeline into the Dexie; returns how many. */
  read(meters: readonly SimMeter[], n: number, from?: number): Promise<number>;
  /** Rows of the server's sync_frame for this tenant's devices: client id → how often it is held. */
  serverClientIds(): Map<string, number>;
}

let dbs = 0;

export function useHarness(): () => Harness {
  const tempDir = useTempDir('readout-sync-');
  let h: Harness | null = null;
  beforeEach(async () => {
    const server = await makeTestServer(tempDir());
    const admin = await server.as('administrator');
    const person = await server.as('user');
    const db = openDb(`readout-sync-${++dbs}-${Math.random().toString(36).slice(2)}`, { indexedDB, IDBKeyRange });
    const decoder = new TestDecoder();
    const clock = () => server.clock.now;
    const pipeline = new ReadingPipeline({ store: dexiePipelineStore(db), decoder, clock, timers: { set: () => 0, clear: () => {} } });
    const browser: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('cookie', person);
      headers.set('user-agent', 'Field tablet (Android 15)');
      return server.app.request(String(input), { ...init, headers });
    };
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await request(server, method, path, { cookie: admin, body });
      const json = await res.json();
      expect(res.status, `${method} ${path}: ${JSON.stringify(json)}`).toBeLessThan(300);
      return json;
    };
    const state = (o: Partial<SyncDeps> = {}) =>
      new SyncState({ db, fetch: browser, clock, decoder, pipeline, exchanges: sendExchanges, ...o });
    const start = server.clock.now - 3_600_000;
    h = {
      server,
      admin,
      person,
      db,
      decoder,
      pipeline,
      start,
      browser,
      state,
      api,
      async fleet() {
        const ids = new Map<SimMeter, number>();
        for (const m of [...METERS.routeKeyed, METERS.routeBare, METERS.offRoute]) {
          const model = m === METERS.routeKeyed[0] ? { model: 'MULTICAL 403' } : {};
          const medium = m.kind.includes('heat') ? 'heat' : 'water';
          const { meter } = await api('POST', '/api/meters', { manufacturer: m.manufacturer, serial: m.id, version: m.version, deviceType: m.deviceType, medium, ...model });
          ids.set(m, meter.id);
          if (m !== METERS.routeBare) await api('PUT', `/api/meters/${meter.id}/key`, { key: toHex(m.key) });
        }
        const first = METERS.routeKeyed[0];
        const { meteringPoint } = await api('POST', '/api/metering-points', { address: 'Lindebæk Vej 1', lat: first.position.lat, lon: first.position.lon });
        await api('POST', `/api/meters/${ids.get(first)}/install`, { meteringPointId: meteringPoint.id, from: start - 86_400_000 });
        const { group } = await api('POST', '/api/groups', { name: 'Lindebæk north' });
        await api('POST', `/api/groups/${group.id}/members`, { meterIds: [...METERS.routeKeyed, METERS.routeBare].map((m) => ids.get(m)!) });
        const other = (await api('POST', '/api/groups', { name: 'Elsewhere' })).group.id;
        await api('POST', `/api/groups/${other}/members`, { meterIds: [ids.get(METERS.offRoute)!] });
        return { ids, group: group.id, other };
      },
      async device(o = {}) {
        const s = state();
        expect(await s.register('Van 3 tablet'), s.error ?? '').toBe(true);
        const id = s.device!.id;
        if (o.authorise !== false) await api('POST', `/api/devices/${id}/authorise`);
        if (o.groupIds) await api('POST', `/api/devices/${id}/route`, { groupIds: o.groupIds });
        return { id, state: s };
      },
      async read(meters, n, from = 0) {
        let k = 0;
        for (let c = from; c < from + n; c++) {
          for (const m of meters) {
            const seed = meterSeedOf(SEED, m);
            const at = start + c * 16_000 + k++;
            const bytes = encodeSimTelegram(m, seed, c, registersAt(m, seed, at, c));
            const t: Telegram = { bytes, crcs: 'absent', rssiDbm: -70, receivedAt: at, raw: bytes };
            pipeline.receive(t, 'iM871A on test');
          }
        }
        await pipeline.flush();
        return n * meters.length;
      },
      serverClientIds() {
        const rows = server.db.prepare('select client_id as id, count(*) as n from sync_frame group by client_id').all() as { id: string; n: number }[];
        return new Map(rows.map((r) => [r.id, r.n]));
      }
    };
  });
  afterEach(() => {
    h?.db.close();
    h?.server.close();
    h = null;
  });
  return () => {
    if (!h) throw new Error('useHarness: call inside a test');
    return h;
  };
}
