// The optional map background: an XYZ tile URL template with its attribution, kept on this device
// in `meta` under "map.tiles". Without it the map downloads no tiles at all and shows the meters on
// a plain background. The service worker keeps fetched tiles (vite.config.ts, tile-request.ts).

import type { ReadoutDb } from '$lib/db';

export const TILES_META = 'map.tiles';

export interface TileSetting {
  /** "https://tiles.example.org/{z}/{x}/{y}.png"; {-y} for TMS rows, {a-c} for subdomains. */
  url: string;
  /** Plain text shown on the map, as the tile provider requires ("© OpenStreetMap contributors"). */
  attribution: string;
}

export type TileCheck =
  | { ok: true; setting: TileSetting; warning: string | null }
  | { ok: false; field: 'url' | 'attribution'; message: string };

const MAX_URL = 2000;
const MAX_ATTRIBUTION = 300;

function placeholderProblem(name: string): string | null {
  if (name === 'z' || name === 'x' || name === 'y' || name === '-y') return null;
  if (/^[a-z0-9]-[a-z0-9]$/i.test(name)) return null; // a subdomain range such as {a-c} or {1-4}
  if (name === 's') return 'Write the subdomains as a range, for example {a-c}, instead of {s}.';
  if (name === 'r') return 'Remove {r}: the map asks for normal tiles only.';
  return `Unknown placeholder {${name}}: use {z}, {x}, {y} (or {-y}) and a range such as {a-c} for subdomains.`;
}

/** Checks what the reader typed; a clear message for the first problem found. */
export function checkTileSetting(input: { url: string; attribution: string }, pageProtocol = 'https:'): TileCheck {
  const url = input.url.trim();
  const attribution = input.attribution.trim();
  const bad = (message: string): TileCheck => ({ ok: false, field: 'url', message });
  if (url === '') return bad('Enter a tile URL, for example https://tiles.example.org/{z}/{x}/{y}.png.');
  if (url.length > MAX_URL) return bad(`The tile URL is ${url.length} characters long; at most ${MAX_URL} are allowed.`);
  if (!/^https?:\/\//i.test(url)) return bad('The tile URL must start with https:// (or http://).');
  for (const [, name] of url.matchAll(/\{([^{}]*)\}/g)) {
    const problem = placeholderProblem(name);
    if (problem) return bad(problem);
  }
  const missing = ['{z}', '{x}'].filter((p) => !url.includes(p));
  if (!url.includes('{y}') && !url.includes('{-y}')) missing.push('{y}');
  if (missing.length > 0) return bad(`The tile URL must contain {z}, {x} and {y}; ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing.`);
  // checked on the template itself: "https:///{z}/…" would otherwise parse with host "0"
  if (!/^https?:\/\/[^/?#\\]+/i.test(url)) return bad('The tile URL has no host name after https://.');
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/\{[^{}]*\}/g, '0'));
  } catch {
    return bad('The tile URL is not a valid web address.');
  }
  if (parsed.hostname === '') return bad('The tile URL has no host name after https://.');
  if (attribution === '')
    return { ok: false, field: 'attribution', message: 'Enter the attribution the tile provider asks for, for example "© OpenStreetMap contributors".' };
  if (attribution.length > MAX_ATTRIBUTION)
    return { ok: false, field: 'attribution', message: `The attribution is ${attribution.length} characters long; at most ${MAX_ATTRIBUTION} are allowed.` };
  const warning =
    parsed.protocol === 'http:' && pageProtocol === 'https:'
      ? 'This page is served over https, so the browser may block http tiles. Use an https address if the provider has one.'
      : null;
  return { ok: true, setting: { url, attribution }, warning };
}

/** The stored setting, or null when none is set (or what is stored is no longer valid). */
export async function loadTileSetting(db: ReadoutDb): Promise<TileSetting | null> {
  const value = (await db.meta.get(TILES_META))?.value as Partial<TileSetting> | undefined;
  if (!value || typeof value.url !== 'string' || typeof value.attribution !== 'string') return null;
  const check = checkTileSetting({ url: value.url, attribution: value.attribution });
  return check.ok ? check.setting : null;
}

/** Stores a checked setting; null removes it (no tiles, no tile requests). */
export async function saveTileSetting(db: ReadoutDb, setting: TileSetting | null): Promise<void> {
  if (setting === null) {
    await db.meta.delete(TILES_META);
    return;
  }
  const check = checkTileSetting(setting);
  if (!check.ok) throw new TypeError(`saveTileSetting: ${check.message}`);
  await db.meta.put({ key: TILES_META, value: check.setting });
}

/** The host tiles come from, for "Tiles from tiles.example.org". */
export function tileHost(url: string): string {
  try {
    return new URL(url.replace(/\{[^{}]*\}/g, '0')).host;
  } catch {
    return url;
  }
}
