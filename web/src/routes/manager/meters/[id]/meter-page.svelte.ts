import { failureText } from '$lib/api/client';
import type { ConsumptionAnswer } from '$lib/chart/consumption';
import { infoSummary, type MeterIdentity } from '$lib/chart/info-codes';
import { getConsumption, getLatest, getMeter, getPoint, type Interval, type LatestReading, type MeterDetail, type PointDetail } from './meter-api';

// State of the meter and consumer page (M2): the meter, its metering point with the installation
// history, the latest reading, and the consumption of the chosen interval (a newer interval
// cancels the request of the older one).

const READ = 'Your role may not read meters and readings: ask an administrator.';

export class MeterPage {
  meter = $state<MeterDetail | null>(null);
  point = $state<PointDetail | null>(null);
  latest = $state<LatestReading | null>(null);
  error = $state<string | null>(null);
  /** Raw: 9,500 hourly buckets must not become 9,500 reactive proxies (the graph reads each once). */
  consumption = $state.raw<ConsumptionAnswer | null>(null);
  consumptionError = $state<string | null>(null);
  loadingConsumption = $state(false);
  /** Identities of the meters whose info codes the graph names (the point's earlier meters too). */
  identities = $state<Record<number, MeterIdentity>>({});
  #abort: AbortController | null = null;

  async load(id: number): Promise<void> {
    this.error = null;
    try {
      const meter = await getMeter(id);
      const [point, latest] = await Promise.all([meter.meteringPoint ? getPoint(meter.meteringPoint.id) : null, getLatest(id)]);
      this.meter = meter;
      this.point = point;
      this.latest = latest;
      this.identities = { ...this.identities, [meter.id]: meter };
    } catch (e) {
      this.error = failureText(e, READ);
    }
  }

  async loadConsumption(i: Interval): Promise<void> {
    const meter = this.meter;
    if (!meter) return;
    this.#abort?.abort();
    const abort = (this.#abort = new AbortController());
    this.loadingConsumption = true;
    this.consumptionError = null;
    try {
      const c = await getConsumption(meter, i, abort.signal);
      if (abort.signal.aborted) return;
      await this.#identify(c);
      this.consumption = c;
    } catch (e) {
      if (abort.signal.aborted) return;
      this.consumptionError = failureText(e, READ);
    } finally {
      if (this.#abort === abort) this.loadingConsumption = false;
    }
  }

  /** Loads the identity (driver) of each meter with info codes in `c` that is not known yet. */
  async #identify(c: ConsumptionAnswer): Promise<void> {
    const missing = new Set<number>();
    for (const b of c.buckets) for (const x of b.info ?? []) if (!this.identities[x.meterId]) missing.add(x.meterId);
    if (!missing.size) return;
    const found = await Promise.all([...missing].map((id) => getMeter(id).catch(() => null)));
    const next = { ...this.identities };
    for (const m of found) if (m) next[m.id] = m;
    this.identities = next;
  }

  infoText = (meterId: number, code: number): string => {
    const m = this.identities[meterId];
    return `${m ? `${m.manufacturer} ${m.serial}: ` : ''}${infoSummary(m, code)}`;
  };
}
