// The M-Bus master in the browser: the real Web Serial adapter opens a fake serial port (as
// web-serial.test.ts fakes navigator.serial's ports) behind which the simulated bus answers the
// master's frames with real bytes, in USB-sized chunks; TransportMbusLink makes it an MbusLink.
import { describe, expect, it } from 'vitest';
import { mbusSerialSettings, SERIAL_SETTINGS, WebSerialTransport, type SerialPortLike, type SerialSettings } from '../../../web/src/lib/hardware/web-serial';
import { TransportMbusLink } from '../../../web/src/lib/hardware/devices/mbus-link';
import { TransportError } from '../../../web/src/lib/hardware/transport';
import { FrameReader } from '../../../shared/mbus/link';
import { MbusMaster } from '../../../shared/mbus/master';
import { SimBus, simSegment } from '../../../shared/mbus/sim/index';
import type { SimMbusMeter } from '../../../shared/mbus/sim/index';

const START = Date.UTC(2026, 0, 5);

/** A serial port whose far end is a SimBus: each complete master frame gets the bus's answer. */
class SimBusPort extends EventTarget implements SerialPortLike {
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  opened: SerialSettings | null = null;
  written: Uint8Array[] = [];
  #c: ReadableStreamDefaultController<Uint8Array> | null = null;
  #frames = new FrameReader();

  constructor(
    readonly bus: SimBus,
    readonly now: () => number
  ) {
    super();
  }

  async open(o: SerialSettings): Promise<void> {
    this.opened = o;
    this.readable = new ReadableStream<Uint8Array>({ start: (c) => void (this.#c = c) });
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        this.written.push(chunk.slice());
        this.#frames.push(chunk);
        for (const u of this.#frames.take()) {
          if (u.kind !== 'frame') continue;
          const answer = this.bus.answer(u.bytes, this.now());
          if (answer) this.#deliver(answer);
        }
      }
    });
  }

  /** The answer after a short turnaround, cut into chunks as a USB bridge does. */
  #deliver(bytes: Uint8Array): void {
    const cuts = [0, Math.min(1, bytes.length), Math.min(7, bytes.length), bytes.length];
    setTimeout(() => {
      for (let i = 0; i + 1 < cuts.length; i++) if (cuts[i + 1]! > cuts[i]!) this.#c?.enqueue(bytes.slice(cuts[i], cuts[i + 1]));
    }, 1);
  }

  emit(bytes: number[]): void {
    this.#c!.enqueue(Uint8Array.from(bytes));
  }

  unplug(): void {
    this.#c!.error(new DOMException('The device has been lost.', 'NetworkError'));
    this.readable = null;
  }

  async close(): Promise<void> {
    this.readable = null;
  }

  getInfo() {
    return { usbVendorId: 0x0403, usbProductId: 0x6001 };
  }
}

async function openLink(meters: SimMbusMeter[], baud: 300 | 2400 | 9600 = 2400) {
  const bus = new SimBus({ meters, startEpochMs: START });
  const t0 = Date.now();
  const port = new SimBusPort(bus, () => START + (Date.now() - t0));
  const transport = new WebSerialTransport(port, mbusSerialSettings(baud));
  await transport.open();
  return { bus, port, transport, link: new TransportMbusLink(transport) };
}

describe('mbusSerialSettings', () => {
  it('opens at 300, 2400 or 9600 baud, always 8E1', () => {
    expect(mbusSerialSettings(2400)).toEqual(SERIAL_SETTINGS.mbus);
    expect(mbusSerialSettings(300)).toEqual({ baudRate: 300, dataBits: 8, parity: 'even', stopBits: 1, flowControl: 'none' });
    expect(mbusSerialSettings(9600).baudRate).toBe(9600);
    expect(() => mbusSerialSettings(1200 as 2400)).toThrow('mbus baud: expected 300, 2400 or 9600, got 1200');
  });
});

describe('TransportMbusLink over Web Serial with the simulated bus', () => {
  const meters = simSegment(4, { seed: 3 }).map((m, i) => ({ ...m, primaryAddress: [3, 8, 9, 14][i]! }));

  it('the master finds the meters with a primary scan and reads one of them', async () => {
    const { port, transport, link } = await openLink(meters, 9600);
    expect(port.opened).toMatchObject({ baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 });
    // waits 5× shorter than on a cable: still ~38 ms, so a busy machine does not turn an answer into silence
    const master = new MbusMaster(link, { baud: 9600, timeScale: 5 });
    const progress: number[] = [];
    const hits = await master.scanPrimary({ from: 0, to: 15, onProgress: (p) => progress.push(p.done) });
    expect(hits).toEqual([3, 8, 9, 14].map((primaryAddress) => ({ primaryAddress, state: 'present' })));
    expect(progress.at(-1)).toBe(16);

    const read = await master.read({ primary: 8 });
    expect(read.primaryAddress).toBe(8);
    expect(read.address?.id).toBe(meters[1]!.id);
    expect(read.frames.length).toBeGreaterThanOrEqual(1);
    expect(read.decoded.flatMap((f) => f.records).some((r) => r.quantity.startsWith('energy') || r.quantity.startsWith('volume'))).toBe(true);
    // what went over the port is the master's real frames: SND_NKE to 0 first (10 40 00 40 16)
    expect(Array.from(port.written[0]!)).toEqual([0x10, 0x40, 0x00, 0x40, 0x16]);
    await link.release();
    await transport.close();
  });

  it('read: bytes that came before the call, null after the timeout, abort rejects', async () => {
    const { port, transport, link } = await openLink([]);
    port.emit([0xe5]);
    port.emit([0x10, 0x08]);
    await new Promise((r) => setTimeout(r, 5));
    expect(Array.from((await link.read(50))!)).toEqual([0xe5, 0x10, 0x08]);
    expect(await link.read(20)).toBeNull();

    const ac = new AbortController();
    const pending = link.read(10_000, ac.signal);
    ac.abort(new Error('user cancelled'));
    await expect(pending).rejects.toThrow('user cancelled');
    await expect(link.read(10, ac.signal)).rejects.toThrow('user cancelled');

    port.emit([0x68, 0x01]);
    await new Promise((r) => setTimeout(r, 5));
    link.discard();
    expect(await link.read(10)).toBeNull();
    await expect(link.read(-1)).rejects.toThrow(RangeError);
    await link.release();
    await transport.close();
  });

  it('a waiting read gets the bytes the moment they arrive', async () => {
    const { port, transport, link } = await openLink([]);
    const pending = link.read(5_000);
    await expect(link.read(10)).rejects.toThrow('another read is already waiting');
    setTimeout(() => port.emit([0xe5]), 5);
    expect(Array.from((await pending)!)).toEqual([0xe5]);
    await link.release();
    await transport.close();
  });

  it('unplugged: a waiting read and every later write reject with TransportError lost', async () => {
    const { port, link } = await openLink([]);
    const pending = link.read(5_000);
    port.unplug();
    const e = await pending.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).reason).toBe('lost');
    await expect(link.read(10)).rejects.toMatchObject({ reason: 'lost' });
    await expect(link.write(Uint8Array.of(0x10, 0x40, 0x01, 0x41, 0x16))).rejects.toMatchObject({ reason: 'lost' });
  });

  it('a master scan against an unplugged port fails with a link error instead of hanging', async () => {
    const { port, link } = await openLink(meters);
    const master = new MbusMaster(link, { baud: 2400, timeScale: 20 });
    port.unplug();
    await expect(master.scanPrimary({ from: 0, to: 5 })).rejects.toMatchObject({ name: 'MbusError' });
  });
});
