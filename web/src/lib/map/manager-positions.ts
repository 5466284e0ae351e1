// The Manager map's data (M1): GET /api/meter-positions as typed arrays, so 100,000 positions
// go to the cluster worker as a few buffers instead of 100,000 objects.
import { request } from '$lib/api/client';

/** A group id, 'ungrouped', 'last-imported', or null for all meters (the group panel's choices). */
export type MapGroup = number | 'ungrouped' | 'last-imported' | null;

/** The wire format (server/src/store/meter-positions.ts). */
interface PositionsWire {
  ids: number[];
  lon: number[];
  lat: number[];
  kamstrup: (0 | 1)[];
  alarm: (0 | 1)[];
}

export interface Positions {
  ids: Float64Array;
  lon: Float64Array;
  lat: Float64Array;
  /** Bit 0: Kamstrup, bit 1: an active info code (newest reading). */
  flags: Uint8Array;
  /** [minLon, minLat, maxLon, maxLat], or null without any meter. */
  extent: [number, number, number, number] | null;
}

/** Per item of the cluster worker's answer: lon, lat, count (1 for a meter), cluster id or meter id, flags. */
export const STRIDE = 5;

export const KAMSTRUP_FLAG = 1;
export const ALARM_FLAG = 2;

export function positionsPath(group: MapGroup): string {
  return group === null ? '/meter-positions' : `/meter-positions?group=${encodeURIComponent(String(group))}`;
}

export function toPositions(wire: PositionsWire): Positions {
  const n = wire.ids.length;
  const p: Positions = { ids: new Float64Array(wire.ids), lon: new Float64Array(wire.lon), lat: new Float64Array(wire.lat), flags: new Uint8Array(n), extent: null };
  let minLon = Infinity;
  let minLat = Infinity;
  let maxLon = -Infinity;
  let maxLat = -Infinity;
  for (let i = 0; i < n; i++) {
    p.flags[i] = (wire.kamstrup[i] ? KAMSTRUP_FLAG : 0) | (wire.alarm[i] ? ALARM_FLAG : 0);
    const lon = wire.lon[i];
    const lat = wire.lat[i];
    if (lon < minLon) minLon = lon;
    if (lon > maxLon) maxLon = lon;
    if (lat < minLat) minLat = lat;
    if (lat > maxLat) maxLat = lat;
  }
  if (n > 0) p.extent = [minLon, minLat, maxLon, maxLat];
  return p;
}

export async function loadPositions(group: MapGroup, signal: AbortSignal): Promise<Positions> {
  return toPositions(await request<PositionsWire>('GET', positionsPath(group), undefined, { signal }));
}
