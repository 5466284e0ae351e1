// The fake navigator.serial and navigator.bluetooth of kmp-shim.ts: the page's own request paths
// (requestSerial with the USB bridge filters, requestBleUart with the BLE UART profiles) find the
// simulated optical head, and the KMP client reads the simulated MULTICAL 603 through them.
import { afterEach, describe, expect, it } from 'vitest';
import { installSimulatedKmp, requestedKmpConfig, SIM_KMP_BLE_CHUNK, type SimKmp } from '../../../web/src/lib/hardware/sim/kmp-shim';
import { SIM_CONTROL_GLOBAL, SIM_GLOBAL, simKmpSpeed, type SimControl } from '../../../web/src/lib/hardware/sim/control';
import { installSimulationIfRequested } from '../../../web/src/lib/hardware/sim/install';
import { requestSerial, SERIAL_SETTINGS, type SerialLike } from '../../../web/src/lib/hardware/web-serial';
import { requestBleUart, type BleStatus, type BluetoothLike } from '../../../web/src/lib/hardware/web-bluetooth';
import { TransportError } from '../../../web/src/lib/hardware/transport';
import { KmpClient, transportKmpLink } from '../../../web/src/lib/hardware/devices/kmp-head';
import type { ReadoutDb } from '../../../web/src/lib/db';

if (!('navigator' in globalThis)) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true }); // Node 20

const g = globalThis as Record<string, unknown>;
const nav = () => globalThis.navigator as unknown as { serial?: SerialLike; bluetooth?: BluetoothLike };
const SPEED = 100;

let sim: SimKmp | null = null;
afterEach(async () => {
  await sim?.uninstall();
  sim = null;
  delete g[SIM_GLOBAL];
});

describe('simulated optical head (kmp-shim)', () => {
  it('installs nothing without a kmp part; reads serial, speed and the start time from the init config', () => {
    g[SIM_GLOBAL] = { seed: 1, startEpochMs: 1_700_000_000_000 };
    expect(installSimulatedKmp()).toBeNull();
    expect(simKmpSpeed()).toBe(1);
    g[SIM_GLOBAL] = { seed: 1, startEpochMs: 1_700_000_000_000, kmp: { serial: 5551234, speed: 20, via: 'bluetooth' } };
    expect(requestedKmpConfig()).toEqual({ serial: 5551234, speed: 20, via: 'bluetooth', startEpochMs: 1_700_000_000_000 });
    expect(simKmpSpeed()).toBe(20);
  });

  it("via 'serial': requestSerial finds the USB head; it is opened 1200 8N2 and the meter answers", async () => {
    sim = installSimulatedKmp({ serial: 5551234, speed: SPEED, via: 'serial' })!;
    expect(nav().bluetooth).toBeUndefined();
    const t = await requestSerial(SERIAL_SETTINGS.kmp, { serial: nav().serial });
    await t.open();
    const link = transportKmpLink(t);
    try {
      expect(sim.port!.opened).toMatchObject({ baudRate: 1200, stopBits: 2, parity: 'none' });
      const client = new KmpClient(link, { timeScale: SPEED / 10 });
      expect(await client.identify()).toEqual({ meterType: 0x0603, revision: 'A1', serial: 5551234, model: '603' });
    } finally {
      await link.release();
      await t.close();
    }
    expect(sim.port!.head).toBeNull();
  });

  it('a closed chooser is nothing-picked, a blocked one permission-denied', async () => {
    sim = installSimulatedKmp({ via: 'serial', chooser: 'cancel' })!;
    const e = await requestSerial(SERIAL_SETTINGS.kmp, { serial: nav().serial }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).reason).toBe('nothing-picked');
    await sim.uninstall();
    sim = installSimulatedKmp({ via: 'bluetooth', chooser: 'deny' })!;
    const b = await requestBleUart({ bluetooth: nav().bluetooth }).catch((x: unknown) => x);
    expect((b as TransportError).reason).toBe('permission-denied');
  });

  it("via 'bluetooth': requestBleUart finds the Nordic UART head; answers come in 20-byte notifications; a drop reconnects", async () => {
    sim = installSimulatedKmp({ serial: 5551234, speed: SPEED, via: 'bluetooth' })!;
    expect(nav().serial).toBeUndefined();
    const sizes: number[] = [];
    const statuses: BleStatus[] = [];
    const t = await requestBleUart({ bluetooth: nav().bluetooth, onStatus: (s) => statuses.push(s), sleep: async () => undefined });
    await t.open();
    const tx = (await (await sim.ble!.gatt.getPrimaryService('6e400001-b5a3-f393-e0a9-e50e24dcca9e')).getCharacteristic('6e400003-b5a3-f393-e0a9-e50e24dcca9e'));
    tx.addEventListener('characteristicvaluechanged', () => sizes.push(tx.value!.byteLength));
    const link = transportKmpLink(t);
    try {
      const client = new KmpClient(link, { timeScale: SPEED / 10 });
      const regs = await client.readRegisters([60, 63, 68, 69, 74, 80, 86, 87]);
      expect(regs.values.length).toBe(8);
      expect(Math.max(...sizes)).toBe(SIM_KMP_BLE_CHUNK);
      // out of range and back: the adapter reconnects, the client goes on reading
      expect((g[SIM_CONTROL_GLOBAL] as SimControl).dropLink()).toEqual(['bluetooth']);
      await new Promise((r) => setTimeout(r, 20));
      expect(statuses).toContain('reconnecting');
      expect((await client.identify()).serial).toBe(5551234);
    } finally {
      await link.release();
      await t.close();
    }
  });

  it('install.ts puts the head in place when the init config has a kmp part', async () => {
    g[SIM_GLOBAL] = { seed: 2, startEpochMs: Date.UTC(2026, 10, 1), kmp: { serial: 42, speed: SPEED, via: 'both' } };
    expect(await installSimulationIfRequested({} as ReadoutDb)).toBe(true);
    expect(typeof nav().serial?.requestPort).toBe('function');
    expect(typeof nav().bluetooth?.requestDevice).toBe('function');
    const t = await requestSerial(SERIAL_SETTINGS.kmp, { serial: nav().serial });
    await t.open();
    const link = transportKmpLink(t);
    try {
      expect((await new KmpClient(link, { timeScale: SPEED / 10 }).identify()).serial).toBe(42);
    } finally {
      await link.release();
      await t.close();
      const port = (await nav().serial!.getPorts!())[0] as unknown as { close(): Promise<void> };
      await port.close();
      // the BLE head runs from install on (battery powered): stop it
      const ble = (await nav().bluetooth!.requestDevice({ filters: [{ services: ['6e400001-b5a3-f393-e0a9-e50e24dcca9e'] }] })) as unknown as { shutdown(): void };
      ble.shutdown();
      delete (globalThis.navigator as unknown as Record<string, unknown>).serial;
      delete (globalThis.navigator as unknown as Record<string, unknown>).bluetooth;
    }
  });
});
