// The driver registry: every meter family we read, how a meter finds its driver, and
// applyDriver, which turns a decoded telegram's records into a Reading.

import { compareAlarms } from '../model/alarm.js';
import type { MeterAddress } from '../model/address.js';
import type { Medium, Reading } from '../model/reading.js';
import type { Driver, DriverInput, FieldsRead } from './define.js';
import { driverMatches, mediumOf, readFields } from './define.js';
import { flowiq2200 } from './kamstrup/flowiq2200.js';
import { kamstrupHeatDrivers } from './kamstrup/heat.js';
import { multical21 } from './kamstrup/multical21.js';
import { omnipower } from './kamstrup/omnipower.js';
import { kamstrupPressure } from './kamstrup/pressure.js';
import { oms, tplStatusAlarms } from './oms.js';
import { apator162 } from './apator/apator162.js';
import { q400 } from './axioma/q400.js';
import { ebzWmbe } from './ebz/wmbe.js';
import { elvsense } from './elv/elvsense.js';
import { engelmannFaw } from './engelmann/faw.js';
import { em24 } from './gavazzi/em24.js';
import { gransystems } from './gran-system/gransystems.js';
import { qwater } from './qundis/qwater.js';
import { iem3000 } from './schneider/iem3000.js';
import { c5isf } from './zenner/c5isf.js';
import { izar } from './diehl/izar.js';
import { bfw240radio } from './bfw/bfw240radio.js';
import { hydrodigit } from './bmeters/hydrodigit.js';
import { ei6500 } from './ei/ei6500.js';
import { mkradio3, mkradio4 } from './techem/mkradio.js';

export type { Driver, DriverExample, DriverInput, DriverSpec, FieldSpec } from './define.js';
export { defineDriver } from './define.js';
export { oms, tplStatusAlarms } from './oms.js';

/** Specific drivers, matched on (manufacturer, version, device type). */
export const DRIVERS: readonly Driver[] = [
  multical21,
  flowiq2200,
  ...kamstrupHeatDrivers,
  omnipower,
  kamstrupPressure,
  em24,
  gransystems,
  q400,
  qwater,
  iem3000,
  ebzWmbe,
  elvsense,
  c5isf,
  engelmannFaw,
  apator162,
  izar,
  bfw240radio,
  hydrodigit,
  ei6500,
  mkradio3,
  mkradio4,
];

/** Every driver including the generic fallback (for the meters table and the examples test). */
export const ALL_DRIVERS: readonly Driver[] = [...DRIVERS, oms];

/**
 * The driver for a meter: the one that declares its (M, VER, TYPE) and, for drivers that say,
 * the telegram's transport CI; else the generic OMS driver.
 */
export function findDriver(address: MeterAddress, ci?: number): Driver {
  return DRIVERS.find((d) => driverMatches(d, address, ci)) ?? oms;
}

/** A driver by id or alias ("kamstrup-multical21", "multical21"), for user overrides; undefined if none. */
export function driverById(idOrAlias: string): Driver | undefined {
  const key = idOrAlias.toLowerCase();
  return ALL_DRIVERS.find((d) => d.id === key || (d.aliases ?? []).includes(key));
}

/** Reads a decoded telegram with its driver (by default the one findDriver picks). */
export function applyDriver(input: DriverInput, driver: Driver = findDriver(input.address, input.tpl?.ci)): Reading {
  return readingOf(driver, input, readFields(driver, input.records, input.manufacturerData?.bytes));
}

/** The Reading of a telegram from the fields its driver read (applyDriver, plan.ts readPlanned). */
export function readingOf(driver: Driver, input: DriverInput, { fields, alarms, unclaimed }: FieldsRead): Reading {
  const all = [...alarms, ...tplStatusAlarms(input.status)].sort(compareAlarms);
  const { manufacturer, id, version, deviceType } = input.address;
  const reading: Reading = {
    driver: driver.id,
    meter: { manufacturer, id, version, deviceType, medium: mediumOf(deviceType) },
    fields,
    alarms: all,
    unclaimed,
  };
  const primary = [driver.primary ?? []].flat().find((f) => f in fields);
  if (primary !== undefined) reading.primary = primary;
  return reading;
}

/** One row of the meters table (README, style.md §9): which meters each driver reads. */
export interface DriverRow {
  id: string;
  name: string;
  medium: Medium;
  aliases: readonly string[];
  /** "KAM 1B 06/16": manufacturer, version(s), device type(s) (and CIs) in hex; "any" for the fallback. */
  meters: string[];
  fields: string[];
}

const hexList = (v: number | readonly number[] | undefined): string =>
  v === undefined ? '*' : [v].flat().map((n) => n.toString(16).toUpperCase().padStart(2, '0')).join('/');

export function driverTable(): DriverRow[] {
  return ALL_DRIVERS.map((d) => ({
    id: d.id,
    name: d.name,
    medium: d.medium,
    aliases: d.aliases ?? [],
    meters:
      d.match.length === 0
        ? ['any']
        : d.match.map((m) => `${m.mfct} ${hexList(m.version)} ${hexList(m.type)}${m.ci === undefined ? '' : ` CI ${hexList(m.ci)}`}`),
    fields: Object.keys(d.fields),
  }));
}
