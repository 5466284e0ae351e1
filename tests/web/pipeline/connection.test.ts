// The connection: builds the receiver for the chosen device, sets the mode, passes telegrams to
// the sink, reconnects with back-off after a drop, and stops on disconnect.
import { describe, expect, it } from 'vitest';
import { Connection, type ReceiverFactory } from '../../../web/src/lib/state/connection.svelte';
import type { RadioMode, Receiver, Telegram } from '../../../web/src/lib/hardware/devices/receiver';
import { TransportError, type Transport } from '../../../web/src/lib/hardware/transport';
import { DriveBySimulation } from '../../../web/src/lib/hardware/sim/drive-by';
import { SimIm871aPort } from '../../../web/src/lib/hardware/sim/port';
import { sampleDrive } from '../../../web/src/lib/hardware/sim/sample';

const tg = (n: number): Telegram => ({ bytes: Uint8Array.of(n), crcs: 'absent', rssiDbm: -70, receivedAt: n, raw: Uint8Array.of(n) });

class FakeReceiver implements Receiver {
  readonly name: string;
  readonly modes: readonly RadioMode[] = ['C1', 'T1'];
  readonly telegrams: ReadableStream<Telegram>;
  out!: ReadableStreamDefaultController<Telegram>;
  mode: RadioMode | null = null;
  closed = false;
  constructor(readonly transport: Transport, readonly failOpen: TransportError | null) {
    this.name = `Fake on ${transport.label}`;
    this.telegrams = new ReadableStream({ start: (c) => void (this.out = c) });
  }
  async open(): Promise<void> {
    if (this.failOpen) throw this.failOpen;
  }
  async setMode(mode: RadioMode): Promise<void> {
    this.mode = mode;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const transport = (label: string): Transport => ({
  label,
  readable: new ReadableStream(),
  open: async () => undefined,
  write: async () => undefined,
  close: async () => undefined
});

function rig(failOpens: (TransportError | null)[] = []) {
  const got: Array<[number, string]> = [];
  const receivers: FakeReceiver[] = [];
  const sleeps: number[] = [];
  const factory: ReceiverFactory = (t) => {
    const r = new FakeReceiver(t, failOpens.shift() ?? null);
    receivers.push(r);
    return r;
  };
  const c = new Connection({
    sink: (t, source) => got.push([t.bytes[0], source]),
    sleep: async (ms, signal) => {
      signal.throwIfAborted();
      sleeps.push(ms);
    },
    reconnectAttempts: 3,
    reconnectBaseDelayMs: 100,
    receivers: { im871a: factory, cul: factory }
  });
  let made = 0;
  const make = async () => transport(`port ${++made}`);
  return { c, got, receivers, sleeps, make };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('connection', () => {
  it('opens, sets a mode the device has, and passes telegrams to the sink', async () => {
    const { c, got, receivers, make } = rig();
    expect(await c.connect(make, 'cul')).toBe(true);
    expect(c.status).toBe('open');
    expect(c.isOpen).toBe(true);
    expect(c.mode).toBe('C1'); // no C1T1 on this device
    expect(c.name).toBe('Fake on port 1');
    receivers[0].out.enqueue(tg(1));
    receivers[0].out.enqueue(tg(2));
    await tick();
    expect(got).toEqual([
      [1, 'Fake on port 1'],
      [2, 'Fake on port 1']
    ]);
    expect(c.telegrams).toBe(2);
    await c.disconnect();
    expect(c.status).toBe('idle');
    expect(receivers[0].closed).toBe(true);
  });

  it('reports why it could not open; a closed chooser is not a crash', async () => {
    const { c } = rig();
    const ok = await c.connect(async () => {
      throw new TransportError('nothing-picked', 'closed the chooser');
    }, 'im871a');
    expect(ok).toBe(false);
    expect(c.status).toBe('idle');
    expect(c.failure?.reason).toBe('nothing-picked');
  });

  it('after a drop: lost, then reconnects with back-off on a new transport', async () => {
    const { c, got, receivers, sleeps, make } = rig();
    await c.connect(make, 'im871a', 'T1');
    receivers[0].out.error(new TransportError('lost', 'unplugged'));
    await tick();
    await tick();
    await tick();
    expect(c.status).toBe('open');
    expect(c.name).toBe('Fake on port 2');
    expect(receivers[1].mode).toBe('T1');
    expect(sleeps).toEqual([100]);
    expect(receivers[0].closed).toBe(true);
    receivers[1].out.enqueue(tg(9));
    await tick();
    expect(got.at(-1)).toEqual([9, 'Fake on port 2']);
    await c.disconnect();
  });

  it('gives up after the attempts and stays lost with the reason', async () => {
    const busy = new TransportError('busy', 'port in use');
    const { c, receivers, sleeps, make } = rig([null, busy, busy, busy]);
    await c.connect(make, 'im871a');
    receivers[0].out.error(new TransportError('lost', 'unplugged'));
    for (let i = 0; i < 20; i++) await tick();
    expect(sleeps).toEqual([100, 200, 400]);
    expect(c.status).toBe('lost');
    expect(c.failure?.reason).toBe('busy');
    expect(c.reconnecting).toBe(0);
  });

  it('disconnect stops a reconnect', async () => {
    const { c, receivers, make } = rig();
    await c.connect(make, 'im871a');
    await c.disconnect();
    receivers[0].out.error(new TransportError('lost', 'late error'));
    await tick();
    expect(c.status).toBe('idle');
    expect(receivers).toHaveLength(1);
  });

  it('drives the simulated iM871A end to end', async () => {
    const drive = sampleDrive(3, { streets: 1, length: 200 });
    const sim = new DriveBySimulation({ seed: 3, meters: drive.meters, route: drive.route, startEpochMs: Date.UTC(2026, 0, 5) });
    const expected = new DriveBySimulation({ seed: 3, meters: drive.meters, route: drive.route, startEpochMs: Date.UTC(2026, 0, 5) }).advance(60_000);
    const got: Telegram[] = [];
    const c = new Connection({ sink: (t) => got.push(t), clock: () => 42 });
    await c.connect(async () => new SimIm871aPort(sim, { endMs: 60_000 }), 'im871a');
    expect(c.mode).toBe('C1T1');
    for (let i = 0; i < 200 && got.length < expected.length; i++) await new Promise((r) => setTimeout(r, 1));
    expect(got.map((t) => t.bytes)).toEqual(expected.map((e) => e.telegram));
    expect(got.every((t) => t.receivedAt === 42 && t.crcs === 'absent')).toBe(true);
    await c.disconnect();
  });
});
