// The fake navigator.serial: the real Web Serial adapter opens the simulated iM871A, sets the
// link mode through it and reads telegrams that decode with the sample drive's keys.
import { afterEach, describe, expect, it } from 'vitest';
import { installSimulatedSerial, simInitScript, SIM_GLOBAL, type SimSerialConfig } from '../../../web/src/lib/hardware/sim/serial-shim';
import { sampleDrive } from '../../../web/src/lib/hardware/sim/sample';
import { requestSerial, SERIAL_SETTINGS, WebSerialTransport, type SerialLike } from '../../../web/src/lib/hardware/web-serial';
import { SIM_CONTROL_GLOBAL, type SimControl } from '../../../web/src/lib/hardware/sim/control';
import { buildSetLinkMode, decodeRxIndication, HciFramer, HciLinkMode, type HciEvent } from '../../../web/src/lib/hardware/devices/im871a-hci';
import { decodeTelegram } from '../../../shared/wmbus/telegram';
import { KeyRing } from '../../../shared/wmbus/keyring';
import { toHex } from '../../../shared/bytes/hex';

const g = globalThis as Record<string, unknown>;
const hadNavigator = 'navigator' in globalThis;
if (!hadNavigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true }); // Node 20

afterEach(() => {
  delete g[SIM_GLOBAL];
  if ('serial' in navigator) delete (navigator as unknown as Record<string, unknown>).serial;
});

describe('simulated navigator.serial', () => {
  it('the init script sets the config the app looks for', () => {
    const config: SimSerialConfig = { seed: 4, startEpochMs: Date.UTC(2026, 0, 5), speed: 50 };
    new Function(simInitScript(config))();
    expect(g[SIM_GLOBAL]).toEqual(config);
    expect(installSimulatedSerial()).toEqual(config);
    expect('serial' in navigator).toBe(true);
  });

  it('installs nothing without a config', () => {
    expect(installSimulatedSerial()).toBeNull();
    expect('serial' in navigator).toBe(false);
  });

  it('the Web Serial adapter reads decodable telegrams from the simulated stick', async () => {
    const config: SimSerialConfig = { seed: 4, startEpochMs: Date.UTC(2026, 0, 5), speed: 2000, sample: { streets: 1, length: 200 } };
    installSimulatedSerial(config);
    const serial = (navigator as unknown as { serial: SerialLike }).serial;
    const transport = await requestSerial(SERIAL_SETTINGS.im871a, { serial });
    expect(transport.label).toBe('Silicon Labs CP210x USB serial');
    await transport.open();
    await transport.write(buildSetLinkMode({ linkMode: HciLinkMode.C1T1 }));
    const keys = new KeyRing();
    for (const m of sampleDrive(4, config.sample).meters) keys.set({ manufacturer: m.manufacturer, id: m.id }, toHex(m.key));
    let decoded = 0;
    const reader = transport.readable.pipeThrough(new HciFramer()).getReader();
    while (decoded < 5) {
      const { value, done } = await reader.read();
      if (done) break;
      const rx = value.type === 'frame' ? decodeRxIndication(value.frame) : null;
      if (rx === null) continue;
      const r = decodeTelegram(rx.telegram, { keys });
      expect(r.ok && r.value.security.state).toBe('decrypted');
      decoded++;
    }
    reader.releaseLock();
    await transport.close();
    expect(decoded).toBe(5);
  });

  it('a closed chooser and a blocked permission each give their own failure', async () => {
    const base = { seed: 4, startEpochMs: Date.UTC(2026, 0, 5) };
    installSimulatedSerial({ ...base, chooser: 'cancel' });
    await expect(requestSerial(SERIAL_SETTINGS.im871a)).rejects.toMatchObject({ reason: 'nothing-picked' });
    installSimulatedSerial({ ...base, chooser: 'deny' });
    const g = globalThis as { isSecureContext?: boolean };
    g.isSecureContext = true; // on https a SecurityError is a permission, not the page's address
    try {
      await expect(requestSerial(SERIAL_SETTINGS.im871a)).rejects.toMatchObject({ reason: 'permission-denied' });
    } finally {
      delete g.isSecureContext;
    }
  });

  it('unplugged: the read fails as lost, reopening fails while it is out, then the drive goes on', async () => {
    const config: SimSerialConfig = { seed: 4, startEpochMs: Date.UTC(2026, 0, 5), speed: 2000, sample: { streets: 1, length: 200 } };
    installSimulatedSerial(config);
    const keys = new KeyRing();
    for (const m of sampleDrive(4, config.sample).meters) keys.set({ manufacturer: m.manufacturer, id: m.id }, toHex(m.key));
    const read = async (reader: ReadableStreamDefaultReader<HciEvent>, n: number): Promise<string[]> => {
      const hex: string[] = [];
      while (hex.length < n) {
        const { value, done } = await reader.read();
        if (done) break;
        const rx = value.type === 'frame' ? decodeRxIndication(value.frame) : null;
        if (rx === null) continue;
        const r = decodeTelegram(rx.telegram, { keys });
        expect(r.ok && r.value.security.state).toBe('decrypted');
        hex.push(toHex(rx.telegram));
      }
      return hex;
    };
    const t = await requestSerial(SERIAL_SETTINGS.im871a);
    await t.open();
    await t.write(buildSetLinkMode({ linkMode: HciLinkMode.C1T1 }));
    const frames = t.readable.pipeThrough(new HciFramer()).getReader();
    const before = await read(frames, 4);
    const control = g[SIM_CONTROL_GLOBAL] as SimControl;
    expect(control.openLinks()).toEqual(['serial']);
    expect(control.dropLink({ refuse: 1 })).toEqual(['serial']);
    await expect((async () => {
      for (;;) if ((await frames.read()).done) return 'ended';
    })()).rejects.toMatchObject({ reason: 'lost' });
    // the adapter closes its side of the lost port
    for (let i = 0; i < 100 && control.openLinks().length > 0; i++) await new Promise((r) => setTimeout(r, 1));
    expect(control.openLinks()).toEqual([]);
    const again = () => new WebSerialTransport(t.port, SERIAL_SETTINGS.im871a);
    await expect(again().open()).rejects.toMatchObject({ reason: 'busy' }); // still out: NetworkError while opening
    const t2 = again();
    await t2.open();
    // A fresh stick forgot the link mode (RAM only): nothing until the host sets it again.
    await t2.write(buildSetLinkMode({ linkMode: HciLinkMode.C1T1 }));
    const after = await read(t2.readable.pipeThrough(new HciFramer()).getReader(), 4);
    expect(after.some((h) => before.includes(h))).toBe(false); // the drive went on, no replay
    await t2.close();
    expect(control.openLinks()).toEqual([]);
  });
});
