// A fake `navigator.serial` whose one port is the simulated iM871A, so the real Web Serial
// adapter (web-serial.ts), the iM871A device code, the framer and the decoder all run in a browser
// without hardware: for Playwright e2e tests and for the demo.
//
// How (the simplest honest way; no separate bundle): the test injects a tiny init script that
// only sets a JSON config on `globalThis.__READOUT_SIM__` (simInitScript); the app, at start-up,
// calls installSimulatedSerialIfRequested(), which loads this module lazily only when the config
// is there and replaces navigator.serial before anything asks for a port:
//
//   // e2e:  await page.addInitScript({ content: simInitScript({ seed: 7, startEpochMs, speed: 20 }) });
//   // app:  if ('__READOUT_SIM__' in globalThis) (await import('$lib/hardware/sim/serial-shim')).installSimulatedSerial();

import { toHex, fromHex } from '$shared/bytes/hex';
import { realClock } from './clock';
import { DriveBySimulation } from './drive-by';
import { SimIm871aPort } from './port';
import { sampleDrive } from './sample';
import type { SimMeter, SimRoute } from './types';

export const SIM_GLOBAL = '__READOUT_SIM__';

/** JSON-safe: keys as hex. */
export type SimMeterJson = Omit<SimMeter, 'key'> & { key: string };

export interface SimSerialConfig {
  seed: number;
  /** Calendar time of the drive's start, ms since the epoch (the page's clock is not used). */
  startEpochMs: number;
  /** Virtual ms per real ms; default 1. */
  speed?: number;
  /** Meters and route; default sampleDrive(seed, sample). */
  meters?: SimMeterJson[];
  route?: SimRoute;
  sample?: { streets?: number; length?: number; speedKmh?: number };
  /** Link mode stored in the stick before the app sets one (HciLinkMode); default none. */
  linkMode?: number | null;
}

/** Source for Playwright's page.addInitScript({ content }). */
export function simInitScript(config: SimSerialConfig): string {
  return `globalThis[${JSON.stringify(SIM_GLOBAL)}] = ${JSON.stringify(config)};`;
}

export const meterToJson = (m: SimMeter): SimMeterJson => ({ ...m, key: toHex(m.key) });

function driveOf(c: SimSerialConfig): { meters: SimMeter[]; route: SimRoute } {
  if (c.meters && c.route) return { meters: c.meters.map((m) => ({ ...m, key: fromHex(m.key) })), route: c.route };
  return sampleDrive(c.seed, c.sample);
}

/** The Web Serial SerialPort, as far as web-serial.ts uses it, backed by a simulated iM871A. */
class SimSerialPort extends EventTarget {
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  #port: SimIm871aPort | null = null;
  readonly #config: SimSerialConfig;

  constructor(config: SimSerialConfig) {
    super();
    this.#config = config;
  }

  getInfo(): { usbVendorId: number; usbProductId: number } {
    return { usbVendorId: 0x10c4, usbProductId: 0xea60 }; // a CP210x bridge, as web-serial.ts lists for the iM871A-USB
  }

  async open(options: { baudRate: number }): Promise<void> {
    if (this.#port) throw new DOMException('The port is already open.', 'InvalidStateError');
    if (options.baudRate !== 57600) console.warn(`simulated iM871A: opened at ${options.baudRate} baud, the stick talks at 57600`);
    const c = this.#config;
    const { meters, route } = driveOf(c);
    const sim = new DriveBySimulation({ seed: c.seed, meters, route, startEpochMs: c.startEpochMs });
    const port = new SimIm871aPort(sim, { clock: realClock({ speed: c.speed ?? 1 }), linkMode: c.linkMode ?? null });
    await port.open();
    this.#port = port;
    // A real port's readable becomes null when it ends for good; the adapter's read loop relies on it.
    this.readable = port.readable.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({ flush: () => void (this.readable = null) }),
    );
    this.writable = new WritableStream<Uint8Array>({ write: (chunk) => port.write(chunk) });
  }

  async close(): Promise<void> {
    const port = this.#port;
    this.#port = null;
    this.readable = null;
    this.writable = null;
    await port?.close();
  }

  async forget(): Promise<void> {
    await this.close();
  }
}

/** Replaces navigator.serial with one offering a single simulated iM871A. Returns the config used, or null without one. */
export function installSimulatedSerial(config?: SimSerialConfig): SimSerialConfig | null {
  const c = config ?? (globalThis as Record<string, unknown>)[SIM_GLOBAL];
  if (c === undefined || c === null || typeof c !== 'object') return null;
  const cfg = c as SimSerialConfig;
  const port = new SimSerialPort(cfg);
  let granted = false;
  const serial = Object.assign(new EventTarget(), {
    async requestPort(): Promise<SimSerialPort> {
      granted = true;
      return port;
    },
    async getPorts(): Promise<SimSerialPort[]> {
      return granted ? [port] : [];
    },
  });
  Object.defineProperty(globalThis.navigator, 'serial', { value: serial, configurable: true });
  return cfg;
}
