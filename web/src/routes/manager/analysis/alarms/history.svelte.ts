import { SvelteMap } from 'svelte/reactivity';
import { failureText } from '$lib/api/client';
import { alarmHistory, type AlarmHistory } from './alarms-api';

// Alarm history sentences of the listed meters, loaded on demand ("Leak on 23 of the last 30
// days"), kept per meter and number of days so switching 7/30/90 back and forth does not reload.

export type HistoryState = { status: 'loading' } | { status: 'done'; history: AlarmHistory } | { status: 'error'; message: string };

const CONCURRENT = 4;

export class HistoryCache {
  readonly #items = new SvelteMap<string, HistoryState>();

  get(meterId: number, days: number): HistoryState | undefined {
    return this.#items.get(`${meterId}:${days}`);
  }

  async load(meterId: number, days: number): Promise<void> {
    const key = `${meterId}:${days}`;
    const cur = this.#items.get(key);
    if (cur?.status === 'loading' || cur?.status === 'done') return;
    this.#items.set(key, { status: 'loading' });
    try {
      this.#items.set(key, { status: 'done', history: await alarmHistory(meterId, days) });
    } catch (e) {
      this.#items.set(key, { status: 'error', message: failureText(e, 'Your role may not see meters.') });
    }
  }

  /** Every meter of the page, a few requests at a time. */
  async loadAll(meterIds: readonly number[], days: number): Promise<void> {
    const queue = [...meterIds];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) await this.load(id, days);
    };
    await Promise.all(Array.from({ length: CONCURRENT }, worker));
  }
}
