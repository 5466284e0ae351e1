// The simulated MULTICAL 603's state over time: register values and logger windows from the
// hourly sums of physics.ts (no bytes yet; meter.ts speaks KMP). What it has: config.ts.

import { SIM_603_REGISTERS, SIM_WRITABLE, dateNumber, simLogs, timeNumber } from './config.js';
import type { SimLogSpec, SimRegisterSpec, SimRegisterValue } from './config.js';
import type { LoggerKind } from '../loggers.js';
import { DAY_MS, HOUR_MS, SimPhysics } from './physics.js';
import type { InfoEvent, SimCounter } from './physics.js';

const SPEC_BY_ID = new Map(SIM_603_REGISTERS.map((s) => [s.id, s]));

/** Records a log holds at an instant: indices first..count−1 of all records ever written. */
export interface SimLogWindow {
  log: SimLogSpec;
  /** Index of the oldest record still kept. */
  first: number;
  /** Records ever written (the newest has index count − 1). */
  count: number;
  /** When record `r` was written (its registers hold the values of that instant). */
  timeOf(r: number): number;
  /** RecID of record `r`: a 16-bit counter that wraps (§5.6). */
  recIdOf(r: number): number;
  /** The register values of record `r`. */
  valuesOf(r: number): SimRegisterValue[];
}

export interface SimModelOptions {
  serial: number;
  startEpochMs: number;
  seed?: number;
  lids?: Partial<Record<LoggerKind, number>>;
}


/** First instant of the month after `ms`'s month, `n` months later (n ≥ 1). */
function monthBoundary(ms: number, n: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1);
}
function yearBoundary(ms: number, n: number): number {
  return Date.UTC(new Date(ms).getUTCFullYear() + n, 0, 1);
}

/**
 * The meter's state over time. It was installed 1,200 days before `startEpochMs` (midnight UTC),
 * so at the start every logger is full except the yearly one. The meter clock is UTC (sim choice).
 */
export class SimMeterModel {
  readonly serial: number;
  readonly startEpochMs: number;
  readonly installMs: number;
  readonly physics: SimPhysics;
  readonly logs: SimLogSpec[];
  /** Values written with PutRegister (configuration registers). */
  readonly #written = new Map<number, number>();
  readonly #base: Record<'energyWh' | 'volumeL' | 'e8' | 'e9' | 'pulseAL' | 'pulseBL' | 'hours' | 'errorHours', number>;

  constructor(o: SimModelOptions) {
    if (!Number.isInteger(o.serial) || o.serial < 0 || o.serial > 0xffffffff) {
      throw new RangeError(`serial: expected an integer 0..4294967295, got ${o.serial}`);
    }
    if (!Number.isFinite(o.startEpochMs)) throw new RangeError(`startEpochMs: expected a time in ms, got ${o.startEpochMs}`);
    this.serial = o.serial;
    this.startEpochMs = o.startEpochMs;
    const seed = (o.seed ?? o.serial) >>> 0;
    const startDay = Math.floor(o.startEpochMs / DAY_MS) * DAY_MS;
    this.installMs = startDay - 1200 * DAY_MS;
    const at = (daysBefore: number, hour: number): number => startDay - daysBefore * DAY_MS + hour * HOUR_MS;
    // A few realistic info-code events (§4.5.1 bit weights), all within the daily logger's depth.
    const events: InfoEvent[] = [
      { atMs: at(400, 2) + 17 * 60_000, code: 0x0001 }, // supply interrupted (logged only)
      { atMs: at(400, 3), code: 0 },
      { atMs: at(300, 14), code: 0x0040 }, // t2 short-circuited: 5 error hours
      { atMs: at(300, 19), code: 0 },
      { atMs: at(120, 9), code: 0x0100 }, // V1 air: 3 error hours
      { atMs: at(120, 12), code: 0 },
      { atMs: at(45, 18), code: 0x1000 }, // pulse input A: leakage, 30 h
      { atMs: at(44, 24), code: 0 },
      { atMs: at(10, 6), code: 0x0004 }, // external alarm set over KMP, 2 h
      { atMs: at(10, 8), code: 0 },
    ];
    this.physics = new SimPhysics({ installMs: this.installMs, seed, events, tl2: 250, tl3: 400 });
    this.logs = simLogs(o.lids);
    this.#base = {
      energyWh: (180_000 + (seed % 50_000)) * 1000,
      volumeL: (5_200 + (seed % 900)) * 1000,
      e8: 0,
      e9: 0,
      pulseAL: 21_000_000 + (seed % 1_000_000),
      pulseBL: 310_000,
      hours: 26_280 + (seed % 500),
      errorHours: 12,
    };
    this.#base.e8 = this.#base.volumeL * 6500; // as if the earlier water had come at 65 °C …
    this.#base.e9 = this.#base.volumeL * 4200; // … and gone back at 42 °C
  }

  spec(id: number): SimRegisterSpec | undefined {
    return SPEC_BY_ID.get(id);
  }

  /** The value of register `id` at `ms`, or undefined for a register this meter does not have. */
  value(id: number, ms: number): SimRegisterValue | undefined {
    const s = SPEC_BY_ID.get(id);
    if (!s) return undefined;
    const m = this.#mantissa(id, ms);
    return { ...s, mantissa: m };
  }

  /** Every register at `ms`. */
  values(ms: number): SimRegisterValue[] {
    return SIM_603_REGISTERS.map((s) => ({ ...s, mantissa: this.#mantissa(s.id, ms) }));
  }

  /** PutRegister: false (nothing changes) for a register that is not writable or a bad value. */
  write(id: number, mantissa: number, ms: number): boolean {
    if (!SIM_WRITABLE.has(id) || !Number.isSafeInteger(mantissa) || mantissa < 0) return false;
    const s = SPEC_BY_ID.get(id)!;
    if (mantissa >= 2 ** (8 * s.nob)) return false;
    if (id === 66) this.physics.setLimits(ms, { tl2: mantissa });
    else if (id === 67) this.physics.setLimits(ms, { tl3: mantissa });
    else this.#written.set(id, mantissa);
    return true;
  }

  log(lid: number): SimLogSpec | undefined {
    return this.logs.find((l) => l.lid === lid);
  }

  /** What log `lid` holds at `nowMs`. */
  window(log: SimLogSpec, nowMs: number): SimLogWindow {
    const install = this.installMs;
    let timeOf: (r: number) => number;
    let count: number;
    switch (log.kind) {
      case 'hourly':
        timeOf = (r) => install + (r + 1) * HOUR_MS;
        count = Math.max(0, Math.floor((nowMs - install) / HOUR_MS));
        break;
      case 'daily':
        timeOf = (r) => install + (r + 1) * DAY_MS;
        count = Math.max(0, Math.floor((nowMs - install) / DAY_MS));
        break;
      case 'monthly':
      case 'yearly': {
        const next = log.kind === 'monthly' ? monthBoundary : yearBoundary;
        timeOf = (r) => next(install, r + 1);
        count = 0;
        while (timeOf(count) <= nowMs) count++;
        break;
      }
      case 'info': {
        const events = this.physics.events(nowMs);
        timeOf = (r) => events[r].atMs;
        count = events.length;
        break;
      }
    }
    return {
      log,
      first: Math.max(0, count - log.capacity),
      count,
      timeOf,
      recIdOf: (r) => (r + 1) & 0xffff,
      valuesOf: (r) => {
        const t = timeOf(r);
        return log.registers.map((id) => this.value(id, t)!);
      },
    };
  }

  #counter(name: SimCounter, ms: number): number {
    return this.physics.counter(name, ms);
  }

  #mantissa(id: number, ms: number): number {
    const p = this.physics;
    const b = this.#base;
    const hour = p.hour(p.hourIndex(ms));
    const written = this.#written.get(id);
    if (written !== undefined) return written;
    switch (id) {
      case 60:
        return Math.floor((b.energyWh + this.#counter('energyWh', ms)) / 1000);
      case 63:
        return 0;
      case 97:
        return Math.floor((b.e8 + this.#counter('e8', ms)) / 100_000);
      case 110:
        return Math.floor((b.e9 + this.#counter('e9', ms)) / 100_000);
      case 64:
        return Math.floor(this.#counter('ta2Wh', ms) / 1000);
      case 65:
        return Math.floor(this.#counter('ta3Wh', ms) / 1000);
      case 66:
        return p.limitsAt(ms).tl2;
      case 67:
        return p.limitsAt(ms).tl3;
      case 68:
        return Math.floor((b.volumeL + this.#counter('volumeL', ms)) / 10);
      case 69: // a closed circuit: V2 sees the water V1 saw, fitted later (a smaller start value)
        return Math.floor((b.volumeL - 1_234_560 + this.#counter('volumeL', ms)) / 10);
      case 84:
        return b.pulseAL + this.#counter('pulseAL', ms);
      case 85:
        return b.pulseBL + this.#counter('pulseBL', ms);
      case 1004:
        return b.hours + Math.max(0, Math.floor((ms - this.installMs) / HOUR_MS));
      case 175:
        return b.errorHours + this.#counter('errorHours', ms);
      case 86:
        return hour.t1;
      case 87:
        return hour.t2;
      case 89:
        return hour.t1 - hour.t2;
      case 74:
        return hour.volumeL;
      case 80:
        return p.powerAt(ms);
      case 99:
        return p.infoAt(ms);
      case 113:
        return p.events(ms).length;
      case 91:
        return hour.p1;
      case 92:
        return hour.p2;
      case 98:
        return 601; // target date 1 June (mm:dd)
      case 1001:
        return this.serial;
      case 1002:
        return timeNumber(ms);
      case 1003:
        return dateNumber(ms);
      case 112:
        return 0;
      case 1010:
        return this.serial % 100_000_000;
      case 152:
        return 4_011_300;
      case 1005:
        return 0x0201;
      default:
        throw new RangeError(`register ${id}: no value rule in the simulated meter`);
    }
  }
}
