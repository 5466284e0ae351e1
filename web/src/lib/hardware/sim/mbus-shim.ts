// A fake `navigator.serial` whose one port is a USB M-Bus level converter with a simulated
// segment behind it (shared/mbus/sim: SimBus + SimLine with real timers), so the wired M-Bus page
// runs the real Web Serial adapter, TransportMbusLink and the master against real bytes, for
// Playwright and the demo. Asked for with an `mbus` part in the init config:
//
//   globalThis.__READOUT_SIM__ = { seed: 3, startEpochMs: Date.now(), mbus: { meters: 12, seed: 3, speed: 20 } };
//
// install.ts loads this module lazily, only then. The page runs its master `speed` times faster
// too (mbusSimSpeed), so the line's timing and the master's timeouts keep their proportions.

import { SimBus, SimLine, simSegment, type SimFaults, type SimMbusMeter } from '$shared/mbus/sim/index';
import { registerSimLink, SIM_GLOBAL } from './control';

export interface SimMbusConfig {
  /** Meters on the segment, 1..250 (simSegment); default 12. Ignored when `list` is given. */
  meters?: number;
  /** simSegment's seed; default 1. */
  seed?: number;
  /** The line runs this many times faster than a cable; default 1. */
  speed?: number;
  /** Exactly these meters instead of a generated segment. */
  list?: SimMbusMeter[];
  faults?: SimFaults;
  /** What the chooser does: pick the converter (default), be closed without a choice, or be blocked. */
  chooser?: 'pick' | 'cancel' | 'deny';
}

/** The `mbus` part of the init config, or null. */
export function requestedMbusConfig(): SimMbusConfig | null {
  const c = (globalThis as Record<string, unknown>)[SIM_GLOBAL] as { mbus?: unknown } | null | undefined;
  return c !== null && typeof c === 'object' && c.mbus !== null && typeof c.mbus === 'object' ? (c.mbus as SimMbusConfig) : null;
}

const realTimers = { now: () => Date.now(), setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>) };

/** The Web Serial SerialPort, as far as web-serial.ts uses it, with a simulated M-Bus segment on the far side. */
export class SimMbusSerialPort extends EventTarget {
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  /** The segment: its meters' registers advance with real time from when the page made it. */
  readonly bus: SimBus;
  readonly speed: number;
  #line: SimLine | null = null;
  #unregister: (() => void) | null = null;

  constructor(config: SimMbusConfig) {
    super();
    const meters = config.list ?? simSegment(config.meters ?? 12, { seed: config.seed ?? 1 });
    this.bus = new SimBus({ meters, startEpochMs: Date.now(), ...(config.faults ? { faults: config.faults } : {}) });
    this.speed = config.speed ?? 1;
    if (!(this.speed > 0)) throw new RangeError(`simulated M-Bus: speed expected > 0, got ${this.speed}`);
  }

  getInfo(): { usbVendorId: number; usbProductId: number } {
    return { usbVendorId: 0x0403, usbProductId: 0x6001 }; // an FTDI FT232R, as web-serial.ts lists for M-Bus level converters
  }

  async open(options: { baudRate: number; parity?: string; dataBits?: number }): Promise<void> {
    if (this.#line) throw new DOMException('The port is already open.', 'InvalidStateError');
    // EN 13757-2: 8E1 (protocols.md §8.1); a converter opened otherwise hears only noise
    if (options.parity !== 'even' || (options.dataBits ?? 8) !== 8) console.warn(`simulated M-Bus converter: opened ${options.dataBits}${options.parity}, the bus is 8E1`);
    const line = new SimLine(this.bus, { baud: options.baudRate, timeScale: this.speed, timers: realTimers });
    this.#line = line;
    let stop = false;
    this.readable = new ReadableStream<Uint8Array>({
      pull: async (c) => {
        // the line's answers, as they come; a long wait ends with null and the loop asks again
        for (;;) {
          if (stop) return; // cancelled by the reader: the stream is closed already
          if (this.#line !== line) return c.close();
          const chunk = await line.read(1000).catch(() => null);
          if (stop) return;
          if (chunk && chunk.length > 0) return c.enqueue(chunk);
        }
      },
      cancel: () => void (stop = true)
    });
    this.writable = new WritableStream<Uint8Array>({ write: (chunk) => line.write(chunk) });
    this.#unregister = registerSimLink({ name: 'serial', isOpen: () => this.#line !== null, drop: () => this.unplug() });
  }

  async close(): Promise<void> {
    this.#line?.close();
    this.#line = null;
    this.readable = null;
    this.writable = null;
    this.#unregister?.();
    this.#unregister = null;
  }

  async forget(): Promise<void> {
    await this.close();
  }

  /** As if the converter was pulled out: the line stops, readable and writable go null. */
  unplug(): boolean {
    if (!this.#line) return false;
    void this.close();
    this.dispatchEvent(new Event('disconnect'));
    return true;
  }
}

/** Replaces navigator.serial with one offering the simulated converter. Returns the port, or null without a config. */
export function installSimulatedMbusSerial(config?: SimMbusConfig): SimMbusSerialPort | null {
  const cfg = config ?? requestedMbusConfig();
  if (cfg === null) return null;
  const port = new SimMbusSerialPort(cfg);
  let granted = false;
  const serial = Object.assign(new EventTarget(), {
    async requestPort(): Promise<SimMbusSerialPort> {
      if (cfg.chooser === 'cancel') throw new DOMException('No port selected by the user.', 'NotFoundError');
      if (cfg.chooser === 'deny') throw new DOMException('Access to the feature "serial" is disallowed by permissions policy.', 'SecurityError');
      granted = true;
      return port;
    },
    async getPorts(): Promise<SimMbusSerialPort[]> {
      return granted ? [port] : [];
    }
  });
  Object.defineProperty(globalThis.navigator, 'serial', { value: serial, configurable: true });
  return port;
}
