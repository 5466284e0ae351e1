// The fake navigator.bluetooth: the real Web Bluetooth adapter finds the simulated BLE UART bridge,
// the real iM871A protocol runs over it, and the telegrams decode with the sample meters' keys to
// the sample meters. Dropping the link exercises the adapter's reconnect, its giving up, and the
// connection's own reconnect with the receiver set up again.
import { afterEach, describe, expect, it } from 'vitest';
import { installSimulatedBluetooth, SIM_BLE_CHUNK, type SimBluetooth } from '../../../web/src/lib/hardware/sim/bluetooth-shim';
import { SIM_CONTROL_GLOBAL, type SimControl } from '../../../web/src/lib/hardware/sim/control';
import type { SimSerialConfig } from '../../../web/src/lib/hardware/sim/engine';
import { sampleDrive } from '../../../web/src/lib/hardware/sim/sample';
import { BLE_UART_PROFILES, bleUartReceiver } from '../../../web/src/lib/hardware/devices/ble-uart';
import { im871aProtocol } from '../../../web/src/lib/hardware/devices/im871a';
import { DevMgmtMsg, HciEndpoint, parseHciFrames } from '../../../web/src/lib/hardware/devices/im871a-hci';
import type { Receiver, Telegram } from '../../../web/src/lib/hardware/devices/receiver';
import { requestBleUart, type BleStatus, type BluetoothLike } from '../../../web/src/lib/hardware/web-bluetooth';
import { bluetoothMaker } from '../../../web/src/lib/hardware/connect-transports';
import { Connection } from '../../../web/src/lib/state/connection.svelte';
import { decodeTelegram } from '../../../shared/wmbus/telegram';
import { KeyRing } from '../../../shared/wmbus/keyring';
import { CompactFormatTable } from '../../../shared/wmbus/compact';
import { toHex } from '../../../shared/bytes/hex';

if (!('navigator' in globalThis)) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true }); // Node 20

const NUS = BLE_UART_PROFILES[0];
const SAMPLE = { streets: 1, length: 200 };
const config = (more: Partial<SimSerialConfig> = {}): SimSerialConfig => ({ seed: 4, startEpochMs: Date.UTC(2026, 0, 5), speed: 2000, sample: SAMPLE, ...more });
const meters = sampleDrive(4, SAMPLE).meters;
const ids = new Set(meters.map((m) => `${m.manufacturer}-${m.id}`));
const keys = new KeyRing();
for (const m of meters) keys.set({ manufacturer: m.manufacturer, id: m.id }, toHex(m.key));

let installed: SimBluetooth | null = null;
function install(more: Partial<SimSerialConfig> = {}): { sim: SimBluetooth; bluetooth: BluetoothLike } {
  installed = installSimulatedBluetooth(config(more));
  const bluetooth = (navigator as unknown as { bluetooth: BluetoothLike }).bluetooth;
  return { sim: installed!, bluetooth };
}
afterEach(async () => {
  await installed?.uninstall();
  installed = null;
});

const control = () => (globalThis as Record<string, unknown>)[SIM_CONTROL_GLOBAL] as SimControl;

/** Reads telegrams until `n` decoded; each must decrypt and come from a sample meter. */
async function decodeSome(reader: ReadableStreamDefaultReader<Telegram>, n: number, formats = new CompactFormatTable()): Promise<string[]> {
  const got: string[] = [];
  while (got.length < n) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended after ${got.length} telegrams`);
    const r = decodeTelegram(value.bytes, { keys, formats, crcs: value.crcs });
    if (!r.ok) throw new Error(`telegram ${toHex(value.bytes)}: ${JSON.stringify(r.issues)}`);
    expect(r.value.security.state).toBe('decrypted');
    const id = `${r.value.address.manufacturer}-${r.value.address.id}`;
    expect(ids.has(id)).toBe(true);
    got.push(toHex(value.bytes));
  }
  return got;
}

async function openReceiver(bluetooth: BluetoothLike, statuses: BleStatus[] = [], reconnectAttempts = 3): Promise<Receiver> {
  const t = await requestBleUart({ bluetooth, onStatus: (s) => statuses.push(s), reconnectAttempts, sleep: async () => undefined });
  const r = bleUartReceiver(t, im871aProtocol);
  await r.open();
  await r.setMode('C1T1');
  return r;
}

describe('simulated navigator.bluetooth', () => {
  it('installs nothing without a config', () => {
    delete (globalThis as Record<string, unknown>).__READOUT_SIM__;
    expect(installSimulatedBluetooth()).toBeNull();
  });

  it('offers the bridge for a UART service filter; each chooser outcome maps to its failure', async () => {
    const { bluetooth } = install();
    const t = await requestBleUart({ bluetooth });
    expect(t.label).toBe('Readout sim BLE iM871A (Bluetooth)');
    await installed!.uninstall();

    const hm10Only = install().bluetooth;
    await expect(hm10Only.requestDevice({ filters: [{ services: [BLE_UART_PROFILES[1].service] }] })).rejects.toMatchObject({ name: 'NotFoundError' });
    await installed!.uninstall();

    await expect(requestBleUart({ bluetooth: install({ chooser: 'cancel' }).bluetooth })).rejects.toMatchObject({ reason: 'nothing-picked' });
    await installed!.uninstall();
    await expect(requestBleUart({ bluetooth: install({ bluetoothOn: false }).bluetooth })).rejects.toMatchObject({ reason: 'bluetooth-off' });
    await installed!.uninstall();
    await expect(requestBleUart({ bluetooth: install({ chooser: 'deny' }).bluetooth })).rejects.toMatchObject({ reason: 'permission-denied' });
  });

  it('refuses a service the page did not ask for, as Chrome does', async () => {
    const { bluetooth } = install();
    const device = await bluetooth.requestDevice({ filters: [{ namePrefix: 'Readout' }] });
    const server = await device.gatt!.connect();
    await expect(server.getPrimaryService(NUS.service)).rejects.toMatchObject({ name: 'SecurityError' });
  });

  it('the real adapter and iM871A protocol over BLE UART deliver telegrams that decode to the sample meters', async () => {
    const { bluetooth, sim } = install();
    const statuses: BleStatus[] = [];
    const r = await openReceiver(bluetooth, statuses);
    expect(r.name).toBe('iM871A via BLE on Readout sim BLE iM871A (Bluetooth)');
    expect(statuses).toEqual(['connecting', 'discovering', 'subscribed']);
    // Every notification the page sees carries at most 20 bytes, cut anywhere in a frame.
    const sizes: number[] = [];
    const tx = await (await sim.device.gatt.getPrimaryService(NUS.service)).getCharacteristic(NUS.notify);
    tx.addEventListener('characteristicvaluechanged', () => sizes.push(tx.value!.byteLength));
    const reader = r.telegrams.getReader();
    await decodeSome(reader, 12);
    expect(sizes.length).toBeGreaterThan(12);
    expect(Math.max(...sizes)).toBe(SIM_BLE_CHUNK);
    // Longer writes than the MTU carries are refused; the adapter cuts them to 20 bytes.
    const rx = await (await sim.device.gatt.getPrimaryService(NUS.service)).getCharacteristic(NUS.write);
    await expect(rx.writeValueWithoutResponse(new Uint8Array(21))).rejects.toMatchObject({ name: 'InvalidModificationError' });
    reader.releaseLock();
    await r.close();
    expect(sim.device.gatt.connected).toBe(false);
  });

  it('dropLink: the adapter reports the reconnect, subscribes again and telegrams go on', async () => {
    const { bluetooth } = install();
    const statuses: BleStatus[] = [];
    const r = await openReceiver(bluetooth, statuses);
    const reader = r.telegrams.getReader();
    const before = await decodeSome(reader, 5);
    expect(control().openLinks()).toEqual(['bluetooth']);
    expect(control().dropLink({ refuse: 1 })).toEqual(['bluetooth']); // out of range; the first reconnect fails too
    const after = await decodeSome(reader, 5);
    expect(statuses.slice(3)).toEqual(['reconnecting', 'connecting', 'reconnecting', 'connecting', 'discovering', 'subscribed']);
    // The stick behind the bridge kept its link mode and the drive went on: no replay of old telegrams.
    expect(after.some((h) => before.includes(h))).toBe(false);
    reader.releaseLock();
    await r.close();
  });

  it('gone for good: the adapter gives up after its attempts and the stream ends with lost', async () => {
    const { bluetooth } = install();
    const statuses: BleStatus[] = [];
    const r = await openReceiver(bluetooth, statuses, 2);
    const reader = r.telegrams.getReader();
    await decodeSome(reader, 2);
    control().dropLink({ refuse: Infinity });
    let failure: unknown = null;
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch (e) {
      failure = e;
    }
    expect(failure).toMatchObject({ reason: 'lost' });
    expect(statuses.filter((s) => s === 'reconnecting')).toHaveLength(2);
    expect(statuses.at(-1)).toBe('lost');
    await r.close();
  });

  it('the connection reconnects over Bluetooth on its own and sets the receiver up again', async () => {
    const { sim } = install();
    // What reaches the stick's UART: ping and set-config requests, counted below.
    const written: number[] = [];
    const fromHost = sim.device.fromHost.bind(sim.device);
    sim.device.fromHost = (bytes) => {
      written.push(...bytes);
      return fromHost(bytes);
    };
    const requests = (msgId: number) =>
      parseHciFrames(Uint8Array.from(written)).filter((e) => e.type === 'frame' && e.frame.endpoint === HciEndpoint.devMgmt && e.frame.msgId === msgId).length;
    const got: Telegram[] = [];
    // What the connection shows while it waits before each reconnect attempt.
    const seen: Array<[string, number, string | undefined]> = [];
    const c = new Connection({
      sink: (t) => got.push(t),
      sleep: async (_ms, signal) => {
        seen.push([c.status, c.reconnecting, c.failure?.reason]);
        signal.throwIfAborted();
      },
      reconnectAttempts: 3
    });
    expect(await c.connect(bluetoothMaker(), 'im871a', 'C1', 'bluetooth')).toBe(true);
    expect(c.name).toBe('iM871A via BLE on Readout sim BLE iM871A (Bluetooth)');
    expect(c.mode).toBe('C1');
    expect([requests(DevMgmtMsg.pingReq), requests(DevMgmtMsg.setConfigReq)]).toEqual([1, 1]);
    const waitFor = async (test: () => boolean) => {
      for (let i = 0; i < 2000 && !test(); i++) await new Promise((r) => setTimeout(r, 1));
      expect(test()).toBe(true);
    };
    await waitFor(() => got.length >= 3);
    control().dropLink({ refuse: 1 });
    await waitFor(() => seen.length === 2 && c.status === 'open');
    // Lost, attempt 1 refused (the bridge is out of range: NetworkError while connecting), attempt 2 opens.
    expect(seen).toEqual([
      ['lost', 1, 'lost'],
      ['lost', 2, 'busy']
    ]);
    expect(c.reconnecting).toBe(0);
    expect(c.dropped?.reason).toBe('lost');
    const n = got.length;
    await waitFor(() => got.length >= n + 3);
    expect([requests(DevMgmtMsg.pingReq), requests(DevMgmtMsg.setConfigReq)]).toEqual([2, 2]);
    // C1 only, before and after the reconnect (the T1 meters of the drive stay unheard).
    const formats = new CompactFormatTable();
    for (const t of got) {
      const r = decodeTelegram(t.bytes, { keys, formats, crcs: t.crcs });
      expect(r.ok && r.value.security.state).toBe('decrypted');
      const m = meters.find((x) => r.ok && x.id === r.value.address.id)!;
      expect(m.mode).toBe('C1');
    }
    await c.disconnect();
    expect(c.status).toBe('idle');
  });

  it('the connection gives up when the bridge stays away, keeping why it dropped', async () => {
    install();
    const c = new Connection({ sink: () => undefined, sleep: async (_ms, signal) => signal.throwIfAborted(), reconnectAttempts: 2 });
    expect(await c.connect(bluetoothMaker(), 'im871a', undefined, 'bluetooth')).toBe(true);
    expect(c.mode).toBe('C1T1');
    control().dropLink({ refuse: Infinity });
    for (let i = 0; i < 500 && !(c.status === 'lost' && c.reconnecting === 0); i++) await new Promise((r) => setTimeout(r, 1));
    expect([c.status, c.reconnecting]).toEqual(['lost', 0]);
    expect(c.dropped?.reason).toBe('lost');
    expect(c.failure?.reason).toBe('busy'); // the last reconnect: NetworkError while connecting
    await c.disconnect();
  });
});
