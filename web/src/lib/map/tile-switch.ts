// Puts the optional tile background under a map and takes it away again (the field route map and
// the Manager map). The tile module (ol-tiles.ts) loads only when a URL is set: without one the map
// makes no tile request at all.
import type Map from 'ol/Map';
import type BaseLayer from 'ol/layer/Base';
import type { TileSetting } from './tiles';

export class TileSwitch {
  #layer: BaseLayer | null = null;
  #key = '';

  constructor(
    private readonly map: Map,
    /** Tiles that failed to load since the setting was applied (0 on every change). */
    private readonly onErrors: (count: number) => void
  ) {}

  async set(setting: TileSetting | null): Promise<void> {
    const key = setting ? `${setting.url}\n${setting.attribution}` : '';
    if (key === this.#key) return;
    this.#key = key;
    if (this.#layer) {
      this.map.removeLayer(this.#layer);
      this.#layer = null;
      for (const c of this.map.getControls().getArray().filter((c) => c.get('tiles') === true)) this.map.removeControl(c);
    }
    this.onErrors(0);
    if (!setting) return;
    const { tileLayer } = await import('./ol-tiles');
    if (key !== this.#key) return; // changed again while loading
    const { layer, attribution } = tileLayer(setting, this.onErrors);
    this.#layer = layer;
    this.map.getLayers().insertAt(0, layer);
    this.map.addControl(attribution);
  }

  dispose(): void {
    this.#layer?.dispose();
  }
}
