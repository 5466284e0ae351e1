// The KMP client on an optical head: the real Web Serial adapter (opened 1200 8N2) and the real
// Web Bluetooth adapter (Nordic UART, 20-byte notifications) over the simulated head and
// MULTICAL 603 of kmp-shim.ts, on real timers running SPEED× faster than a real eye. The head
// echoes every request (§5.1); faults are injected per answer.
import { afterEach, describe, expect, it } from 'vitest';
import { SERIAL_SETTINGS, WebSerialTransport } from '../../../web/src/lib/hardware/web-serial';
import { requestBleUart, type BluetoothLike } from '../../../web/src/lib/hardware/web-bluetooth';
import { KmpClient, KmpReadError, modelOfType, transportKmpLink, type KmpLink } from '../../../web/src/lib/hardware/devices/kmp-head';
import { installSimulatedKmp, SimKmpSerialPort, type SimKmp } from '../../../web/src/lib/hardware/sim/kmp-shim';
import type { Transport } from '../../../web/src/lib/hardware/transport';
import { getSerialNo, getType } from '../../../shared/kmp/commands';
import { valueText } from '../../../shared/kmp/value';

if (!('navigator' in globalThis)) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true }); // Node 20

const SPEED = 100;
/** The client waits 10× longer than the sim needs, so a busy machine does not turn answers into silence. */
const SCALE = SPEED / 10;
const SERIAL = 71234567;
const DAY = 86_400_000;

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function viaSerial(retries = 2): Promise<{ port: SimKmpSerialPort; client: KmpClient; link: KmpLink }> {
  const port = new SimKmpSerialPort({ serial: SERIAL, speed: SPEED, startEpochMs: Date.UTC(2026, 10, 20, 12) });
  const transport = new WebSerialTransport(port, SERIAL_SETTINGS.kmp);
  await transport.open();
  const link = transportKmpLink(transport);
  cleanup.push(async () => {
    await link.release();
    await transport.close();
  });
  return { port, link, client: new KmpClient(link, { timeScale: SCALE, retries }) };
}

async function viaBluetooth(): Promise<{ sim: SimKmp; client: KmpClient; transport: Transport }> {
  const sim = installSimulatedKmp({ serial: SERIAL, speed: SPEED, via: 'bluetooth', startEpochMs: Date.UTC(2026, 10, 20, 12) })!;
  const bluetooth = (navigator as unknown as { bluetooth: BluetoothLike }).bluetooth;
  const transport = await requestBleUart({ bluetooth, sleep: async () => undefined });
  await transport.open();
  const link = transportKmpLink(transport);
  cleanup.push(async () => {
    await link.release();
    await transport.close();
    await sim.uninstall();
  });
  return { sim, transport, client: new KmpClient(link, { timeScale: SCALE }) };
}

describe('KmpClient over the Web Serial adapter', () => {
  it('opens the head at 1200 8N2 and identifies the meter; the echo of each request is dropped', async () => {
    const { port, client } = await viaSerial();
    expect(port.opened).toMatchObject({ baudRate: 1200, dataBits: 8, parity: 'none', stopBits: 2 });
    const id = await client.identify();
    expect(id).toEqual({ meterType: 0x0603, revision: 'A1', serial: SERIAL, model: '603' });
    // the head echoed both requests: they came in with the answers and were not taken for answers
    expect(port.head!.stats.requests).toBe(2);
    expect(client.stats.bytesReceived).toBeGreaterThan(getType().length + getSerialNo().length + 2 * 6);
    expect(client.stats.retries).toBe(0);
  });

  it('reads registers in batches of at most 8 and names them', async () => {
    const { port, client } = await viaSerial();
    const ids = [60, 68, 74, 80, 86, 87, 99, 1004, 91, 92, 4242];
    const r = await client.readRegisters(ids);
    expect(r.frames.length).toBe(2); // 11 ids → 8 + 3
    expect(port.head!.stats.requests).toBe(2);
    expect(r.frames.every((f) => f[0] === 0x40 && f[f.length - 1] === 0x0d)).toBe(true);
    // 4242 is not a register: the meter leaves it out (§5.3)
    expect(r.values.map((v) => v.id)).toEqual([60, 68, 74, 80, 86, 87, 99, 1004, 91, 92]);
    const now = port.head!.meter.values(Date.now());
    const e1 = r.values.find((v) => v.id === 60)!;
    expect(e1.name).toBe('heat energy');
    expect(e1.unit).toBe('kWh');
    expect(Number(e1.text)).toBeCloseTo(now.find((v) => v.id === 60)!.mantissa, -1);
    const t1 = r.values.find((v) => v.id === 86)!;
    expect(t1.unit).toBe('°C');
    expect(valueText(t1.value)).toBe(t1.text);
    expect(r.values.find((v) => v.id === 91)!.unit).toBe('bar');
  });

  it('reads the daily logger since a day, oldest first, each record with its day', async () => {
    const { port, client } = await viaSerial();
    const since = Date.UTC(2026, 10, 1);
    const progress: Array<[number, number]> = [];
    const r = await client.readLog('daily', { model: '603', since, onProgress: (d, t) => progress.push([d, t]) });
    expect(r.complete).toBe(true);
    const want = port.head!.meter.records('daily', Date.now()).filter((x) => x.timeMs >= since);
    expect(r.records.map((x) => x.recordId)).toEqual(want.map((x) => x.recId));
    expect(r.records.map((x) => x.at)).toEqual(want.map((x) => Date.UTC(new Date(x.timeMs).getUTCFullYear(), new Date(x.timeMs).getUTCMonth(), new Date(x.timeMs).getUTCDate())));
    expect(r.records[0].values.get(60)!.unit).toBe(0x02);
    expect(progress.at(-1)).toEqual([want.length, want.length]);
    expect(r.frames.length).toBe(progress.length);
  });

  it('a bad CRC and a dropped byte are retried after the quiet time; the read succeeds', async () => {
    const { port, client } = await viaSerial();
    port.head!.injectFault('bad-crc', 'drop-byte', 'stray-zero');
    const id = await client.identify();
    expect(id.serial).toBe(SERIAL);
    expect(client.stats.retries).toBe(2);
    expect(port.head!.stats.faults).toMatchObject({ 'bad-crc': 1, 'drop-byte': 1, 'stray-zero': 1 });
  });

  it('a meter that keeps a CRC error gives a clear error after its retries', async () => {
    const { port, client } = await viaSerial(1);
    port.head!.injectFault('bad-crc', 'bad-crc');
    const e = await client.identify().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KmpReadError);
    expect((e as KmpReadError).code).toBe('crc');
    expect((e as KmpReadError).message).toMatch(/^The GetType answer failed its CRC check \(CRC [0-9A-F]{4}, computed [0-9A-F]{4} .*\)\. \(2 attempts\)$/);
    expect(port.head!.stats.requests).toBe(2);
  });

  it('a silent meter: retried, then a timeout sentence naming the optical eye', async () => {
    const { port, client } = await viaSerial(2);
    port.head!.injectFault('silence', 'silence', 'silence');
    const e = (await client.readRegisters([60]).catch((x: unknown) => x)) as KmpReadError;
    expect(e.code).toBe('timeout');
    expect(e.message).toBe("The meter did not answer GetRegister. Check that the head sits on the meter's optical eye and the meter's display is awake. (3 attempts)");
    expect(port.head!.stats.requests).toBe(3);
    // after the failure the link still works
    expect((await client.readRegisters([60])).values.length).toBe(1);
  });

  it('cancel keeps the records read; resume completes without gaps or duplicates', async () => {
    const { port, client } = await viaSerial();
    const since = Date.UTC(2026, 9, 1);
    const stop = new AbortController();
    const first = await client.readLog('daily', { model: '603', since, signal: stop.signal, onProgress: (done) => done >= 10 && stop.abort() });
    expect(first.complete).toBe(false);
    expect(first.error?.code).toBe('aborted');
    expect(first.records.length).toBeGreaterThanOrEqual(10);
    const rest = await client.readLog('daily', { model: '603', resume: first.resumeFrom });
    expect(rest.complete).toBe(true);
    const want = port.head!.meter.records('daily', Date.now()).filter((x) => x.timeMs >= since);
    expect([...first.records, ...rest.records].map((x) => x.recordId)).toEqual(want.map((x) => x.recId));
    // resuming a complete read asks only for what was written since: nothing yet
    const again = await client.readLog('daily', { model: '603', resume: rest.resumeFrom });
    expect(again).toMatchObject({ complete: true, records: [] });
  });

  it('reads the hourly logger and the info-code log with their times', async () => {
    const { port, client } = await viaSerial();
    const since = Date.now() - 12 * 3_600_000;
    const hourly = await client.readLog('hourly', { model: '603', since });
    const want = port.head!.meter.records('hourly', Date.now()).filter((x) => x.timeMs >= since);
    expect(hourly.complete).toBe(true);
    expect(hourly.records.map((x) => [x.recordId, x.at])).toEqual(want.map((x) => [x.recId, x.timeMs]));
    const info = await client.readLog('info', { model: '603' });
    const events = port.head!.meter.records('info', Date.now());
    expect(info.records.map((x) => x.at)).toEqual(events.map((x) => x.timeMs));
    expect(info.records.some((x) => x.values.get(99)!.mantissa !== 0n)).toBe(true);
  });

  it('a pulled-out head ends a log read with a link error and keeps what was read', async () => {
    const { port, client } = await viaSerial();
    const r = await client.readLog('daily', { model: '603', since: Date.UTC(2026, 9, 1), onProgress: (done) => done >= 6 && port.unplug() });
    expect(r.complete).toBe(false);
    expect(r.error?.code).toBe('link');
    expect(r.error?.message).toMatch(/^The optical head stopped working/);
    expect(r.records.length).toBeGreaterThanOrEqual(6);
    expect(r.frames.length).toBeGreaterThanOrEqual(3);
  });

  it('cancelling identify rejects with a KmpReadError "aborted"', async () => {
    const { client } = await viaSerial();
    const stop = new AbortController();
    const p = client.identify(stop.signal);
    stop.abort();
    await expect(p).rejects.toMatchObject({ name: 'KmpReadError', code: 'aborted', message: 'The read was cancelled.' });
  });

  it('an unknown model has no logger layout: a sentence, not a read', async () => {
    expect(modelOfType(0x0004)).toBe('601');
    expect(modelOfType(0x1234)).toBe('unknown');
    const { client } = await viaSerial();
    await expect(client.readLog('daily', { model: 'unknown' })).rejects.toThrow('No logger layout is known for meter model "unknown"');
  });
});

describe('KmpClient over the Web Bluetooth adapter (BLE UART head)', () => {
  it('identifies, reads registers and a daily logger through 20-byte notifications', async () => {
    const { sim, client } = await viaBluetooth();
    expect(await client.identify()).toMatchObject({ serial: SERIAL, model: '603' });
    const regs = await client.readRegisters([60, 68, 80]);
    expect(regs.values.map((v) => v.id)).toEqual([60, 68, 80]);
    const since = Date.now() - 30 * DAY;
    const log = await client.readLog('daily', { model: '603', since });
    expect(log.complete).toBe(true);
    const want = sim.ble!.meter.records('daily', Date.now()).filter((x) => x.timeMs >= since);
    expect(want.length).toBeGreaterThanOrEqual(29);
    expect(log.records.map((x) => x.recordId)).toEqual(want.map((x) => x.recId));
  });

  it('a garbled answer over Bluetooth is retried', async () => {
    const { sim, client } = await viaBluetooth();
    sim.ble!.head.injectFault('drop-byte');
    expect((await client.identify()).serial).toBe(SERIAL);
    expect(client.stats.retries).toBe(1);
  });
});
