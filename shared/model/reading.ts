// What a driver makes of one decoded telegram: named fields with their units, the alarms the
// meter reports, who the meter is and which driver read it. Types only (style.md §1).
// A Reading carries no time: the caller knows when the frame was received (architecture.md §8).

import type { Alarm } from './alarm.js';
import type { MeterAddress } from './address.js';

/** What the meter measures, from its device type byte (protocols.md §1.5). */
export type Medium =
  | 'water'
  | 'warm-water'
  | 'hot-water'
  | 'heat'
  | 'cooling'
  | 'heat-cooling'
  | 'electricity'
  | 'gas'
  | 'oil'
  | 'steam'
  | 'compressed-air'
  | 'heat-cost-allocator'
  | 'pressure'
  | 'room-sensor'
  | 'smoke-detector'
  | 'other';

/**
 * Units a Reading uses: the canonical record units of the decoder contract
 * (../shared/conformance/README.md "Units") plus "m3·°C" for Kamstrup's E8/E9 averaging registers.
 */
export type Unit =
  | 'Wh' | 'kWh' | 'MWh' | 'J' | 'MJ' | 'GJ'
  | 'm3' | 'l'
  | 'm3/h' | 'l/h'
  | '°C' | 'K'
  | 'W' | 'kW' | 'MW'
  | 'bar'
  | 'V' | 'A'
  | 's' | 'min' | 'h' | 'd'
  | 'kg' | 't'
  | 'date' | 'datetime'
  | 'HCA' | '%RH'
  | 'm3·°C'
  | 'kvarh' | 'kVAh' | 'Hz' | '%' | 'ppm' | 'y'
  | '';

/** A value with its unit: `{ value: 6.408, unit: 'm3' }`. */
export interface Quantity {
  value: number;
  unit: Unit;
}

/**
 * One named field of a Reading.
 * - number: a measured quantity, converted to the unit the driver chose;
 * - string: a date ("2022-01-31") or date-time ("2024-01-15T11:46") with unit 'date'/'datetime';
 * - null: the meter sent the record but said "not available" (e.g. 7F temperatures, FF FF dates).
 * Status fields keep the raw word in `value` and the names of the bits that are set in `flags`.
 */
export interface ReadingField {
  value: number | string | null;
  unit: Unit;
  flags?: string[];
}

export interface ReadingMeter extends MeterAddress {
  medium: Medium;
}

export interface Reading {
  /** Id of the driver that made this reading: "kamstrup-multical21", "oms". */
  driver: string;
  meter: ReadingMeter;
  /** The register that billing and consumption use ("total", "energy"), when the driver names one. */
  primary?: string;
  fields: Record<string, ReadingField>;
  /** Most important first (compareAlarms). */
  alarms: Alarm[];
  /** DIF/VIF hex of the records no field claimed, in frame order: nothing is silently lost. */
  unclaimed: string[];
}
