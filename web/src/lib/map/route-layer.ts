// Which route meters go on the map and how they look (R1, M1: Kamstrup and other makes drawn
// differently). Kamstrup and other makes differ in shape AND colour, so a colour-blind reader or a
// phone in sunlight still tells them apart; a white outline keeps them visible on any tile. No
// OpenLayers code here (only a type), so the page can use it without loading the map library.

import type { RouteRow } from '$lib/state/route-view.svelte';

export type Marker = 'kamstrup' | 'other';

/**
 * Manufacturer codes Kamstrup meters send (EN 13757-7 three-letter code): KAM, and KAW on some
 * flowIQ 2200 water meters (shared/drivers/kamstrup/flowiq2200.ts matches both).
 */
const KAMSTRUP = new Set(['KAM', 'KAW']);

export function markerOf(manufacturer: string): Marker {
  return KAMSTRUP.has(manufacturer.trim().toUpperCase()) ? 'kamstrup' : 'other';
}

export interface MarkerLook {
  label: string;
  shape: 'square' | 'triangle';
  fill: string;
}

/** Okabe–Ito-like blue and dark orange: distinct for the common colour-vision deficiencies. */
export const MARKERS: Record<Marker, MarkerLook> = {
  kamstrup: { label: 'Kamstrup', shape: 'square', fill: '#0b4f9c' },
  other: { label: 'Other makes', shape: 'triangle', fill: '#b84a00' }
};

export const OUTLINE = '#ffffff';

/** A meter drawn on the map; `kind` is 1 for Kamstrup, 0 otherwise. */
export interface MapPoint {
  key: string;
  lon: number;
  lat: number;
  kind: 0 | 1;
}

/**
 * A usable position: finite, in range, and not 0/0 (an export's way of saying "none", which would
 * put the meter in the Gulf of Guinea and stretch the fitted view around the globe).
 */
export function hasPosition(p: RouteRow['position']): p is { lat: number; lon: number } {
  if (p === null || typeof p !== 'object') return false;
  const { lat, lon } = p;
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return false;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return false;
  return !(lat === 0 && lon === 0);
}

/** The unread meters that go on the map, and those without a usable position (listed instead). */
export function placeRows(rows: readonly RouteRow[], isRead: (meterKey: string) => boolean): { points: MapPoint[]; unplaced: RouteRow[] } {
  const points: MapPoint[] = [];
  const unplaced: RouteRow[] = [];
  for (const r of rows) {
    if (isRead(r.meterKey)) continue;
    if (!hasPosition(r.position)) {
      unplaced.push(r);
      continue;
    }
    points.push({ key: r.meterKey, lon: r.position.lon, lat: r.position.lat, kind: markerOf(r.manufacturer) === 'kamstrup' ? 1 : 0 });
  }
  return { points, unplaced };
}

/** Marker radius in CSS px at street level; large enough to hit with a thumb (ol-route.ts TAP_PX). */
export const MARKER_RADIUS = 9;

/** One marker as drawn: OL's RegularShape parameters (ol-route.ts builds and caches the styles). */
export interface MarkerSpec {
  points: 3 | 4;
  /** Radians; a square stands on its side at π/4. */
  angle: number;
  /** CSS px, half-pixel steps (few distinct styles to cache). */
  radius: number;
  fill: string;
  stroke: string;
  strokeWidth: number;
}

/** Web Mercator metres per pixel at zoom 0 (256 px tiles). */
const RESOLUTION_Z0 = 156_543.03392804097;
const NEAR_ZOOM = 16;
const FAR_ZOOM = 11;

/**
 * A square for Kamstrup, a slightly larger triangle (same visual weight) for other makes. Smaller
 * when zoomed out (a town of 10,000 meters is a cloud, and one make would hide the other), full
 * size from zoom 16 on, where a reader looks for single houses.
 */
export function markerSpec(marker: Marker, resolution: number): MarkerSpec {
  const zoom = Math.log2(RESOLUTION_Z0 / resolution);
  const t = Math.min(1, Math.max(0, (zoom - FAR_ZOOM) / (NEAR_ZOOM - FAR_ZOOM)));
  const kam = marker === 'kamstrup';
  const far = kam ? 3.5 : 4.5;
  const near = kam ? MARKER_RADIUS : MARKER_RADIUS + 2;
  return {
    points: kam ? 4 : 3,
    angle: kam ? Math.PI / 4 : 0,
    radius: Math.round((far + t * (near - far)) * 2) / 2,
    fill: MARKERS[marker].fill,
    stroke: OUTLINE,
    strokeWidth: t >= 0.5 ? 2 : 1
  };
}
