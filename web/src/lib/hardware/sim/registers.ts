// What a simulated meter measures at an instant: registers that advance plausibly with time
// (energy and volume grow at the meter's own mean rate, temperatures and flow wander a little,
// info codes 0), written as the records its telegram carries. Each field keeps the value a
// decoder must read back, scaled by hand from the VIF (protocols.md §3.5) — the tests compare.
//
// Record lists match the predeclared compact formats of protocols.md §4.2, so a receiver can
// decode a compact frame before it has seen a full one, as in the field:
//   MULTICAL 403 "4D B3": 0406 04FF07 04FF08 0414 043B 0259 025D 04FF22 026C 4406 4414 426C
//   MULTICAL 21  "ED A8": 02FF20 0413 4413 615B 6167

import type { RecordSpec } from '$shared/mbus/encode-records';
import { between, hashText, normal } from './random';
import type { SimField, SimMeter } from './types';

const HOUR_MS = 3_600_000;
/** Registers count from here; E0/V0 are the readings at this instant (2024-01-01T00:00Z). */
const ORIGIN_MS = Date.UTC(2024, 0, 1);
/** Water's volumetric heat capacity, kWh/(m³·K). */
const WATER_HEAT_CAPACITY = 1.163;

function field(record: RecordSpec, value: number | string, unit: string): SimField {
  return { record, value, unit, storage: record.storage ?? 0 };
}

const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const isoMinute = (ms: number): string => new Date(ms).toISOString().slice(0, 16);
/** The billing (target) date: the first of the month, 00:00 UTC. */
function targetMs(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

interface HeatParams {
  powerKw: number;
  deltaK: number;
  flowC: number;
  energy0: number; // kWh at ORIGIN_MS
  volume0: number; // m³ at ORIGIN_MS
}

function heatParams(meterSeed: number): HeatParams {
  return {
    powerKw: between(1.5, 8, meterSeed, 1),
    deltaK: between(22, 35, meterSeed, 2),
    flowC: between(62, 75, meterSeed, 3),
    energy0: Math.floor(between(5_000, 60_000, meterSeed, 4)),
    volume0: between(200, 2_500, meterSeed, 5),
  };
}

function heatAt(p: HeatParams, ms: number): { energy: number; volume10l: number } {
  const hours = Math.max(0, (ms - ORIGIN_MS) / HOUR_MS);
  const energy = p.energy0 + p.powerKw * hours;
  const volume = p.volume0 + (p.powerKw * hours) / (WATER_HEAT_CAPACITY * p.deltaK);
  return { energy: Math.floor(energy), volume10l: Math.floor(volume * 100) };
}

function kamstrupHeat(meterSeed: number, ms: number, count: number): SimField[] {
  const p = heatParams(meterSeed);
  const now = heatAt(p, ms);
  const target = heatAt(p, targetMs(ms));
  const meanLh = (p.powerKw / (WATER_HEAT_CAPACITY * p.deltaK)) * 1000;
  const flowLh = Math.max(0, Math.round(meanLh * (1 + 0.05 * normal(meterSeed, 10, count))));
  const t1 = Math.round((p.flowC + 0.3 * normal(meterSeed, 11, count)) * 100);
  const t2 = Math.round((p.flowC - p.deltaK + 0.3 * normal(meterSeed, 12, count)) * 100);
  const m3 = now.volume10l / 100;
  // E8/E9 = Σ m³·t1 and Σ m³·t2 (§4.4): the volume weighted by the mean temperatures
  const e8 = Math.floor(m3 * p.flowC);
  const e9 = Math.floor(m3 * (p.flowC - p.deltaK));
  return [
    field({ type: 'int32', quantity: 'energy kWh', value: now.energy }, now.energy, 'kWh'),
    field({ type: 'int32', vif: [0xff, 0x07], value: e8 }, e8, 'm3C'), // Kamstrup E8, m³·°C
    field({ type: 'int32', vif: [0xff, 0x08], value: e9 }, e9, 'm3C'), // Kamstrup E9
    field({ type: 'int32', quantity: 'volume 10 l', value: now.volume10l }, m3, 'm3'),
    field({ type: 'int32', quantity: 'volume flow l/h', value: flowLh }, flowLh / 1000, 'm3/h'),
    field({ type: 'int16', quantity: 'flow temperature 0.01 °C', value: t1 }, t1 / 100, '°C'),
    field({ type: 'int16', quantity: 'return temperature 0.01 °C', value: t2 }, t2 / 100, '°C'),
    field({ type: 'int32', vif: [0xff, 0x22], value: 0 }, 0, ''), // info code, §4.5.1
    field({ type: 'int16', quantity: 'date', value: isoDate(ms) }, isoDate(ms), 'date'),
    field({ type: 'int32', quantity: 'energy kWh', storage: 1, value: target.energy }, target.energy, 'kWh'),
    field({ type: 'int32', quantity: 'volume 10 l', storage: 1, value: target.volume10l }, target.volume10l / 100, 'm3'),
    field({ type: 'int16', quantity: 'date', storage: 1, value: isoDate(targetMs(ms)) }, isoDate(targetMs(ms)), 'date'),
  ];
}

function waterLitres(meterSeed: number, ms: number): number {
  const daily = between(80, 450, meterSeed, 20); // litres per day
  const days = Math.max(0, (ms - ORIGIN_MS) / (24 * HOUR_MS));
  return Math.floor(between(20_000, 400_000, meterSeed, 21) + daily * days);
}

function kamstrupWater(meterSeed: number, ms: number): SimField[] {
  const litres = waterLitres(meterSeed, ms);
  const target = waterLitres(meterSeed, targetMs(ms));
  const minWaterC = Math.round(between(5, 11, meterSeed, 22));
  const minAmbientC = Math.round(between(8, 18, meterSeed, 23));
  return [
    field({ type: 'int16', vif: [0xff, 0x20], value: 0 }, 0, ''), // info codes, §4.5.2
    field({ type: 'int32', quantity: 'volume l', value: litres }, litres / 1000, 'm3'),
    field({ type: 'int32', quantity: 'volume l', storage: 1, value: target }, target / 1000, 'm3'),
    field({ type: 'int8', vif: [0x5b], function: 'minimum', storage: 1, value: minWaterC }, minWaterC, '°C'),
    field({ type: 'int8', vif: [0x67], function: 'minimum', storage: 1, value: minAmbientC }, minAmbientC, '°C'),
  ];
}

function omsWater(meterSeed: number, ms: number): SimField[] {
  const litres = waterLitres(meterSeed, ms);
  const target = waterLitres(meterSeed, targetMs(ms));
  return [
    field({ type: 'int32', quantity: 'volume l', value: litres }, litres / 1000, 'm3'),
    field({ type: 'int32', quantity: 'datetime', value: isoMinute(ms) }, isoMinute(ms), 'datetime'),
    field({ type: 'int16', quantity: 'error flags', value: 0 }, 0, ''),
    field({ type: 'int32', quantity: 'volume l', storage: 1, value: target }, target / 1000, 'm3'),
    field({ type: 'int16', quantity: 'date', storage: 1, value: isoDate(targetMs(ms)) }, isoDate(targetMs(ms)), 'date'),
  ];
}

function omsHeat(meterSeed: number, ms: number, count: number): SimField[] {
  const p = heatParams(meterSeed);
  const now = heatAt(p, ms);
  const target = heatAt(p, targetMs(ms));
  const t1 = Math.round((p.flowC + 0.3 * normal(meterSeed, 11, count)) * 100);
  const t2 = Math.round((p.flowC - p.deltaK + 0.3 * normal(meterSeed, 12, count)) * 100);
  return [
    field({ type: 'int32', quantity: 'energy kWh', value: now.energy }, now.energy, 'kWh'),
    field({ type: 'int32', quantity: 'volume 10 l', value: now.volume10l }, now.volume10l / 100, 'm3'),
    field({ type: 'int16', quantity: 'flow temperature 0.01 °C', value: t1 }, t1 / 100, '°C'),
    field({ type: 'int16', quantity: 'return temperature 0.01 °C', value: t2 }, t2 / 100, '°C'),
    field({ type: 'int32', quantity: 'datetime', value: isoMinute(ms) }, isoMinute(ms), 'datetime'),
    field({ type: 'int32', quantity: 'energy kWh', storage: 1, value: target.energy }, target.energy, 'kWh'),
    field({ type: 'int16', quantity: 'date', storage: 1, value: isoDate(targetMs(ms)) }, isoDate(targetMs(ms)), 'date'),
  ];
}

/** A stable number per meter, mixed with the simulation seed. */
export function meterSeedOf(seed: number, meter: Pick<SimMeter, 'manufacturer' | 'id'>): number {
  return (hashText(`${meter.manufacturer} ${meter.id}`) ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
}

/**
 * The meter's registers at `epochMs` (its `count`-th transmission): pure, so the same instant
 * always gives the same values.
 */
export function registersAt(meter: SimMeter, meterSeed: number, epochMs: number, count: number): SimField[] {
  switch (meter.kind) {
    case 'kamstrup-heat-403':
      return kamstrupHeat(meterSeed, epochMs, count);
    case 'kamstrup-water-21':
      return kamstrupWater(meterSeed, epochMs);
    case 'oms-water':
      return omsWater(meterSeed, epochMs);
    case 'oms-heat':
      return omsHeat(meterSeed, epochMs, count);
  }
}
