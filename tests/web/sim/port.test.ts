// The simulated iM871A behind a fake port: its byte stream, run through the iM871A framer,
// yields the same telegrams the model delivered, in the link mode the host set, and it answers
// commands as the stick does.
import { describe, expect, it } from 'vitest';
import { DriveBySimulation } from '../../../web/src/lib/hardware/sim/drive-by';
import { SimIm871aPort, type SimPortOptions } from '../../../web/src/lib/hardware/sim/port';
import { realClock } from '../../../web/src/lib/hardware/sim/clock';
import { sampleDrive } from '../../../web/src/lib/hardware/sim/sample';
import {
  buildDevMgmtRequest,
  buildSetLinkMode,
  decodeRxIndication,
  DevMgmtMsg,
  HciFramer,
  HciLinkMode,
  parseHciFrames,
  type HciEvent,
  type HciFrame,
} from '../../../web/src/lib/hardware/devices/im871a-hci';
import { decodeTelegram } from '../../../shared/wmbus/telegram';
import { KeyRing } from '../../../shared/wmbus/keyring';
import { toHex } from '../../../shared/bytes/hex';

const START = Date.UTC(2026, 2, 14, 9, 30);
const SEED = 21;
const drive = sampleDrive(SEED, { streets: 2, length: 300 });

const newSim = () => new DriveBySimulation({ seed: SEED, meters: drive.meters, route: drive.route, startEpochMs: START });

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const frames = (events: HciEvent[]): HciFrame[] => events.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));

/** Opens a port on a fresh simulation, sends `commands`, and returns every chunk until the drive ends. */
async function session(commands: Uint8Array[], o: SimPortOptions = {}): Promise<Uint8Array[]> {
  const port = new SimIm871aPort(newSim(), { endMs: 4 * 60_000, ...o });
  await port.open();
  for (const c of commands) await port.write(c);
  return readAll(port.readable);
}

describe('simulated iM871A port', () => {
  it('delivers, in C1+T1 mode, exactly the telegrams the model hears, in USB-sized chunks', async () => {
    const expected = newSim().advance(4 * 60_000);
    const chunks = await session([buildSetLinkMode({ linkMode: HciLinkMode.C1T1 })]);
    expect(chunks.length).toBeGreaterThan(expected.length); // frames arrive split
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(64);
    const events = parseHciFrames(concat(chunks));
    expect(events.filter((e) => e.type !== 'frame')).toEqual([]);
    const got = frames(events);
    expect(got[0]).toMatchObject({ endpoint: 1, msgId: DevMgmtMsg.setConfigRsp });
    const rx = got.slice(1).map((f) => decodeRxIndication(f)!);
    expect(rx.map((r) => toHex(r.telegram))).toEqual(expected.map((e) => toHex(e.telegram)));
    rx.forEach((r, i) => expect(Math.abs(r.rssiDbm! - expected[i].rssiDbm)).toBeLessThanOrEqual(0.25));
    expect(rx.every((r) => r.timestamp === null)).toBe(true);
  });

  it('the byte stream through the HciFramer stream decodes with the meters keys', async () => {
    const port = new SimIm871aPort(newSim(), { endMs: 3 * 60_000, chunkSeed: 99 });
    await port.open();
    await port.write(buildSetLinkMode({ linkMode: HciLinkMode.C1T1, timestamp: true }));
    const keys = new KeyRing();
    for (const m of drive.meters) keys.set({ manufacturer: m.manufacturer, id: m.id }, toHex(m.key));
    let decoded = 0;
    for await (const e of port.readable.pipeThrough(new HciFramer())) {
      expect(e.type).toBe('frame');
      if (e.type !== 'frame') continue;
      const rx = decodeRxIndication(e.frame);
      if (rx === null) continue;
      expect(rx.timestamp).not.toBeNull();
      const r = decodeTelegram(rx.telegram, { keys });
      expect(r.ok && r.value.security.state).toBe('decrypted');
      decoded++;
    }
    expect(decoded).toBeGreaterThan(20);
  });

  it('delivers nothing before the host sets a link mode, only C1 in C1 mode', async () => {
    const none = frames(parseHciFrames(concat(await session([]))));
    expect(none).toEqual([]);
    const c1 = frames(parseHciFrames(concat(await session([buildSetLinkMode({ linkMode: HciLinkMode.C1B })])))).slice(1);
    const all = newSim().advance(4 * 60_000);
    expect(c1.length).toBe(all.filter((e) => e.mode === 'C1').length);
    expect(all.some((e) => e.mode === 'T1')).toBe(true);
  });

  it('answers ping, get config and device info; commands may arrive split', async () => {
    const setMode = buildSetLinkMode({ linkMode: HciLinkMode.T1 });
    const cmds = [buildDevMgmtRequest(DevMgmtMsg.pingReq), setMode.subarray(0, 3), setMode.subarray(3), buildDevMgmtRequest(DevMgmtMsg.getConfigReq), buildDevMgmtRequest(DevMgmtMsg.deviceInfoReq)];
    const got = frames(parseHciFrames(concat(await session(cmds, { endMs: 1 }))));
    expect(got.map((f) => [f.endpoint, f.msgId])).toEqual([
      [1, DevMgmtMsg.pingRsp],
      [1, DevMgmtMsg.setConfigRsp],
      [1, DevMgmtMsg.getConfigRsp],
      [1, DevMgmtMsg.deviceInfoRsp],
    ]);
    expect(toHex(got[2].payload)).toBe('0300033001' + '00'); // IIFLAG1 03, device mode 00, link mode T1, IIFLAG2 30, RSSI on, timestamp off
    expect(got[3].payload[2]).toBeGreaterThan(0x13); // firmware new enough for C1+T1
  });

  it('is a Transport: a second open is refused, close is idempotent, write after close fails', async () => {
    const port = new SimIm871aPort(newSim());
    await port.open();
    await expect(port.open()).rejects.toMatchObject({ reason: 'busy' });
    await port.close();
    await port.close();
    await expect(port.write(buildDevMgmtRequest(DevMgmtMsg.pingReq))).rejects.toMatchObject({ reason: 'io' });
  });

  it('runs on a real clock, faster than real time', async () => {
    const port = new SimIm871aPort(newSim(), { clock: realClock({ speed: 2000 }), endMs: 60_000, linkMode: HciLinkMode.C1T1 });
    const t0 = performance.now();
    await port.open();
    const got = frames(parseHciFrames(concat(await readAll(port.readable))));
    expect(got.length).toBe(newSim().advance(60_000).length);
    expect(performance.now() - t0).toBeGreaterThan(20); // 60 s of drive in ≥ 30 ms
  });
});
