// A ready-made drive for tests, e2e and anyone without hardware or demo data: meters along a few
// streets of an invented town at the demo utility's coordinates (server/src/demo/town.ts puts
// Lindebæk at 56.0215 N, 9.2840 E), and a route along those streets. Keys are throwaway test
// keys made from the seed; ids are 8 digits from the seed. Mix: MULTICAL 403 heat (C1, 16 s),
// MULTICAL 21 water (C1, 16 s; every 5th on the 96 s fixed-network interval), OMS water (T1,
// 15 min, mode 5); one in six in a basement.

import { hash32, uniform } from './random';
import type { LatLon, SimMeter, SimMeterKind, SimRoute } from './types';

export const SAMPLE_ORIGIN: LatLon = { lat: 56.0215, lon: 9.284 };
const M_PER_DEG = 111_320;

function offset(p: LatLon, eastM: number, northM: number): LatLon {
  return { lat: p.lat + northM / M_PER_DEG, lon: p.lon + eastM / (M_PER_DEG * Math.cos((p.lat * Math.PI) / 180)) };
}

function keyOf(seed: number, i: number): Uint8Array {
  const k = new Uint8Array(16);
  for (let j = 0; j < 4; j++) {
    const w = hash32(seed, 70, i, j);
    k.set([w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24], 4 * j);
  }
  return k;
}

const IDENT: Record<SimMeterKind, Pick<SimMeter, 'manufacturer' | 'version' | 'deviceType' | 'mode'> & { intervalS: number }> = {
  'kamstrup-heat-403': { manufacturer: 'KAM', version: 0x34, deviceType: 0x04, mode: 'C1', intervalS: 16 },
  'kamstrup-water-21': { manufacturer: 'KAM', version: 0x1b, deviceType: 0x16, mode: 'C1', intervalS: 16 },
  'oms-water': { manufacturer: 'DME', version: 0x70, deviceType: 0x07, mode: 'T1', intervalS: 900 },
  'oms-heat': { manufacturer: 'LUG', version: 0x0a, deviceType: 0x04, mode: 'T1', intervalS: 900 },
};

/** A meter of `kind`, with identity and interval as in §4.1/§9, its key from the seed. */
export function sampleMeter(kind: SimMeterKind, seed: number, index: number, position: LatLon): SimMeter {
  const id = String(10_000_000 + (hash32(seed, 71, index) % 90_000_000));
  const { intervalS, ...ident } = IDENT[kind];
  return { ...ident, kind, id, key: keyOf(seed, index), position, intervalS };
}

export interface SampleDrive {
  meters: SimMeter[];
  route: SimRoute;
}

/**
 * `streets` parallel streets 120 m apart, each `length` m long with houses every 20 m on both
 * sides (12 m from the road centre); the car drives them in a serpentine at `speedKmh`.
 */
export function sampleDrive(seed: number, o: { streets?: number; length?: number; speedKmh?: number } = {}): SampleDrive {
  const streets = o.streets ?? 3;
  const length = o.length ?? 400;
  const meters: SimMeter[] = [];
  const points: LatLon[] = [];
  let index = 0;
  for (let s = 0; s < streets; s++) {
    const north = s * 120;
    const ends = [offset(SAMPLE_ORIGIN, 0, north), offset(SAMPLE_ORIGIN, length, north)];
    points.push(...(s % 2 === 0 ? ends : ends.reverse()));
    for (let x = 10; x < length; x += 20) {
      for (const side of [-12, 12]) {
        const r = uniform(seed, 72, index);
        const kind: SimMeterKind = r < 0.45 ? 'kamstrup-heat-403' : r < 0.85 ? 'kamstrup-water-21' : 'oms-water';
        const m = sampleMeter(kind, seed, index, offset(SAMPLE_ORIGIN, x, north + side));
        if (kind === 'kamstrup-water-21' && index % 5 === 0) m.intervalS = 96;
        if (uniform(seed, 73, index) < 1 / 6) m.placement = 'basement';
        meters.push(m);
        index++;
      }
    }
  }
  return { meters, route: { points, speedKmh: o.speedKmh ?? 25 } };
}
