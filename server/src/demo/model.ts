// The consumption model behind the demo readings: one hourly series per meter, in the units of
// the reading table (002-core.sql: energy J, volume mL, flow mL/h, power W, temperatures
// 0.01 °C, info as the meter sends it), with every register quantised to the resolution the
// meter's telegram carries, so a reading ingested from a telegram equals the bulk row.
//
// Heat: space heating follows degree-hours below 17 °C (building heat loss × (17 − felt outdoor
// temperature)) with a daily profile, plus hot water; the plant's supply temperature follows the
// weather, the meter sees it minus the service pipe's loss; cooling ΔT is ~30 K for most
// installations and 10-15 K for poor ones, lower at part load; volume = energy / (c · ΔT), so the
// registers keep E = V · ΔT · c (c = 1.163 kWh/(m³·K)). Water: a daily pattern with quiet nights,
// leaks, bursts, dry pipes and reverse flow seeded per meter and shown in the MULTICAL 21 info
// code (shared/drivers/kamstrup/info-codes.ts). Electricity: A+ with a daily and a seasonal profile.

import type { Climate } from './climate.js';
import type { DemoEvent, DemoEventKind, DemoMeter } from './fleet.js';
import { Rng } from './random.js';

/** Water's volumetric heat capacity, kWh/(m³·K). */
export const WATER_HEAT_CAPACITY = 1.163;

export const J_PER_KWH = 3_600_000;

/** One meter's hourly rows; a column is null when the meter does not send that register. */
export interface Series {
  energy: Float64Array | null; // J
  volume: Float64Array | null; // mL
  flow: Float64Array | null; // mL/h
  power: Float64Array | null; // W
  tFlow: Float64Array | null; // 0.01 °C
  tReturn: Float64Array | null; // 0.01 °C
  info: Float64Array | null; // info code (uint16/uint32 as sent)
}

/** Heat meter info code bits (MULTICAL 403/603, 04 FF 22; protocols.md §4.5.1). */
export const HEAT_INFO = { supplyCut: 1 << 0, lowBattery: 1 << 1, air: 1 << 8, reverse: 1 << 9 } as const;

/** MULTICAL 21 info code bits (02 FF 20; §4.5.2): active now, and duration codes in bits 4-15. */
export const WATER_INFO = { dry: 0, reverse: 1, leak: 2, burst: 3 } as const;

// Hourly shares of a day, local time (sum 1).
const SPACE_PROFILE = normalise([
  0.85, 0.85, 0.85, 0.85, 0.88, 0.95, 1.15, 1.2, 1.12, 1.0, 0.98, 0.96, 0.95, 0.95, 0.96, 0.98, 1.02, 1.08, 1.1, 1.08,
  1.05, 1.0, 0.92, 0.88
]);
const DHW_PROFILE = normalise([
  0.3, 0.25, 0.25, 0.25, 0.3, 0.6, 1.6, 2.2, 1.8, 1.1, 0.9, 0.9, 1.0, 0.9, 0.8, 0.8, 1.0, 1.4, 1.7, 1.6, 1.4, 1.2,
  0.8, 0.5
]);
const WATER_WEEKDAY = normalise([
  0.2, 0.1, 0, 0, 0.1, 0.8, 2.6, 3.0, 1.8, 1.0, 0.8, 0.8, 1.0, 0.8, 0.7, 0.8, 1.2, 1.8, 2.2, 1.9, 1.6, 1.3, 0.9, 0.5
]);
const WATER_WEEKEND = normalise([
  0.3, 0.2, 0, 0, 0.05, 0.2, 0.6, 1.4, 2.4, 2.4, 1.8, 1.4, 1.4, 1.2, 1.0, 1.0, 1.2, 1.7, 2.0, 1.8, 1.5, 1.3, 1.0, 0.6
]);
const ELECTRICITY_PROFILE = normalise([
  0.45, 0.4, 0.38, 0.38, 0.4, 0.5, 0.9, 1.2, 1.0, 0.85, 0.8, 0.85, 0.9, 0.85, 0.85, 0.95, 1.25, 1.8, 2.0, 1.8, 1.5,
  1.2, 0.9, 0.6
]);

function normalise(v: number[]): Float64Array {
  const sum = v.reduce((a, b) => a + b, 0);
  return Float64Array.from(v, (x) => (x * 24) / sum); // mean 1 per hour
}

/** Per hour: the event kind active then, or 0. */
function eventMask(events: readonly DemoEvent[], hours: number): { at: (h: number) => DemoEvent | null } {
  if (events.length === 0) return { at: () => null };
  return {
    at(h) {
      for (const e of events) if (h >= e.from && h < e.to) return e;
      return null;
    }
  };
}

export function meterSeries(seed: string, meter: DemoMeter, climate: Climate): Series {
  if (meter.heat) return heatSeries(seed, meter, climate);
  if (meter.water) return waterSeries(seed, meter, climate);
  return electricitySeries(seed, meter, climate);
}

function heatSeries(seed: string, meter: DemoMeter, c: Climate): Series {
  const p = meter.heat!;
  const rng = Rng.derive(seed, `series/${meter.index}`);
  const n = c.hours;
  const energy = new Float64Array(n);
  const volume = new Float64Array(n);
  const flow = new Float64Array(n);
  const power = new Float64Array(n);
  const tFlow = new Float64Array(n);
  const tReturn = new Float64Array(n);
  const kam = meter.type.manufacturer === 'KAM';
  const info = kam ? new Float64Array(n) : null;
  const events = eventMask(meter.events, n);
  const designLoad = p.ua * 25 + p.dhw * 2;
  let e = p.energy0; // kWh
  let v = p.volume0; // m³
  for (let h = 0; h < n; h++) {
    const lh = c.localHour[h];
    const need = Math.max(0, 17 - c.felt[h]);
    const space = p.ua * need * SPACE_PROFILE[lh] * Math.max(0.6, 1 + 0.08 * rng.normal());
    const hotWater = p.dhw * (0.35 + 0.65 * DHW_PROFILE[lh] * Math.max(0, 1 + 0.5 * rng.normal()));
    let load = space + hotWater; // kW, mean over the hour
    const supply = Math.min(85, 70 + 0.9 * Math.max(0, 12 - c.outdoor[h]));
    const lf = Math.min(1, load / designLoad);
    const tf = supply - p.lineLoss * (1 + 1.2 * (1 - lf)) + 0.3 * rng.normal();
    let dt = p.designDeltaT * (0.55 + 0.45 * lf) + 0.5 * rng.normal();
    dt = Math.min(Math.max(dt, 3), tf - 15);
    const ev = events.at(h);
    let bits = 0;
    if (ev) {
      if (ev.kind === 'air') bits |= HEAT_INFO.air;
      else if (ev.kind === 'heat-reverse') bits |= HEAT_INFO.reverse;
      else if (ev.kind === 'supply-cut') bits |= HEAT_INFO.supplyCut;
      else if (ev.kind === 'low-battery') bits |= HEAT_INFO.lowBattery;
      // air, reverse flow and a cut supply: the meter counts nothing in that hour
      if (ev.kind !== 'low-battery') load = 0;
    }
    const dv = load > 0 ? load / (WATER_HEAT_CAPACITY * dt) : 0; // m³ in this hour
    e += load;
    v += dv;
    // registers at the resolution of the telegram (energy 1 kWh, volume 0.01 m³, flow 1 l/h,
    // power 0.1 kW, temperatures 0.01 °C)
    energy[h] = Math.floor(e) * J_PER_KWH;
    volume[h] = Math.floor(v * 100 + 1e-9) * 10_000;
    flow[h] = Math.round(dv * 1000) * 1000;
    power[h] = Math.round(load * 10) * 100;
    tFlow[h] = Math.round(tf * 100);
    tReturn[h] = Math.round((tf - dt) * 100);
    if (info) info[h] = bits;
  }
  return { energy, volume, flow, power, tFlow, tReturn, info };
}

/** MULTICAL 21 duration code for a number of hours within the last 30 days (§4.5.2). */
export function waterDurationCode(hours: number): number {
  if (hours <= 0) return 0;
  if (hours <= 8) return 1;
  if (hours <= 24) return 2;
  if (hours <= 72) return 3;
  if (hours <= 168) return 4;
  if (hours <= 336) return 5;
  if (hours <= 504) return 6;
  return 7;
}

const WINDOW = 30 * 24;

function waterSeries(seed: string, meter: DemoMeter, c: Climate): Series {
  const p = meter.water!;
  const rng = Rng.derive(seed, `series/${meter.index}`);
  const n = c.hours;
  const volume = new Float64Array(n);
  const flow = new Float64Array(n);
  const kam = meter.type.manufacturer === 'KAM';
  const info = kam ? new Float64Array(n) : null;
  const events = eventMask(meter.events, n);
  // per condition: active per hour (ring of the last 30 days) and the count in the window
  const active = [new Uint8Array(n), new Uint8Array(n), new Uint8Array(n), new Uint8Array(n)];
  const inWindow = [0, 0, 0, 0];
  let v = p.volume0; // litres
  let sinceZero = 0;
  let dayFactor = 1;
  for (let h = 0; h < n; h++) {
    const lh = c.localHour[h];
    if (lh === 0 || h === 0) dayFactor = Math.max(0.3, 1 + 0.25 * rng.normal()); // busy and quiet days
    const weekend = c.weekday[h] === 0 || c.weekday[h] === 6;
    const share = (weekend ? WATER_WEEKEND : WATER_WEEKDAY)[lh] / 24;
    let litres = p.daily * dayFactor * share * Math.max(0, 1 + 0.45 * rng.normal());
    if (p.quietNight && (lh === 2 || lh === 3)) litres = 0;
    else if (p.quietNight && share < 0.02 && rng.chance(0.5)) litres = 0;
    const ev = events.at(h);
    let kind: DemoEventKind | null = null;
    if (ev) {
      kind = ev.kind;
      if (kind === 'leak' || kind === 'burst') litres += ev.rate ?? 0;
      else if (kind === 'dry' || kind === 'reverse') litres = 0;
    }
    const lh1 = Math.round(litres); // l/h as the meter shows it
    v += litres;
    volume[h] = Math.floor(v + 1e-9) * 1000;
    flow[h] = lh1 * 1000;
    if (!info) continue;
    sinceZero = lh1 === 0 ? 0 : sinceZero + 1;
    const now = [kind === 'dry', kind === 'reverse', sinceZero >= 24, lh1 >= p.burstLimit];
    let code = 0;
    for (let i = 0; i < 4; i++) {
      active[i][h] = now[i] ? 1 : 0;
      inWindow[i] += active[i][h];
      if (h >= WINDOW) inWindow[i] -= active[i][h - WINDOW];
      if (now[i]) code |= 1 << i;
      code |= waterDurationCode(inWindow[i]) << (4 + 3 * i);
    }
    info[h] = code;
  }
  return { energy: null, volume, flow, power: null, tFlow: null, tReturn: null, info };
}

function electricitySeries(seed: string, meter: DemoMeter, c: Climate): Series {
  const p = meter.electricity!;
  const rng = Rng.derive(seed, `series/${meter.index}`);
  const n = c.hours;
  const energy = new Float64Array(n);
  const power = new Float64Array(n);
  let e = p.energy0; // kWh
  for (let h = 0; h < n; h++) {
    const seasonal = 1 + 0.25 * (1 - 2 * c.season[h]);
    const kw = p.mean * seasonal * ELECTRICITY_PROFILE[c.localHour[h]] * Math.max(0.2, 1 + 0.3 * rng.normal());
    e += kw;
    energy[h] = Math.floor(e * 100 + 1e-9) * 36_000; // 10 Wh register
    power[h] = Math.round(kw * 1000);
  }
  return { energy, volume: null, flow: null, power, tFlow: null, tReturn: null, info: null };
}
