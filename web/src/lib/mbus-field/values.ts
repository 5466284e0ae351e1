// What the wired M-Bus page shows of a read: the main registers of its telegrams (EN 13757-3
// records via protocols.md §3, decoded by shared/mbus/frame.ts), in a fixed order, and the words
// for a meter's identity. Pure: a read's decoded telegrams in, rows out.

import type { MbusFrame } from '$shared/mbus/frame';
import type { DataRecord } from '$shared/model/record';

export interface ShownValue {
  /** The record's quantity: "energy", "volume", "flow temperature" … */
  quantity: string;
  value: number;
  unit: string;
}

/** The registers a reader checks on site, in the order shown. */
const MAIN: readonly string[] = ['energy', 'volume', 'power', 'volume flow', 'flow temperature', 'return temperature'];

/** Current values only: storage 0 (not the billing date's), tariff 0, instantaneous, a number. */
function isCurrent(r: DataRecord): r is DataRecord & { value: number } {
  return r.storage === 0 && r.tariff === 0 && r.subunit === 0 && r.function === 'instantaneous' && typeof r.value === 'number';
}

/**
 * The main values of a read: the first current record of each MAIN quantity over all its
 * telegrams (a multi-telegram read spreads them, §8.7), energy first. Empty when none.
 */
export function mainValues(telegrams: readonly MbusFrame[]): ShownValue[] {
  const found = new Map<string, ShownValue>();
  for (const t of telegrams) {
    for (const r of t.records) {
      if (!isCurrent(r) || !MAIN.includes(r.quantity) || found.has(r.quantity)) continue;
      found.set(r.quantity, { quantity: r.quantity, value: r.value, unit: r.unit });
    }
  }
  return MAIN.flatMap((q) => (found.has(q) ? [found.get(q)!] : []));
}

/** The local reading's fields: { energy: { value, unit }, … } (db/wired.ts). */
export function readingFields(values: readonly ShownValue[]): Record<string, { value: number; unit: string }> {
  return Object.fromEntries(values.map((v) => [v.quantity, { value: v.value, unit: v.unit }]));
}

/** Canonical units as a person reads them: Wh → kWh or MWh, m3 → m³. */
export function valueText(v: ShownValue): string {
  let { value, unit } = v;
  if (unit === 'Wh') {
    if (Math.abs(value) >= 1e7) [value, unit] = [value / 1e6, 'MWh'];
    else [value, unit] = [value / 1e3, 'kWh'];
  } else if (unit === 'W' && Math.abs(value) >= 1000) [value, unit] = [value / 1e3, 'kW'];
  const shown = unit.replace('m3', 'm³');
  const digits = Number.isInteger(value) ? 0 : Math.abs(value) >= 100 ? 2 : 3;
  return `${value.toLocaleString('en-GB', { maximumFractionDigits: digits })} ${shown}`.trim();
}

/** "Energy" for "energy". */
export const quantityText = (q: string): string => q.charAt(0).toUpperCase() + q.slice(1);
