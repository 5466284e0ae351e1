// The drive-by simulation: meters transmit at their intervals, the car drives its route, and
// the radio model decides what the receiver hears. Pure and deterministic: time is virtual
// (ms since the start, given by the caller), all randomness comes from random.ts keyed by
// (seed, meter, transmission), so advancing in one step or in a thousand gives the same bytes.
// Each transmission ends in at most one delivered event (the receiver never delivers twice).

import { airTimeMs, DEFAULT_RADIO, distanceM, meanRssiDbm, planRoute, positionAt, toLocal, type PlannedRoute, type RadioParams, type Xy } from './radio';
import { normal, uniform } from './random';
import { meterSeedOf, registersAt } from './registers';
import { encodeSimTelegram, frameKindOf } from './telegram';
import type { SimEvent, SimFate, SimFrameKind, SimMeter, SimRoute, SimTransmission } from './types';

export interface DriveByOptions {
  seed: number;
  meters: readonly SimMeter[];
  route: SimRoute;
  /** Calendar time of virtual 0, ms since the epoch (the meters' dates and registers). */
  startEpochMs: number;
  radio?: Partial<RadioParams>;
  /** Transmit times wander by ± this share of the interval (meters drift; default 0.005). */
  jitter?: number;
}

export type SimStats = Record<SimFate, number>;

interface MeterState {
  meter: SimMeter;
  seed: number;
  at: Xy;
  intervalMs: number;
  phaseMs: number;
  txPowerDbm: number;
  shadowDb: number;
  lengths: Partial<Record<SimFrameKind, number>>;
}

/** Longest frame on air (T1, L = 255) plus slack, ms: the look-around for overlaps. */
const MAX_AIR_MS = 50;

export class DriveBySimulation {
  readonly radio: RadioParams;
  readonly route: PlannedRoute;
  readonly startEpochMs: number;
  readonly stats: SimStats = { heard: 0, 'too-weak': 0, lost: 0, collision: 0 };
  readonly #seed: number;
  readonly #meters: MeterState[];
  readonly #byMeter = new Map<SimMeter, MeterState>();
  readonly #jitter: number;
  #doneMs = 0;

  constructor(o: DriveByOptions) {
    this.radio = { ...DEFAULT_RADIO, ...o.radio };
    this.route = planRoute(o.route);
    this.startEpochMs = o.startEpochMs;
    this.#seed = o.seed;
    this.#jitter = o.jitter ?? 0.005;
    this.#meters = o.meters.map((meter) => {
      if (!(meter.intervalS > 0)) throw new RangeError(`intervalS of ${meter.id}: expected > 0, got ${meter.intervalS}`);
      const seed = meterSeedOf(o.seed, meter);
      const intervalMs = meter.intervalS * 1000;
      return {
        meter,
        seed,
        at: toLocal(this.route.origin, meter.position),
        intervalMs,
        phaseMs: uniform(seed, 40) * intervalMs,
        txPowerDbm: meter.txPowerDbm ?? (meter.intervalS >= 60 ? 14 : 10),
        shadowDb: this.radio.shadowingDb * normal(seed, 41),
        lengths: {},
      };
    });
    for (const s of this.#meters) this.#byMeter.set(s.meter, s);
  }

  /** Virtual time up to which events have been handed out. */
  get doneMs(): number {
    return this.#doneMs;
  }

  /** When the car reaches the end of its route, virtual ms. */
  get routeEndMs(): number {
    return this.route.atMs[this.route.atMs.length - 1];
  }

  /**
   * The telegrams the receiver delivers with `atMs` in [doneMs, untilMs), in time order, and
   * moves doneMs to untilMs. Each transmission is delivered at most once.
   */
  advance(untilMs: number): SimEvent[] {
    const out: SimEvent[] = [];
    for (const t of this.transmissions(this.#doneMs, untilMs)) {
      this.stats[t.fate]++;
      if (t.fate !== 'heard') continue;
      out.push(this.#event(t));
    }
    this.#doneMs = Math.max(this.#doneMs, untilMs);
    return out;
  }

  /** Every transmission ending in [fromMs, untilMs) with its fate; pure (does not move doneMs). */
  transmissions(fromMs: number, untilMs: number): SimTransmission[] {
    const all = this.#candidates(fromMs - MAX_AIR_MS, untilMs);
    const relevant = all.filter((t) => t.rssiDbm >= this.radio.sensitivityDbm - this.radio.interferenceMarginDb);
    const result: SimTransmission[] = [];
    for (const t of all) {
      if (t.endMs < fromMs || t.endMs >= untilMs) continue;
      result.push({ ...t, fate: this.#fate(t, relevant) });
    }
    return result.sort((a, b) => a.endMs - b.endMs || (a.meter.id < b.meter.id ? -1 : 1));
  }

  #fate(t: SimTransmission, relevant: readonly SimTransmission[]): SimFate {
    const r = this.radio;
    const s = this.#stateOf(t.meter);
    const pDecode = 1 / (1 + Math.exp(-(t.rssiDbm - r.sensitivityDbm) / r.edgeDb));
    if (uniform(s.seed, 50, t.count) >= pDecode) return 'too-weak';
    for (const o of relevant) {
      if (o === t || o.startMs >= t.endMs || o.endMs <= t.startMs) continue;
      if (t.rssiDbm < o.rssiDbm + r.captureDb) return 'collision';
    }
    if (uniform(s.seed, 51, t.count) < r.lossRate) return 'lost';
    return 'heard';
  }

  /** Transmissions starting in [fromMs − air, untilMs + air), fate undecided. */
  #candidates(fromMs: number, untilMs: number): SimTransmission[] {
    const out: SimTransmission[] = [];
    const lo = fromMs - MAX_AIR_MS;
    const hi = untilMs + MAX_AIR_MS;
    for (const s of this.#meters) {
      const slack = this.#jitter * s.intervalMs;
      const first = Math.max(0, Math.floor((lo - s.phaseMs - slack) / s.intervalMs));
      const last = Math.ceil((hi - s.phaseMs + slack) / s.intervalMs);
      for (let k = first; k <= last; k++) {
        const startMs = this.#startOf(s, k);
        if (startMs < lo || startMs >= hi || startMs < 0) continue;
        const endMs = startMs + airTimeMs(this.#lengthOf(s, k), s.meter.mode);
        const d = distanceM(positionAt(this.route, startMs), s.at);
        const rssi = meanRssiDbm(this.radio, s.txPowerDbm, d, s.meter.placement ?? 'indoor') + s.shadowDb + this.radio.fadingDb * normal(s.seed, 42, k);
        out.push({ meter: s.meter, count: k, startMs, endMs, mode: s.meter.mode, distanceM: d, rssiDbm: Math.round(rssi * 10) / 10, fate: 'heard' });
      }
    }
    return out;
  }

  #startOf(s: MeterState, k: number): number {
    return s.phaseMs + k * s.intervalMs + (uniform(s.seed, 43, k) * 2 - 1) * this.#jitter * s.intervalMs;
  }

  /** Telegram length for the meter's frame kind (fixed: every field has a fixed size). */
  #lengthOf(s: MeterState, k: number): number {
    const kind = frameKindOf(s.meter, s.seed, k);
    let n = s.lengths[kind];
    if (n === undefined) {
      n = encodeSimTelegram(s.meter, s.seed, k, registersAt(s.meter, s.seed, this.startEpochMs, k)).length;
      s.lengths[kind] = n;
    }
    return n;
  }

  #stateOf(meter: SimMeter): MeterState {
    const s = this.#byMeter.get(meter);
    if (s === undefined) throw new TypeError(`meter ${meter.id} is not in this simulation`);
    return s;
  }

  #event(t: SimTransmission): SimEvent {
    const s = this.#stateOf(t.meter);
    const fields = registersAt(s.meter, s.seed, this.startEpochMs + t.startMs, t.count);
    const telegram = encodeSimTelegram(s.meter, s.seed, t.count, fields);
    return { atMs: t.endMs, telegram, rssiDbm: t.rssiDbm, mode: t.mode, meter: t.meter, frame: frameKindOf(s.meter, s.seed, t.count), fields };
  }
}
