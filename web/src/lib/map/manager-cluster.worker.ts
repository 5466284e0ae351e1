// Clusters the Manager map's meters off the main thread: building supercluster's index over
// 100,000 points takes most of a second, which on the page would freeze scrolling and typing.
// The page asks for what is visible (extent and zoom) after each move; the answer is one packed
// buffer, transferred, not copied.
import { expose, transfer } from 'comlink';
import Supercluster from 'supercluster';
import { STRIDE } from './manager-positions';

/**
 * OpenLayers' zoom is for 256 px tiles; supercluster's radius is relative to its tile extent, so
 * extent 256 makes `radius` CSS pixels at the OL zoom passed in. Above MAX_ZOOM every meter shows
 * alone (street level: zoom 17 is about 1.2 m per pixel).
 */
const OPTIONS = { radius: 48, extent: 256, maxZoom: 16, minPoints: 2 };

let index: Supercluster<{ i: number }> | null = null;
let ids: Float64Array = new Float64Array(0);
let flags: Uint8Array = new Uint8Array(0);
let version = 0;

const api = {
  /** Builds the index for a new data set; `v` tags the answers so the page drops stale ones. */
  load(v: number, data: { ids: Float64Array; lon: Float64Array; lat: Float64Array; flags: Uint8Array }): number {
    version = v;
    ids = data.ids;
    flags = data.flags;
    const points = new Array(data.ids.length);
    for (let i = 0; i < points.length; i++) {
      points[i] = { type: 'Feature', properties: { i }, geometry: { type: 'Point', coordinates: [data.lon[i], data.lat[i]] } };
    }
    const built = new Supercluster<{ i: number }>(OPTIONS);
    built.load(points);
    if (v === version) index = built;
    return points.length;
  },

  /** Clusters and single meters in a lon/lat box at an OL zoom; null when `v` is no longer current. */
  clusters(v: number, bbox: [number, number, number, number], zoom: number): Float64Array | null {
    if (v !== version || !index) return null;
    const found = index.getClusters(bbox, Math.floor(zoom));
    const out = new Float64Array(found.length * STRIDE);
    for (let k = 0; k < found.length; k++) {
      const f = found[k];
      const o = k * STRIDE;
      out[o] = f.geometry.coordinates[0];
      out[o + 1] = f.geometry.coordinates[1];
      const p = f.properties as { cluster?: true; cluster_id?: number; point_count?: number; i?: number };
      if (p.cluster) {
        out[o + 2] = p.point_count ?? 0;
        out[o + 3] = p.cluster_id ?? 0;
      } else {
        const i = p.i ?? 0;
        out[o + 2] = 1;
        out[o + 3] = ids[i];
        out[o + 4] = flags[i];
      }
    }
    return transfer(out, [out.buffer]);
  },

  /** The zoom at which a cluster falls apart (a click zooms there). */
  expansionZoom(v: number, clusterId: number): number | null {
    if (v !== version || !index) return null;
    return index.getClusterExpansionZoom(clusterId);
  }
};

export type ClusterApi = typeof api;
expose(api);
