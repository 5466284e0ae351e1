// The Route screen's headless logic (route-view.svelte.ts): progress text, search, sort, groups,
// windowing, and following the real receive pipeline on Dexie (fake-indexeddb) with telegrams of
// the simulated drive-by, reading the store again only where the pipeline's counts say so.
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { meterKeyOf, openDb, type ReadoutDb } from '../../../web/src/lib/db/index';
import { dexiePipelineStore } from '../../../web/src/lib/db/pipeline';
import { replaceRoute, resetReads, toRouteRow, type RouteMeter } from '../../../web/src/lib/db/route';
import { DriveBySimulation } from '../../../web/src/lib/hardware/sim/drive-by';
import { sampleDrive } from '../../../web/src/lib/hardware/sim/sample';
import { ReadingPipeline, type PipelineDecoder, type Timers } from '../../../web/src/lib/state/reading.svelte';
import {
  filterRows,
  groupLines,
  percentRead,
  progressText,
  RouteView,
  sortRows,
  windowOf,
  type Prefs,
  type RouteRow,
  type RouteSource
} from '../../../web/src/lib/state/route-view.svelte';
import { decodeFrames, type BatchFrame } from '../../../web/src/workers/decode-batch';
import { KeyRing } from '../../../shared/wmbus/keyring';
import { CompactFormatTable } from '../../../shared/wmbus/compact';

const row = (serial: string, o: Partial<RouteRow> = {}): RouteRow => ({
  ...toRouteRow({ id: Number(serial), manufacturer: 'KAM', serial, position: { lat: 56.02, lon: 9.28 }, group: 'North', make: 'Kamstrup MULTICAL 21' }),
  ...o
});

describe('progress and groups', () => {
  it('says how many of how many are read, with thousands separators', () => {
    expect(progressText({ read: 312, total: 1240 })).toBe('312 of 1,240 read');
    expect(progressText({ read: 0, total: 0 })).toBe('0 of 0 read');
    expect(progressText({ read: 10000, total: 10000 })).toBe('10,000 of 10,000 read');
  });

  it('shows 100 % only when every meter is read', () => {
    expect(percentRead({ read: 999, total: 1000 })).toBe(99);
    expect(percentRead({ read: 1000, total: 1000 })).toBe(100);
    expect(percentRead({ read: 0, total: 0 })).toBe(0);
  });

  it('lists groups by name (numbers in order) with what is left', () => {
    const lines = groupLines({ read: 5, total: 12, groups: { 'Route 10': { read: 0, total: 4 }, 'Route 2': { read: 3, total: 3 }, Harbour: { read: 2, total: 5 } } });
    expect(lines.map((g) => g.name)).toEqual(['Harbour', 'Route 2', 'Route 10']);
    expect(lines[0]).toEqual({ name: 'Harbour', read: 2, total: 5, left: 3, done: false });
    expect(lines[1].done).toBe(true);
  });
});

describe('search and sort', () => {
  const rows = [
    row('76348799', { address: 'Vestergade 12', city: 'Herning', group: 'West' }),
    row('76348800', { address: 'Vestergade 2', city: 'Herning', group: 'West' }),
    row('10000001', { address: 'Østergade 1', group: 'East', manufacturer: 'DME', meterKey: 'DME-10000001', make: 'OMS water' }),
    row('10000002', { group: 'East' })
  ];

  it('finds a meter by serial, also typed with spaces as printed', () => {
    expect(filterRows(rows, '7634 8799').map((r) => r.serial)).toEqual(['76348799']);
    expect(filterRows(rows, '4880').map((r) => r.serial)).toEqual(['76348800']);
  });

  it('finds meters by address words in any case and order', () => {
    expect(filterRows(rows, 'vestergade herning').map((r) => r.serial)).toEqual(['76348799', '76348800']);
    expect(filterRows(rows, '12 VESTERGADE').map((r) => r.serial)).toEqual(['76348799']);
    expect(filterRows(rows, 'østergade').map((r) => r.serial)).toEqual(['10000001']);
    expect(filterRows(rows, 'nowhere')).toEqual([]);
    expect(filterRows(rows, '  ')).toHaveLength(4);
  });

  it('sorts by street with house numbers in numeric order, meters without address last', () => {
    expect(sortRows(rows.slice(), 'street').map((r) => r.address ?? '-')).toEqual(['Østergade 1', 'Vestergade 2', 'Vestergade 12', '-']);
  });

  it('sorts by group, then address; and by serial', () => {
    expect(sortRows(rows.slice(), 'group').map((r) => r.serial)).toEqual(['10000001', '10000002', '76348800', '76348799']);
    expect(sortRows(rows.slice(), 'serial').map((r) => r.serial)).toEqual(['10000001', '10000002', '76348799', '76348800']);
  });
});

describe('windowing', () => {
  it('renders only the rows in view and keeps the rest as space', () => {
    const w = windowOf(10_000, 68, 68 * 5000, 680, 8);
    expect(w).toEqual({ start: 4992, end: 5018, top: 4992 * 68, bottom: (10_000 - 5018) * 68 });
    expect(w.end - w.start).toBeLessThan(40);
  });

  it('starts at the top and stops at the end', () => {
    expect(windowOf(10_000, 68, 0, 680, 8)).toMatchObject({ start: 0, end: 18, top: 0 });
    expect(windowOf(30, 68, 68 * 29, 680, 8)).toEqual({ start: 21, end: 30, top: 21 * 68, bottom: 0 });
    expect(windowOf(3, 68, 0, 680)).toEqual({ start: 0, end: 3, top: 0, bottom: 0 });
    expect(windowOf(0, 68, 500, 680)).toEqual({ start: 0, end: 0, top: 0, bottom: 0 });
    // a list that shrank under a scrolled viewport (search typed) still gives a valid window
    expect(windowOf(5, 68, 68 * 400, 680)).toEqual({ start: 5, end: 5, top: 5 * 68, bottom: 0 });
  });

  it('rejects a row height that is not positive', () => {
    expect(() => windowOf(10, 0, 0, 100)).toThrow(/rowPx: expected > 0, got 0/);
  });
});

class MemoryPrefs implements Prefs {
  values = new Map<string, string>();
  get = (k: string) => this.values.get(k) ?? null;
  set = (k: string, v: string) => void this.values.set(k, v);
}

describe('RouteView', () => {
  it('remembers map or list and the sort order', () => {
    const prefs = new MemoryPrefs();
    const source: RouteSource = { all: async () => [], group: async () => [] };
    const first = new RouteView(source, prefs);
    expect(first.mode).toBe('map');
    first.setMode('list');
    first.setSort('street');
    const again = new RouteView(source, prefs);
    expect([again.mode, again.sort]).toEqual(['list', 'street']);
    prefs.values.set('readout.route.mode', 'satellite'); // junk from elsewhere: the default
    expect(new RouteView(source, prefs).mode).toBe('map');
  });

  it('splits the route into to-read and read, newest read first, and counts meters without position', async () => {
    const rows = [
      row('00000001', { readAt: 100 }),
      row('00000002'),
      row('00000003', { readAt: 300 }),
      row('00000004', { position: null })
    ];
    const view = new RouteView({ all: async () => rows, group: async () => [] }, new MemoryPrefs(), () => 1000);
    await view.load();
    expect(view.todo.map((r) => r.serial)).toEqual(['00000002', '00000004']);
    expect(view.done.map((r) => r.serial)).toEqual(['00000003', '00000001']);
    expect(view.unplaced).toBe(1);
    view.onlyUnplaced = true;
    expect(view.todo.map((r) => r.serial)).toEqual(['00000004']);
  });

  it('reports a store failure instead of hanging', async () => {
    const view = new RouteView({ all: async () => Promise.reject(new Error('QuotaExceededError')), group: async () => [] }, new MemoryPrefs());
    await view.load();
    expect(view.status).toBe('failed');
    expect(view.failure).toMatch(/could not be read.*QuotaExceededError/);
  });
});

// --- following the real pipeline -------------------------------------------------------------

const START = Date.UTC(2026, 2, 14, 9, 30);
const drive = sampleDrive(11, { streets: 3, length: 400 });
const events = new DriveBySimulation({ seed: 11, meters: drive.meters, route: drive.route, startEpochMs: START }).advance(6 * 60_000);
const meters = drive.meters;
const routeOf = (list: typeof meters): RouteMeter[] =>
  list.map((m, i) => ({ id: i + 1, manufacturer: m.manufacturer, serial: m.id, position: m.position, group: `Street ${1 + Math.floor(i / 40)}`, make: m.kind }));

class Decoder implements PipelineDecoder {
  keys = new KeyRing();
  formats = new CompactFormatTable();
  constructor() {
    for (const m of meters) this.keys.set({ manufacturer: m.manufacturer, id: m.id }, m.key);
  }
  async decodeFrames(frames: BatchFrame[]) {
    return decodeFrames(frames, this.keys, this.formats);
  }
}
const timers: Timers = { set: () => 0, clear: () => {} };

let n = 0;
const opened: ReadoutDb[] = [];
function open(): ReadoutDb {
  const d = openDb(`route-view-${++n}-${Math.random().toString(36).slice(2)}`, { indexedDB, IDBKeyRange });
  opened.push(d);
  return d;
}
afterEach(async () => {
  for (const d of opened.splice(0)) d.close();
});

/** The app's source (as +page.svelte builds it), counting what it reads. */
function countingSource(db: ReadoutDb) {
  const calls = { all: 0, groups: [] as string[] };
  const source: RouteSource = {
    all: () => (calls.all++, db.route.toArray()),
    group: (g) => (calls.groups.push(g), db.route.where('group').equals(g).toArray())
  };
  return { source, calls };
}

async function expectInStep(view: RouteView, db: ReadoutDb) {
  const stored = await db.route.toArray();
  const unread = stored.filter((r) => r.readAt === null).map((r) => r.meterKey).sort();
  expect(view.todo.map((r) => r.meterKey).sort()).toEqual(unread);
  expect(view.done.map((r) => r.meterKey).sort()).toEqual(stored.filter((r) => r.readAt !== null).map((r) => r.meterKey).sort());
}

describe('RouteView following the receive pipeline', () => {
  it('has a drive where one batch reads more meters than lastRead holds', () => {
    expect(meters.length).toBe(120);
    expect(new Set(events.slice(0, 50).map((e) => e.meter.id)).size).toBeGreaterThan(20);
  });

  it('marks what the pipeline read, batch by batch, without reading the whole route again', async () => {
    const db = open();
    await replaceRoute(db, routeOf(meters));
    const pipeline = new ReadingPipeline({ store: dexiePipelineStore(db), decoder: new Decoder(), timers, clock: () => START, batchSize: 10 });
    await pipeline.start();
    const { source, calls } = countingSource(db);
    const view = new RouteView(source, new MemoryPrefs(), () => START);
    await view.load();
    expect(view.todo).toHaveLength(120);

    const read: string[] = [];
    let cursor = 0;
    for (let i = 0; i < events.length; i += 10) {
      for (const e of events.slice(i, i + 10)) {
        pipeline.receive({ bytes: e.telegram, crcs: 'absent', rssiDbm: e.rssiDbm, receivedAt: START + e.atMs, raw: e.telegram }, 'test');
      }
      await pipeline.flush();
      await view.follow(pipeline.progress, pipeline.lastRead);
      const { keys, next } = view.readSince(cursor);
      cursor = next;
      read.push(...keys);
    }
    await expectInStep(view, db);
    expect(view.done.length).toBe(pipeline.progress.read);
    expect(pipeline.progress.read).toBeGreaterThan(60);
    // each read meter reached the map's feed once
    expect(new Set(read).size).toBe(read.length);
    expect(read.length).toBe(pipeline.progress.read);
    expect(calls.all).toBe(1);
  });

  it('catches up by reading only the groups whose count differs when many were read at once', async () => {
    const db = open();
    await replaceRoute(db, routeOf(meters));
    const pipeline = new ReadingPipeline({ store: dexiePipelineStore(db), decoder: new Decoder(), timers, clock: () => START, batchSize: 50 });
    await pipeline.start();
    const { source, calls } = countingSource(db);
    const view = new RouteView(source, new MemoryPrefs(), () => START);
    await view.load();

    for (const e of events.slice(0, 50)) pipeline.receive({ bytes: e.telegram, crcs: 'absent', rssiDbm: e.rssiDbm, receivedAt: START + e.atMs, raw: e.telegram }, 'test');
    await pipeline.flush();
    expect(pipeline.lastRead).toHaveLength(20);
    expect(pipeline.progress.read).toBeGreaterThan(20);

    await view.follow(pipeline.progress, pipeline.lastRead);
    await expectInStep(view, db);
    expect(calls.all).toBe(1);
    const behind = Object.entries(pipeline.progress.groups).filter(([, c]) => c.read > 0).map(([g]) => g);
    expect(calls.groups.length).toBeGreaterThan(0);
    expect(calls.groups.every((g) => behind.includes(g))).toBe(true);
    // the read time of a meter caught up from the store is the stored one
    const stored = (await db.route.toArray()).find((r) => r.readAt !== null && !pipeline.lastRead.includes(r.meterKey))!;
    expect(view.readAt(stored.meterKey)).toBe(stored.readAt);
  });

  it('loads the route again after Send/Receive changed it or the read marks were cleared', async () => {
    const db = open();
    await replaceRoute(db, routeOf(meters.slice(0, 80)));
    const pipeline = new ReadingPipeline({ store: dexiePipelineStore(db), decoder: new Decoder(), timers, clock: () => START });
    await pipeline.start();
    const { source, calls } = countingSource(db);
    const view = new RouteView(source, new MemoryPrefs(), () => START);
    await view.load();
    for (const e of events.slice(0, 40)) pipeline.receive({ bytes: e.telegram, crcs: 'absent', rssiDbm: e.rssiDbm, receivedAt: START + e.atMs, raw: e.telegram }, 'test');
    await pipeline.flush();
    await view.follow(pipeline.progress, pipeline.lastRead);
    expect(view.done.length).toBeGreaterThan(0);

    await replaceRoute(db, routeOf(meters));
    await pipeline.reloadRoute();
    await view.follow(pipeline.progress, pipeline.lastRead);
    expect(calls.all).toBe(2);
    expect(view.rows).toHaveLength(120);
    await expectInStep(view, db);

    await resetReads(db);
    await pipeline.reloadRoute();
    await view.follow(pipeline.progress, pipeline.lastRead);
    expect(calls.all).toBe(3);
    expect(view.done).toHaveLength(0);
    expect(view.todo).toHaveLength(120);
  });

  it('uses the meter keys the radio sends', () => {
    const first = routeOf(meters)[0];
    expect(toRouteRow(first).meterKey).toBe(meterKeyOf({ manufacturer: meters[0].manufacturer, id: meters[0].id }));
  });
});
