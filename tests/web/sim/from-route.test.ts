// The simulated drive through the device's route: route meters and their keys become simulated
// meters with the route's manufacturer, serial and key, of the kind their medium calls for; the
// car visits every positioned meter; and the drive's telegrams decode with the route's keys (not
// the simulation's) to meters of the route.
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { meterKeyOf, openDb, type ReadoutDb } from '../../../web/src/lib/db/index';
import { replaceRoute, type RouteMeter } from '../../../web/src/lib/db/route';
import { KeyStore, type MeterKey } from '../../../web/src/lib/db/keys';
import { driveFromRoute, mediumOf, nearestNeighbourOrder, routeDrive, simConfigOf, simKindOf } from '../../../web/src/lib/hardware/sim/from-route';
import { DriveBySimulation } from '../../../web/src/lib/hardware/sim/drive-by';
import { planRoute, toLocal } from '../../../web/src/lib/hardware/sim/radio';
import { SAMPLE_ORIGIN } from '../../../web/src/lib/hardware/sim/sample';
import { decodeTelegram } from '../../../shared/wmbus/telegram';
import { KeyRing } from '../../../shared/wmbus/keyring';
import { CompactFormatTable } from '../../../shared/wmbus/compact';
import { toHex } from '../../../shared/bytes/hex';

const START = Date.UTC(2026, 2, 14, 9, 30);

/** `m` metres east and `n` north of the demo town's origin. */
const at = (m: number, n = 0) => ({ lat: SAMPLE_ORIGIN.lat + n / 111_320, lon: SAMPLE_ORIGIN.lon + m / (111_320 * Math.cos((SAMPLE_ORIGIN.lat * Math.PI) / 180)) });

// A street of 14 houses, 30 m apart, listed out of order as a route list would be; the makes are
// what Send/Receive stores (lib/sync/receive.ts makeOf).
const MAKES: Array<[string, string]> = [
  ['KAM', 'Kamstrup MULTICAL 21'],
  ['KAM', 'Kamstrup MULTICAL 403'],
  ['DME', 'Diehl HYDRUS'],
  ['LUG', 'Landis+Gyr ULTRAHEAT T550'],
  ['KAM', 'Kamstrup MULTICAL 603'],
  ['KAM', 'Kamstrup flowIQ 2200'],
  ['ZRI', 'Zenner water meter']
];
const ORDER = [5, 12, 0, 9, 3, 13, 7, 1, 10, 4, 8, 2, 11, 6];
const street: RouteMeter[] = ORDER.map((house, i) => ({
  id: 100 + i,
  manufacturer: MAKES[house % MAKES.length][0],
  serial: String(41_000_000 + house * 1117),
  position: at(house * 30, 12),
  group: 'North street',
  make: MAKES[house % MAKES.length][1]
}));
const power: RouteMeter = { id: 200, manufacturer: 'KAM', serial: '52000001', position: at(100), group: 'North street', make: 'Kamstrup OMNIPOWER' };
const nowhere: RouteMeter = { id: 201, manufacturer: 'KAM', serial: '52000002', position: null, group: 'North street', make: 'Kamstrup MULTICAL 21' };
const keyless: RouteMeter = { id: 202, manufacturer: 'KAM', serial: '52000003', position: at(50), group: 'North street', make: 'Kamstrup MULTICAL 21' };
const rows = [...street, power, nowhere, keyless];

const keyFor = (serial: string) => Uint8Array.from({ length: 16 }, (_, j) => (Number(serial.slice(-3)) * 7 + j * 13) & 0xff);
const keys: MeterKey[] = rows.filter((r) => r !== keyless).map((r) => ({ manufacturer: r.manufacturer, serial: r.serial, key: keyFor(r.serial) }));

describe('from the route', () => {
  it('the medium decides the kind: Kamstrup heat/water, other heat/water as OMS, nothing else', () => {
    const kind = (manufacturer: string, make: string) => simKindOf({ manufacturer, serial: '1', position: null, make });
    expect(kind('KAM', 'Kamstrup MULTICAL 21')).toBe('kamstrup-water-21');
    expect(kind('KAM', 'Kamstrup flowIQ 2200')).toBe('kamstrup-water-21');
    expect(kind('KAM', 'Kamstrup MULTICAL 603')).toBe('kamstrup-heat-403');
    expect(kind('KAM', 'Kamstrup heat meter')).toBe('kamstrup-heat-403');
    expect(kind('LUG', 'Landis+Gyr ULTRAHEAT T550')).toBe('oms-heat');
    expect(kind('DME', 'Diehl HYDRUS')).toBe('oms-water');
    expect(kind('KAM', 'Kamstrup OMNIPOWER')).toBeNull();
    // A medium or device-type byte, when the row has one, wins over the words (protocols.md §1.5).
    expect(mediumOf({ manufacturer: 'KAM', serial: '1', position: null, make: 'MULTICAL 21', medium: 'heat' })).toBe('heat');
    expect(mediumOf({ manufacturer: 'KAM', serial: '1', position: null, make: 'MULTICAL 21', deviceType: 0x0c })).toBe('heat');
    expect(mediumOf({ manufacturer: 'ABC', serial: '1', position: null, make: 'meter', deviceType: 0x16 })).toBe('water');
    expect(mediumOf({ manufacturer: 'ABC', serial: '1', position: null, make: 'meter', deviceType: 0x02 })).toBe('other');
  });

  it('keeps the route meters manufacturer, serial and key, and says which it leaves out', () => {
    const drive = driveFromRoute(rows, keys, { seed: 3 });
    expect(drive.meters).toHaveLength(street.length);
    for (const r of street) {
      const m = drive.meters.find((x) => x.id === r.serial)!;
      expect(m.manufacturer).toBe(r.manufacturer);
      expect(toHex(m.key)).toBe(toHex(keyFor(r.serial)));
      expect(m.position).toEqual(r.position);
      expect(m.kind).toBe(simKindOf(r));
      expect(m.intervalS).toBe(m.kind.startsWith('kamstrup') ? 16 : 900); // C1 drive-by vs T1 OMS (protocols.md §9)
      expect(m.mode).toBe(m.kind.startsWith('kamstrup') ? 'C1' : 'T1');
    }
    expect(drive.skipped).toEqual([
      { meterKey: 'KAM-52000001', why: 'not-simulated' },
      { meterKey: 'KAM-52000002', why: 'no-position' },
      { meterKey: 'KAM-52000003', why: 'no-key' }
    ]);
    expect(drive.route.speedKmh).toBe(25);
  });

  it('drives the street from one end to the other, past every meter once', () => {
    const drive = driveFromRoute(street, keys);
    const east = drive.route.points.map((p) => Math.round(toLocal(SAMPLE_ORIGIN, p).x));
    const houses = Array.from({ length: 14 }, (_, h) => h * 30);
    // nearest neighbour from the end farthest from the middle: no doubling back on a straight street
    expect(east[0] === 0 ? east : [...east].reverse()).toEqual(houses);
    expect(planRoute(drive.route).atMs.at(-1)).toBeCloseTo((13 * 30) / (25 / 3.6) * 1000, -1);
    expect(nearestNeighbourOrder([])).toEqual([]);
    // meters of one building share a point: the car stops there once
    const block = driveFromRoute(
      [0, 1, 2].map((i) => ({ manufacturer: 'KAM', serial: `6100000${i}`, position: at(0), make: 'Kamstrup MULTICAL 21' })),
      [0, 1, 2].map((i) => ({ manufacturer: 'KAM', serial: `6100000${i}`, key: keyFor(`6100000${i}`) }))
    );
    expect(block.meters).toHaveLength(3);
    expect(block.route.points).toHaveLength(1);
  });

  it('the drive telegrams decode with the route keys to the route meters', () => {
    const drive = driveFromRoute(rows, keys, { seed: 9 });
    const sim = new DriveBySimulation({ seed: 9, meters: drive.meters, route: drive.route, startEpochMs: START });
    const events = sim.advance(sim.routeEndMs + 20 * 60_000); // the street, then 20 min parked at its end
    const ring = new KeyRing();
    for (const k of keys) ring.set({ manufacturer: k.manufacturer, id: k.serial }, toHex(k.key));
    const formats = new CompactFormatTable();
    const route = new Set(rows.map((r) => meterKeyOf({ manufacturer: r.manufacturer, id: r.serial })));
    const heard = new Set<string>();
    for (const e of events) {
      const r = decodeTelegram(e.telegram, { keys: ring, formats });
      if (!r.ok) throw new Error(`${e.meter.id}: ${JSON.stringify(r.issues)}`);
      expect(r.value.security.state).toBe('decrypted');
      const key = meterKeyOf(r.value.address);
      expect(route.has(key)).toBe(true);
      heard.add(key);
    }
    // every Kamstrup C1 meter of the street is heard; the T1 OMS ones at least in part (15 min interval)
    for (const m of drive.meters.filter((x) => x.mode === 'C1')) expect(heard.has(`${m.manufacturer}-${m.id}`)).toBe(true);
    expect([...heard].some((k) => !k.startsWith('KAM'))).toBe(true);
  });
});

describe('from the device store', () => {
  const opened: ReadoutDb[] = [];
  afterEach(async () => {
    for (const d of opened.splice(0)) {
      d.close();
      await d.delete();
    }
  });

  it('reads the route and unwraps its keys into the same drive; the config carries it', async () => {
    const db = openDb(`from-route-${Math.random().toString(36).slice(2)}`, { indexedDB, IDBKeyRange });
    opened.push(db);
    await replaceRoute(db, rows);
    await new KeyStore(db).replaceAll(keys);
    const drive = await routeDrive(db, { seed: 5 });
    const direct = driveFromRoute(await db.route.toArray(), keys, { seed: 5 });
    expect(drive.meters.map((m) => [m.manufacturer, m.id, toHex(m.key), m.kind])).toEqual(direct.meters.map((m) => [m.manufacturer, m.id, toHex(m.key), m.kind]));
    expect(drive.skipped.map((s) => s.why).sort()).toEqual(['no-key', 'no-position', 'not-simulated']);
    const config = simConfigOf(drive, { seed: 5, startEpochMs: START, speed: 10 });
    expect(JSON.parse(JSON.stringify(config))).toEqual(config); // fits an init script
    expect(config.meters!.map((m) => m.key)).toEqual(drive.meters.map((m) => toHex(m.key)));
  });
});
