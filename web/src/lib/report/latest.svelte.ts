import { failureText } from '$lib/api/client';

/** What a role without `readings.read` is told on a report screen. */
export const REPORT_FORBIDDEN = 'Your role may not read reports (it needs the readings permission).';

/**
 * A report screen's answer for its current query: a newer load wins over an older one still
 * under way (the person changed the scope meanwhile), so the shown report always matches the
 * address. `report` stays null while the first answer is awaited and after an error.
 */
export class LatestReport<T> {
  report = $state<T | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);
  #run = 0;

  constructor(private readonly fetch: (query: string) => Promise<T>) {}

  /** Loads `query`; `onloaded` runs only for the answer that is still the newest. */
  async load(query: string, onloaded?: (r: T) => void): Promise<void> {
    const mine = ++this.#run;
    this.busy = true;
    this.error = null;
    try {
      const r = await this.fetch(query);
      if (mine !== this.#run) return;
      this.report = r;
      onloaded?.(r);
    } catch (e) {
      if (mine === this.#run) [this.report, this.error] = [null, failureText(e, REPORT_FORBIDDEN)];
    } finally {
      if (mine === this.#run) this.busy = false;
    }
  }
}
