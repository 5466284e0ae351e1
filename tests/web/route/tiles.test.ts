// The optional tile background (tiles.ts): what a reader may type, what is stored in meta, and
// which requests the service worker's tile cache takes (tile-request.ts, used by vite.config.ts).
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type ReadoutDb } from '../../../web/src/lib/db/index';
import { checkTileSetting, loadTileSetting, saveTileSetting, tileHost, TILES_META } from '../../../web/src/lib/map/tiles';
import { isTileRequest } from '../../../web/src/lib/map/tile-request';

const OSM = { url: 'https://tile.example.org/{z}/{x}/{y}.png', attribution: '© OpenStreetMap contributors' };

describe('checking a tile setting', () => {
  it('accepts z/x/y templates, TMS rows, subdomain ranges and query templates', () => {
    for (const url of [
      OSM.url,
      'https://{a-c}.tiles.example.net/base/{z}/{x}/{-y}.jpg',
      'https://maps.example.com/wmts?layer=base&z={z}&x={x}&y={y}&key=abc123',
      'http://localhost:8081/{z}/{x}/{y}@2x.webp'
    ]) {
      const check = checkTileSetting({ url, attribution: 'Example' });
      expect(check, url).toMatchObject({ ok: true, setting: { url, attribution: 'Example' } });
    }
  });

  it('trims what was typed', () => {
    expect(checkTileSetting({ url: `  ${OSM.url} `, attribution: ' © OSM ' })).toEqual({ ok: true, setting: { url: OSM.url, attribution: '© OSM' }, warning: null });
  });

  it('says which placeholder is missing', () => {
    expect(checkTileSetting({ url: 'https://t.example.org/{z}/{x}.png', attribution: 'x' })).toEqual({
      ok: false,
      field: 'url',
      message: 'The tile URL must contain {z}, {x} and {y}; {y} is missing.'
    });
    expect(checkTileSetting({ url: 'https://t.example.org/tiles.png', attribution: 'x' })).toMatchObject({
      message: 'The tile URL must contain {z}, {x} and {y}; {z}, {x}, {y} are missing.'
    });
  });

  it('refuses other schemes, empty input and unknown placeholders with a clear message', () => {
    const msg = (url: string) => {
      const c = checkTileSetting({ url, attribution: 'x' });
      return c.ok ? null : c.message;
    };
    expect(msg('')).toMatch(/^Enter a tile URL/);
    expect(msg('ftp://t.example.org/{z}/{x}/{y}.png')).toBe('The tile URL must start with https:// (or http://).');
    expect(msg('tiles/{z}/{x}/{y}.png')).toBe('The tile URL must start with https:// (or http://).');
    expect(msg('javascript:alert(1)//{z}{x}{y}')).toBe('The tile URL must start with https:// (or http://).');
    expect(msg('https://{s}.tile.example.org/{z}/{x}/{y}.png')).toMatch(/range, for example \{a-c\}, instead of \{s\}/);
    expect(msg('https://t.example.org/{z}/{x}/{y}{r}.png')).toMatch(/Remove \{r\}/);
    expect(msg('https://t.example.org/{zoom}/{x}/{y}.png')).toMatch(/Unknown placeholder \{zoom\}/);
    expect(msg('https:///{z}/{x}/{y}.png')).toBe('The tile URL has no host name after https://.');
    expect(msg(`https://t.example.org/{z}/{x}/{y}.png?${'a'.repeat(2000)}`)).toMatch(/at most 2000/);
  });

  it('requires an attribution, as tile providers do', () => {
    expect(checkTileSetting({ url: OSM.url, attribution: '  ' })).toMatchObject({ ok: false, field: 'attribution', message: expect.stringMatching(/attribution/) });
    expect(checkTileSetting({ url: OSM.url, attribution: 'x'.repeat(301) })).toMatchObject({ ok: false, field: 'attribution', message: expect.stringMatching(/301 characters/) });
  });

  it('warns that an https page may not show http tiles', () => {
    const url = 'http://t.example.org/{z}/{x}/{y}.png';
    expect(checkTileSetting({ url, attribution: 'x' }, 'https:')).toMatchObject({ ok: true, warning: expect.stringMatching(/block http tiles/) });
    expect(checkTileSetting({ url, attribution: 'x' }, 'http:')).toMatchObject({ ok: true, warning: null });
  });

  it('names the host', () => {
    expect(tileHost('https://{a-c}.tiles.example.net/{z}/{x}/{y}.png')).toBe('0.tiles.example.net');
    expect(tileHost(OSM.url)).toBe('tile.example.org');
  });
});

describe('the stored setting', () => {
  const opened: ReadoutDb[] = [];
  const open = () => {
    const d = openDb(`tiles-${Math.random().toString(36).slice(2)}`, { indexedDB, IDBKeyRange });
    opened.push(d);
    return d;
  };
  afterEach(() => opened.splice(0).forEach((d) => d.close()));

  it('is none until set, kept in meta "map.tiles", and removable', async () => {
    const db = open();
    expect(await loadTileSetting(db)).toBeNull();
    await saveTileSetting(db, OSM);
    expect((await db.meta.get(TILES_META))?.value).toEqual(OSM);
    expect(await loadTileSetting(db)).toEqual(OSM);
    await saveTileSetting(db, null);
    expect(await db.meta.get(TILES_META)).toBeUndefined();
    expect(await loadTileSetting(db)).toBeNull();
  });

  it('is not stored unchecked, and a bad stored value counts as none', async () => {
    const db = open();
    await expect(saveTileSetting(db, { url: 'ftp://x/{z}/{x}/{y}', attribution: 'x' })).rejects.toThrow(/saveTileSetting: The tile URL must start with https/);
    await db.meta.put({ key: TILES_META, value: { url: 'https://t.example.org/tiles.png', attribution: 'x' } });
    expect(await loadTileSetting(db)).toBeNull();
    await db.meta.put({ key: TILES_META, value: 'https://t.example.org/{z}/{x}/{y}.png' });
    expect(await loadTileSetting(db)).toBeNull();
  });
});

describe('which requests the service worker caches as tiles', () => {
  const image = (href: string) => isTileRequest({ request: { destination: 'image' }, url: new URL(href) });

  it('takes tile images of any host', () => {
    expect(image('https://a.tile.example.org/15/17352/10115.png')).toBe(true);
    expect(image('https://tiles.example.net/base/18/138823/80926@2x.webp')).toBe(true);
    expect(image('https://maps.example.com/tiles/256/15/17352/10115?access_token=abc')).toBe(true);
    expect(image('https://maps.example.com/wmts?layer=base&z=15&x=17352&y=10115')).toBe(true);
  });

  it('leaves the app, its API and other images alone', () => {
    expect(image('https://readout.example/icons/icon-192.png')).toBe(false);
    expect(image('https://readout.example/_app/immutable/assets/logo.3f2a.svg')).toBe(false);
    expect(image('https://readout.example/2026/03/14.png')).toBe(false); // a four-digit first part is no zoom level
    expect(isTileRequest({ request: { destination: '' }, url: new URL('https://readout.example/api/meters/1/2/3') })).toBe(false);
    expect(isTileRequest({ request: { destination: 'script' }, url: new URL('https://t.example.org/15/17352/10115.js') })).toBe(false);
  });

  it('is self-contained, as Workbox copies its source into the service worker', () => {
    const copy = new Function(`return (${isTileRequest.toString()})`)() as typeof isTileRequest;
    expect(copy({ request: { destination: 'image' }, url: new URL('https://t.example.org/3/4/2.png') })).toBe(true);
  });
});
