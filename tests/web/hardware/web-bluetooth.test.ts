// The Web Bluetooth adapter against a fake navigator.bluetooth: service filters, each GATT step,
// notifications → readable, 20-byte writes, bounded reconnect, DOMException mapping.
import { describe, expect, it } from 'vitest';
import { requestBleUart, WebBluetoothTransport, type BleStatus, type BluetoothLike } from '../../../web/src/lib/hardware/web-bluetooth.js';
import { BLE_UART_PROFILES } from '../../../web/src/lib/hardware/devices/ble-uart.js';

const HM10 = BLE_UART_PROFILES[1]!;

class FakeChar extends EventTarget {
  value: DataView | null = null;
  properties = { write: true, writeWithoutResponse: true };
  writes: number[][] = [];
  notifying = false;
  async startNotifications() {
    this.notifying = true;
    return this;
  }
  async writeValueWithoutResponse(data: BufferSource) {
    this.writes.push(Array.from(new Uint8Array(data as ArrayBuffer)));
  }
  notify(bytes: number[]) {
    this.value = new DataView(Uint8Array.from(bytes).buffer);
    this.dispatchEvent(new Event('characteristicvaluechanged'));
  }
}

class FakeDevice extends EventTarget {
  id = 'dev-1';
  name = 'IR head';
  char = new FakeChar();
  connects = 0;
  failConnects = 0;
  gatt = {
    connected: false,
    connect: async () => {
      this.connects++;
      if (this.failConnects > 0) {
        this.failConnects--;
        throw new DOMException('Connection failed for unknown reason.', 'NetworkError');
      }
      this.gatt.connected = true;
      return this.gatt;
    },
    disconnect: () => void (this.gatt.connected = false),
    getPrimaryService: async (uuid: string) => {
      if (uuid !== HM10.service) throw new DOMException('No Services matching UUID found in Device.', 'NotFoundError');
      return { getCharacteristic: async (u: string) => (u === HM10.write ? this.char : Promise.reject(new Error('no'))) };
    }
  };
  drop() {
    this.gatt.connected = false;
    this.dispatchEvent(new Event('gattserverdisconnected'));
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('Web Bluetooth adapter', () => {
  it('filters on the three UART services (and the generic ones) and maps a closed chooser', async () => {
    let seen: { filters: Array<{ services: string[] }> } | undefined;
    const bluetooth: BluetoothLike = {
      requestDevice: async (o) => {
        seen = o as typeof seen;
        throw new DOMException('User cancelled the requestDevice() chooser.', 'NotFoundError');
      }
    };
    await expect(requestBleUart({ bluetooth })).rejects.toMatchObject({ reason: 'nothing-picked' });
    expect(seen!.filters.map((f) => f.services[0])).toEqual(BLE_UART_PROFILES.map((p) => p.service));
  });

  it('says bluetooth-off when the adapter is off', async () => {
    const off: BluetoothLike = { getAvailability: async () => false, requestDevice: async () => Promise.reject(new Error('unreached')) };
    await expect(requestBleUart({ bluetooth: off })).rejects.toMatchObject({ reason: 'bluetooth-off' });
    const chromeOff: BluetoothLike = {
      requestDevice: async () => Promise.reject(new DOMException('Bluetooth adapter not available.', 'NotFoundError'))
    };
    await expect(requestBleUart({ bluetooth: chromeOff })).rejects.toMatchObject({ reason: 'bluetooth-off' });
  });

  it('reports each GATT step, finds the HM-10 profile, turns notifications into bytes', async () => {
    const device = new FakeDevice();
    const steps: BleStatus[] = [];
    const t = new WebBluetoothTransport(device, { onStatus: (s) => steps.push(s) });
    await t.open();
    expect(steps).toEqual(['connecting', 'discovering', 'subscribed']);
    expect(t.profile?.name).toBe('HM-10 (FFE0/FFE1)');
    expect(t.label).toBe('IR head (Bluetooth)');
    const r = t.readable.getReader();
    device.char.notify([0xa5, 0x01]);
    device.char.notify([0x02, 0x00]);
    expect(Array.from((await r.read()).value!)).toEqual([0xa5, 0x01]);
    expect(Array.from((await r.read()).value!)).toEqual([0x02, 0x00]);
    r.releaseLock();
    await t.close();
  });

  it('writes in 20-byte chunks unless told more', async () => {
    const device = new FakeDevice();
    const t = new WebBluetoothTransport(device);
    await t.open();
    await t.write(new Uint8Array(45));
    expect(device.char.writes.map((w) => w.length)).toEqual([20, 20, 5]);
    const device2 = new FakeDevice();
    const t2 = new WebBluetoothTransport(device2, { maxChunk: 180 });
    await t2.open();
    await t2.write(new Uint8Array(45));
    expect(device2.char.writes.map((w) => w.length)).toEqual([45]);
  });

  it('reconnects with back-off after a drop and keeps the same readable', async () => {
    const device = new FakeDevice();
    const waits: number[] = [];
    const steps: BleStatus[] = [];
    const t = new WebBluetoothTransport(device, { sleep: async (ms) => void waits.push(ms), onStatus: (s) => steps.push(s) });
    await t.open();
    device.failConnects = 1;
    device.drop();
    for (let i = 0; i < 10; i++) await tick();
    expect(waits).toEqual([500, 1000]);
    expect(steps.slice(3)).toEqual(['reconnecting', 'connecting', 'reconnecting', 'connecting', 'discovering', 'subscribed']);
    const r = t.readable.getReader();
    device.char.notify([7]);
    expect(Array.from((await r.read()).value!)).toEqual([7]);
  });

  it('gives up after the bounded attempts: readable errors with lost', async () => {
    const device = new FakeDevice();
    const steps: BleStatus[] = [];
    const t = new WebBluetoothTransport(device, { reconnectAttempts: 2, sleep: async () => undefined, onStatus: (s) => steps.push(s) });
    await t.open();
    device.failConnects = 5;
    const r = t.readable.getReader();
    const pending = r.read().catch((e: unknown) => e);
    device.drop();
    expect(await pending).toMatchObject({ reason: 'lost' });
    expect(device.connects).toBe(3);
    expect(steps.at(-1)).toBe('lost');
    await expect(t.write(Uint8Array.of(1))).rejects.toMatchObject({ reason: 'lost' });
  });
});
