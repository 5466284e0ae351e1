// A generated M-Bus segment for tests, the demo and benchmarks: up to 250 meters of mixed
// models on primary addresses 1..n, with secondary ids that share leading digits so the
// wildcard search (protocols.md §8.6) has to recurse several levels. Deterministic from the seed.

import type { SimMbusMeter, SimMbusModel } from './models.js';
import { randomInt, seededRandom } from './random.js';

export interface SimSegmentOptions {
  seed?: number;
  /**
   * Ids in clusters that share 4 to 7 leading digits (default true): probes collide at several
   * levels of the wildcard tree. False: ids spread over the whole range.
   */
  collide?: boolean;
  /** The last k meters take the primary address of meters 1..k (two meters per address). */
  duplicatePrimary?: number;
  /** Every k-th meter (1st, k+1th, …) has a valve; default 10, 0 for none. */
  valveEvery?: number;
}

const MODELS: readonly [SimMbusModel, number][] = [
  ['multical-403', 0.4],
  ['multical-603', 0.2],
  ['oms-water', 0.25],
  ['oms-heat', 0.15],
];

export function simSegment(n: number, o: SimSegmentOptions = {}): SimMbusMeter[] {
  if (!Number.isInteger(n) || n < 1 || n > 250) throw new RangeError(`simSegment: n expected 1..250 meters, got ${n}`);
  const dup = o.duplicatePrimary ?? 0;
  if (!Number.isInteger(dup) || dup < 0 || dup * 2 > n) throw new RangeError(`duplicatePrimary: expected 0..${Math.floor(n / 2)}, got ${dup}`);
  const random = seededRandom(o.seed ?? 1);
  const collide = o.collide ?? true;
  const valveEvery = o.valveEvery ?? 10;
  const ids = new Set<string>();
  const digits = (k: number): string => {
    let s = '';
    for (let i = 0; i < k; i++) s += String(randomInt(random, 10));
    return s;
  };
  // Clusters: a few 4-digit stems under one 2-digit root, then sub-stems of 5 and 7 digits.
  const root = String(10 + randomInt(random, 80));
  const stems = Array.from({ length: Math.max(2, Math.ceil(n / 25)) }, () => root + digits(2));
  const meters: SimMbusMeter[] = [];
  for (let i = 0; i < n; i++) {
    let id = '';
    do {
      if (!collide) id = digits(8);
      else {
        const stem = stems[randomInt(random, stems.length)];
        // a third of the ids share 7 digits with another one (only the last digit differs)
        id = random() < 0.33 && meters.length > 0 ? meters[randomInt(random, meters.length)].id.slice(0, 7) + digits(1) : stem + String(randomInt(random, 3)) + digits(3);
      }
    } while (ids.has(id));
    ids.add(id);
    const r = random();
    let acc = 0;
    let model: SimMbusModel = 'multical-403';
    for (const [m, p] of MODELS) {
      acc += p;
      if (r < acc) {
        model = m;
        break;
      }
    }
    const primaryAddress = i >= n - dup ? i - (n - dup) + 1 : i + 1;
    const meter: SimMbusMeter = { model, primaryAddress, id };
    if (valveEvery > 0 && i % valveEvery === 0) meter.valve = true;
    meters.push(meter);
  }
  return meters;
}
