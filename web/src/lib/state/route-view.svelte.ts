// What the Route screen shows (R1): the meters still to read and those read, searched, sorted and
// counted, and which view (map or list) the reader chose. Headless: the route's rows come from a
// `RouteSource` (Dexie in the app), preferences from a `Prefs` (localStorage in the app).
//
// The rows are loaded once. After that the screen follows the pipeline's `lastRead` and `progress`
// (reading.svelte.ts): newly read keys are marked here, and only a group whose count still differs
// from the pipeline's (more than 20 read in one batch, a read mark cleared) is read again from the
// store. The whole table is read again only when the route itself changed (its size or groups).

import type { RouteMeterRow } from '$lib/db';
import type { Count, Progress } from '$lib/db/route';

/** A meter of the route as the screen lists it (the stored row, address included). */
export type RouteRow = RouteMeterRow;

export type ViewMode = 'map' | 'list';
export type SortKey = 'group' | 'street' | 'serial';

export interface RouteSource {
  all(): Promise<RouteRow[]>;
  group(name: string): Promise<RouteRow[]>;
}

export interface Prefs {
  get(key: string): string | null;
  set(key: string, value: string): void;
}

const MODE = 'readout.route.mode';
const SORT = 'readout.route.sort';

const numberFormat = new Intl.NumberFormat('en');
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** "312 of 1,240 read". */
export function progressText(c: Count): string {
  return `${numberFormat.format(c.read)} of ${numberFormat.format(c.total)} read`;
}

/** Whole percent read, rounded down: 100 only when every meter is read. */
export function percentRead(c: Count): number {
  return c.total > 0 ? Math.floor((c.read * 100) / c.total) : 0;
}

export interface GroupLine extends Count {
  name: string;
  left: number;
  done: boolean;
}

/** The groups of a progress by name, each with what is left. */
export function groupLines(p: Progress): GroupLine[] {
  return Object.entries(p.groups)
    .map(([name, c]) => ({ name, ...c, left: c.total - c.read, done: c.total > 0 && c.read === c.total }))
    .sort((a, b) => collator.compare(a.name, b.name));
}

/** The address as one line: "Vestergade 14, 7400 Herning". */
export function addressLine(r: RouteRow): string {
  const place = [r.postalCode, r.city].filter(Boolean).join(' ');
  return [r.address, place].filter(Boolean).join(', ');
}

function haystack(r: RouteRow): string {
  return [r.serial, r.meterKey, r.manufacturer, r.make, r.group, r.address, r.postalCode, r.city]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
}

/**
 * Rows matching `query`: every word must occur in serial, key, make, group or address; a query of
 * digits and spaces ("7634 8799", as printed on some meters) also matches the serial without spaces.
 */
export function filterRows<T extends RouteRow>(rows: readonly T[], query: string, hay: (r: T) => string = haystack): T[] {
  const q = query.trim().toLowerCase();
  if (q === '') return rows.slice();
  const words = q.split(/\s+/);
  const digits = /^[\d\s]+$/.test(q) ? q.replace(/\s+/g, '') : null;
  return rows.filter((r) => {
    if (digits !== null && r.serial.includes(digits)) return true;
    const h = hay(r);
    return words.every((w) => h.includes(w));
  });
}

function byAddress(a: RouteRow, b: RouteRow): number {
  // rows without an address go last; "Vestergade 2" before "Vestergade 12" (numeric collation)
  if (!a.address || !b.address) return (a.address ? 0 : 1) - (b.address ? 0 : 1);
  return collator.compare(a.address, b.address) || collator.compare(a.city ?? '', b.city ?? '');
}

const COMPARE: Record<SortKey, (a: RouteRow, b: RouteRow) => number> = {
  group: (a, b) => collator.compare(a.group, b.group) || byAddress(a, b) || collator.compare(a.serial, b.serial),
  street: (a, b) => byAddress(a, b) || collator.compare(a.serial, b.serial),
  serial: (a, b) => collator.compare(a.serial, b.serial) || collator.compare(a.manufacturer, b.manufacturer)
};

export function sortRows<T extends RouteRow>(rows: T[], key: SortKey): T[] {
  return rows.sort(COMPARE[key]);
}

export interface RowWindow {
  start: number;
  end: number;
  /** Space above and below the rendered rows, px. */
  top: number;
  bottom: number;
}

/**
 * The rows to render of a list of `count` rows `rowPx` high, scrolled to `scrollTop` in a viewport
 * `viewportPx` high, with `overscan` rows either side: a phone renders a few dozen rows, not 10,000.
 */
export function windowOf(count: number, rowPx: number, scrollTop: number, viewportPx: number, overscan = 8): RowWindow {
  if (!(rowPx > 0)) throw new RangeError(`rowPx: expected > 0, got ${rowPx}`);
  const first = Math.floor(Math.max(0, scrollTop) / rowPx);
  const start = Math.min(count, Math.max(0, first - overscan));
  const end = Math.min(count, Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewportPx)) / rowPx) + overscan);
  const last = Math.max(start, end);
  return { start, end: last, top: start * rowPx, bottom: (count - last) * rowPx };
}

const browserPrefs: Prefs = {
  get: (k) => {
    try {
      return globalThis.localStorage?.getItem(k) ?? null;
    } catch {
      return null; // storage blocked (private mode): the defaults apply
    }
  },
  set: (k, v) => {
    try {
      globalThis.localStorage?.setItem(k, v);
    } catch {
      // not remembered, still applied
    }
  }
};

export class RouteView {
  mode = $state<ViewMode>('map');
  sort = $state<SortKey>('group');
  query = $state('');
  /** Show only meters without a position (they are not on the map). */
  onlyUnplaced = $state(false);
  status = $state<'loading' | 'ready' | 'failed'>('loading');
  failure = $state<string | null>(null);
  /** Bumped whenever a meter is marked read (readSince tells which). */
  readVersion = $state(0);

  #rows = $state.raw<RouteRow[]>([]);
  #byKey = new Map<string, RouteRow>();
  #hay = new Map<string, string>();
  /** Meters per group, as loaded. */
  #groupTotals = new Map<string, number>();
  /** meterKey → when it was read (ms since epoch). */
  #read = new Map<string, number>();
  #readOrder: string[] = [];
  #chain: Promise<void> = Promise.resolve();

  constructor(
    readonly source: RouteSource,
    readonly prefs: Prefs = browserPrefs,
    readonly clock: () => number = Date.now
  ) {
    const m = prefs.get(MODE);
    if (m === 'map' || m === 'list') this.mode = m;
    const s = prefs.get(SORT);
    if (s === 'group' || s === 'street' || s === 'serial') this.sort = s;
  }

  /** Every row of the route, as loaded (read ones included). Replaced when the route changes. */
  get rows(): readonly RouteRow[] {
    return this.#rows;
  }

  row(meterKey: string): RouteRow | undefined {
    return this.#byKey.get(meterKey);
  }

  /** When the meter was read (ms since epoch), undefined while unread. */
  readAt(meterKey: string): number | undefined {
    return this.#read.get(meterKey);
  }

  isRead(meterKey: string): boolean {
    return this.#read.has(meterKey);
  }

  /** Keys marked read since the `n`-th mark (for the map: remove those features). */
  readSince(n: number): { keys: string[]; next: number } {
    return { keys: this.#readOrder.slice(n), next: this.#readOrder.length };
  }

  /** Rows matching search and filter, sorted: read and unread. */
  matching = $derived.by(() => {
    const rows = this.onlyUnplaced ? this.#rows.filter((r) => r.position === null) : this.#rows;
    return sortRows(
      filterRows(rows, this.query, (r) => this.#hay.get(r.meterKey) ?? haystack(r)),
      this.sort
    );
  });

  /** Still to read, in the chosen order. */
  todo = $derived.by(() => {
    void this.readVersion;
    return this.matching.filter((r) => !this.#read.has(r.meterKey));
  });

  /** Read, newest first. */
  done = $derived.by(() => {
    void this.readVersion;
    return this.matching
      .filter((r) => this.#read.has(r.meterKey))
      .sort((a, b) => (this.#read.get(b.meterKey) ?? 0) - (this.#read.get(a.meterKey) ?? 0));
  });

  /** Unread meters without a position: listed, not mapped. */
  unplaced = $derived.by(() => {
    void this.readVersion;
    return this.#rows.filter((r) => r.position === null && !this.#read.has(r.meterKey)).length;
  });

  setMode(mode: ViewMode): void {
    this.mode = mode;
    this.prefs.set(MODE, mode);
  }

  setSort(sort: SortKey): void {
    this.sort = sort;
    this.prefs.set(SORT, sort);
  }

  /** Loads every row of the route (first show, and after the route changed). */
  load(): Promise<void> {
    return this.#queue(() => this.#loadAll());
  }

  /** Follows the pipeline: marks `lastRead`, then re-reads the groups whose count still differs. */
  follow(progress: Progress, lastRead: readonly string[]): Promise<void> {
    return this.#queue(() => this.#follow(progress, lastRead));
  }

  #queue(step: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(step).catch((e: unknown) => {
      this.status = 'failed';
      this.failure = `The route could not be read from this device's storage: ${e instanceof Error ? e.message : String(e)}`;
    });
    this.#chain = run;
    return run;
  }

  async #loadAll(): Promise<void> {
    const rows = await this.source.all();
    this.#byKey = new Map(rows.map((r) => [r.meterKey, r]));
    this.#hay = new Map(rows.map((r) => [r.meterKey, haystack(r)]));
    this.#read = new Map(rows.filter((r) => r.readAt !== null).map((r) => [r.meterKey, r.readAt as number]));
    this.#readOrder = [];
    this.#groupTotals = new Map();
    for (const r of rows) this.#groupTotals.set(r.group, (this.#groupTotals.get(r.group) ?? 0) + 1);
    this.#rows = rows;
    this.readVersion++;
    this.status = 'ready';
    this.failure = null;
  }

  async #follow(progress: Progress, lastRead: readonly string[]): Promise<void> {
    if (this.status !== 'ready' || this.#routeChanged(progress)) return this.#loadAll();
    const now = this.clock();
    const fresh = lastRead.filter((k) => this.#byKey.has(k) && !this.#read.has(k));
    this.#mark(fresh.map((k) => [k, now]));
    const counts = this.#groupCounts();
    for (const [name, c] of Object.entries(progress.groups)) {
      const local = counts.get(name) ?? 0;
      if (local === c.read) continue;
      const rows = await this.source.group(name);
      // a read mark cleared (a new round): the map must get those meters back, so start over
      if (rows.some((r) => r.readAt === null && this.#read.has(r.meterKey))) return this.#loadAll();
      this.#mark(rows.filter((r) => r.readAt !== null && !this.#read.has(r.meterKey)).map((r) => [r.meterKey, r.readAt as number]));
    }
  }

  #routeChanged(p: Progress): boolean {
    if (p.total !== this.#rows.length) return true;
    const names = Object.keys(p.groups);
    return names.length !== this.#groupTotals.size || names.some((n) => this.#groupTotals.get(n) !== p.groups[n].total);
  }

  #groupCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const k of this.#read.keys()) {
      const g = this.#byKey.get(k)?.group;
      if (g !== undefined) counts.set(g, (counts.get(g) ?? 0) + 1);
    }
    return counts;
  }

  #mark(marks: readonly (readonly [string, number])[]): void {
    if (marks.length === 0) return;
    for (const [k, at] of marks) {
      this.#read.set(k, at);
      this.#readOrder.push(k);
    }
    this.readVersion++;
  }
}
