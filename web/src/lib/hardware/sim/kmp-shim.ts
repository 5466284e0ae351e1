// A simulated optical head on a simulated MULTICAL 603 (shared/kmp/sim: SimKmpMeter behind
// SimOpticalHead, on real timers), offered to the page as the browser would offer a real head:
// - via 'serial': navigator.serial's one port is a USB optical head (1200 8N2, protocols.md §5.1);
// - via 'bluetooth': navigator.bluetooth's one device is a BLE UART head (Nordic UART service,
//   §7.1): 20-byte notifications, writes of at most 20 bytes, one GATT session per connect().
// Both echo what the page sends, as IR heads do (§5.1). Asked for with a `kmp` part in the init
// config (install.ts loads this module lazily, only then):
//
//   globalThis.__READOUT_SIM__ = { seed: 1, startEpochMs: Date.now(), kmp: { serial: 71234567, speed: 20, via: 'serial' } };
//
// `speed`: the head and meter run that many times faster than real (the page's KmpClient divides
// its waits by the same factor, control.ts simKmpSpeed()).

import { SimKmpMeter, SimOpticalHead } from '$shared/kmp/sim/index';
import type { SimHeadFaults } from '$shared/kmp/sim/index';
import { dom, NUS, SIM_BLE_CHUNK, SimGattServer, SimGattSession, type SimGattDevice } from './gatt';
import { registerSimLink, SIM_GLOBAL } from './control';

export interface SimKmpConfig {
  /** The meter's serial number (GetSerialNo); default 71234567. */
  serial?: number;
  /** Head and meter run this many times faster than real; default 1. */
  speed?: number;
  /** The meter's seed (its readings and logs); default the serial. */
  seed?: number;
  /** Which API offers the head: navigator.serial, navigator.bluetooth, or both (default 'serial'). */
  via?: 'serial' | 'bluetooth' | 'both';
  /** When the meter's clock starts (its loggers end there); default the init config's startEpochMs, else Date.now(). */
  startEpochMs?: number;
  faults?: SimHeadFaults;
  /** What the chooser does: pick the head (default), be closed without a choice, or be blocked. */
  chooser?: 'pick' | 'cancel' | 'deny';
}

export const SIM_KMP_SERIAL = 71234567;
export const SIM_KMP_BLE_NAME = 'Readout sim IR head';
/** Bytes per notification or write of the BLE head: ATT MTU 23 − 3. */
export const SIM_KMP_BLE_CHUNK = SIM_BLE_CHUNK;

/** The `kmp` part of the init config, or null. */
export function requestedKmpConfig(): SimKmpConfig | null {
  const c = (globalThis as Record<string, unknown>)[SIM_GLOBAL] as { kmp?: unknown; startEpochMs?: unknown } | null | undefined;
  if (c === null || typeof c !== 'object' || c.kmp === null || typeof c.kmp !== 'object') return null;
  const kmp = c.kmp as SimKmpConfig;
  // the init config's own start time (serial-shim.ts) unless the kmp part names one
  return kmp.startEpochMs === undefined && typeof c.startEpochMs === 'number' ? { ...kmp, startEpochMs: c.startEpochMs } : kmp;
}


const realTimers = {
  now: () => Date.now(),
  setTimeout: (f: () => void, ms: number): unknown => setTimeout(f, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>)
};


/** The meter behind the head: its registers and logs advance with real time × 1 from `startEpochMs`. */
function makeMeter(c: SimKmpConfig): SimKmpMeter {
  const serial = c.serial ?? SIM_KMP_SERIAL;
  return new SimKmpMeter({ serial, startEpochMs: c.startEpochMs ?? Date.now(), seed: c.seed ?? serial });
}

/**
 * A head hands bytes on in chunks of up to 64 (a full-speed USB packet). A request fits in one
 * chunk, so the meter's 27 ms inter-byte limit (§5.1), which at speed N is 27/N ms of real time,
 * is not broken by a busy machine's late timers between two chunks of one request.
 */
const HEAD_CHUNK = 64;

function makeHead(meter: SimKmpMeter, c: SimKmpConfig): SimOpticalHead {
  const speed = c.speed ?? 1;
  if (!(speed > 0)) throw new RangeError(`simulated optical head: speed expected > 0, got ${speed}`);
  return new SimOpticalHead({ meter, timers: realTimers, speed, chunkBytes: HEAD_CHUNK, ...(c.faults ? { faults: c.faults } : {}), seed: c.seed ?? 1 });
}

/** A readable fed by the head's received bytes until it is closed or the reader cancels. */
function headReadable(head: SimOpticalHead, alive: () => boolean): ReadableStream<Uint8Array> {
  let stop = false;
  return new ReadableStream<Uint8Array>({
    pull: async (c) => {
      for (;;) {
        if (stop) return;
        if (!alive()) return c.close();
        const chunk = await head.read(1000).catch(() => null);
        if (stop) return;
        if (chunk && chunk.length > 0) return c.enqueue(chunk);
      }
    },
    cancel: () => void (stop = true)
  });
}

// ---------------------------------------------------------------------------------------------
// navigator.serial: a USB optical head

/** The Web Serial SerialPort, as far as web-serial.ts uses it, with the simulated head and meter behind it. */
export class SimKmpSerialPort extends EventTarget {
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  readonly meter: SimKmpMeter;
  head: SimOpticalHead | null = null;
  /** The line settings the page opened the port with. */
  opened: { baudRate: number; dataBits?: number; stopBits?: number; parity?: string } | null = null;
  #unregister: (() => void) | null = null;

  constructor(readonly config: SimKmpConfig) {
    super();
    this.meter = makeMeter(config);
  }

  getInfo(): { usbVendorId: number; usbProductId: number } {
    return { usbVendorId: 0x0403, usbProductId: 0x6015 }; // an FTDI FT231X, common in USB IR heads
  }

  async open(options: { baudRate: number; dataBits?: number; stopBits?: number; parity?: string }): Promise<void> {
    if (this.head) throw dom('InvalidStateError', 'The port is already open.');
    // §5.1: KMP is 1200 8N2; a head opened otherwise would garble every byte
    if (options.baudRate !== 1200 || (options.parity ?? 'none') !== 'none' || (options.dataBits ?? 8) !== 8) {
      console.warn(`simulated optical head: opened ${options.baudRate} ${options.dataBits ?? 8}${options.parity ?? 'none'}${options.stopBits ?? 1}, KMP is 1200 8N2`);
    }
    this.opened = options;
    const head = makeHead(this.meter, this.config);
    this.head = head;
    this.readable = headReadable(head, () => this.head === head);
    this.writable = new WritableStream<Uint8Array>({ write: (chunk) => head.write(chunk) });
    this.#unregister = registerSimLink({ name: 'serial', isOpen: () => this.head !== null, drop: () => this.unplug() });
  }

  async close(): Promise<void> {
    this.head?.close();
    this.head = null;
    this.readable = null;
    this.writable = null;
    this.#unregister?.();
    this.#unregister = null;
  }

  async forget(): Promise<void> {
    await this.close();
  }

  /** As if the head's cable was pulled out. */
  unplug(): boolean {
    if (!this.head) return false;
    void this.close();
    this.dispatchEvent(new Event('disconnect'));
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// navigator.bluetooth: a BLE UART head (Nordic UART service)

/** The Bluetooth device: a BLE IR head whose UART side sits on the simulated meter's eye. */
export class SimKmpBleHead extends EventTarget implements SimGattDevice {
  readonly id = 'sim-ble-ir-head-1';
  readonly name = SIM_KMP_BLE_NAME;
  readonly gatt = new SimGattServer(this);
  allowed = new Set<string>();
  session: SimGattSession | null = null;
  readonly meter: SimKmpMeter;
  /** The head keeps running across Bluetooth drops (it is battery powered); bytes nobody hears are lost. */
  readonly head: SimOpticalHead;
  #running = true;
  readonly #pending: number[] = [];
  readonly #unregister: () => void;

  constructor(readonly config: SimKmpConfig) {
    super();
    this.meter = makeMeter(config);
    this.head = makeHead(this.meter, config);
    void this.#forward();
    this.#unregister = registerSimLink({ name: 'bluetooth', isOpen: () => this.gatt.connected, drop: () => this.drop() });
  }

  /**
   * The head's firmware collects what the page writes (20 bytes per BLE write) and sends a
   * frame on its UART in one go once the stop byte 0D is in, so the meter hears no pause inside
   * a request (§5.1: at most 27 ms between request bytes).
   */
  async fromHost(bytes: Uint8Array): Promise<void> {
    for (const b of bytes) this.#pending.push(b);
    const end = this.#pending.lastIndexOf(0x0d);
    if (end < 0) return;
    const frame = Uint8Array.from(this.#pending.splice(0, end + 1));
    await this.head.write(frame);
  }

  async connect(): Promise<void> {
    if (!this.#running) throw dom('NetworkError', 'Bluetooth adapter not available.');
    if (this.session?.live) return;
    this.session = new SimGattSession(this);
  }

  hangUp(): void {
    if (!this.#end()) return;
    queueMicrotask(() => this.dispatchEvent(new Event('gattserverdisconnected')));
  }

  /** Out of range: the link ends without the page asking. */
  drop(): boolean {
    if (!this.#end()) return false;
    this.dispatchEvent(new Event('gattserverdisconnected'));
    return true;
  }

  shutdown(): void {
    this.#running = false;
    this.#end();
    this.head.close();
    this.#unregister();
  }

  #end(): boolean {
    return this.session?.end() ?? false;
  }

  async #forward(): Promise<void> {
    while (this.#running) {
      const chunk = await this.head.read(1000).catch(() => null);
      if (!chunk || chunk.length === 0) continue;
      const tx = this.session?.live ? this.session.service.tx : null;
      if (!tx?.notifying) continue;
      for (let at = 0; at < chunk.length; at += SIM_KMP_BLE_CHUNK) tx.notify(chunk.slice(at, at + SIM_KMP_BLE_CHUNK));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Installing

interface RequestOptions {
  filters?: Array<{ services?: string[]; name?: string; namePrefix?: string }>;
  optionalServices?: string[];
  acceptAllDevices?: boolean;
}

export interface SimKmp {
  config: SimKmpConfig;
  port: SimKmpSerialPort | null;
  ble: SimKmpBleHead | null;
  /** Stops the simulated heads and removes what was installed. */
  uninstall(): Promise<void>;
}

/**
 * Replaces navigator.serial and/or navigator.bluetooth (config.via) with ones offering the
 * simulated optical head. Null without a config.
 */
export function installSimulatedKmp(config?: SimKmpConfig): SimKmp | null {
  const cfg = config ?? requestedKmpConfig();
  if (cfg === null) return null;
  const via = cfg.via ?? 'serial';
  const chooser = (): void => {
    if (cfg.chooser === 'cancel') throw dom('NotFoundError', 'No port selected by the user.');
    if (cfg.chooser === 'deny') throw dom('SecurityError', 'Access to the feature was disallowed by permissions policy.');
  };
  let port: SimKmpSerialPort | null = null;
  let ble: SimKmpBleHead | null = null;
  const nav = globalThis.navigator as unknown as Record<string, unknown>;
  if (via === 'serial' || via === 'both') {
    const p = new SimKmpSerialPort(cfg);
    port = p;
    let granted = false;
    const serial = Object.assign(new EventTarget(), {
      async requestPort(): Promise<SimKmpSerialPort> {
        chooser();
        granted = true;
        return p;
      },
      async getPorts(): Promise<SimKmpSerialPort[]> {
        return granted ? [p] : [];
      }
    });
    Object.defineProperty(nav, 'serial', { value: serial, configurable: true });
  }
  if (via === 'bluetooth' || via === 'both') {
    const d = new SimKmpBleHead(cfg);
    ble = d;
    const bluetooth = Object.assign(new EventTarget(), {
      async getAvailability(): Promise<boolean> {
        return true;
      },
      async requestDevice(o: RequestOptions): Promise<SimKmpBleHead> {
        if (!o || (!o.acceptAllDevices && !o.filters?.length)) {
          throw new TypeError("Failed to execute 'requestDevice' on 'Bluetooth': Either 'filters' should be present or 'acceptAllDevices' should be true, but not both.");
        }
        if (cfg.chooser === 'deny') throw dom('NotAllowedError', 'User denied the browser permission to scan for Bluetooth devices.');
        const match = o.acceptAllDevices || (o.filters ?? []).some((f) => (f.services ?? []).every((s) => s === NUS.service) && (f.namePrefix === undefined || d.name.startsWith(f.namePrefix)));
        if (cfg.chooser === 'cancel' || !match) throw dom('NotFoundError', 'User cancelled the requestDevice() chooser.');
        d.allowed = new Set([...(o.filters ?? []).flatMap((f) => f.services ?? []), ...(o.optionalServices ?? [])]);
        return d;
      },
      async getDevices(): Promise<SimKmpBleHead[]> {
        return d.allowed.size > 0 ? [d] : [];
      }
    });
    Object.defineProperty(nav, 'bluetooth', { value: bluetooth, configurable: true });
  }
  return {
    config: cfg,
    port,
    ble,
    async uninstall() {
      await port?.close();
      ble?.shutdown();
      if (port) delete nav.serial;
      if (ble) delete nav.bluetooth;
    }
  };
}
