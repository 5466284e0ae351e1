// Web Bluetooth adapter for "serial over BLE" modules (style.md §4, protocols.md §7). Each GATT
// step is reported; notifications become `readable`; writes go out in ≤ 20-byte chunks unless
// told more; an unexpected disconnect gets a bounded back-off reconnect, then 'lost'.
// Only on the main thread (Web Bluetooth does not exist in workers).

import { BLE_UART_PROFILES, type BleUartProfile } from './devices/ble-uart';
import { CleanupStack, toTransportError, TransportError, WriteQueue, type Transport } from './transport';

// The parts of the Web Bluetooth API we use (TypeScript's DOM lib does not have it).
export interface GattCharacteristicLike extends EventTarget {
  readonly value?: DataView | null;
  readonly properties?: { write?: boolean; writeWithoutResponse?: boolean };
  startNotifications(): Promise<unknown>;
  stopNotifications?(): Promise<unknown>;
  writeValueWithoutResponse?(data: BufferSource): Promise<void>;
  writeValueWithResponse?(data: BufferSource): Promise<void>;
  writeValue?(data: BufferSource): Promise<void>;
}
export interface GattServiceLike {
  getCharacteristic(uuid: string): Promise<GattCharacteristicLike>;
}
export interface GattServerLike {
  readonly connected: boolean;
  connect(): Promise<GattServerLike>;
  disconnect(): void;
  getPrimaryService(uuid: string): Promise<GattServiceLike>;
}
export interface BluetoothDeviceLike extends EventTarget {
  readonly id: string;
  readonly name?: string;
  readonly gatt?: GattServerLike;
}
export interface BluetoothLike {
  requestDevice(options: unknown): Promise<BluetoothDeviceLike>;
  getAvailability?(): Promise<boolean>;
}

export type BleStatus = 'connecting' | 'discovering' | 'subscribed' | 'reconnecting' | 'lost' | 'closed';

export interface WebBluetoothOptions {
  profiles?: readonly BleUartProfile[];
  /** Each GATT step, for the connection panel. */
  onStatus?: (status: BleStatus, detail: string) => void;
  /** Bytes per write; 20 fits the default ATT MTU of 23. Raise only for a device known to negotiate more. */
  maxChunk?: number;
  /** Reconnect attempts after an unexpected disconnect (default 3), waiting baseDelayMs × 2^n (default 500). */
  reconnectAttempts?: number;
  reconnectBaseDelayMs?: number;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
}

function bluetoothOf(): BluetoothLike {
  if (globalThis.isSecureContext === false) throw new TransportError('insecure-context', 'Web Bluetooth needs https or localhost');
  const bt = (globalThis.navigator as { bluetooth?: BluetoothLike } | undefined)?.bluetooth;
  if (!bt) throw new TransportError('unsupported', 'this browser has no Web Bluetooth (navigator.bluetooth)');
  return bt;
}

/** Show the chooser (needs a user gesture) filtered to the UART services; the transport is not open yet. */
export async function requestBleUart(options: WebBluetoothOptions & { bluetooth?: BluetoothLike; namePrefix?: string } = {}): Promise<WebBluetoothTransport> {
  const bt = options.bluetooth ?? bluetoothOf();
  const profiles = options.profiles ?? BLE_UART_PROFILES;
  try {
    if (bt.getAvailability && !(await bt.getAvailability())) {
      throw new TransportError('bluetooth-off', 'Bluetooth is off or this computer has no Bluetooth adapter');
    }
    const filters = profiles.map((p) => (options.namePrefix ? { services: [p.service], namePrefix: options.namePrefix } : { services: [p.service] }));
    const device = await bt.requestDevice({ filters, optionalServices: profiles.map((p) => p.service) });
    return new WebBluetoothTransport(device, options);
  } catch (e) {
    if (!(e instanceof TransportError) && /adapter|bluetooth is (off|disabled)/i.test(String((e as Error)?.message))) {
      throw new TransportError('bluetooth-off', `Bluetooth: ${(e as Error).message}`, { cause: e });
    }
    throw toTransportError(e, 'request', 'Bluetooth');
  }
}

interface Link {
  profile: BleUartProfile;
  write: GattCharacteristicLike;
  notify: GattCharacteristicLike;
  /** Stops feeding `readable` from this link's notifications. */
  off: () => void;
}

export class WebBluetoothTransport implements Transport {
  readonly label: string;
  readonly readable: ReadableStream<Uint8Array>;
  #out!: ReadableStreamDefaultController<Uint8Array>;
  #link: Link | null = null;
  #queue = new WriteQueue();
  #cleanup = new CleanupStack();
  #state: 'idle' | 'open' | 'reconnecting' | 'closed' = 'idle';
  readonly #o: Required<Omit<WebBluetoothOptions, 'onStatus'>> & Pick<WebBluetoothOptions, 'onStatus'>;

  constructor(
    readonly device: BluetoothDeviceLike,
    options: WebBluetoothOptions = {}
  ) {
    this.label = device.name ? `${device.name} (Bluetooth)` : `Bluetooth device ${device.id}`;
    this.#o = {
      profiles: options.profiles ?? BLE_UART_PROFILES,
      onStatus: options.onStatus,
      maxChunk: options.maxChunk ?? 20,
      reconnectAttempts: options.reconnectAttempts ?? 3,
      reconnectBaseDelayMs: options.reconnectBaseDelayMs ?? 500,
      sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)))
    };
    if (!Number.isInteger(this.#o.maxChunk) || this.#o.maxChunk < 1) throw new RangeError(`maxChunk: expected a positive integer, got ${this.#o.maxChunk}`);
    this.readable = new ReadableStream<Uint8Array>({ start: (c) => void (this.#out = c) });
  }

  /** The profile found on the device, once open. */
  get profile(): BleUartProfile | null {
    return this.#link?.profile ?? null;
  }

  async open(signal?: AbortSignal): Promise<void> {
    if (this.#state !== 'idle') throw new TransportError('busy', `${this.label}: already ${this.#state}`);
    if (signal?.aborted) throw new TransportError('nothing-picked', `${this.label}: cancelled before connecting`, { cause: signal.reason });
    try {
      this.#link = await this.#connect();
      const onDisconnect = (): void => void this.#disconnected();
      this.device.addEventListener('gattserverdisconnected', onDisconnect);
      this.#cleanup.push(() => this.device.removeEventListener('gattserverdisconnected', onDisconnect));
      this.#cleanup.push(() => this.device.gatt?.disconnect());
      if (signal?.aborted) throw new TransportError('nothing-picked', `${this.label}: cancelled while connecting`, { cause: signal.reason });
      this.#state = 'open';
    } catch (e) {
      await this.#cleanup.run();
      this.device.gatt?.disconnect();
      this.#state = 'closed';
      throw toTransportError(e, 'open', this.label);
    }
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.#queue.run(async () => {
      const link = this.#link;
      if (this.#state !== 'open' || !link) throw new TransportError('lost', `${this.label}: not connected (${this.#state})`);
      const c = link.write;
      const send = c.properties?.writeWithoutResponse && c.writeValueWithoutResponse
        ? c.writeValueWithoutResponse.bind(c)
        : (c.writeValueWithResponse ?? c.writeValue)?.bind(c);
      if (!send) throw new TransportError('io', `${this.label}: characteristic ${link.profile.write} cannot be written`);
      try {
        for (let i = 0; i < bytes.length; i += this.#o.maxChunk) await send(bytes.slice(i, i + this.#o.maxChunk));
      } catch (e) {
        throw toTransportError(e, 'write', this.label);
      }
    });
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#link?.off();
    this.#link = null;
    await this.#cleanup.run();
    try {
      this.#out.close();
    } catch {
      // already errored after 'lost'
    }
    this.#status('closed', this.label);
  }

  #status(s: BleStatus, detail: string): void {
    this.#o.onStatus?.(s, detail);
  }

  async #connect(): Promise<Link> {
    const gatt = this.device.gatt;
    if (!gatt) throw new TransportError('unsupported', `${this.label}: no GATT server`);
    this.#status('connecting', this.label);
    const server = await gatt.connect();
    this.#status('discovering', 'looking for a UART service');
    let found: { profile: BleUartProfile; service: GattServiceLike } | null = null;
    for (const profile of this.#o.profiles) {
      try {
        found = { profile, service: await server.getPrimaryService(profile.service) };
        break;
      } catch (e) {
        if ((e as { name?: string })?.name !== 'NotFoundError') throw e;
      }
    }
    if (!found) {
      throw new TransportError('unsupported', `${this.label}: none of the UART services (${this.#o.profiles.map((p) => p.name).join(', ')}) found`);
    }
    const write = await found.service.getCharacteristic(found.profile.write);
    const notify = found.profile.notify === found.profile.write ? write : await found.service.getCharacteristic(found.profile.notify);
    const onValue = (ev: Event): void => {
      const v = (ev.target as GattCharacteristicLike).value;
      if (v && v.byteLength > 0 && this.#state !== 'closed') this.#out.enqueue(new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)));
    };
    const off = (): void => notify.removeEventListener('characteristicvaluechanged', onValue);
    notify.addEventListener('characteristicvaluechanged', onValue);
    try {
      await notify.startNotifications();
    } catch (e) {
      off();
      throw e;
    }
    this.#status('subscribed', found.profile.name);
    return { profile: found.profile, write, notify, off };
  }

  async #disconnected(): Promise<void> {
    if (this.#state !== 'open') return; // our own close, or already reconnecting
    this.#state = 'reconnecting';
    this.#link?.off();
    this.#link = null;
    for (let attempt = 0; attempt < this.#o.reconnectAttempts; attempt++) {
      const waitMs = this.#o.reconnectBaseDelayMs * 2 ** attempt;
      this.#status('reconnecting', `attempt ${attempt + 1} of ${this.#o.reconnectAttempts} in ${waitMs} ms`);
      await this.#o.sleep(waitMs);
      if (this.#state !== 'reconnecting') return; // closed meanwhile
      try {
        const link = await this.#connect();
        if (this.#state !== 'reconnecting') {
          link.off();
          return;
        }
        this.#link = link;
        this.#state = 'open';
        return;
      } catch {
        // next attempt
      }
    }
    this.#state = 'closed';
    this.#status('lost', `${this.label}: gone after ${this.#o.reconnectAttempts} reconnect attempts`);
    await this.#cleanup.run();
    this.#out.error(new TransportError('lost', `${this.label}: disconnected and ${this.#o.reconnectAttempts} reconnect attempts failed`));
  }
}
