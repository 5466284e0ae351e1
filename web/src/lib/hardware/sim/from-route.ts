// The simulated receiver driving through the device's own route: the route's meters (their
// positions) and their keys (unwrapped from the device's key store) become simulated meters with
// the route's manufacturer and serial, so every telegram decodes to a meter of the route; the car
// visits them in nearest-neighbour order. This is how the demo reads without hardware: a reader
// with the demo route picks "Simulated receiver" and drives through the demo utility.
//
// What each meter sends follows its medium (protocols.md §4.3/§4.4, types.ts SimMeterKind):
// Kamstrup heat → MULTICAL 403 (C1, 16 s), Kamstrup water → MULTICAL 21 (C1, 16 s), other water
// → OMS water (T1, 15 min, mode 5), other heat → OMS heat (T1, 15 min). Version and device-type
// bytes are those of the simulated model (sample.ts), so its telegrams meet the drivers and
// compact formats they were made for; only manufacturer and serial are the route's.

import type { ReadoutDb, RouteMeterRow } from '$lib/db';
import { meterKeyOf } from '$lib/db';
import { KeyStore, type MeterKey } from '$lib/db/keys';
import { distanceM, toLocal } from './radio';
import { sampleMeter } from './sample';
import { meterToJson, type SimDrive, type SimSerialConfig } from './engine';
import type { LatLon, SimMeter, SimMeterKind } from './types';

/** What from-route needs of a route meter; medium and device type are used when the row has them. */
export type RouteMeterLike = Pick<RouteMeterRow, 'manufacturer' | 'serial' | 'position'> & {
  make?: string;
  model?: string | null;
  medium?: string | null;
  deviceType?: number | null;
};

export type SkipReason = 'no-position' | 'no-key' | 'not-simulated';

export interface RouteDrive extends SimDrive {
  /** Route meters left out, and why (the UI says how many the simulated drive cannot read). */
  skipped: Array<{ meterKey: string; why: SkipReason }>;
}

export interface FromRouteOptions {
  /** Default 25 km/h, a careful drive-by speed (protocols.md §9: ≤ 45 km/h at R = 100 m). */
  speedKmh?: number;
  /** Seeds the meters' phases, registers and access numbers; default 1. */
  seed?: number;
}

type Medium = 'heat' | 'water' | 'other';

// protocols.md §1.5: heat at outlet/inlet and heat/cooling (Kamstrup heat meters use 04, 0A-0D); water types.
const HEAT_TYPES: ReadonlySet<number> = new Set([0x04, 0x0a, 0x0b, 0x0c, 0x0d]);
const WATER_TYPES: ReadonlySet<number> = new Set([0x06, 0x07, 0x15, 0x16, 0x17]);

/** The medium from the row's medium, else its device-type byte, else the words of its make/model. */
export function mediumOf(m: RouteMeterLike): Medium {
  if (m.medium) {
    if (/heat|cool|wärme|varme/i.test(m.medium)) return 'heat';
    if (/water|wasser|vand/i.test(m.medium)) return 'water';
    return 'other';
  }
  if (typeof m.deviceType === 'number') {
    if (HEAT_TYPES.has(m.deviceType)) return 'heat';
    if (WATER_TYPES.has(m.deviceType)) return 'water';
    return 'other';
  }
  const text = `${m.make ?? ''} ${m.model ?? ''}`;
  // MULTICAL 21 (two digits) and flowIQ are Kamstrup water meters; MULTICAL 302…803 heat (§4.3, §4.4).
  if (/multical\s*21\b|flowiq|hydrus|water|wasser|vand/i.test(text)) return 'water';
  if (/multical\s*\d{3}|ultraheat|sharky|sensonic|heat|wärme|varme/i.test(text)) return 'heat';
  return 'other';
}

/** Which simulated meter stands in for a route meter, or null (electricity, gas, unknown). */
export function simKindOf(m: RouteMeterLike): SimMeterKind | null {
  const medium = mediumOf(m);
  if (medium === 'other') return null;
  const kam = m.manufacturer.toUpperCase() === 'KAM';
  if (medium === 'heat') return kam ? 'kamstrup-heat-403' : 'oms-heat';
  return kam ? 'kamstrup-water-21' : 'oms-water';
}

/**
 * Visits every point once, always driving on to the nearest one not yet visited, starting at the
 * point farthest from the middle (an edge of the area, so the tour rarely doubles back). O(n²):
 * 5000 meters take some 25 million distance sums, well under a second.
 */
export function nearestNeighbourOrder(points: readonly LatLon[]): number[] {
  if (points.length === 0) return [];
  const mid = {
    lat: points.reduce((s, p) => s + p.lat, 0) / points.length,
    lon: points.reduce((s, p) => s + p.lon, 0) / points.length
  };
  const xy = points.map((p) => toLocal(mid, p));
  let start = 0;
  xy.forEach((p, i) => {
    if (Math.hypot(p.x, p.y) > Math.hypot(xy[start].x, xy[start].y)) start = i;
  });
  const left = new Set(points.keys());
  const order: number[] = [];
  let at = start;
  for (;;) {
    order.push(at);
    left.delete(at);
    if (left.size === 0) return order;
    let best = -1;
    let bestD = Infinity;
    for (const j of left) {
      const d = distanceM(xy[at], xy[j]);
      if (d < bestD) [best, bestD] = [j, d];
    }
    at = best;
  }
}

/** Simulated meters for the route's meters that have a position, a key and a medium we simulate, and a drive past them. */
export function driveFromRoute(rows: readonly RouteMeterLike[], keys: readonly MeterKey[], o: FromRouteOptions = {}): RouteDrive {
  const seed = o.seed ?? 1;
  const keyOf = new Map(keys.map((k) => [meterKeyOf({ manufacturer: k.manufacturer, id: k.serial }), k.key]));
  const meters: SimMeter[] = [];
  const skipped: RouteDrive['skipped'] = [];
  rows.forEach((row, index) => {
    const meterKey = meterKeyOf({ manufacturer: row.manufacturer, id: row.serial });
    const key = keyOf.get(meterKey);
    const kind = simKindOf(row);
    if (!row.position) return void skipped.push({ meterKey, why: 'no-position' });
    if (!key) return void skipped.push({ meterKey, why: 'no-key' });
    if (!kind) return void skipped.push({ meterKey, why: 'not-simulated' });
    const m = sampleMeter(kind, seed, index, { lat: row.position.lat, lon: row.position.lon });
    meters.push({ ...m, manufacturer: row.manufacturer.toUpperCase(), id: row.serial, key: new Uint8Array(key) });
  });
  const order = nearestNeighbourOrder(meters.map((m) => m.position));
  const points: LatLon[] = [];
  for (const i of order) {
    const p = meters[i].position;
    const last = points.at(-1);
    if (!last || last.lat !== p.lat || last.lon !== p.lon) points.push(p); // meters of one building share a point
  }
  return { meters, route: { points, speedKmh: o.speedKmh ?? 25 }, skipped };
}

/** The device's route and keys from IndexedDB, as a drive. Keys stay in memory only, for the simulation. */
export async function routeDrive(db: ReadoutDb, o: FromRouteOptions = {}): Promise<RouteDrive> {
  const [rows, { keys }] = await Promise.all([db.route.toArray(), new KeyStore(db).unwrapAll()]);
  return driveFromRoute(rows, keys, o);
}

/** A serial/Bluetooth shim config carrying the drive itself (keys as hex: it stays in this page's memory). */
export function simConfigOf(drive: SimDrive, o: { seed: number; startEpochMs: number; speed?: number }): SimSerialConfig {
  return { seed: o.seed, startEpochMs: o.startEpochMs, speed: o.speed, meters: drive.meters.map(meterToJson), route: drive.route };
}
