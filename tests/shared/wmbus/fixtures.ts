// Loading the published vectors of tests/fixtures/wmbus and comparing values across units.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataRecord } from '../../../shared/model/record.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/wmbus');

export function fixture<T = Record<string, any>>(name: string): T {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as T;
}

export function fixtureNames(prefix: string): string[] {
  return readdirSync(DIR)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => f.slice(0, -5));
}

export function bytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** Factor to one base unit per dimension, for comparing values the doc states in other units. */
const FACTORS: Record<string, [string, number]> = {
  Wh: ['energy', 1e-3],
  kWh: ['energy', 1],
  MWh: ['energy', 1e3],
  J: ['energy', 1 / 3.6e6],
  GJ: ['energy', 1e9 / 3.6e6],
  m3: ['volume', 1],
  l: ['volume', 1e-3],
  'm3/h': ['flow', 1],
  'l/h': ['flow', 1e-3],
  W: ['power', 1e-3],
  kW: ['power', 1],
  '°C': ['temperature', 1],
  K: ['temperature', 1]
};

/** True when some record holds `value` in `unit` (any unit of the same dimension). */
export function hasValue(records: DataRecord[], value: number, unit: string, storage?: number): boolean {
  const [dim, f] = FACTORS[unit];
  return records.some((r) => {
    const u = FACTORS[r.unit];
    if (u === undefined || u[0] !== dim || typeof r.value !== 'number') return false;
    if (storage !== undefined && r.storage !== storage) return false;
    const a = r.value * u[1];
    const b = value * f;
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  });
}
