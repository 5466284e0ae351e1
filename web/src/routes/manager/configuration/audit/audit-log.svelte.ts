import { explain, fetchPage, problemOf, type AuditEntry, type Filters } from './audit-api';

// The audit log page's state: the entries loaded so far for one set of filters, and the cursor
// for the next page ("Load more" appends; the server pages by cursor, not by number).

export class AuditLog {
  entries = $state<AuditEntry[] | null>(null);
  nextCursor = $state<string | null>(null);
  /** A failure of the first page: the list is replaced by it. */
  error = $state<string | null>(null);
  /** A failure of "Load more": shown under the entries already there. */
  moreError = $state<string | null>(null);
  loading = $state(false);

  #filters: Filters | null = null;
  #abort: AbortController | null = null;

  /** The first page for these filters; a later call (filters changed again) wins. */
  async load(filters: Filters): Promise<void> {
    this.#filters = filters;
    this.#abort?.abort();
    this.nextCursor = null;
    this.moreError = null;
    const problem = problemOf(filters);
    if (problem) {
      this.entries = [];
      this.error = problem;
      this.loading = false;
      return;
    }
    this.entries = null;
    this.error = null;
    await this.#fetch(null);
  }

  more(): Promise<void> {
    if (!this.nextCursor || this.loading) return Promise.resolve();
    this.moreError = null;
    return this.#fetch(this.nextCursor);
  }

  retry(): Promise<void> {
    return this.#filters ? this.load(this.#filters) : Promise.resolve();
  }

  async #fetch(cursor: string | null): Promise<void> {
    const abort = (this.#abort = new AbortController());
    this.loading = true;
    try {
      const page = await fetchPage(this.#filters!, cursor, abort.signal);
      if (abort.signal.aborted) return;
      this.entries = cursor ? [...(this.entries ?? []), ...page.entries] : page.entries;
      this.nextCursor = page.nextCursor;
    } catch (e) {
      if (abort.signal.aborted) return; // replaced by a newer load: not a failure
      if (cursor) this.moreError = explain(e);
      else this.error = explain(e);
    } finally {
      if (this.#abort === abort) this.loading = false;
    }
  }
}
