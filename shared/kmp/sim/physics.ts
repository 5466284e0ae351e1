// What the simulated MULTICAL 603 measures, hour by hour: a heating substation of a small block
// of flats. Each hour gets a power (space heating from a seasonal outdoor temperature and a daily
// profile, plus hot water), flow and return temperatures, the water that carried the heat, the
// pulse inputs' water and the info code of that hour. Counters are cumulative sums of those
// hours, in integer units (Wh, litres, litre·centi-°C), so every register, daily, monthly and
// hourly logger value comes from the same sums and logger differences add up exactly to the
// growth of the registers. Pure: times are passed in, randomness is seeded per hour (random
// access, the same hour gives the same numbers on every run).

import { seededRandom } from '../../mbus/sim/random.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** One hour of the meter's life (hour k runs from installMs + k h to installMs + (k+1) h). */
export interface SimHour {
  /** Heat counted into E1 this hour (0 while an error code stops the energy calculation). */
  energyWh: number;
  volumeL: number;
  /** Flow and return temperature, 0.01 °C. */
  t1: number;
  t2: number;
  /** Pulse inputs A and B (cold water meter, make-up water), litres. */
  pulseAL: number;
  pulseBL: number;
  /** Analog inputs P1/P2 (supply and return pressure), 0.01 bar. */
  p1: number;
  p2: number;
  /** Info code during this hour (protocols.md §4.5.1 bit weights). */
  info: number;
}

/** An info-code change: from `atMs` on the meter shows `code`. */
export interface InfoEvent {
  atMs: number;
  code: number;
}

/**
 * Info bits that stop energy calculation and count error hours: temperature sensors out of
 * range (bits 3..7) and V1 air (bit 8), §4.5.1. Sim choice, in line with how MULTICAL meters
 * behave (energy is not counted while a sensor is faulty); not a documented table.
 */
export const ERROR_INFO_MASK = 0x1f8;

/** Sums over hours [0, k): index k of each array. */
interface Sums {
  energyWh: Float64Array;
  volumeL: Float64Array;
  /** Σ litres × t1 (0.01 °C) and × t2: E8/E9 (m³·°C) = sum / 100 000. */
  e8: Float64Array;
  e9: Float64Array;
  ta2Wh: Float64Array;
  ta3Wh: Float64Array;
  pulseAL: Float64Array;
  pulseBL: Float64Array;
  errorHours: Float64Array;
}

const SUM_KEYS = ['energyWh', 'volumeL', 'e8', 'e9', 'ta2Wh', 'ta3Wh', 'pulseAL', 'pulseBL', 'errorHours'] as const;
export type SimCounter = (typeof SUM_KEYS)[number];

/** A tariff limit that holds from `fromHour` (hour index) on, 0.1 kW. */
interface LimitChange {
  fromHour: number;
  tl2: number;
  tl3: number;
}

export interface SimPhysicsOptions {
  installMs: number;
  seed: number;
  events: InfoEvent[];
  /** Initial tariff limits TL2/TL3, 0.1 kW. */
  tl2: number;
  tl3: number;
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

export class SimPhysics {
  readonly installMs: number;
  readonly #seed: number;
  readonly #events: InfoEvent[];
  #limits: LimitChange[];
  #hours: SimHour[] = [];
  /** Sums at indices 0..#summed (inclusive): #sums.x[k] = Σ hours < k. */
  #sums: Sums;
  #summed = 0;

  constructor(o: SimPhysicsOptions) {
    this.installMs = o.installMs;
    this.#seed = o.seed >>> 0;
    this.#events = [...o.events].sort((a, b) => a.atMs - b.atMs);
    this.#limits = [{ fromHour: 0, tl2: o.tl2, tl3: o.tl3 }];
    this.#sums = this.#alloc(1024);
  }

  /** The info-code changes up to and including `nowMs`. */
  events(nowMs: number): InfoEvent[] {
    return this.#events.filter((e) => e.atMs <= nowMs);
  }

  infoAt(ms: number): number {
    let code = 0;
    for (const e of this.#events) {
      if (e.atMs > ms) break;
      code = e.code;
    }
    return code;
  }

  /** Tariff limits TL2/TL3 (0.1 kW) in force at `ms`. */
  limitsAt(ms: number): { tl2: number; tl3: number } {
    const k = this.hourIndex(ms);
    let l = this.#limits[0];
    for (const c of this.#limits) if (c.fromHour <= k) l = c;
    return { tl2: l.tl2, tl3: l.tl3 };
  }

  /** New tariff limits from the next full hour on (PutRegister); later tariff sums are redone. */
  setLimits(ms: number, limits: { tl2?: number; tl3?: number }): void {
    const from = this.hourIndex(ms) + 1;
    const now = this.limitsAt(ms);
    this.#limits = this.#limits.filter((c) => c.fromHour < from);
    this.#limits.push({ fromHour: from, tl2: limits.tl2 ?? now.tl2, tl3: limits.tl3 ?? now.tl3 });
    if (this.#summed > from) this.#summed = from;
  }

  /** Index of the hour `ms` falls in (0 before installation). */
  hourIndex(ms: number): number {
    return Math.max(0, Math.floor((ms - this.installMs) / HOUR_MS));
  }

  hour(k: number): SimHour {
    while (this.#hours.length <= k) this.#hours.push(this.#makeHour(this.#hours.length));
    return this.#hours[k];
  }

  /** A counter at `ms` in its integer unit, the current hour counted pro rata (floored). */
  counter(name: SimCounter, ms: number): number {
    if (ms <= this.installMs) return 0;
    const k = this.hourIndex(ms);
    this.#sumTo(k);
    const inHour = ms - this.installMs - k * HOUR_MS;
    const whole = this.#sums[name][k];
    if (inHour === 0) return whole;
    return whole + Math.floor((this.#increment(name, k) * inHour) / HOUR_MS);
  }

  /** Average power of the hour `ms` falls in, 0.1 kW (what register 80 shows). */
  powerAt(ms: number): number {
    return Math.round(this.hour(this.hourIndex(ms)).energyWh / 100);
  }

  #alloc(n: number): Sums {
    const s = {} as Sums;
    for (const key of SUM_KEYS) s[key] = new Float64Array(n);
    return s;
  }

  #increment(name: SimCounter, k: number): number {
    const h = this.hour(k);
    const { tl2, tl3 } = this.#limitsOfHour(k);
    const powerTenthKw = h.energyWh / 100;
    switch (name) {
      case 'energyWh':
        return h.energyWh;
      case 'volumeL':
        return h.volumeL;
      case 'e8':
        return h.volumeL * h.t1;
      case 'e9':
        return h.volumeL * h.t2;
      // power tariff: TA2/TA3 count the energy of hours whose power is above TL2/TL3
      case 'ta2Wh':
        return powerTenthKw > tl2 ? h.energyWh : 0;
      case 'ta3Wh':
        return powerTenthKw > tl3 ? h.energyWh : 0;
      case 'pulseAL':
        return h.pulseAL;
      case 'pulseBL':
        return h.pulseBL;
      case 'errorHours':
        return h.info & ERROR_INFO_MASK ? 1 : 0;
    }
  }

  #limitsOfHour(k: number): LimitChange {
    let l = this.#limits[0];
    for (const c of this.#limits) if (c.fromHour <= k) l = c;
    return l;
  }

  #sumTo(k: number): void {
    if (k + 1 > this.#sums.energyWh.length) {
      const bigger = this.#alloc(Math.max(k + 1, 2 * this.#sums.energyWh.length));
      for (const key of SUM_KEYS) bigger[key].set(this.#sums[key]);
      this.#sums = bigger;
    }
    for (let i = this.#summed; i < k; i++) {
      for (const key of SUM_KEYS) this.#sums[key][i + 1] = this.#sums[key][i] + this.#increment(key, i);
    }
    this.#summed = Math.max(this.#summed, k);
  }

  #noise(k: number, salt: number): number {
    return seededRandom((this.#seed ^ Math.imul(k + 1, 0x9e3779b1) ^ Math.imul(salt, 0x85ebca6b)) >>> 0)();
  }

  #makeHour(k: number): SimHour {
    const at = this.installMs + k * HOUR_MS;
    const d = new Date(at);
    const hod = d.getUTCHours();
    const dayIndex = Math.floor(k / 24);
    const doy = (at - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY_MS;
    // outdoor temperature: coldest mid-January, ±3 K from day to day
    const outdoor = 8 - 11 * Math.cos((2 * Math.PI * (doy - 15)) / 365.25) + 6 * (this.#noise(dayIndex, 1) - 0.5);
    const profile = hod < 5 ? 0.8 : hod < 9 ? 1.25 : hod < 17 ? 1.0 : hod < 22 ? 1.1 : 0.9;
    const heatingKw = Math.max(0, 16 - outdoor) * 1.6 * profile;
    const tapProfile = hod < 6 ? 0.3 : hod < 9 ? 2.2 : hod < 17 ? 0.8 : hod < 22 ? 1.8 : 0.5;
    const tapKw = 3.5 * tapProfile * (0.7 + 0.6 * this.#noise(k, 2));
    const info = this.infoAt(at);
    const powerW = (heatingKw + tapKw) * 1000;
    // weather-compensated flow temperature, a cooling of 15..27 K
    const t1 = Math.round((60 + clamp(16 - outdoor, 0, 30) * 0.6 + 0.8 * (this.#noise(k, 3) - 0.5)) * 100);
    const dt = Math.round((15 + 12 * this.#noise(k, 4)) * 100);
    // 1.163 kWh per m³ and kelvin: litres = Wh / (1.163 × ΔT)
    const volumeL = Math.round(powerW / (1.163 * (dt / 100)));
    const occupied = hod >= 6 && hod < 23;
    return {
      energyWh: info & ERROR_INFO_MASK ? 0 : Math.round(powerW),
      volumeL,
      t1,
      t2: t1 - dt,
      pulseAL: Math.round((occupied ? 140 : 25) * (0.5 + this.#noise(k, 5))),
      pulseBL: Math.round(6 * this.#noise(k, 6)),
      p1: Math.round(420 + 30 * this.#noise(k, 7)),
      p2: Math.round(385 + 30 * this.#noise(k, 8)),
      info,
    };
  }
}
