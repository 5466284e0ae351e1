// The Manager map on OpenLayers (loaded on demand by ManagerMap.svelte). The cluster index lives in
// a worker (manager-clusters.ts); after every move the page asks it for the clusters and meters of
// the visible extent (plus the margin the image layer draws beyond it) and shows only those, a few
// hundred features at most zoom levels, however many meters the group has. The features are one
// vector layer rendered as an image (ol/layer/VectorImage), as on the field map (ol-route.ts): while
// the map pans the image only moves, measured there at 60 frames/s against 8 for WebGL points in
// software Chromium; bench manager.map.fps measures it here at 100,000 meters.
import Feature, { type FeatureLike } from 'ol/Feature';
import Map from 'ol/Map';
import View from 'ol/View';
import { defaults as defaultControls } from 'ol/control/defaults';
import ScaleLine from 'ol/control/ScaleLine';
import { buffer } from 'ol/extent';
import Point from 'ol/geom/Point';
import { defaults as defaultInteractions } from 'ol/interaction/defaults';
import VectorImageLayer from 'ol/layer/VectorImage';
import { fromLonLat, transformExtent } from 'ol/proj';
import VectorSource from 'ol/source/Vector';
import 'ol/ol.css';
import { ClusterIndex } from './manager-clusters';
import { STRIDE, type Positions } from './manager-positions';
import { clusterRadius, clusterStyle, meterStyle } from './manager-style';
import { MARKER_RADIUS } from './route-layer';
import { TileSwitch } from './tile-switch';
import type { TileSetting } from './tiles';

export interface ManagerMapHandlers {
  /** A single meter was clicked. */
  open(meterId: number): void;
  /** Tiles that failed to load since the tile setting was applied. */
  tileErrors(count: number): void;
  /** What is drawn now, after each move or new data set. */
  drawn(state: { clusters: number; meters: number }): void;
}

const IMAGE_RATIO = 1.5;
const FIT_PADDING = [48, 48, 48, 48];
/** Street level for a single meter (focus, and the most a fit zooms in on one house). */
const STREET_ZOOM = 18;

function style(f: FeatureLike, resolution: number) {
  const count = f.get('count') as number;
  return count > 1 ? clusterStyle(count) : meterStyle(f.get('flags') as number, resolution);
}

export class ManagerMapController {
  readonly map: Map;
  readonly source = new VectorSource<Feature<Point>>();
  readonly layer: VectorImageLayer<VectorSource<Feature<Point>>>;
  readonly #index = new ClusterIndex();
  #data: Positions | null = null;
  readonly #tiles: TileSwitch;
  #fitPending = false;
  /** The refresh running now, and whether another move came meanwhile. */
  #refreshing: Promise<void> | null = null;
  #again = false;

  constructor(
    target: HTMLElement,
    readonly on: ManagerMapHandlers
  ) {
    this.layer = new VectorImageLayer({ source: this.source, style, imageRatio: IMAGE_RATIO });
    this.map = new Map({
      target,
      layers: [this.layer],
      controls: defaultControls({ attribution: false, rotate: false }).extend([new ScaleLine()]),
      // keyboard pan (arrows) and zoom (+/-) once the focusable map element has focus
      interactions: defaultInteractions({ altShiftDragRotate: false, pinchRotate: false }),
      keyboardEventTarget: target,
      view: new View({ center: fromLonLat([10, 56]), zoom: 6, maxZoom: 20 })
    });
    this.#tiles = new TileSwitch(this.map, (n) => this.on.tileErrors(n));
    this.map.on('moveend', () => void this.refresh());
    this.map.on('singleclick', (e) => void this.clickAt(e.pixel));
    // a map that had no size when its data came (hidden, still laid out) fits once it has one
    this.map.on('change:size', () => {
      if (this.#fitPending && !this.fit()) void this.refresh();
    });
  }

  /** How many meters the data set has. */
  get count(): number {
    return this.#data?.ids.length ?? 0;
  }

  /** A new data set (another group): indexed in the worker, then the view fits it. False if superseded. */
  async setData(p: Positions): Promise<boolean> {
    this.#data = p;
    if (!(await this.#index.load(p))) return false;
    if (!this.fit()) await this.refresh(); // a fit that moves the view refreshes on moveend
    return true;
  }

  /** A load for another group started: answers for the old one are dropped. */
  invalidate(): void {
    this.#index.invalidate();
  }

  /** Zooms to the data set; false when the map has no size yet (it fits once it has) or no data. */
  fit(): boolean {
    const size = this.map.getSize();
    const e = this.#data?.extent;
    if (!size || size[0] === 0 || size[1] === 0) {
      this.#fitPending = true;
      return false;
    }
    this.#fitPending = false;
    if (!e) return false;
    const extent = transformExtent(e, 'EPSG:4326', 'EPSG:3857');
    const view = this.map.getView();
    const before = `${view.getCenter()}:${view.getResolution()}`;
    view.fit(extent, { padding: FIT_PADDING, maxZoom: STREET_ZOOM, size });
    return `${view.getCenter()}:${view.getResolution()}` !== before;
  }

  /** Draws what is visible now; concurrent calls collapse into one more run. */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        await this.#draw();
      } while (this.#again);
    })().finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  async #draw(): Promise<void> {
    const size = this.map.getSize();
    const view = this.map.getView();
    const zoom = view.getZoom();
    if (!this.#data || !size || zoom === undefined) return;
    const visible = view.calculateExtent(size);
    const margin = ((IMAGE_RATIO - 1) / 2) * Math.max(visible[2] - visible[0], visible[3] - visible[1]);
    const [w, s, e, n] = transformExtent(buffer(visible, margin), 'EPSG:3857', 'EPSG:4326');
    const bbox: [number, number, number, number] = [Math.max(w, -180), Math.max(s, -85), Math.min(e, 180), Math.min(n, 85)];
    const packed = await this.#index.clusters(bbox, zoom);
    if (!packed) return; // the data set changed while the worker answered
    const features: Feature<Point>[] = [];
    let clusters = 0;
    for (let o = 0; o < packed.length; o += STRIDE) {
      const count = packed[o + 2];
      const f = new Feature({ geometry: new Point(fromLonLat([packed[o], packed[o + 1]])), count, flags: packed[o + 4] });
      f.setId(count > 1 ? `c${packed[o + 3]}` : `m${packed[o + 3]}`);
      if (count > 1) clusters++;
      features.push(f);
    }
    this.source.clear(true);
    this.source.addFeatures(features);
    this.on.drawn({ clusters, meters: features.length - clusters });
  }

  /** A cluster zooms in until it falls apart; a meter opens. */
  async clickAt(pixel: number[]): Promise<void> {
    const at = this.map.getCoordinateFromPixel(pixel);
    const f = at ? this.source.getClosestFeatureToCoordinate(at) : null;
    const where = f?.getGeometry()?.getCoordinates();
    if (!f || !where) return;
    const count = f.get('count') as number;
    const px = this.map.getPixelFromCoordinate(where);
    const reach = (count > 1 ? clusterRadius(count) : MARKER_RADIUS + 2) + 4;
    if (!px || Math.hypot(px[0] - pixel[0], px[1] - pixel[1]) > reach) return;
    const id = Number(String(f.getId()).slice(1));
    if (count === 1) {
      this.on.open(id);
      return;
    }
    const zoom = await this.#index.expansionZoom(id);
    if (zoom === null) return;
    const view = this.map.getView();
    view.animate({ center: where, zoom: Math.max(zoom, (view.getZoom() ?? 0) + 1), duration: 300 });
  }

  /** Centres one meter at street level and draws it (for the bench and tests); its pixel, or null. */
  async focus(meterId: number): Promise<number[] | null> {
    const i = this.#data ? this.#data.ids.indexOf(meterId) : -1;
    if (i < 0 || !this.#data) return null;
    const view = this.map.getView();
    view.setCenter(fromLonLat([this.#data.lon[i], this.#data.lat[i]]));
    view.setZoom(STREET_ZOOM + 1);
    await this.refresh();
    this.map.renderSync();
    return this.pixelOf(meterId);
  }

  /** Where a meter drawn alone is on the map (CSS px from the map's top left), or null. */
  pixelOf(meterId: number): number[] | null {
    const at = this.source.getFeatureById(`m${meterId}`)?.getGeometry()?.getCoordinates();
    return (at && this.map.getPixelFromCoordinate(at)) ?? null;
  }

  /** Puts tiles under the meters, or takes them away (null: no tile request at all). */
  setTiles(setting: TileSetting | null): Promise<void> {
    return this.#tiles.set(setting);
  }

  destroy(): void {
    this.map.setTarget(undefined);
    this.layer.dispose();
    this.#tiles.dispose();
    this.#index.destroy();
  }
}
