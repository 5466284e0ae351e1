// The simulated M-Bus segment on a real TCP socket, as a master (ours or another M-Bus tool)
// meets an M-Bus gateway in transparent mode. Line pace is not asserted (behaviour, not timing).
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { C, FrameReader, shortFrame, withFcb } from '../../shared/mbus/link';
import type { LinkUnit } from '../../shared/mbus/link';
import { decodeMbusFrame } from '../../shared/mbus/frame';
import { SimBus } from '../../shared/mbus/sim/bus';
import { simSegment } from '../../shared/mbus/sim/segment';
import { startSimBusServer } from '../../server/src/mbus/sim-server';
import type { SimBusServer } from '../../server/src/mbus/sim-server';
import { parseSimCliArgs } from '../../server/src/mbus/sim-cli';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

async function start(meters = simSegment(5, { seed: 3, duplicatePrimary: 1 })): Promise<{ server: SimBusServer; bus: SimBus }> {
  const bus = new SimBus({ meters, startEpochMs: Date.UTC(2026, 10, 1) });
  // 9600 baud 20x faster: an answer is a few milliseconds
  const server = await startSimBusServer({ bus, baud: 9600, timeScale: 20 });
  cleanups.push(() => server.close());
  return { server, bus };
}

function open(server: SimBusServer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(server.port, server.host, () => resolve(s));
    s.once('error', reject);
    cleanups.push(() => void s.destroy());
  });
}

/** Sends `request`, then collects link units until the socket has been quiet for `quietMs` (at most 5 s). */
function exchange(s: Socket, request: Uint8Array, quietMs = 300): Promise<LinkUnit[]> {
  return new Promise((resolve) => {
    const reader = new FrameReader();
    let quiet: ReturnType<typeof setTimeout>;
    const finish = (): void => {
      clearTimeout(quiet);
      clearTimeout(limit);
      s.off('data', onData);
      reader.flush();
      resolve(reader.take());
    };
    const onData = (b: Buffer): void => {
      reader.push(new Uint8Array(b));
      clearTimeout(quiet);
      quiet = setTimeout(finish, quietMs);
    };
    const limit = setTimeout(finish, 5000);
    s.on('data', onData);
    quiet = setTimeout(finish, quietMs);
    s.write(request);
  });
}

describe('simulated M-Bus over TCP', () => {
  it('SND_NKE gets E5, REQ_UD2 a RSP_UD that decodes, an absent address nothing', async () => {
    const { server, bus } = await start();
    const s = await open(server);
    const ack = await exchange(s, shortFrame(C.SND_NKE, 3));
    expect(ack).toEqual([{ kind: 'frame', type: 'ack', bytes: Uint8Array.of(0xe5) }]);
    const rsp = await exchange(s, shortFrame(withFcb(C.REQ_UD2, true), 3));
    expect(rsp).toHaveLength(1);
    expect(rsp[0].kind).toBe('frame');
    const d = decodeMbusFrame(rsp[0].bytes);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const meter = bus.meters.find((m) => m.primaryAddress === 3)!;
    expect(d.value.primaryAddress).toBe(3);
    expect(d.value.address?.id).toBe(meter.id);
    expect(d.value.records.length).toBeGreaterThan(3);
    expect(await exchange(s, shortFrame(C.SND_NKE, 200))).toEqual([]);
  });

  it('two meters on one address reach the socket as garbage, never a frame', async () => {
    const { server } = await start();
    const s = await open(server);
    const units = await exchange(s, shortFrame(C.SND_NKE, 1));
    expect(units.length).toBeGreaterThan(0);
    expect(units.every((u) => u.kind === 'garbage')).toBe(true);
  });

  it('one master at a time: a second connection is closed at once, and may come back later', async () => {
    const { server } = await start();
    const first = await open(server);
    const second = await open(server);
    await new Promise<void>((resolve) => second.once('close', () => resolve()));
    expect((await exchange(first, shortFrame(C.SND_NKE, 2))).map((u) => u.kind)).toEqual(['frame']);
    await new Promise<void>((resolve) => {
      first.once('close', () => resolve());
      first.destroy();
    });
    // the server sees the close a moment later; retry until it takes the new master
    let units: LinkUnit[] = [];
    for (let i = 0; i < 20 && units.length === 0; i++) {
      const again = await open(server);
      units = await exchange(again, shortFrame(C.SND_NKE, 2), 100);
      if (units.length === 0) again.destroy();
    }
    expect(units.map((u) => u.kind)).toEqual(['frame']);
  });

  it('the CLI refuses bad arguments with the argument and the reason', () => {
    expect(parseSimCliArgs(['--port', '10001', '--meters', '250', '--baud', '2400', '--speed', '20', '--seed', '1'])).toEqual({
      port: 10001,
      host: '127.0.0.1',
      meters: 250,
      baud: 2400,
      speed: 20,
      seed: 1,
      duplicatePrimary: 0,
    });
    expect(() => parseSimCliArgs(['--meters', '251'])).toThrow('--meters: expected an integer 1..250, got "251"');
    expect(() => parseSimCliArgs(['--baud', '1200'])).toThrow('--baud: expected 300, 2400 or 9600, got 1200');
    expect(() => parseSimCliArgs(['--port'])).toThrow('--port: expected an integer 0..65535, got nothing');
    expect(() => parseSimCliArgs(['--bogus'])).toThrow(/unknown argument "--bogus"/);
  });
});
