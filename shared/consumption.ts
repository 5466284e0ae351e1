// Consumption from cumulative registers (architecture.md decision 8): the difference of register
// values within each installation of a metering point, across register rollovers and meter
// exchanges, per time bucket. One implementation for server reports and the field app.
// Pure: installations, readings and bucket boundaries come in, numbers go out; time zones are
// read with Intl (ECMAScript), never the clock.

export type Resolution = 'hour' | 'day' | 'month' | 'year';

// ---------------------------------------------------------------------------------------------
// Buckets in a time zone

interface WallClock {
  y: number;
  mo: number; // 1..12
  d: number;
  h: number;
  mi: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    // throws RangeError for an unknown zone name: our caller's misuse (the zone is validated on input)
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric'
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function wallClock(at: number, timeZone: string): WallClock & { s: number } {
  const out = { y: 0, mo: 0, d: 0, h: 0, mi: 0, s: 0 };
  for (const p of formatterOf(timeZone).formatToParts(at)) {
    if (p.type === 'year') out.y = Number(p.value);
    else if (p.type === 'month') out.mo = Number(p.value);
    else if (p.type === 'day') out.d = Number(p.value);
    else if (p.type === 'hour') out.h = Number(p.value);
    else if (p.type === 'minute') out.mi = Number(p.value);
    else if (p.type === 'second') out.s = Number(p.value);
  }
  return out;
}

/** Whether `timeZone` is an IANA zone name this runtime knows ("Europe/Copenhagen"). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterOf(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Offset of the zone's wall clock from UTC at instant `at`, in ms (Copenhagen in summer: +7,200,000). */
export function zoneOffsetMs(timeZone: string, at: number): number {
  const w = wallClock(at, timeZone);
  const asUtc = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** The instant a wall-clock time happens in the zone (in a gap, the instant after it; in an overlap, the first). */
function instantOf(w: WallClock, timeZone: string): number {
  const guess = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi);
  const first = guess - zoneOffsetMs(timeZone, guess);
  const second = guess - zoneOffsetMs(timeZone, first);
  if (first === second) return first;
  // the two offsets differ around a change: prefer the earlier instant that shows this wall time
  const a = Math.min(first, second);
  const b = Math.max(first, second);
  return zoneOffsetMs(timeZone, a) === guess - a ? a : b;
}

/** Start of the bucket holding `at`: the hour, day, month or year on the zone's wall clock. */
export function bucketStart(at: number, resolution: Resolution, timeZone: string): number {
  const w = wallClock(at, timeZone);
  if (resolution === 'hour') return at - ((w.mi * 60 + w.s) * 1000 + (at - Math.floor(at / 1000) * 1000));
  if (resolution === 'day') return instantOf({ y: w.y, mo: w.mo, d: w.d, h: 0, mi: 0 }, timeZone);
  if (resolution === 'month') return instantOf({ y: w.y, mo: w.mo, d: 1, h: 0, mi: 0 }, timeZone);
  return instantOf({ y: w.y, mo: 1, d: 1, h: 0, mi: 0 }, timeZone);
}

/** Start of the bucket after the one starting at `start`. */
export function nextBucket(start: number, resolution: Resolution, timeZone: string): number {
  if (resolution === 'hour') return start + 3_600_000;
  const w = wallClock(start, timeZone);
  // Date.UTC normalises day 32 and month 13
  const n = new Date(
    Date.UTC(w.y + (resolution === 'year' ? 1 : 0), w.mo - 1 + (resolution === 'month' ? 1 : 0), w.d + (resolution === 'day' ? 1 : 0))
  );
  return instantOf({ y: n.getUTCFullYear(), mo: n.getUTCMonth() + 1, d: n.getUTCDate(), h: 0, mi: 0 }, timeZone);
}

/**
 * Boundaries of the buckets covering [from, to): the start of the bucket holding `from`, then
 * each next start, ending with the first boundary at or after `to`. Throws RangeError past
 * `maxBuckets` (a caller's range check should come first).
 */
export function bucketBoundaries(from: number, to: number, resolution: Resolution, timeZone: string, maxBuckets = 100_000): number[] {
  if (!(to > from)) throw new RangeError(`to: expected a time after from (${from}), got ${to}`);
  const out = [bucketStart(from, resolution, timeZone)];
  while (out[out.length - 1] < to) {
    if (out.length > maxBuckets) throw new RangeError(`range: expected at most ${maxBuckets} ${resolution} buckets, got more`);
    out.push(nextBucket(out[out.length - 1], resolution, timeZone));
  }
  return out;
}

/** Index of the bucket holding `at` in `boundaries`, or -1 outside them (binary search). */
export function bucketIndex(boundaries: readonly number[], at: number): number {
  if (boundaries.length < 2 || at < boundaries[0] || at >= boundaries[boundaries.length - 1]) return -1;
  let lo = 0;
  let hi = boundaries.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (boundaries[mid] <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------
// Consumption

/** A meter at the metering point from `from` to `to` (null: still there). Both ends inclusive for readings. */
export interface Installation {
  meter: number | string;
  from: number;
  to: number | null;
}

/** One value of a cumulative register (kWh, m3, ...), read at `at`. */
export interface RegisterValue {
  at: number;
  value: number;
}

/** A decrease up to this much (kWh, m3) is register noise, not a reset: the `tolerance` the server uses. */
export const REGISTER_TOLERANCE = { energy: 0.001, volume: 0.0001 } as const;

export interface ConsumptionOptions {
  /** Bucket i is [boundaries[i], boundaries[i + 1]); see bucketBoundaries. */
  boundaries: readonly number[];
  /** A decrease up to this much is noise and kept as it is (telescoping sums stay right). Default 0. */
  tolerance?: number;
  /**
   * The register value at which a meter wraps to 0 (a 5-digit m3 display: 100000). Default: the
   * power of ten just above the value before the drop.
   */
  rolloverAt?: (meter: number | string) => number | undefined;
  /** How near the top a value must be for a drop to count as a rollover, as a share of it (default 0.1). */
  rolloverMargin?: number;
}

export interface ConsumptionBucket {
  from: number;
  to: number;
  /** Consumption whose later reading falls in this bucket; null when no two readings span into it. */
  value: number | null;
  /** An installation starts or ends in this bucket (meter exchange, new or removed meter). */
  exchange: boolean;
  /** A register wrapped to 0 in this bucket; the value includes the wrap. */
  rollover: boolean;
  /** A register fell by more than the tolerance without a rollover (reset, wrong reading): that step counts 0. */
  reset: boolean;
}

export interface Consumption {
  buckets: ConsumptionBucket[];
  /** Sum of the bucket values. */
  total: number;
}

/** The power of ten just above `v` (99,998 → 100,000; 0.5 → 1). */
function powerOfTenAbove(v: number): number {
  let p = 1;
  while (p <= v) p *= 10;
  return p;
}

/**
 * Consumption per bucket at a metering point. Within each installation, the step between two
 * consecutive readings of its meter (readings at `from` ≤ at ≤ `to`) is their difference, and
 * counts in the bucket of the later reading; a reading before the first boundary opens the first
 * bucket. Between installations nothing is counted: the new meter starts from its first reading.
 * A drop of more than `tolerance` from near the top of the register to near 0 is a rollover
 * (the step is value + top − previous); any other such drop is a reset (the step counts 0).
 * `readings` holds each meter's values sorted by time.
 */
export function consumption(
  installations: readonly Installation[],
  readings: ReadonlyMap<number | string, readonly RegisterValue[]>,
  opts: ConsumptionOptions
): Consumption {
  const b = opts.boundaries;
  const tolerance = opts.tolerance ?? 0;
  const margin = opts.rolloverMargin ?? 0.1;
  const buckets: ConsumptionBucket[] = [];
  for (let i = 0; i + 1 < b.length; i++) {
    buckets.push({ from: b[i], to: b[i + 1], value: null, exchange: false, rollover: false, reset: false });
  }
  const add = (at: number, step: number): ConsumptionBucket | null => {
    const i = bucketIndex(b, at);
    if (i < 0) return null;
    const bucket = buckets[i];
    bucket.value = (bucket.value ?? 0) + step;
    return bucket;
  };

  for (const inst of installations) {
    for (const edge of [inst.from, inst.to]) {
      if (edge === null) continue;
      const i = bucketIndex(b, edge);
      if (i >= 0) buckets[i].exchange = true;
    }
    const values = readings.get(inst.meter) ?? [];
    const end = inst.to ?? Infinity;
    let prev: RegisterValue | null = null;
    for (const r of values) {
      if (r.at < inst.from || r.at > end) continue;
      if (prev !== null) {
        const diff = r.value - prev.value;
        if (diff >= -tolerance) {
          add(r.at, roundRegister(diff));
        } else {
          const top = opts.rolloverAt?.(inst.meter) ?? powerOfTenAbove(prev.value);
          const wrapped = top - prev.value + r.value;
          const isRollover = prev.value >= top * (1 - margin) && r.value <= top * margin && wrapped >= 0;
          const bucket = add(r.at, isRollover ? roundRegister(wrapped) : 0);
          if (bucket) {
            if (isRollover) bucket.rollover = true;
            else bucket.reset = true;
          }
        }
      }
      prev = r;
    }
  }

  let total = 0;
  for (const bucket of buckets) {
    if (bucket.value !== null) {
      bucket.value = roundRegister(bucket.value);
      total += bucket.value;
    }
  }
  return { buckets, total: roundRegister(total) };
}

/**
 * Differences of decimal registers (6.408 − 6.1) without binary noise: to 6 decimals, finer
 * than any register a meter sends in kWh or m3 (they give at most 4).
 */
export function roundRegister(v: number): number {
  const r = Math.round(v * 1e6) / 1e6;
  return r === 0 ? 0 : r;
}
