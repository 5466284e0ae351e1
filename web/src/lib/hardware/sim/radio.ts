// The radio between meters and the receiver in the car, all numbers our own planning values
// (protocols.md §9 gives ranges and speeds, no propagation model):
//   RSSI = Ptx − PL(d0) − 10·n·log10(d/d0) − placement loss + shadowing (per meter) + fading (per frame)
// with the 868 MHz free-space loss at d0 = 1 m (31 dB) and n = 3.5 (street level, houses):
// an indoor meter (10 dB wall) at 10 dBm reaches the −105 dBm sensitivity at ~130 m, a basement
// meter (20 dB) at ~70 m, matching the "R = 100 m, 50 m in basements" of §9.
// Air time from the frame length on air and the mode's data rate (§1.1, §1.2).

import type { LatLon, SimPlacement, SimRoute } from './types';

export interface RadioParams {
  /** Path loss at 1 m, dB (free space at 868.95 MHz ≈ 31.2 dB). */
  lossAt1mDb: number;
  /** Path loss exponent. */
  exponent: number;
  /** Receiver sensitivity: weaker frames are never heard. */
  sensitivityDbm: number;
  /** Width of the sensitivity edge: P(decoded) = 1 / (1 + e^−(rssi − sens)/edge). */
  edgeDb: number;
  /** Standard deviation of the per-meter (shadowing) and per-frame (fading) terms, dB. */
  shadowingDb: number;
  fadingDb: number;
  /** Frames lost to interference from outside the simulation, whatever their strength. */
  lossRate: number;
  /** A frame survives an overlap when it is this much stronger than the other (capture effect). */
  captureDb: number;
  /** Frames weaker than sensitivity − this do not disturb others. */
  interferenceMarginDb: number;
}

export const DEFAULT_RADIO: RadioParams = {
  lossAt1mDb: 31,
  exponent: 3.5,
  sensitivityDbm: -105,
  edgeDb: 1.5,
  shadowingDb: 4,
  fadingDb: 2.5,
  lossRate: 0.01,
  captureDb: 6,
  interferenceMarginDb: 10,
};

export const PLACEMENT_LOSS_DB: Record<SimPlacement, number> = { outdoor: 0, indoor: 10, basement: 20 };

/** Mean RSSI (no shadowing or fading) at distance `d` metres. */
export function meanRssiDbm(radio: RadioParams, txPowerDbm: number, distanceM: number, placement: SimPlacement): number {
  const d = Math.max(1, distanceM);
  return txPowerDbm - radio.lossAt1mDb - 10 * radio.exponent * Math.log10(d) - PLACEMENT_LOSS_DB[placement];
}

/**
 * Time on air, ms, of a telegram given without CRCs (L = length − 1).
 * C1: frame format B (one CRC, two above 128 bytes), NRZ at 100 kbit/s, 4 bytes preamble + 4 sync.
 * T1: frame format A (a CRC per block), 3-out-of-6 coded: 12 chips per byte at 100 kchip/s,
 * preamble + sync ≈ 48 chips. Postambles and ramp-up are left out.
 */
export function airTimeMs(telegramLength: number, mode: 'C1' | 'T1'): number {
  if (mode === 'C1') {
    const onAir = telegramLength + (telegramLength + 2 > 128 ? 4 : 2);
    return ((8 + onAir) * 8) / 100;
  }
  const blocks = 1 + Math.ceil(Math.max(0, telegramLength - 10) / 16);
  const onAir = telegramLength + 2 * blocks;
  return (48 + onAir * 12) / 100;
}

// ---------------------------------------------------------------------------------------------
// Geometry: local metres around a reference point (equirectangular; fine over a few km)

const M_PER_DEG = 111_320;

export interface Xy {
  x: number;
  y: number;
}

export function toLocal(origin: LatLon, p: LatLon): Xy {
  const k = Math.cos((origin.lat * Math.PI) / 180);
  return { x: (p.lon - origin.lon) * M_PER_DEG * k, y: (p.lat - origin.lat) * M_PER_DEG };
}

export function distanceM(a: Xy, b: Xy): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/** A route in local metres with the time at which the car passes each point. */
export interface PlannedRoute {
  origin: LatLon;
  points: Xy[];
  /** Virtual ms at which the car reaches each point. */
  atMs: number[];
}

export function planRoute(route: SimRoute): PlannedRoute {
  if (route.points.length === 0) throw new RangeError('route.points: expected at least one point, got 0');
  const origin = route.points[0];
  const points = route.points.map((p) => toLocal(origin, p));
  const atMs = [0];
  for (let i = 1; i < points.length; i++) {
    const kmh = typeof route.speedKmh === 'number' ? route.speedKmh : route.speedKmh[i - 1];
    if (!(kmh > 0)) throw new RangeError(`route.speedKmh: expected > 0 for segment ${i - 1}, got ${kmh}`);
    atMs.push(atMs[i - 1] + (distanceM(points[i - 1], points[i]) / (kmh / 3.6)) * 1000);
  }
  return { origin, points, atMs };
}

/** Where the car is at virtual time `ms` (at the start before 0, at the end after the last point). */
export function positionAt(route: PlannedRoute, ms: number): Xy {
  const { points, atMs } = route;
  if (ms <= 0 || points.length === 1) return points[0];
  // binary search for the segment
  let lo = 0;
  let hi = atMs.length - 1;
  if (ms >= atMs[hi]) return points[hi];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (atMs[mid] <= ms) lo = mid;
    else hi = mid;
  }
  const f = (ms - atMs[lo]) / (atMs[hi] - atMs[lo] || 1);
  return { x: points[lo].x + f * (points[hi].x - points[lo].x), y: points[lo].y + f * (points[hi].y - points[lo].y) };
}

/** When the car reaches the end of the route, virtual ms. */
export function routeDurationMs(route: PlannedRoute): number {
  return route.atMs[route.atMs.length - 1];
}
