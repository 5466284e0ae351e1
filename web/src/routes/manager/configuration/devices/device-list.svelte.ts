import { countDevices, explain, getRoute, listDevices, STATUS_ORDER, type Device, type DeviceStatus, type Route } from './devices-api';

// The Field devices page's state: the counts per status, one page of devices, and each shown
// device's route (loaded per device after the page, so a slow route never holds up the list).

export type Filter = DeviceStatus | 'all';
export const PAGE_SIZE = 50;

export type RouteState = { state: 'loading' } | { state: 'ok'; route: Route } | { state: 'failed'; error: string };

export class DeviceList {
  filter = $state<Filter>('all');
  offset = $state(0);
  counts = $state<Record<DeviceStatus, number> | null>(null);
  devices = $state<Device[] | null>(null);
  routes = $state<Record<number, RouteState>>({});
  error = $state<string | null>(null);
  loading = $state(false);

  total = $derived(this.counts ? (this.filter === 'all' ? STATUS_ORDER.reduce((n, s) => n + this.counts![s], 0) : this.counts[this.filter]) : 0);
  #generation = 0;

  async load(): Promise<void> {
    const generation = ++this.#generation; // a later load (filter clicked twice) wins
    this.loading = true;
    try {
      const counts = await countsOf();
      const devices = await pageOf(this.filter, this.offset, counts);
      if (generation !== this.#generation) return;
      this.counts = counts;
      this.devices = devices;
      this.error = null;
      this.routes = {};
      for (const d of devices) if (d.status !== 'revoked') void this.loadRoute(d.id);
    } catch (e) {
      if (generation === this.#generation) this.error = explain(e);
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  async loadRoute(id: number): Promise<void> {
    this.routes[id] = { state: 'loading' };
    try {
      this.routes[id] = { state: 'ok', route: await getRoute(id) };
    } catch (e) {
      this.routes[id] = { state: 'failed', error: explain(e) };
    }
  }

  show(filter: Filter): Promise<void> {
    this.filter = filter;
    this.offset = 0;
    return this.load();
  }

  turn(offset: number): Promise<void> {
    this.offset = Math.max(0, offset);
    return this.load();
  }
}

async function countsOf(): Promise<Record<DeviceStatus, number>> {
  const [pending, authorised, revoked] = await Promise.all(STATUS_ORDER.map(countDevices));
  return { pending, authorised, revoked };
}

/**
 * One page. "All" is the three statuses one after another (waiting first): the server lists one
 * status at a time, so the page's window is cut out of those three lists by their counts.
 */
async function pageOf(filter: Filter, offset: number, counts: Record<DeviceStatus, number>): Promise<Device[]> {
  if (filter !== 'all') return listDevices(filter, offset, PAGE_SIZE);
  const out: Device[] = [];
  let skip = offset;
  for (const status of STATUS_ORDER) {
    const n = counts[status];
    if (skip >= n) {
      skip -= n;
      continue;
    }
    const want = PAGE_SIZE - out.length;
    if (want <= 0) break;
    out.push(...(await listDevices(status, skip, want)));
    skip = 0;
  }
  return out;
}
