// The optional tile background, loaded only when a tile URL is set (tiles.ts). The browser's
// service worker keeps the tiles it fetched (CacheFirst, vite.config.ts), so an area seen once
// shows again offline.

import Attribution from 'ol/control/Attribution';
import TileLayer from 'ol/layer/Tile';
import XYZ from 'ol/source/XYZ';
import type { TileSetting } from './tiles';

/** The attribution is plain text; OL puts attributions into the page as HTML, so it is escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function tileLayer(setting: TileSetting, onErrors: (count: number) => void): { layer: TileLayer<XYZ>; attribution: Attribution } {
  const source = new XYZ({ url: setting.url, attributions: escapeHtml(setting.attribution), maxZoom: 19, transition: 0 });
  let errors = 0;
  source.on('tileloaderror', () => onErrors(++errors));
  const layer = new TileLayer({ source, preload: 1 });
  const attribution = new Attribution({ collapsible: false });
  attribution.set('tiles', true);
  return { layer, attribution };
}
