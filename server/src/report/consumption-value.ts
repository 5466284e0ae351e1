import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/connection.js';
import { COLUMN_DIVISOR } from '../ingest/columns.js';
import type { Register } from '../store/readings.js';
import { consumption, REGISTER_TOLERANCE, roundRegister, type Installation, type RegisterValue } from '../../../shared/consumption.js';

// The consumption of one consumer (a metering point's installations, or a meter installed
// nowhere) over [start, end), with the numbers ReadingStore.consumption gives for the point:
// each installation from its last reading before the start (or its first reading) to its last
// reading before the end, across rollovers and exchanges (shared/consumption.ts). Fast path: an
// installation covering the whole interval telescopes to last − first, walking only the local
// days where a register fell (reading_day.irregular, migration 010); an installation that
// starts or ends inside the interval walks its readings.

export interface MeasuredInstallation {
  meterId: number;
  /** Installed from/to; null for a meter installed nowhere (from) or still installed (to). */
  from: number | null;
  to: number | null;
}

export interface Measured {
  /** Null when a reading at the start or the end is missing (never 0 for "unknown"). */
  value: number | null;
  /** Why value is null, one phrase per installation: "no reading before 1 Oct 2026". */
  missing: string[];
  rollover: boolean;
  exchange: boolean;
  reset: boolean;
}

/** Tolerance for a falling register as ReadingStore.consumption uses it (noise, kept as it is). */
const EARLIEST = Number.MIN_SAFE_INTEGER;
/**
 * Without a reading before the start, a reading this soon after it stands for the start: meters
 * in a fixed network are heard about hourly, a few seconds or minutes past the hour. ReadingStore
 * counts from the first reading in the interval too; only a later one makes the start "missing".
 */
export const START_GRACE_MS = 3_600_000;

export class ConsumptionMeter {
  readonly #before: Record<Register, Statement<unknown[]>>;
  readonly #within: Record<Register, Statement<unknown[]>>;
  readonly #firstAfter: Record<Register, Statement<unknown[]>>;
  readonly #irregular;

  constructor(
    db: Db,
    private readonly start: number,
    private readonly end: number,
    private readonly dayFrom: number,
    private readonly dayTo: number,
    /** "1 Oct 2026": the first date, for the missing-start phrase. */
    private readonly fromLabel: string
  ) {
    const make = (column: Register) => ({
      before: db.prepare(
        `select at, ${column} as v from reading where meter_id = ? and at < ? and at >= ? and ${column} is not null order by at desc limit 1`
      ),
      within: db.prepare(`select at, ${column} as v from reading where meter_id = ? and at >= ? and at <= ? and ${column} is not null order by at`),
      firstAfter: db.prepare(`select at, ${column} as v from reading where meter_id = ? and at >= ? and at < ? and ${column} is not null order by at limit 1`)
    });
    const e = make('energy');
    const v = make('volume');
    this.#before = { energy: e.before, volume: v.before };
    this.#within = { energy: e.within, volume: v.within };
    this.#firstAfter = { energy: e.firstAfter, volume: v.firstAfter };
    this.#irregular = db.prepare('select day from reading_day where meter_id = ? and day >= ? and day < ? and irregular > 0 order by day').pluck();
  }

  /** The consumer's consumption in `register` over its installations (time order); `label` names a meter in a phrase. */
  measure(installations: readonly MeasuredInstallation[], register: Register, label: (meterId: number) => string): Measured {
    const out: Measured = { value: 0, missing: [], rollover: false, exchange: false, reset: false };
    const divisor = COLUMN_DIVISOR[register];
    const many = installations.length > 1;
    for (const inst of installations) {
      const from = inst.from ?? EARLIEST;
      const coversStart = from < this.start;
      const coversEnd = inst.to === null || inst.to >= this.end;
      if (!coversStart || !coversEnd) out.exchange = true;
      const lo = Math.max(this.start, from);
      const hi = Math.min(this.end, inst.to ?? this.end);
      // the start: the last reading before it, else the first in the interval's first hour
      const before = coversStart ? (this.#before[register].get(inst.meterId, lo, from) as Row | undefined) : undefined;
      const first = coversStart ? (before ?? (this.#firstAfter[register].get(inst.meterId, lo, lo + START_GRACE_MS) as Row | undefined)) : undefined;
      const prefix = many ? `${label(inst.meterId)}: ` : '';
      if (coversStart && first === undefined) {
        out.missing.push(`${prefix}no reading before ${this.fromLabel}`);
        continue;
      }
      if (coversStart && coversEnd) {
        // telescoping: the steps sum to last − first, except on the local days where a register
        // fell (reading_day.irregular); only those days' readings are walked
        const last = this.#before[register].get(inst.meterId, this.end, this.start) as Row | undefined;
        if (last === undefined || last.at <= first!.at) {
          out.missing.push(`${prefix}no readings in the interval`);
          continue;
        }
        let value = (last.v - first!.v) / divisor;
        for (const [wFrom, wTo] of windows(this.#irregular.all(inst.meterId, this.dayFrom, this.dayTo) as number[], this.start, this.end)) {
          const prev = this.#before[register].get(inst.meterId, wFrom, from) as Row | undefined; // none: the window opens at the start reading
          const list: RegisterValue[] = prev ? [{ at: prev.at, value: prev.v / divisor }] : [];
          for (const r of this.#within[register].all(inst.meterId, wFrom, wTo - 1) as Row[]) list.push({ at: r.at, value: r.v / divisor });
          const c = this.#walk(inst, from, list, register);
          value += c.total - (list[list.length - 1].value - list[0].value);
          out.rollover ||= c.buckets[0].rollover;
          out.reset ||= c.buckets[0].reset;
        }
        if (out.value !== null) out.value += value;
        continue;
      }
      const list: RegisterValue[] = before ? [{ at: before.at, value: before.v / divisor }] : [];
      for (const r of this.#within[register].all(inst.meterId, lo, hi) as { at: number; v: number }[]) {
        if (r.at < this.end) list.push({ at: r.at, value: r.v / divisor });
      }
      if (list.length === 0 || (coversStart && list.length === 1)) {
        out.missing.push(`${prefix}no readings in the interval`);
        continue;
      }
      const c = this.#walk(inst, from, list, register);
      const bucket = c.buckets[0];
      out.rollover ||= bucket.rollover;
      out.reset ||= bucket.reset;
      if (out.value !== null) out.value += c.total;
    }
    if (out.missing.length > 0) out.value = null;
    else out.value = roundRegister(out.value!);
    return out;
  }

  /** shared/consumption.ts over one installation's readings, as one bucket [start, end). */
  #walk(inst: MeasuredInstallation, from: number, list: RegisterValue[], register: Register) {
    return consumption([{ meter: inst.meterId, from, to: inst.to } satisfies Installation], new Map([[inst.meterId, list]]), {
      boundaries: [this.start, this.end],
      tolerance: REGISTER_TOLERANCE[register]
    });
  }
}

type Row = { at: number; v: number };
const DAY = 86_400_000;
/** Zones are within UTC−12 and UTC+14: a margin that holds any local day of a day number. */
const ZONE_MARGIN = 14 * 3_600_000;

/** Instant ranges [from, to) inside [start, end) holding the local days `days` (ascending), merged where they touch. */
function windows(days: readonly number[], start: number, end: number): [number, number][] {
  const out: [number, number][] = [];
  for (const d of days) {
    const lo = Math.max(start, d * DAY - ZONE_MARGIN);
    const hi = Math.min(end, (d + 1) * DAY + ZONE_MARGIN);
    const prev = out[out.length - 1];
    if (prev && lo <= prev[1]) prev[1] = Math.max(prev[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

