// A fake `navigator.bluetooth` whose one device is a BLE UART bridge (Nordic UART service,
// protocols.md §7.1) with the simulated iM871A behind it, so the real Web Bluetooth adapter
// (web-bluetooth.ts), the iM871A protocol over a BLE bridge (devices/ble-uart.ts), the framer and
// the decoder all run without hardware. Installed like the serial shim (field-app.ts, when
// `globalThis.__READOUT_SIM__` is set).
//
// What it keeps of the real thing, because the adapter depends on it:
// - requestDevice matches the filters' services; only services named in filters or
//   optionalServices may be opened (SecurityError otherwise); a closed chooser is NotFoundError.
// - Each gatt.connect() is a new GATT session: services and characteristics of an old session
//   stop working (writes fail with NetworkError, no notifications), so a reconnect must look
//   them up and subscribe again.
// - Notifications carry at most 20 bytes (ATT MTU 23, the default Web Bluetooth cannot raise);
//   the stick's bytes are cut wherever 20 bytes end, never on frame borders. Writes over 20 bytes fail.
// - gattserverdisconnected fires on a drop (control.ts dropLink) and on the page's own disconnect().
// - The stick behind the bridge keeps its power and settings across Bluetooth drops (it only
//   loses what it sent while nobody listened), unlike a USB stick that is unplugged.

import { dom, NUS, SIM_BLE_CHUNK, SimGattServer, SimGattSession, type SimGattDevice } from './gatt';
import { Outage, registerSimLink, type DropOptions } from './control';
import { SimEngine, type DriveSource, type SimSerialConfig } from './engine';
import type { SimIm871aPort } from './port';
import { requestedSimConfig } from './serial-shim';

export { SIM_BLE_CHUNK } from './gatt';
export const SIM_BLE_NAME = 'Readout sim BLE iM871A';

/** The Bluetooth device: a BLE UART bridge with a simulated iM871A on its UART. */
export class SimBleBridge extends EventTarget implements SimGattDevice {
  readonly id = 'sim-ble-uart-1';
  readonly name = SIM_BLE_NAME;
  readonly gatt = new SimGattServer(this);
  /** Services the page may open (from requestDevice). */
  allowed = new Set<string>();
  session: SimGattSession | null = null;
  /** Bytes the stick sent while no host listened (lost by the bridge). */
  droppedBytes = 0;
  #stick: Promise<SimIm871aPort> | null = null;
  #off = false;
  readonly #outage = new Outage();
  readonly #engine: SimEngine;
  #unregister: () => void;

  constructor(config: SimSerialConfig, drive?: DriveSource) {
    super();
    this.#engine = new SimEngine(config, drive);
    this.#unregister = registerSimLink({ name: 'bluetooth', isOpen: () => this.gatt.connected, drop: (o) => this.drop(o) });
  }

  async connect(): Promise<void> {
    if (this.#off) throw dom('NetworkError', 'Bluetooth adapter not available.');
    if (this.session?.live) return;
    if (this.#outage.refuses()) throw dom('NetworkError', 'Connection failed for unknown reason.');
    // The bridge powers its stick once and keeps it running (see the header).
    this.#stick ??= this.#engine.stick('Simulated iM871A behind a BLE bridge').then((port) => {
      void this.#forward(port);
      return port;
    });
    this.#stick.catch(() => (this.#stick = null));
    await this.#stick;
    this.session = new SimGattSession(this);
  }

  /** The page's own gatt.disconnect(). */
  hangUp(): void {
    if (!this.#end()) return;
    queueMicrotask(() => this.dispatchEvent(new Event('gattserverdisconnected')));
  }

  /** Out of range: the link ends without the page asking; reconnects are refused as `o` says. */
  drop(o: DropOptions = {}): boolean {
    if (!this.session?.live) return false;
    this.#outage.start(o);
    this.#end();
    this.dispatchEvent(new Event('gattserverdisconnected'));
    return true;
  }

  async fromHost(bytes: Uint8Array): Promise<void> {
    const stick = await this.#stick;
    await stick?.write(bytes);
  }

  /** Stops the stick and forgets the device (tests, uninstall). */
  async shutdown(): Promise<void> {
    this.#off = true;
    this.#end();
    this.#unregister();
    const stick = this.#stick;
    this.#stick = null;
    await (await stick?.catch(() => null))?.close();
  }

  #end(): boolean {
    return this.session?.end() ?? false;
  }

  async #forward(port: SimIm871aPort): Promise<void> {
    const reader = port.readable.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        const tx = this.session?.live ? this.session.service.tx : null;
        if (!tx?.notifying) {
          this.droppedBytes += value.length;
          continue;
        }
        for (let at = 0; at < value.length; at += SIM_BLE_CHUNK) tx.notify(value.slice(at, at + SIM_BLE_CHUNK));
      }
    } catch {
      // the stick was closed (shutdown)
    } finally {
      reader.releaseLock();
    }
  }
}

interface RequestOptions {
  filters?: Array<{ services?: string[]; name?: string; namePrefix?: string }>;
  optionalServices?: string[];
  acceptAllDevices?: boolean;
}

function matches(o: RequestOptions, d: SimBleBridge): boolean {
  if (o.acceptAllDevices) return true;
  return (o.filters ?? []).some(
    (f) =>
      (f.services ?? []).every((s) => s === NUS.service) &&
      (f.name === undefined || f.name === d.name) &&
      (f.namePrefix === undefined || d.name.startsWith(f.namePrefix))
  );
}

export interface SimBluetooth {
  config: SimSerialConfig;
  device: SimBleBridge;
  /** Stops the simulated stick and removes navigator.bluetooth again. */
  uninstall(): Promise<void>;
}

/** Replaces navigator.bluetooth with one offering the simulated BLE bridge. Null without a config. */
export function installSimulatedBluetooth(config?: SimSerialConfig, o: { drive?: DriveSource } = {}): SimBluetooth | null {
  const cfg = config ?? requestedSimConfig();
  if (cfg === null) return null;
  const device = new SimBleBridge(cfg, o.drive);
  const on = cfg.bluetoothOn !== false;
  const bluetooth = Object.assign(new EventTarget(), {
    async getAvailability(): Promise<boolean> {
      return on;
    },
    async requestDevice(options: RequestOptions): Promise<SimBleBridge> {
      if (!on) throw dom('NotFoundError', 'Bluetooth adapter not available.');
      if (!options || (!options.acceptAllDevices && !options.filters?.length)) {
        throw new TypeError("Failed to execute 'requestDevice' on 'Bluetooth': Either 'filters' should be present or 'acceptAllDevices' should be true, but not both.");
      }
      if (cfg.chooser === 'deny') throw dom('NotAllowedError', 'User denied the browser permission to scan for Bluetooth devices.');
      // A chooser without a matching device stays empty: the user can only cancel it.
      if (cfg.chooser === 'cancel' || !matches(options, device)) throw dom('NotFoundError', 'User cancelled the requestDevice() chooser.');
      device.allowed = new Set([...(options.filters ?? []).flatMap((f) => f.services ?? []), ...(options.optionalServices ?? [])]);
      return device;
    },
    async getDevices(): Promise<SimBleBridge[]> {
      return device.allowed.size > 0 ? [device] : [];
    }
  });
  Object.defineProperty(globalThis.navigator, 'bluetooth', { value: bluetooth, configurable: true });
  return {
    config: cfg,
    device,
    async uninstall() {
      await device.shutdown();
      delete (globalThis.navigator as unknown as Record<string, unknown>).bluetooth;
    }
  };
}
