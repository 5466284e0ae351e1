// Main-thread side of the cluster worker (manager-cluster.worker.ts): one worker per map,
// ended with the map.
import { wrap, type Remote } from 'comlink';
import type { ClusterApi } from './manager-cluster.worker';
import type { Positions } from './manager-positions';

export class ClusterIndex {
  readonly #worker: Worker;
  readonly #api: Remote<ClusterApi>;
  #version = 0;

  constructor() {
    this.#worker = new Worker(new URL('./manager-cluster.worker.ts', import.meta.url), { type: 'module', name: 'map-clusters' });
    this.#api = wrap<ClusterApi>(this.#worker);
  }

  /** Replaces the data set; resolves once the index is built (false: a newer load came first). */
  async load(p: Positions): Promise<boolean> {
    const v = ++this.#version;
    // copies (structured clone), so the page keeps its arrays for focus() and the bench
    await this.#api.load(v, { ids: p.ids, lon: p.lon, lat: p.lat, flags: p.flags });
    return v === this.#version;
  }

  /** Packed items (STRIDE per item) in a lon/lat box; null when the data set changed meanwhile. */
  clusters(bbox: [number, number, number, number], zoom: number): Promise<Float64Array | null> {
    return this.#api.clusters(this.#version, bbox, zoom);
  }

  expansionZoom(clusterId: number): Promise<number | null> {
    return this.#api.expansionZoom(this.#version, clusterId);
  }

  /** Drops any pending answer of the old data set (a group change before its data arrived). */
  invalidate(): void {
    this.#version++;
  }

  destroy(): void {
    this.#worker.terminate();
  }
}
