import { SvelteSet } from 'svelte/reactivity';

// The meter list's selection (M4): single ids picked by click, Ctrl/Cmd+click, Space or a
// Shift+click range, or "all matching" the query (Ctrl+A), which stands for every row however
// many are loaded: its ids are fetched from the server only when an action needs them.

export class Selection {
  ids = new SvelteSet<number>();
  /** Every meter matching the list's query is selected. */
  allMatching = $state(false);
  /** Where a Shift+click range starts: the row last clicked or toggled. */
  anchor = $state<number | null>(null);

  count(total: number | null): number {
    return this.allMatching ? (total ?? 0) : this.ids.size;
  }

  has(id: number): boolean {
    return this.allMatching || this.ids.has(id);
  }

  toggle(id: number, index: number): void {
    if (this.allMatching) this.allMatching = false;
    if (this.ids.has(id)) this.ids.delete(id);
    else this.ids.add(id);
    this.anchor = index;
  }

  /** Only this row (a plain click). */
  only(id: number, index: number): void {
    this.allMatching = false;
    this.ids.clear();
    this.ids.add(id);
    this.anchor = index;
  }

  /** Adds a range of rows (Shift+click); keeps what was selected before. */
  addRange(ids: number[]): void {
    this.allMatching = false;
    for (const id of ids) this.ids.add(id);
  }

  selectAll(): void {
    this.ids.clear();
    this.allMatching = true;
  }

  clear(): void {
    this.ids.clear();
    this.allMatching = false;
    this.anchor = null;
  }
}
