import { failureText } from '$lib/api/client';
import { listMeters, type ListMeter, type ListQuery } from './meters-api';

// The meter list's rows (M4) for a virtualised grid: pages of PAGE_SIZE rows fetched by offset on
// demand, cached (the most recent MAX_PAGES), and only for the rows near the viewport. A new query
// aborts what is in flight; the rows of the old query stay on screen until the new query's first
// page arrives, so typing never flashes an empty list.

export const PAGE_SIZE = 200;
const MAX_PAGES = 60;

export const sameQuery = (a: ListQuery, b: ListQuery) => a.q === b.q && a.sort === b.sort && a.desc === b.desc && a.group === b.group;

export class MeterRows {
  query = $state<ListQuery>({ q: '', sort: 'customer', desc: false, group: null });
  /** Meters matching the shown rows' query; null until the first answer. */
  total = $state<number | null>(null);
  /** The query whose rows are on screen (the grid's data-query: what bench/lib/manager-search.mjs waits for). */
  shown = $state<ListQuery | null>(null);
  error = $state<string | null>(null);
  /** Bumped when a page arrives: rowAt() reads it so the grid re-renders. */
  version = $state(0);

  #pages = new Map<number, ListMeter[]>();
  #inflight = new Map<number, AbortController>();
  #generation = 0;
  readonly #listId = Math.random().toString(36).slice(2);
  #shownGeneration = -1;

  /** Sets the query (no-op when unchanged) and loads its first rows. */
  set(query: ListQuery, first = 0, last = 40): void {
    if (this.shown && sameQuery(query, this.query) && this.#generation === this.#shownGeneration) return;
    this.query = query;
    this.reload(first, last);
  }

  /** Forgets every cached row (after a change to groups) and loads the visible rows again. */
  reload(first = 0, last = 40): void {
    this.#generation++;
    for (const c of this.#inflight.values()) c.abort();
    this.#inflight.clear();
    this.ensure(first, last);
  }

  rowAt(index: number): ListMeter | undefined {
    void this.version;
    return this.#pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Loads the pages holding rows first..last; pages in flight that are no longer near are aborted. */
  ensure(first: number, last: number): void {
    const from = Math.max(0, Math.floor(first / PAGE_SIZE));
    const to = Math.max(from, Math.floor(last / PAGE_SIZE));
    const current = this.#generation === this.#shownGeneration;
    for (const [page, c] of this.#inflight) {
      if (page < from - 1 || page > to + 1) {
        c.abort();
        this.#inflight.delete(page);
      }
    }
    for (let page = from; page <= to; page++) {
      if (this.total !== null && current && page * PAGE_SIZE >= this.total && page > 0) break;
      if ((current && this.#pages.has(page)) || this.#inflight.has(page)) continue;
      void this.#fetch(page);
    }
  }

  async #fetch(page: number): Promise<void> {
    const generation = this.#generation;
    const query = this.query;
    const controller = new AbortController();
    this.#inflight.set(page, controller);
    try {
      const res = await listMeters(query, page * PAGE_SIZE, PAGE_SIZE, controller.signal, this.#listId);
      if (generation !== this.#generation || !res) return; // !res: overtaken by a newer request
      if (this.#shownGeneration !== generation) {
        this.#pages.clear();
        this.#shownGeneration = generation;
        this.shown = query;
      }
      this.#pages.set(page, res.items);
      if (this.#pages.size > MAX_PAGES) this.#pages.delete(this.#pages.keys().next().value!);
      this.total = res.total;
      this.error = null;
      this.version++;
    } catch (e) {
      if (controller.signal.aborted || generation !== this.#generation) return;
      this.error = failureText(e, 'Your role may not see meters: ask an administrator.');
    } finally {
      if (this.#inflight.get(page) === controller) this.#inflight.delete(page);
    }
  }

  /** The ids of rows a..b (inclusive) that are loaded, or null when some are not. */
  loadedIds(a: number, b: number): number[] | null {
    const out: number[] = [];
    for (let i = Math.min(a, b); i <= Math.max(a, b); i++) {
      const row = this.rowAt(i);
      if (!row) return null;
      out.push(row.id);
    }
    return out;
  }
}
