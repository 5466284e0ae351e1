// The demo fleet: which meters stand where, who the customer is, each meter's key and the
// parameters of its consumption model, and the events seeded into its history (leaks, bursts,
// dry pipes, reverse flow, air, low battery). Deterministic from the seed.

import { Rng } from './random.js';
import { makeTown, type BuildingKind, type DemoAddress, type DemoCustomer, type District } from './town.js';

export type MeterKind = 'mc403' | 'mc603' | 'heat-oms' | 'mc21' | 'water-oms' | 'omnipower';

export interface MeterType {
  kind: MeterKind;
  manufacturer: string;
  version: number;
  deviceType: number;
  medium: 'heat' | 'water' | 'electricity';
  model: string;
  driver: string;
  /** Metering point number suffix: V heat (varme), K cold water, E electricity. */
  suffix: 'V' | 'K' | 'E';
}

export const METER_TYPES: Record<MeterKind, MeterType> = {
  mc403: { kind: 'mc403', manufacturer: 'KAM', version: 0x34, deviceType: 0x04, medium: 'heat', model: 'MULTICAL 403', driver: 'kamstrup-multical403', suffix: 'V' },
  mc603: { kind: 'mc603', manufacturer: 'KAM', version: 0x35, deviceType: 0x04, medium: 'heat', model: 'MULTICAL 603', driver: 'kamstrup-multical603', suffix: 'V' },
  'heat-oms': { kind: 'heat-oms', manufacturer: 'LUG', version: 0x0a, deviceType: 0x04, medium: 'heat', model: 'ULTRAHEAT T550', driver: 'oms', suffix: 'V' },
  mc21: { kind: 'mc21', manufacturer: 'KAM', version: 0x1b, deviceType: 0x16, medium: 'water', model: 'MULTICAL 21', driver: 'kamstrup-multical21', suffix: 'K' },
  'water-oms': { kind: 'water-oms', manufacturer: 'DME', version: 0x70, deviceType: 0x07, medium: 'water', model: 'HYDRUS', driver: 'oms', suffix: 'K' },
  omnipower: { kind: 'omnipower', manufacturer: 'KAM', version: 0x30, deviceType: 0x02, medium: 'electricity', model: 'OMNIPOWER', driver: 'kamstrup-omnipower', suffix: 'E' }
};

/** An event seeded into a meter's history, hours counted from the first reading (end excluded). */
export type DemoEventKind =
  | 'leak' // water: continuous small flow
  | 'burst' // water: very high flow for a few hours
  | 'dry' // water: empty pipe, no flow
  | 'reverse' // water: reverse flow, the register stands still
  | 'air' // heat: air in V1
  | 'heat-reverse' // heat: V1 wrong flow direction (meter mounted the wrong way after service)
  | 'supply-cut' // heat: supply interrupted (logged)
  | 'low-battery'; // heat: from the start hour to the end

export interface DemoEvent {
  kind: DemoEventKind;
  from: number;
  to: number;
  /** leak: litres per hour; burst: litres per hour. */
  rate?: number;
}

export interface HeatParams {
  /** Heat loss coefficient of the building, kW/K. */
  ua: number;
  /** Mean domestic hot water and circulation load, kW. */
  dhw: number;
  /** Design cooling (ΔT at full load), K: ~30 good, 10-15 poor. */
  designDeltaT: number;
  /** Temperature lost in the service pipe from the plant, K. */
  lineLoss: number;
  energy0: number; // kWh at the first reading
  volume0: number; // m³
}

export interface WaterParams {
  /** Mean use, litres per day. */
  daily: number;
  /** Night hours always without flow (true for houses: no false leak alarms). */
  quietNight: boolean;
  /** Flow (l/h) above which the MULTICAL 21 reports a burst, set for the installation. */
  burstLimit: number;
  volume0: number; // litres
}

export interface ElectricityParams {
  /** Mean power, kW. */
  mean: number;
  energy0: number; // kWh
}

export interface DemoMeter {
  index: number;
  type: MeterType;
  serial: string;
  key: Uint8Array;
  address: DemoAddress;
  /** Index into DemoFleet.customers. */
  customer: number;
  /** Metering point number: "7481-00012-V". */
  pointNumber: string;
  heat?: HeatParams;
  water?: WaterParams;
  electricity?: ElectricityParams;
  events: DemoEvent[];
}

export interface DemoFleet {
  seed: string;
  districts: District[];
  customers: DemoCustomer[];
  meters: DemoMeter[];
}

/**
 * `meters` meters over `hours` hours of history. About one meter in two is a heat meter, most
 * houses have a water meter, some an electricity meter; blocks of flats and businesses have a
 * MULTICAL 603 and a building water meter of another make.
 */
export function planFleet(seed: string, meters: number, hours: number): DemoFleet {
  const rng = Rng.derive(seed, 'fleet');
  const town = makeTown(Rng.derive(seed, 'town'));
  const customers: DemoCustomer[] = [];
  const list: DemoMeter[] = [];
  const serials = new Set<string>();
  let building = 0;

  const serialFor = (t: MeterType): string => {
    const lead = t.manufacturer === 'KAM' ? { mc403: 7, mc603: 6, mc21: 8, omnipower: 5 }[t.kind as 'mc403'] ?? 4 : 3;
    for (;;) {
      const s = `${lead}${String(rng.int(0, 9_999_999)).padStart(7, '0')}`;
      if (!serials.has(s)) {
        serials.add(s);
        return s;
      }
    }
  };

  while (list.length < meters) {
    const r = rng.next();
    const kind: BuildingKind = r < 0.9 ? 'house' : r < 0.96 ? 'block' : 'business';
    const address = town.nextAddress(kind);
    const customer = customers.length;
    customers.push(town.customerFor(kind, customer));
    const kinds: MeterKind[] = [];
    if (kind === 'house') {
      kinds.push(rng.chance(0.9) ? 'mc403' : 'heat-oms');
      if (rng.chance(0.88)) kinds.push(rng.chance(0.92) ? 'mc21' : 'water-oms');
      if (rng.chance(0.16)) kinds.push('omnipower');
    } else if (kind === 'block') {
      kinds.push('mc603', 'water-oms');
    } else {
      kinds.push('mc603');
      if (rng.chance(0.6)) kinds.push('mc21');
      kinds.push('omnipower');
    }
    building++;
    for (const k of kinds) {
      if (list.length >= meters) break;
      const type = METER_TYPES[k];
      const index = list.length;
      const m: DemoMeter = {
        index,
        type,
        serial: serialFor(type),
        key: Rng.derive(seed, `key/${index}`).bytes(16),
        address,
        customer,
        pointNumber: `${address.postalCode}-${String(building).padStart(5, '0')}-${type.suffix}`,
        events: []
      };
      const mr = Rng.derive(seed, `meter/${index}`);
      if (type.medium === 'heat') m.heat = heatParams(mr, kind);
      else if (type.medium === 'water') m.water = waterParams(mr, kind);
      else m.electricity = electricityParams(mr, kind);
      m.events = seedEvents(mr, m, hours);
      list.push(m);
    }
  }
  return { seed, districts: town.districts, customers, meters: list };
}

/**
 * A lone MULTICAL 403 in a house with its own model parameters and events, without a town
 * around it: for benchmarks that need many heat-meter series and no registry.
 */
export function planHeatMeter(seed: string, index: number, hours: number, address: DemoAddress): DemoMeter {
  const r = Rng.derive(seed, `meter/${index}`);
  const type = METER_TYPES.mc403;
  const m: DemoMeter = {
    index,
    type,
    serial: String(70_000_000 + index).padStart(8, '0'),
    key: Rng.derive(seed, `key/${index}`).bytes(16),
    address,
    customer: 0,
    pointNumber: `H-${index}`,
    heat: heatParams(r, 'house'),
    events: []
  };
  m.events = seedEvents(r, m, hours);
  return m;
}

function heatParams(r: Rng, kind: BuildingKind): HeatParams {
  const poor = r.chance(0.12);
  const ua = kind === 'house' ? r.range(0.1, 0.3) : kind === 'block' ? r.range(1.5, 6) : r.range(0.4, 2);
  const dhw = kind === 'house' ? r.range(0.15, 0.35) : kind === 'block' ? r.range(2, 8) : r.range(0.2, 1);
  const energy0 = Math.round(r.range(0.5, 8) * ua * 80_000) / 1; // kWh: a few to several years of use
  return {
    ua,
    dhw,
    designDeltaT: poor ? r.range(10, 15) : r.range(28, 36),
    lineLoss: r.range(1.5, 6),
    energy0,
    volume0: Math.round((energy0 / (1.163 * 25)) * 100) / 100
  };
}

function waterParams(r: Rng, kind: BuildingKind): WaterParams {
  const persons = r.int(1, 5);
  const daily = kind === 'house' ? persons * r.range(80, 130) : kind === 'block' ? r.range(6_000, 30_000) : r.range(300, 3_000);
  // a house's burst limit is 600 l/h; larger users' limits sit well above their busiest hour
  const burstLimit = kind === 'house' ? 600 : Math.ceil((daily / 24) * 8 / 100) * 100;
  return { daily, quietNight: kind === 'house', burstLimit, volume0: Math.round(r.range(50, 1500) * 1000) };
}

function electricityParams(r: Rng, kind: BuildingKind): ElectricityParams {
  const annual = kind === 'house' ? r.range(2_500, 6_000) : r.range(15_000, 80_000); // kWh
  return { mean: annual / 8760, energy0: Math.round(r.range(1, 10) * annual) };
}

/** Events, away from the first and the last day so both the bulk rows and the ingested sample show clean data at the ends. */
function seedEvents(r: Rng, m: DemoMeter, hours: number): DemoEvent[] {
  const events: DemoEvent[] = [];
  const start = (len: number) => r.int(48, Math.max(48, hours - 48 - len));
  const add = (kind: DemoEventKind, len: number, rate?: number) => {
    if (hours < len + 120) return;
    const from = start(len);
    events.push(rate === undefined ? { kind, from, to: from + len } : { kind, from, to: from + len, rate });
  };
  if (m.type.kind === 'mc21') {
    if (r.chance(0.06)) add('leak', r.int(3, 40) * 24, Math.round(r.range(2, 12)));
    if (r.chance(0.02)) add('burst', r.int(1, 4), Math.round(m.water!.burstLimit * r.range(1.3, 3)));
    if (r.chance(0.02)) add('dry', r.int(2, 20) * 24);
    if (r.chance(0.02)) add('reverse', r.int(1, 6));
  } else if (m.type.kind === 'mc403' || m.type.kind === 'mc603') {
    if (r.chance(0.03)) add('air', r.int(2, 12));
    if (r.chance(0.01)) add('heat-reverse', r.int(2, 10) * 24);
    if (r.chance(0.03)) add('supply-cut', r.int(1, 6));
    if (r.chance(0.01) && hours > 400) {
      const from = r.int(hours - 400, hours - 200);
      events.push({ kind: 'low-battery', from, to: hours });
    }
  }
  // non-overlapping per meter: drop an event that overlaps an earlier one
  events.sort((a, b) => a.from - b.from);
  return events.filter((e, i) => i === 0 || e.from >= events[i - 1].to);
}
