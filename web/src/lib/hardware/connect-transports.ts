// Transport makers for the connection panel: the first call shows the browser's chooser (it runs
// inside the Connect click), every later call (a reconnect after a drop, state/connection.svelte.ts)
// opens the port or Bluetooth device picked then, without a chooser and without a user gesture.

import type { ReadoutDb } from '$lib/db';
import type { MakeTransport, ReceiverKind } from '$lib/state/connection.svelte';
import { TransportError } from './transport';
import { requestBleUart, WebBluetoothTransport, type BleStatus, type BluetoothDeviceLike, type WebBluetoothOptions } from './web-bluetooth';
import { requestSerial, SERIAL_SETTINGS, WebSerialTransport, type SerialLike, type SerialPortLike } from './web-serial';

/** A port the browser hands out again after a re-plug may be a new object: find it by its USB ids. */
async function samePort(port: SerialPortLike): Promise<SerialPortLike> {
  const serial = (globalThis.navigator as { serial?: SerialLike } | undefined)?.serial;
  const ports = (await serial?.getPorts?.().catch(() => [])) ?? [];
  if (ports.includes(port)) return port;
  const info = port.getInfo?.() ?? {};
  const twins = ports.filter((p) => {
    const i = p.getInfo?.() ?? {};
    return i.usbVendorId === info.usbVendorId && i.usbProductId === info.usbProductId && info.usbVendorId !== undefined;
  });
  return twins.length === 1 ? twins[0] : port;
}

export function serialMaker(kind: ReceiverKind, o: { showAllPorts: boolean }): MakeTransport {
  const settings = SERIAL_SETTINGS[kind];
  let port: SerialPortLike | null = null;
  return async (step) => {
    if (port === null) {
      step('choose the receiver in the browser’s list');
      const t = await requestSerial(settings, { filtered: !o.showAllPorts });
      port = t.port;
      step(`opening ${t.label} at ${settings.baudRate} baud`);
      return t;
    }
    const again = await samePort(port);
    port = again;
    const t = new WebSerialTransport(again, settings);
    step(`opening ${t.label} again`);
    return t;
  };
}

const BLE_STEP: Partial<Record<BleStatus, (detail: string) => string>> = {
  connecting: (d) => `connecting to ${d}`,
  discovering: () => 'looking for a UART service',
  subscribed: (d) => `subscribed to ${d}`
};

export function bluetoothMaker(): MakeTransport {
  let device: BluetoothDeviceLike | null = null;
  return async (step) => {
    // The connection reconnects (and sets the receiver up again) itself, so the adapter does not.
    const onStatus = (s: BleStatus, detail: string): void => {
      const text = BLE_STEP[s];
      if (text) step(text(detail));
    };
    const options: WebBluetoothOptions = { reconnectAttempts: 0, onStatus };
    if (device === null) {
      step('choose the receiver in the browser’s list');
      const t = await requestBleUart(options);
      device = t.device;
      return t;
    }
    return new WebBluetoothTransport(device, options);
  };
}

/**
 * The simulated iM871A driving the device's route, reached through the real Web Serial adapter
 * (not through navigator.serial, which stays the browser's). One drive per maker: a reconnect
 * continues it. The modules load only when chosen.
 */
export function simulatedMaker(db: ReadoutDb, o: { speed: number; now?: () => number }): MakeTransport {
  let port: SerialPortLike | null = null;
  return async (step) => {
    if (port === null) {
      step('loading the route and its keys');
      const [{ routeDrive, simConfigOf }, { SimSerialPort }] = await Promise.all([import('./sim/from-route'), import('./sim/serial-shim')]);
      const now = (o.now ?? Date.now)();
      const seed = now % 0x7fffffff; // a new drive each time, not a replay of the last one
      const drive = await routeDrive(db, { seed });
      if (drive.meters.length === 0) throw new TransportError('io', 'simulated receiver: no route meter has a position, a key and a medium the simulation sends');
      port = new SimSerialPort(simConfigOf(drive, { seed, startEpochMs: now, speed: o.speed }));
      step(`driving past ${drive.meters.length} meters of the route at ${drive.route.speedKmh} km/h`);
    }
    return new WebSerialTransport(port, SERIAL_SETTINGS.im871a, 'a simulated drive (no hardware)');
  };
}
