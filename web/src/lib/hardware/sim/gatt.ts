// The GATT side of a simulated BLE UART device (Nordic UART service, protocols.md §7.1), shared by
// the simulated receiver bridge (bluetooth-shim.ts) and the simulated optical head (kmp-shim.ts).
// What the real Web Bluetooth adapter depends on: each gatt.connect() is a new session whose
// services and characteristics stop working when it ends; only services the page named may be
// opened (SecurityError); writes and notifications carry at most 20 bytes (ATT MTU 23).

import { BLE_UART_PROFILES } from '../devices/ble-uart';

export const NUS = BLE_UART_PROFILES[0];
/** Bytes per notification or write without response: ATT MTU 23 − 3. */
export const SIM_BLE_CHUNK = 20;

export const dom = (name: string, message: string): DOMException => new DOMException(message, name);

/** The device behind the GATT server: its connection and where the page's writes go. */
export interface SimGattDevice {
  readonly name: string;
  /** Services the page may open (from requestDevice). */
  allowed: Set<string>;
  session: SimGattSession | null;
  connect(): Promise<void>;
  /** The page's own gatt.disconnect(). */
  hangUp(): void;
  /** Bytes the page wrote to the UART (at most SIM_BLE_CHUNK at a time). */
  fromHost(bytes: Uint8Array): Promise<void>;
}

/** One GATT session: what connect() hands out is valid until the link goes down. */
export class SimGattSession {
  live = true;
  readonly service: SimUartService;
  constructor(readonly device: SimGattDevice) {
    this.service = new SimUartService(this);
  }

  /** Ends the session; false when it had already ended. */
  end(): boolean {
    if (!this.live) return false;
    this.live = false;
    this.service.tx.notifying = false;
    return true;
  }
}

export class SimUartService {
  readonly uuid = NUS.service;
  readonly rx: SimUartCharacteristic;
  readonly tx: SimUartCharacteristic;
  constructor(readonly session: SimGattSession) {
    this.rx = new SimUartCharacteristic(session, NUS.write, 'rx');
    this.tx = new SimUartCharacteristic(session, NUS.notify, 'tx');
  }
  async getCharacteristic(uuid: string): Promise<SimUartCharacteristic> {
    if (!this.session.live) throw dom('NetworkError', 'GATT Server is disconnected. Cannot retrieve characteristics.');
    if (uuid === this.rx.uuid) return this.rx;
    if (uuid === this.tx.uuid) return this.tx;
    throw dom('NotFoundError', `No Characteristics matching UUID ${uuid} found in Service with UUID ${this.uuid}.`);
  }
}

export class SimUartCharacteristic extends EventTarget {
  value: DataView | null = null;
  notifying = false;
  readonly properties: { read: boolean; write: boolean; writeWithoutResponse: boolean; notify: boolean };

  constructor(
    readonly session: SimGattSession,
    readonly uuid: string,
    readonly role: 'rx' | 'tx'
  ) {
    super();
    this.properties = { read: false, write: role === 'rx', writeWithoutResponse: role === 'rx', notify: role === 'tx' };
  }

  async startNotifications(): Promise<SimUartCharacteristic> {
    this.#live('start notifications');
    if (this.role !== 'tx') throw dom('NotSupportedError', 'GATT operation not permitted.');
    this.notifying = true;
    return this;
  }

  async stopNotifications(): Promise<SimUartCharacteristic> {
    this.notifying = false;
    return this;
  }

  writeValueWithoutResponse(data: BufferSource): Promise<void> {
    return this.#write(data);
  }
  writeValueWithResponse(data: BufferSource): Promise<void> {
    return this.#write(data);
  }
  writeValue(data: BufferSource): Promise<void> {
    return this.#write(data);
  }

  /** Device → page: one notification. */
  notify(bytes: Uint8Array): void {
    this.value = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.dispatchEvent(new Event('characteristicvaluechanged'));
  }

  async #write(data: BufferSource): Promise<void> {
    this.#live('write');
    if (this.role !== 'rx') throw dom('NotSupportedError', 'GATT operation not permitted.');
    const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    if (bytes.length > SIM_BLE_CHUNK) {
      throw dom('InvalidModificationError', `${this.session.device.name}: ${bytes.length} bytes in one write, the default ATT MTU of 23 carries ${SIM_BLE_CHUNK}`);
    }
    await this.session.device.fromHost(bytes.slice());
  }

  #live(what: string): void {
    if (!this.session.live) throw dom('NetworkError', `GATT Server is disconnected. Cannot ${what}. (Re)connect first with \`device.gatt.connect\`.`);
  }
}

export class SimGattServer {
  constructor(readonly device: SimGattDevice) {}
  get connected(): boolean {
    return this.device.session?.live === true;
  }
  connect(): Promise<SimGattServer> {
    return this.device.connect().then(() => this);
  }
  disconnect(): void {
    this.device.hangUp();
  }
  async getPrimaryService(uuid: string): Promise<SimUartService> {
    const s = this.device.session;
    if (!s?.live) throw dom('NetworkError', 'GATT Server is disconnected. Cannot retrieve services. (Re)connect first with `device.gatt.connect`.');
    if (!this.device.allowed.has(uuid)) {
      throw dom('SecurityError', `Origin is not allowed to access the service. Tip: Add the service UUID to 'optionalServices' in requestDevice() options.`);
    }
    if (uuid !== NUS.service) throw dom('NotFoundError', `No Services matching UUID ${uuid} found in Device.`);
    return s.service;
  }
}
