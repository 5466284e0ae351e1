// Which route meters go on the map and how they look (R1, M1: Kamstrup and other makes drawn
// differently). Kamstrup and other makes differ in shape AND colour, so a colour-blind reader or a
// phone in sunlight still tells them apart; a white outline keeps them visible on any tile. No
// OpenLayers code here (only a type), so the page can use it without loading the map library.

import type { FlatStyleLike } from 'ol/style/flat';
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

/** A meter drawn on the map; `kind` is 1 for Kamstrup, 0 otherwise (a number: cheap in WebGL). */
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

/**
 * Smaller markers when zoomed out (a town of 10,000 meters is a cloud, and one make would hide
 * the other), full size from zoom 16 on, where a reader looks for single houses.
 */
const byZoom = (far: number, near: number) => ['interpolate', ['linear'], ['zoom'], 11, far, 16, near];

/** Kamstrup's value, else the other makes' value, by the feature's `kind`. */
const byKind = (kamstrup: unknown, other: unknown) => ['match', ['get', 'kind'], 1, kamstrup, other];

/**
 * The WebGL layer's flat style: a square for Kamstrup, a triangle for other makes. One style with
 * `match` expressions rather than one rule per make: each rule is a shader program that processes
 * every point, so two rules would double the per-frame vertex work of 10,000 points.
 */
export const routeStyle: FlatStyleLike = {
  'shape-points': byKind(4, 3),
  'shape-angle': byKind(Math.PI / 4, 0),
  'shape-radius': byKind(byZoom(3.5, MARKER_RADIUS), byZoom(4.5, MARKER_RADIUS + 2)),
  'shape-fill-color': byKind(MARKERS.kamstrup.fill, MARKERS.other.fill),
  'shape-stroke-color': OUTLINE,
  'shape-stroke-width': byZoom(1, 2)
};
