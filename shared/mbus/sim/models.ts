// The meters the simulated bus carries and what they hold at a point in time. Each model
// reports through the record layout of a real telegram (protocols.md §3.8 / §8.10): MULTICAL
// 403 as TV-10 (one RSP_UD), MULTICAL 603 as TV-11 split over three telegrams (§8.7), and two
// plain OMS-style meters from another manufacturer. Values follow a constant power or flow per
// meter from `startEpochMs`, so registers grow with time and two reads at the same instant agree.

import type { RecordSpec } from '../encode-records.js';

export type SimMbusModel = 'multical-403' | 'multical-603' | 'oms-water' | 'oms-heat';

export interface SimMbusMeter {
  model: SimMbusModel;
  primaryAddress: number;
  /** 8 decimal digits as printed on the meter. */
  id: string;
  /** Three-letter code; default KAM for MULTICAL, DME (water) and LUG (heat) for the OMS models. */
  manufacturer?: string;
  version?: number;
  deviceType?: number;
  /** Has a valve driven by the generic digital output (contract A, GENERIC_DIGITAL_OUTPUT). */
  valve?: boolean;
  /**
   * The rate the meter listens at. Undefined: auto-baud (it hears any rate, as Kamstrup modules
   * do) until a baud-rate command (CI B8..BF) fixes it.
   */
  baud?: number;
}

/** Default identification per model (§4.1: Kamstrup version 0x34 = 403, 0x35 = 603; heat = 04). */
export const MODEL_DEFAULTS: Record<SimMbusModel, { manufacturer: string; version: number; deviceType: number }> = {
  'multical-403': { manufacturer: 'KAM', version: 0x34, deviceType: 0x04 },
  'multical-603': { manufacturer: 'KAM', version: 0x35, deviceType: 0x04 },
  'oms-water': { manufacturer: 'DME', version: 0x20, deviceType: 0x07 },
  'oms-heat': { manufacturer: 'LUG', version: 0x0a, deviceType: 0x04 },
};

/**
 * What a meter shows at one instant, already at the resolution of its registers (what the
 * telegram carries and what a decoder must read back). Heat fields are absent on water meters.
 */
export interface SimReading {
  /** Meter clock (UTC) at type F resolution, "2024-01-15T11:46". */
  dateTime: string;
  volumeM3: number;
  flowM3h: number;
  energyKWh?: number;
  powerKW?: number;
  flowTemperatureC?: number;
  returnTemperatureC?: number;
  /** MULTICAL E8/E9: volume × flow/return temperature, m³·°C. */
  e8?: number;
  e9?: number;
  operatingHours?: number;
  /** Billing (target) date: the first day of the current month, storage 1 values. */
  targetDate?: string;
  targetEnergyKWh?: number;
  targetVolumeM3?: number;
}

/** A meter's physics, fixed by its id: nominal power (heat) or flow (water) and start registers. */
export interface SimPhysics {
  powerKW: number;
  flowM3h: number;
  flowTemperatureC: number;
  returnTemperatureC: number;
  energy0KWh: number;
  volume0M3: number;
  hours0: number;
}

/** Deterministic physics from the id digits (a hash, not random: the same meter on every run). */
export function physicsOf(meter: SimMbusMeter): SimPhysics {
  let h = 2166136261;
  for (const ch of meter.id + meter.model) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const u = (k: number): number => ((Math.imul(h ^ (k * 0x9e3779b9), 0x85ebca6b) >>> 0) % 10007) / 10007;
  const heat = meter.model !== 'oms-water';
  const powerKW = meter.model === 'multical-603' ? 100 + 800 * u(1) : meter.model === 'oms-heat' ? 3 + 27 * u(1) : 5 + 35 * u(1);
  const flowTemperatureC = 55 + 30 * u(2);
  const returnTemperatureC = flowTemperatureC - (15 + 15 * u(3));
  // 1.163 kWh heat per m³ of water and kelvin
  const flowM3h = heat ? powerKW / (1.163 * (flowTemperatureC - returnTemperatureC)) : 0.02 + 0.3 * u(1);
  const hours0 = 2000 + Math.floor(40000 * u(4));
  return {
    powerKW: heat ? powerKW : 0,
    flowM3h,
    flowTemperatureC,
    returnTemperatureC,
    energy0KWh: heat ? powerKW * hours0 * 0.5 : 0,
    volume0M3: flowM3h * hours0 * 0.5,
    hours0,
  };
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

function minuteText(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

function monthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Raw register values (integers as sent) of a meter at `nowMs`, and their reading. */
export interface SimRegisters {
  reading: SimReading;
  /** Record specs per telegram, in order; more than one for multi-telegram models. */
  telegrams: RecordSpec[][];
}

/** The registers and telegram records of `meter` at `nowMs`. `valveOpen` adds the state record. */
export function registersOf(meter: SimMbusMeter, p: SimPhysics, startEpochMs: number, nowMs: number, valveOpen?: boolean): SimRegisters {
  const hours = Math.max(0, (nowMs - startEpochMs) / 3_600_000);
  const targetMs = monthStart(nowMs);
  const targetHours = Math.max(0, (targetMs - startEpochMs) / 3_600_000);
  const energy = (h: number): number => p.energy0KWh + p.powerKW * h;
  const volume = (h: number): number => p.volume0M3 + p.flowM3h * h;
  const dateTime = minuteText(nowMs);
  const targetDate = minuteText(targetMs).slice(0, 10);
  const t1 = Math.round(p.flowTemperatureC * 100);
  const t2 = Math.round(p.returnTemperatureC * 100);
  // Contract A / protocols.md §8.9: the valve state is the digital input record 01 FD 1B, bit 0 = open.
  const valve: RecordSpec[] = valveOpen === undefined ? [] : [{ type: 'int8', vif: [0xfd, 0x1b], value: valveOpen ? 1 : 0 }];

  switch (meter.model) {
    case 'multical-403': {
      // TV-10 layout (protocols.md §3.8)
      const e = Math.floor(energy(hours));
      const v10l = Math.floor(volume(hours) * 100);
      const flowLh = Math.round(p.flowM3h * 1000);
      const e8 = Math.floor((v10l / 100) * p.flowTemperatureC);
      const e9 = Math.floor((v10l / 100) * p.returnTemperatureC);
      const minutes = Math.floor((p.hours0 + hours) * 60);
      return {
        reading: {
          dateTime,
          energyKWh: e,
          volumeM3: v10l / 100,
          flowM3h: flowLh / 1000,
          flowTemperatureC: t1 / 100,
          returnTemperatureC: t2 / 100,
          e8,
          e9,
          operatingHours: minutes / 60,
        },
        telegrams: [
          [
            { type: 'int32', quantity: 'energy kWh', value: e },
            { type: 'int32', vif: [0xff, 0x07], value: e8 },
            { type: 'int32', vif: [0xff, 0x08], value: e9 },
            { type: 'int32', quantity: 'volume 10 l', value: v10l },
            { type: 'int32', quantity: 'volume flow l/h', value: flowLh },
            { type: 'int16', quantity: 'flow temperature 0.01 °C', value: t1 },
            { type: 'int16', quantity: 'return temperature 0.01 °C', value: t2 },
            { type: 'int32', vif: [0xff, 0x22], value: 0 },
            { type: 'int32', vif: [0xa5, 0xff, 0x21], value: minutes },
            ...valve,
          ],
        ],
      };
    }
    case 'multical-603': {
      // TV-11 layout (protocols.md §8.10), cut after the info code and after the storage-1 block
      const e = Math.floor(energy(hours) / 100); // 0.1 MWh
      const te = Math.floor(energy(targetHours) / 100);
      const v = Math.floor(volume(hours));
      const tv = Math.floor(volume(targetHours));
      const e8 = Math.floor(v * p.flowTemperatureC);
      const e9 = Math.floor(v * p.returnTemperatureC);
      const te8 = Math.floor(tv * p.flowTemperatureC);
      const te9 = Math.floor(tv * p.returnTemperatureC);
      const onHours = Math.floor(p.hours0 + hours);
      const powerKW = Math.round(p.powerKW);
      const flow10lh = Math.round(p.flowM3h * 100);
      const fabrication = Number(meter.id.split('').reverse().join(''));
      return {
        reading: {
          dateTime,
          energyKWh: e * 100,
          volumeM3: v,
          flowM3h: flow10lh / 100,
          powerKW,
          flowTemperatureC: t1 / 100,
          returnTemperatureC: t2 / 100,
          e8,
          e9,
          operatingHours: onHours,
          targetDate,
          targetEnergyKWh: te * 100,
          targetVolumeM3: tv,
        },
        telegrams: [
          [
            { type: 'int32', quantity: 'energy 0.1 MWh', value: e },
            { type: 'int32', vif: [0xff, 0x07], value: e8 },
            { type: 'int32', vif: [0xff, 0x08], value: e9 },
            { type: 'int32', quantity: 'volume m3', value: v },
            { type: 'int32', quantity: 'volume 10 l', subunit: 1, value: 0 },
            { type: 'int32', quantity: 'volume 10 l', subunit: 2, value: 0 },
            { type: 'int32', quantity: 'on time h', value: onHours },
            { type: 'int32', quantity: 'on time h', function: 'error', value: 0 },
            { type: 'int16', quantity: 'flow temperature 0.01 °C', value: t1 },
            { type: 'int16', quantity: 'return temperature 0.01 °C', value: t2 },
            { type: 'int16', quantity: 'temperature difference 0.01 K', value: t1 - t2 },
            { type: 'int32', quantity: 'power kW', value: powerKW },
            { type: 'int32', quantity: 'power kW', function: 'maximum', value: Math.round(powerKW * 1.3) },
            { type: 'int32', quantity: 'volume flow 10 l/h', value: flow10lh },
            { type: 'int32', quantity: 'volume flow 10 l/h', function: 'maximum', value: Math.round(flow10lh * 1.3) },
            { type: 'int32', vif: [0xff, 0x22], value: 0 },
          ],
          [
            { type: 'int32', quantity: 'datetime', value: dateTime },
            { type: 'int32', quantity: 'energy 0.1 MWh', storage: 1, value: te },
            { type: 'int32', vif: [0xff, 0x07], storage: 1, value: te8 },
            { type: 'int32', vif: [0xff, 0x08], storage: 1, value: te9 },
            { type: 'int32', quantity: 'volume m3', storage: 1, value: tv },
            { type: 'int32', quantity: 'volume 10 l', storage: 1, subunit: 1, value: 0 },
            { type: 'int32', quantity: 'volume 10 l', storage: 1, subunit: 2, value: 0 },
            { type: 'int32', quantity: 'power kW', function: 'maximum', storage: 1, value: Math.round(powerKW * 1.2) },
            { type: 'int32', quantity: 'volume flow 10 l/h', function: 'maximum', storage: 1, value: Math.round(flow10lh * 1.2) },
          ],
          [
            { type: 'int16', quantity: 'date', storage: 1, value: targetDate },
            { type: 'int16', vif: [0xff, 0x1a], value: 0x1b01 },
            { type: 'bcd8', quantity: 'fabrication number', value: fabrication },
            { type: 'int32', vif: [0xff, 0x16], value: 2000101 },
            { type: 'int32', vif: [0xff, 0x17], value: 11851201 },
            ...valve,
          ],
        ],
      };
    }
    case 'oms-water': {
      const l = Math.floor(volume(hours) * 1000);
      const tl = Math.floor(volume(targetHours) * 1000);
      const flowLh = Math.round(p.flowM3h * 1000);
      return {
        reading: { dateTime, volumeM3: l / 1000, flowM3h: flowLh / 1000, targetDate, targetVolumeM3: tl / 1000 },
        telegrams: [
          [
            { type: 'bcd8', quantity: 'volume l', value: l },
            { type: 'int16', quantity: 'volume flow l/h', value: flowLh },
            { type: 'int32', quantity: 'datetime', value: dateTime },
            { type: 'bcd8', quantity: 'volume l', storage: 1, value: tl },
            { type: 'int16', quantity: 'date', storage: 1, value: targetDate },
            { type: 'int16', quantity: 'error flags', value: 0 },
            ...valve,
          ],
        ],
      };
    }
    case 'oms-heat': {
      const e = Math.floor(energy(hours));
      const te = Math.floor(energy(targetHours));
      const v10l = Math.floor(volume(hours) * 100);
      const power100W = Math.round(p.powerKW * 10);
      const flowLh = Math.round(p.flowM3h * 1000);
      const t1d = Math.round(p.flowTemperatureC * 10);
      const t2d = Math.round(p.returnTemperatureC * 10);
      return {
        reading: {
          dateTime,
          energyKWh: e,
          volumeM3: v10l / 100,
          flowM3h: flowLh / 1000,
          powerKW: power100W / 10,
          flowTemperatureC: t1d / 10,
          returnTemperatureC: t2d / 10,
          targetDate,
          targetEnergyKWh: te,
        },
        telegrams: [
          [
            { type: 'bcd8', quantity: 'energy kWh', value: e },
            { type: 'bcd8', quantity: 'volume 10 l', value: v10l },
            { type: 'bcd6', quantity: 'power 0.1 kW', value: power100W },
            { type: 'bcd6', quantity: 'volume flow l/h', value: flowLh },
            { type: 'bcd4', vif: [0x5a], value: t1d }, // flow temperature 0.1 °C
            { type: 'bcd4', vif: [0x5e], value: t2d }, // return temperature 0.1 °C
            { type: 'int32', quantity: 'datetime', value: dateTime },
            { type: 'bcd8', quantity: 'energy kWh', storage: 1, value: te },
            { type: 'int16', quantity: 'date', storage: 1, value: targetDate },
            { type: 'int16', quantity: 'error flags', value: 0 },
            ...valve,
          ],
        ],
      };
    }
  }
}
