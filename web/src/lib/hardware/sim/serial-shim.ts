// A fake `navigator.serial` whose one port is the simulated iM871A, so the real Web Serial
// adapter (web-serial.ts), the iM871A device code, the framer and the decoder all run in a browser
// without hardware: for Playwright e2e tests and for the demo.
//
// How (the simplest honest way; no separate bundle): the test injects a tiny init script that
// only sets a JSON config on `globalThis.__READOUT_SIM__` (simInitScript); the app, at start-up
// (state/field-app.ts), loads this module lazily only when the config is there and replaces
// navigator.serial before anything asks for a port:
//
//   // e2e:  await page.addInitScript({ content: simInitScript({ seed: 7, startEpochMs, speed: 20 }) });
//   // app:  if ('__READOUT_SIM__' in globalThis) (await import('$lib/hardware/sim/serial-shim')).installSimulatedSerial();
//
// The port behaves like a USB stick: unplugging it (control.ts dropLink) errors the read with
// NetworkError and nulls `readable`, as Chrome does; a reopen during the outage fails with
// NetworkError; every open powers a fresh stick on the one running drive (engine.ts).

import { Outage, registerSimLink, SIM_GLOBAL, type DropOptions } from './control';
import { SimEngine, type DriveSource, type SimSerialConfig } from './engine';
import type { SimIm871aPort } from './port';

export { meterToJson, type SimMeterJson, type SimSerialConfig } from './engine';

export { SIM_GLOBAL } from './control';

/** Source for Playwright's page.addInitScript({ content }). */
export function simInitScript(config: SimSerialConfig): string {
  return `globalThis[${JSON.stringify(SIM_GLOBAL)}] = ${JSON.stringify(config)};`;
}

/** The config the init script left, or null. */
export function requestedSimConfig(): SimSerialConfig | null {
  const c = (globalThis as Record<string, unknown>)[SIM_GLOBAL];
  return c !== null && typeof c === 'object' ? (c as SimSerialConfig) : null;
}

export interface SimPortOptions {
  /** Builds the drive for `source: 'route'`. */
  drive?: DriveSource;
  /** The stick's label in the engine (what its HCI answers do not show; for logs). */
  label?: string;
}

/** The Web Serial SerialPort, as far as web-serial.ts uses it, backed by a simulated iM871A. */
export class SimSerialPort extends EventTarget {
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  #port: SimIm871aPort | null = null;
  #lose: ((e: unknown) => void) | null = null;
  #unregister: (() => void) | null = null;
  readonly #engine: SimEngine;
  readonly #outage = new Outage();
  readonly #label: string;

  constructor(config: SimSerialConfig, o: SimPortOptions = {}) {
    super();
    this.#engine = new SimEngine(config, o.drive);
    this.#label = o.label ?? 'Simulated iM871A (drive-by)';
  }

  getInfo(): { usbVendorId: number; usbProductId: number } {
    return { usbVendorId: 0x10c4, usbProductId: 0xea60 }; // a CP210x bridge, as web-serial.ts lists for the iM871A-USB
  }

  get isOpen(): boolean {
    return this.#port !== null;
  }

  async open(options: { baudRate: number }): Promise<void> {
    if (this.#port) throw new DOMException('The port is already open.', 'InvalidStateError');
    if (this.#outage.refuses()) throw new DOMException('Failed to open serial port.', 'NetworkError');
    if (options.baudRate !== 57600) console.warn(`simulated iM871A: opened at ${options.baudRate} baud, the stick talks at 57600`);
    const port = await this.#engine.stick(this.#label);
    this.#port = port;
    // A real port's readable becomes null when it ends for good; the adapter's read loop relies on it.
    let lose!: (e: unknown) => void;
    this.readable = port.readable.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        start: (c) => void (lose = (e) => c.error(e)),
        flush: () => void (this.readable = null)
      })
    );
    this.#lose = lose;
    this.writable = new WritableStream<Uint8Array>({ write: (chunk) => port.write(chunk) });
    this.#unregister = registerSimLink({ name: 'serial', isOpen: () => this.isOpen, drop: (d) => this.unplug(d) });
  }

  async close(): Promise<void> {
    const port = this.#port;
    this.#port = null;
    this.#lose = null;
    this.readable = null;
    this.writable = null;
    this.#unregister?.();
    this.#unregister = null;
    await port?.close();
  }

  async forget(): Promise<void> {
    await this.close();
  }

  /** As if the stick was pulled out: the pending read fails, readable and writable go null. */
  unplug(o: DropOptions = {}): boolean {
    const port = this.#port;
    if (!port) return false;
    this.#outage.start(o);
    this.#lose?.(new DOMException('The device has been lost.', 'NetworkError'));
    this.#lose = null;
    this.readable = null;
    this.writable = null;
    void port.close(); // the stick lost power; the host still has to close() its side
    this.dispatchEvent(new Event('disconnect'));
    return true;
  }
}

/** Replaces navigator.serial with one offering a single simulated iM871A. Returns the config used, or null without one. */
export function installSimulatedSerial(config?: SimSerialConfig, o: SimPortOptions = {}): SimSerialConfig | null {
  const cfg = config ?? requestedSimConfig();
  if (cfg === null) return null;
  const port = new SimSerialPort(cfg, o);
  let granted = false;
  const serial = Object.assign(new EventTarget(), {
    async requestPort(): Promise<SimSerialPort> {
      if (cfg.chooser === 'cancel') throw new DOMException('No port selected by the user.', 'NotFoundError');
      if (cfg.chooser === 'deny') throw new DOMException('Access to the feature "serial" is disallowed by permissions policy.', 'SecurityError');
      granted = true;
      return port;
    },
    async getPorts(): Promise<SimSerialPort[]> {
      return granted ? [port] : [];
    }
  });
  Object.defineProperty(globalThis.navigator, 'serial', { value: serial, configurable: true });
  return cfg;
}
