// The route map on OpenLayers (loaded on demand by RouteMap.svelte). The meters are one vector
// layer rendered as an image (ol/layer/VectorImage): while the map pans the image only moves, and
// it is drawn again when the view rests or a meter is read. Measured with 10,000 meters in
// Chromium without a GPU (bench field.map.fps): 60 frames/s, against 8 for OL's WebGL points
// layer (software WebGL) and 40 for the plain canvas layer (it replays every point each frame).
// It needs no WebGL at all. A read meter's feature is removed from the source at once.
// The reader's position is an overlay (an HTML element), tiles a separate module loaded only when
// a tile URL is set.

import Feature, { type FeatureLike } from 'ol/Feature';
import Map from 'ol/Map';
import Overlay from 'ol/Overlay';
import View from 'ol/View';
import { defaults as defaultControls } from 'ol/control/defaults';
import ScaleLine from 'ol/control/ScaleLine';
import Point from 'ol/geom/Point';
import { defaults as defaultInteractions } from 'ol/interaction/defaults';
import VectorImageLayer from 'ol/layer/VectorImage';
import { fromLonLat, toLonLat } from 'ol/proj';
import VectorSource from 'ol/source/Vector';
import Fill from 'ol/style/Fill';
import RegularShape from 'ol/style/RegularShape';
import Stroke from 'ol/style/Stroke';
import Style from 'ol/style/Style';
import type { OwnPosition } from '$lib/util/geolocation';
import 'ol/ol.css';
import { MARKER_RADIUS, markerSpec, type MapPoint } from './route-layer';
import { TileSwitch } from './tile-switch';

/** One Style object per make and size: OL draws each distinct shape once and then copies it. */
const styles = new globalThis.Map<string, Style>();

function routeStyle(feature: FeatureLike, resolution: number): Style {
  const spec = markerSpec(feature.get('kind') === 1 ? 'kamstrup' : 'other', resolution);
  const key = `${spec.points}:${spec.radius}:${spec.strokeWidth}`;
  let style = styles.get(key);
  if (!style) {
    const { points, angle, radius, fill, stroke, strokeWidth } = spec;
    style = new Style({ image: new RegularShape({ points, angle, radius, fill: new Fill({ color: fill }), stroke: new Stroke({ color: stroke, width: strokeWidth }) }) });
    styles.set(key, style);
  }
  return style;
}
import type { TileSetting } from './tiles';

export function featuresOf(points: readonly MapPoint[]): Feature<Point>[] {
  return points.map((p) => {
    const f = new Feature({ geometry: new Point(fromLonLat([p.lon, p.lat])), kind: p.kind });
    f.setId(p.key);
    return f;
  });
}

export interface RouteMapHandlers {
  /** A meter was tapped (its key), or empty map (null). */
  select(meterKey: string | null): void;
  /** The reader moved the map by hand while following: following stops. */
  followLost(): void;
  /** Tiles that failed to load since the tile setting was applied. */
  tileErrors(count: number): void;
}

/** top, right, bottom, left: room for the legend above and the controls below the points. */
const FIT_PADDING = [96, 24, 72, 24];
/** How far from a marker's centre a tap still selects it, CSS px. */
const TAP_PX = MARKER_RADIUS + 12;

export class RouteMapController {
  readonly map: Map;
  readonly source = new VectorSource<Feature<Point>>();
  readonly layer: VectorImageLayer<VectorSource<Feature<Point>>>;
  readonly #own: Overlay;
  readonly #picked: Overlay;
  readonly #ownEl: HTMLElement;
  #ownFix: OwnPosition | null = null;
  #following = false;
  readonly #tiles: TileSwitch;
  #fitPending = false;

  constructor(
    target: HTMLElement,
    readonly on: RouteMapHandlers
  ) {
    // a tap is matched to the nearest meter through the source's spatial index (no hit-detection
    // drawing); the image covers 1.5 × the view so a short pan shows no empty edge
    this.layer = new VectorImageLayer({ source: this.source, style: routeStyle, imageRatio: 1.5 });
    this.#ownEl = document.createElement('div');
    this.#ownEl.className = 'own-position';
    this.#ownEl.setAttribute('role', 'img');
    this.#ownEl.setAttribute('aria-label', 'Your position');
    this.#ownEl.innerHTML = '<span class="accuracy"></span><span class="dot"></span>';
    this.#own = new Overlay({ element: this.#ownEl, positioning: 'center-center', stopEvent: false });
    const ring = document.createElement('div');
    ring.className = 'picked-ring';
    this.#picked = new Overlay({ element: ring, positioning: 'center-center', stopEvent: false });
    this.map = new Map({
      target,
      layers: [this.layer],
      overlays: [this.#picked, this.#own],
      // the attribution control is added with the tiles; rotation makes no sense on a street map
      controls: defaultControls({ attribution: false, rotate: false }).extend([new ScaleLine()]),
      // OL's own default pans only once the focusable map has focus, so the first drag or
      // swipe would do nothing; the map fills its box on a phone, so it takes every gesture
      interactions: defaultInteractions({ onFocusOnly: false, altShiftDragRotate: false, pinchRotate: false }),
      keyboardEventTarget: target,
      view: new View({ center: fromLonLat([0, 30]), zoom: 2, maxZoom: 20 })
    });
    this.#tiles = new TileSwitch(this.map, (n) => this.on.tileErrors(n));
    this.map.on('singleclick', (e) => this.on.select(this.meterAt(e.pixel)));
    this.map.on('pointerdrag', () => {
      if (!this.#following) return;
      this.#following = false;
      this.on.followLost();
    });
    this.map.getView().on('change:resolution', () => this.#sizeAccuracy());
    this.map.on('change:size', () => {
      if (this.#fitPending) this.fit();
    });
  }

  get count(): number {
    return this.source.getFeatures().length;
  }

  /** Replaces all points; `fit` zooms to them (first show, a new route). */
  setPoints(points: readonly MapPoint[], fit: boolean): void {
    this.source.clear(true);
    this.source.addFeatures(featuresOf(points));
    if (fit) this.fit();
  }

  /** Removes read meters; returns how many were on the map. */
  remove(keys: readonly string[]): number {
    const gone: Feature<Point>[] = [];
    for (const k of keys) {
      const f = this.source.getFeatureById(k);
      if (f) gone.push(f as Feature<Point>);
    }
    if (gone.length === 1) this.source.removeFeature(gone[0]);
    else if (gone.length > 1) this.source.removeFeatures(gone);
    return gone.length;
  }

  /** The meter drawn at (or within a thumb's width of) a pixel of the map, if any. */
  meterAt(pixel: number[]): string | null {
    const at = this.map.getCoordinateFromPixel(pixel);
    const f = at ? this.source.getClosestFeatureToCoordinate(at) : null;
    const where = f?.getGeometry()?.getCoordinates();
    if (!f || !where) return null;
    const px = this.map.getPixelFromCoordinate(where);
    return px && Math.hypot(px[0] - pixel[0], px[1] - pixel[1]) <= TAP_PX ? String(f.getId()) : null;
  }

  /** Zooms to the remaining meters, or to the reader when none is left. */
  fit(): void {
    // the map's size, not the view's: before the first render the view assumes 100 × 100 px;
    // a hidden map (list view) has none, so it fits when it is shown
    const size = this.map.getSize();
    if (!size || size[0] === 0 || size[1] === 0) {
      this.#fitPending = true;
      return;
    }
    this.#fitPending = false;
    const extent = this.source.isEmpty() ? null : this.source.getExtent();
    const view = this.map.getView();
    if (extent && Number.isFinite(extent[0])) view.fit(extent, { padding: FIT_PADDING, maxZoom: 18, size });
    else if (this.#ownFix) view.setCenter(fromLonLat([this.#ownFix.lon, this.#ownFix.lat]));
  }

  /** Centres a meter (from the list) and zooms in close enough to find it. */
  show(meterKey: string): boolean {
    const f = this.source.getFeatureById(meterKey) as Feature<Point> | null;
    const at = f?.getGeometry()?.getCoordinates();
    if (!at) return false;
    if (this.#following) {
      this.#following = false; // looking at a meter, not at the reader
      this.on.followLost();
    }
    const view = this.map.getView();
    view.animate({ center: at, zoom: Math.max(view.getZoom() ?? 17, 17), duration: 300 });
    return true;
  }

  /** Rings the meter shown in the card (null: none); a read meter's ring goes with it. */
  highlight(meterKey: string | null): void {
    const f = meterKey === null ? null : (this.source.getFeatureById(meterKey) as Feature<Point> | null);
    this.#picked.setPosition(f?.getGeometry()?.getCoordinates());
  }

  showOwn(fix: OwnPosition | null): void {
    this.#ownFix = fix;
    if (!fix) {
      this.#own.setPosition(undefined);
      return;
    }
    const at = fromLonLat([fix.lon, fix.lat]);
    this.#own.setPosition(at);
    this.#sizeAccuracy();
    if (this.#following) this.map.getView().animate({ center: at, duration: 250 });
  }

  setFollow(on: boolean): void {
    this.#following = on;
    if (on && this.#ownFix) {
      const view = this.map.getView();
      view.animate({ center: fromLonLat([this.#ownFix.lon, this.#ownFix.lat]), zoom: Math.max(view.getZoom() ?? 17, 17), duration: 300 });
    }
  }

  /** The map's centre as lon/lat (for a test or a bench). */
  centre(): [number, number] | null {
    const c = this.map.getView().getCenter();
    return c ? (toLonLat(c) as [number, number]) : null;
  }

  /** Puts tiles under the meters, or takes them away (null: no tile request at all). */
  setTiles(setting: TileSetting | null): Promise<void> {
    return this.#tiles.set(setting);
  }

  destroy(): void {
    this.map.setTarget(undefined);
    this.layer.dispose();
    this.#tiles.dispose();
  }

  #sizeAccuracy(): void {
    const fix = this.#ownFix;
    const res = this.map.getView().getResolution();
    const ring = this.#ownEl.firstElementChild as HTMLElement | null;
    if (!fix || !res || !ring) return;
    // map units are Web Mercator metres, stretched by 1/cos(lat) away from the equator
    const px = (2 * fix.accuracyM) / (res * Math.cos((fix.lat * Math.PI) / 180));
    const size = Math.min(Math.max(px, 0), 600);
    ring.style.width = ring.style.height = `${size}px`;
  }
}
