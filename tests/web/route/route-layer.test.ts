// What goes on the route map and how it looks (route-layer.ts), and the OL features built from it
// (ol-route.ts): Kamstrup and other makes differ in shape and colour, read meters are not drawn,
// meters without a usable position are listed instead of mapped.
import { describe, expect, it } from 'vitest';
import { toRouteRow } from '../../../web/src/lib/db/route';
import { sampleDrive } from '../../../web/src/lib/hardware/sim/sample';
import { hasPosition, markerOf, markerSpec, MARKERS, placeRows } from '../../../web/src/lib/map/route-layer';
import { featuresOf } from '../../../web/src/lib/map/ol-route';
import { escapeHtml } from '../../../web/src/lib/map/ol-tiles';
import type { RouteRow } from '../../../web/src/lib/state/route-view.svelte';

const drive = sampleDrive(3, { streets: 2, length: 200 });
const rows: RouteRow[] = drive.meters.map((m, i) =>
  toRouteRow({ id: i + 1, manufacturer: m.manufacturer, serial: m.id, position: m.position, group: 'North', make: m.kind })
);

describe('markers', () => {
  it('tells Kamstrup from other makes by the manufacturer code', () => {
    expect(markerOf('KAM')).toBe('kamstrup');
    expect(markerOf('kam')).toBe('kamstrup');
    expect(markerOf('KAW')).toBe('kamstrup'); // flowIQ 2200
    expect(markerOf('DME')).toBe('other');
    expect(markerOf('LUG')).toBe('other');
  });

  it('draws Kamstrup and other makes with a different shape and colour, both with a white outline', () => {
    const street = 2.39; // m/px at zoom 16
    const kam = markerSpec('kamstrup', street);
    const other = markerSpec('other', street);
    expect([kam.points, other.points]).toEqual([4, 3]);
    expect(kam.fill).toBe(MARKERS.kamstrup.fill);
    expect(other.fill).toBe(MARKERS.other.fill);
    expect(MARKERS.kamstrup.fill).not.toBe(MARKERS.other.fill);
    expect(MARKERS.kamstrup.shape).not.toBe(MARKERS.other.shape);
    expect([kam.stroke, other.stroke]).toEqual(['#ffffff', '#ffffff']);
    // full size and a 2 px outline at street level, big enough for a thumb
    expect(kam.radius).toBe(9);
    expect(other.radius).toBe(11);
    expect(kam.strokeWidth).toBe(2);
  });

  it('makes markers smaller when zoomed out, in half-pixel steps', () => {
    const town = markerSpec('kamstrup', 76.4); // zoom 11
    expect(town.radius).toBe(3.5);
    expect(town.strokeWidth).toBe(1);
    const between = markerSpec('kamstrup', 13.5); // zoom ≈ 13.5
    expect(between.radius).toBeGreaterThan(3.5);
    expect(between.radius).toBeLessThan(9);
    expect(between.radius * 2).toBe(Math.round(between.radius * 2));
    expect(markerSpec('other', 0.3).radius).toBe(11); // closer than zoom 16: no bigger
  });
});

describe('placing the route', () => {
  it('maps every unread meter with a position, Kamstrup as kind 1', () => {
    const { points, unplaced } = placeRows(rows, () => false);
    expect(points).toHaveLength(rows.length);
    expect(unplaced).toEqual([]);
    const kam = rows.filter((r) => r.manufacturer === 'KAM').length;
    expect(kam).toBeGreaterThan(0);
    expect(kam).toBeLessThan(rows.length); // the sample has OMS meters of another make too
    expect(points.filter((p) => p.kind === 1)).toHaveLength(kam);
    expect(points[0]).toEqual({ key: rows[0].meterKey, lon: rows[0].position!.lon, lat: rows[0].position!.lat, kind: rows[0].manufacturer === 'KAM' ? 1 : 0 });
  });

  it('leaves read meters off the map', () => {
    const read = new Set([rows[0].meterKey, rows[5].meterKey]);
    const { points } = placeRows(rows, (k) => read.has(k));
    expect(points).toHaveLength(rows.length - 2);
    expect(points.some((p) => read.has(p.key))).toBe(false);
  });

  it('lists meters without a usable position instead of mapping them', () => {
    const odd = [
      { ...rows[0], position: null },
      { ...rows[1], position: { lat: 0, lon: 0 } },
      { ...rows[2], position: { lat: Number.NaN, lon: 9.28 } },
      { ...rows[3], position: { lat: 95, lon: 9.28 } },
      rows[4]
    ];
    const { points, unplaced } = placeRows(odd, () => false);
    expect(points.map((p) => p.key)).toEqual([rows[4].meterKey]);
    expect(unplaced.map((r) => r.meterKey)).toEqual(rows.slice(0, 4).map((r) => r.meterKey));
    // a read meter without position is neither mapped nor listed as unplaced
    expect(placeRows(odd, (k) => k === rows[0].meterKey).unplaced).toHaveLength(3);
    expect(hasPosition({ lat: 56.02, lon: 9.28 })).toBe(true);
  });

  it('builds OL features keyed by meter, in Web Mercator', () => {
    const { points } = placeRows(rows.slice(0, 3), () => false);
    const features = featuresOf(points);
    expect(features.map((f) => f.getId())).toEqual(points.map((p) => p.key));
    expect(features.map((f) => f.get('kind'))).toEqual(points.map((p) => p.kind));
    const [x, y] = features[0].getGeometry()!.getCoordinates();
    // 9.284 E, 56.0215 N in EPSG:3857 metres
    expect(x).toBeCloseTo((9.284 * Math.PI * 6378137) / 180, -3);
    expect(y).toBeGreaterThan(7_500_000);
    expect(y).toBeLessThan(7_600_000);
  });
});

describe('tile attribution', () => {
  it('is shown as text, never as markup', () => {
    expect(escapeHtml('© <b>Tiles</b> & "Co" \'x\'')).toBe('© &#60;b&#62;Tiles&#60;/b&#62; &#38; &#34;Co&#34; &#39;x&#39;');
  });
});
