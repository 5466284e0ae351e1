// Weather and clock for the demo town: a Danish outdoor temperature per hour (seasonal mean,
// daily swing, weather that drifts over days), the local hour (CET/CEST) and the day of year.

import { Rng } from './random.js';

export const HOUR_MS = 3_600_000;

/** Last Sunday of a month, 01:00 UTC (the EU summer-time switch). */
function lastSunday(year: number, month: number): number {
  const last = new Date(Date.UTC(year, month + 1, 0, 1));
  return last.getTime() - last.getUTCDay() * 86_400_000;
}

/** Hour of the day in Danish local time (CET, CEST in summer), 0..23. */
export function localHour(at: number): number {
  const year = new Date(at).getUTCFullYear();
  const summer = at >= lastSunday(year, 2) && at < lastSunday(year, 9);
  return Math.floor(at / HOUR_MS + (summer ? 2 : 1)) % 24;
}

/** Day of the week in local time, 0 Sunday .. 6 Saturday. */
export function localWeekday(at: number): number {
  return new Date(at + HOUR_MS).getUTCDay();
}

/** Fractional day of the year, 0 = 1 January 00:00 UTC. */
export function dayOfYear(at: number): number {
  const d = new Date(at);
  return (at - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000;
}

export interface Climate {
  /** First hour (UTC ms, on the hour) and number of hours. */
  start: number;
  hours: number;
  /** Outdoor temperature, °C, per hour. */
  outdoor: Float64Array;
  /** Outdoor temperature as a building feels it (smoothed over ~12 h), °C. */
  felt: Float64Array;
  localHour: Uint8Array;
  weekday: Uint8Array;
  /** 0 in midwinter .. 1 in midsummer (for loads that follow the season, not the weather). */
  season: Float64Array;
}

/**
 * Danish climate: monthly means from about 0.5 °C (January/February) to 16.5 °C (July), a daily
 * swing of 2-5 K peaking mid-afternoon, and weather: an AR(1) drift of σ 3.5 K that changes over
 * about three days.
 */
export function makeClimate(seed: string, start: number, hours: number): Climate {
  const rng = Rng.derive(seed, 'climate');
  const outdoor = new Float64Array(hours);
  const felt = new Float64Array(hours);
  const lh = new Uint8Array(hours);
  const wd = new Uint8Array(hours);
  const season = new Float64Array(hours);
  const phi = Math.exp(-1 / 72);
  const sigma = 3.5 * Math.sqrt(1 - phi * phi);
  let weather = rng.normal() * 3.5;
  let smooth = NaN;
  const alpha = 1 - Math.exp(-1 / 12);
  for (let h = 0; h < hours; h++) {
    const at = start + h * HOUR_MS;
    const doy = dayOfYear(at);
    const yearly = Math.cos((2 * Math.PI * (doy - 20)) / 365.25); // 1 in late January
    const mean = 8.4 - 8.0 * yearly;
    const hour = localHour(at);
    const swing = 3.5 - 1.5 * yearly; // 2 K in winter, 5 K in summer
    weather = phi * weather + sigma * rng.normal();
    const t = mean + swing * 0.5 * Math.cos((2 * Math.PI * (hour - 15)) / 24) + weather;
    outdoor[h] = t;
    smooth = Number.isNaN(smooth) ? t : smooth + alpha * (t - smooth);
    felt[h] = smooth;
    lh[h] = hour;
    wd[h] = localWeekday(at);
    season[h] = (1 - yearly) / 2;
  }
  return { start, hours, outdoor, felt, localHour: lh, weekday: wd, season };
}
