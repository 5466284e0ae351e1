// One simulated drive shared by every simulated stick the page opens: the car keeps driving and
// the meters keep sending while a stick is unplugged or its Bluetooth link is down, so after a
// reconnect the drive goes on where the clock is (the telegrams of the gap are lost, as they
// would be), instead of starting over and replaying telegrams already read.

import { fromHex, toHex } from '$shared/bytes/hex';
import { realClock, type SimClock } from './clock';
import { DriveBySimulation } from './drive-by';
import { SimIm871aPort } from './port';
import { sampleDrive } from './sample';
import type { SimMeter, SimRoute } from './types';

/** JSON-safe: keys as hex. */
export type SimMeterJson = Omit<SimMeter, 'key'> & { key: string };

export interface SimDrive {
  meters: SimMeter[];
  route: SimRoute;
}

export interface SimSerialConfig {
  seed: number;
  /** Calendar time of the drive's start, ms since the epoch (the page's clock is not used). */
  startEpochMs: number;
  /** Virtual ms per real ms; default 1. */
  speed?: number;
  /** Where the meters come from: given here (meters + route), the sample town (default), or the device's route (from-route.ts, needs its keys). */
  source?: 'sample' | 'route';
  /** Meters and route; default sampleDrive(seed, sample). */
  meters?: SimMeterJson[];
  route?: SimRoute;
  sample?: { streets?: number; length?: number; speedKmh?: number };
  /** Link mode stored in the stick before the app sets one (HciLinkMode); default none. */
  linkMode?: number | null;
  /** What the chooser does: pick the simulated device (default), be closed without a choice, or be blocked by a permission. */
  chooser?: 'pick' | 'cancel' | 'deny';
  /** Whether the simulated computer's Bluetooth is on (default true). */
  bluetoothOn?: boolean;
}

/** Builds the drive when it is not in the config (the route of the device). */
export type DriveSource = () => Promise<SimDrive>;

export const meterFromJson = (m: SimMeterJson): SimMeter => ({ ...m, key: fromHex(m.key) });
export const meterToJson = (m: SimMeter): SimMeterJson => ({ ...m, key: toHex(m.key) });

async function driveOf(c: SimSerialConfig, source?: DriveSource): Promise<SimDrive> {
  if (c.meters && c.route) return { meters: c.meters.map(meterFromJson), route: c.route };
  if (c.source === 'route') {
    if (!source) throw new TypeError('simulated receiver: source "route" needs a drive source (from-route.ts)');
    return source();
  }
  return sampleDrive(c.seed, c.sample);
}

export class SimEngine {
  #ready: Promise<{ sim: DriveBySimulation; clock: SimClock }> | null = null;
  #powered = false;

  constructor(
    readonly config: SimSerialConfig,
    readonly source?: DriveSource
  ) {}

  /** A freshly powered iM871A on the running drive (its RAM settings are the stored ones), opened. */
  async stick(label: string): Promise<SimIm871aPort> {
    this.#ready ??= driveOf(this.config, this.source).then(({ meters, route }) => {
      if (meters.length === 0) throw new RangeError('simulated receiver: the drive has no meters');
      const c = this.config;
      const sim = new DriveBySimulation({ seed: c.seed, meters, route, startEpochMs: c.startEpochMs });
      return { sim, clock: realClock({ speed: c.speed ?? 1 }) };
    });
    this.#ready.catch(() => (this.#ready = null));
    const { sim, clock } = await this.#ready;
    // Telegrams the meters sent while no stick listened are gone; virtual time has moved on.
    if (this.#powered) sim.advance(Math.max(sim.doneMs, clock.now()));
    this.#powered = true;
    const port = new SimIm871aPort(sim, { clock, linkMode: this.config.linkMode ?? null, label });
    await port.open();
    return port;
  }
}
