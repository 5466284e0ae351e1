// Receive (issue 5): the device's route from GET /api/sync/route, page by page (cursor = next
// until null), then stored in ONE transaction — route, wrapped keys and compact formats — so a
// connection lost on page 3 of 5 leaves the route of the last complete Receive, never half one.

import { request } from '$lib/api/client';
import type { ReadoutDb } from '$lib/db';
import { wrapMeterKey, KeyStore, type MeterKey } from '$lib/db/keys';
import { replaceRoute, type RouteMeter } from '$lib/db/route';
import { tryFromHex } from '$shared/bytes/hex';
import type { CompactFormatsJson } from '$shared/wmbus/compact';
import { throwIfAborted, type SyncContext } from './context';
import { FORMATS_META } from './decoder-state';

/** A meter of the route as server/src/store/sync.ts RouteMeter sends it. */
export interface ServerRouteMeter {
  id: number;
  manufacturer: string;
  serial: string;
  medium: string | null;
  model: string | null;
  lat: number | null;
  lon: number | null;
  address: string | null;
  postalCode: string | null;
  city: string | null;
  groupIds: number[];
}

export interface ServerKey {
  meterId: number;
  manufacturer: string;
  serial: string;
  /** 32 hex digits. */
  key: string;
}

export interface RoutePageAnswer {
  groups: { id: number; name: string }[];
  meters: ServerRouteMeter[];
  keys: ServerKey[];
  compactFormats: CompactFormatsJson;
  total: number;
  next: number | null;
  generatedAt: number;
}

export interface WholeRoute {
  groups: Map<number, string>;
  meters: ServerRouteMeter[];
  keys: ServerKey[];
  compactFormats: CompactFormatsJson;
  pages: number;
}

export interface Received {
  meters: number;
  keys: number;
  /** Keys that were not 32 hex digits: left out, their meters' frames wait as without a key. */
  badKeys: number;
  formats: number;
  groups: number;
  pages: number;
}

/** Readable names of common wM-Bus manufacturer codes (the FLAG association's list), for the route list. */
const MAKERS: Record<string, string> = {
  KAM: 'Kamstrup', DME: 'Diehl', HYD: 'Diehl', SAP: 'Sappel', LUG: 'Landis+Gyr', ITW: 'Itron', SEN: 'Sensus',
  APA: 'Apator', ZRI: 'Zenner', EFE: 'Engelmann', TCH: 'Techem', QDS: 'Qundis', BMT: 'B METERS', SON: 'Sontex',
  AXI: 'Axioma', ELS: 'Elster', IST: 'ista', MAD: 'Maddalena', WEH: 'Wehrle'
};

/** "Kamstrup MULTICAL 21" from the model, else "Kamstrup water meter" from maker and medium. */
export function makeOf(m: Pick<ServerRouteMeter, 'manufacturer' | 'medium' | 'model'>): string {
  const maker = MAKERS[m.manufacturer.toUpperCase()] ?? m.manufacturer.toUpperCase();
  if (m.model) return m.model.toLowerCase().startsWith(maker.toLowerCase()) ? m.model : `${maker} ${m.model}`;
  if (!m.medium) return `${maker} meter`;
  return /meter$/i.test(m.medium) ? `${maker} ${m.medium}` : `${maker} ${m.medium} meter`;
}

/** The app's route meter: position when the server knows both coordinates, group = the first route group's name. */
export function toRouteMeter(m: ServerRouteMeter, groups: ReadonlyMap<number, string>): RouteMeter {
  const first = m.groupIds.find((id) => groups.has(id));
  return {
    id: m.id,
    manufacturer: m.manufacturer,
    serial: m.serial,
    position: m.lat !== null && m.lon !== null ? { lat: m.lat, lon: m.lon } : null,
    group: first !== undefined ? groups.get(first)! : 'Route',
    make: makeOf(m),
    address: m.address,
    postalCode: m.postalCode,
    city: m.city,
    medium: m.medium
  };
}

/** Every page of the route; throws (ApiError, AbortError) without storing anything. */
export async function fetchRoute(
  ctx: SyncContext,
  token: string,
  o: { pageSize?: number; onPage?: (got: number, total: number) => void } = {}
): Promise<WholeRoute> {
  const route: WholeRoute = { groups: new Map(), meters: [], keys: [], compactFormats: { version: 1, formats: [] }, pages: 0 };
  let cursor: number | null = null;
  do {
    throwIfAborted(ctx.signal);
    const query = new URLSearchParams();
    if (cursor !== null) query.set('cursor', String(cursor));
    if (o.pageSize) query.set('limit', String(o.pageSize));
    const q = query.toString() ? `?${query}` : '';
    const page: RoutePageAnswer = await request<RoutePageAnswer>('GET', `/sync/route${q}`, undefined, { token, fetch: ctx.fetch, signal: ctx.signal });
    for (const g of page.groups) route.groups.set(g.id, g.name);
    route.meters.push(...page.meters);
    route.keys.push(...page.keys);
    route.compactFormats = page.compactFormats;
    route.pages++;
    o.onPage?.(route.meters.length, page.total);
    // the server pages by meter id: a cursor that does not move on would loop for ever
    if (page.next !== null && cursor !== null && page.next <= cursor) throw new RangeError(`route paging: next ${page.next} after cursor ${cursor}`);
    cursor = page.next;
  } while (cursor !== null);
  return route;
}

/** Route, keys (wrapped first: WebCrypto cannot run inside the IndexedDB transaction) and formats in one transaction. */
export async function storeRoute(db: ReadoutDb, route: WholeRoute): Promise<Received> {
  const keys: MeterKey[] = [];
  let badKeys = 0;
  for (const k of route.keys) {
    const bytes = tryFromHex(k.key);
    if (bytes && bytes.length === 16) keys.push({ manufacturer: k.manufacturer, serial: k.serial, key: bytes });
    else badKeys++;
  }
  const wk = await new KeyStore(db).wrappingKey();
  const rows = await Promise.all(keys.map((k) => wrapMeterKey(wk, k)));
  const meters = route.meters.map((m) => toRouteMeter(m, route.groups));
  await db.transaction('rw', [db.route, db.keys, db.meta], async () => {
    await replaceRoute(db, meters);
    await db.keys.clear();
    await db.keys.bulkPut(rows);
    await db.meta.put({ key: FORMATS_META, value: route.compactFormats });
  });
  return {
    meters: meters.length,
    keys: rows.length,
    badKeys,
    formats: route.compactFormats.formats.length,
    groups: route.groups.size,
    pages: route.pages
  };
}
