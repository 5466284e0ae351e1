// The Web Serial adapter against a fake navigator.serial: filters, DOMException mapping,
// a read loop that survives non-fatal errors, ordered close, writes never interleaved.
import { describe, expect, it } from 'vitest';
import { requestSerial, SERIAL_SETTINGS, USB_SERIAL_IDS, WebSerialTransport, type SerialLike, type SerialPortLike, type SerialSettings } from '../../../web/src/lib/hardware/web-serial.js';
import { TransportError } from '../../../web/src/lib/hardware/transport.js';

class FakePort extends EventTarget implements SerialPortLike {
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  log: string[] = [];
  opened: SerialSettings | null = null;
  openError: unknown = null;
  #c: ReadableStreamDefaultController<Uint8Array> | null = null;
  #newReadable(): void {
    this.readable = new ReadableStream<Uint8Array>({
      start: (c) => void (this.#c = c),
      cancel: () => void this.log.push('cancel')
    });
  }
  async open(o: SerialSettings): Promise<void> {
    if (this.openError) throw this.openError;
    this.opened = o;
    this.#newReadable();
    this.writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        this.log.push(`w+${chunk.length}`);
        await new Promise((r) => setTimeout(r, 1));
        this.log.push(`w-${chunk.length}`);
      }
    });
  }
  async close(): Promise<void> {
    this.log.push('close');
    this.readable = null;
  }
  getInfo() {
    return { usbVendorId: 0x10c4, usbProductId: 0xea60 };
  }
  emit(bytes: number[]): void {
    this.#c!.enqueue(Uint8Array.from(bytes));
  }
  /** A parity or framing error: the stream errors, the port gives a fresh one. */
  nonFatal(): void {
    const c = this.#c!;
    this.#newReadable();
    c.error(new DOMException('Parity error', 'ParityError'));
  }
  unplug(): void {
    const c = this.#c!;
    this.readable = null;
    c.error(new DOMException('The device has been lost.', 'NetworkError'));
  }
}

const read = async (r: ReadableStreamDefaultReader<Uint8Array>) => Array.from((await r.read()).value ?? []);

describe('Web Serial adapter', () => {
  it('asks for the known USB bridges and maps a closed chooser to nothing-picked', async () => {
    let seen: unknown;
    const serial: SerialLike = {
      requestPort: async (o) => {
        seen = o;
        throw new DOMException('No port selected by the user.', 'NotFoundError');
      }
    };
    const err = await requestSerial(SERIAL_SETTINGS.im871a, { serial }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ reason: 'nothing-picked' });
    expect((seen as { filters: unknown[] }).filters).toHaveLength(USB_SERIAL_IDS.length);
    await requestSerial(SERIAL_SETTINGS.im871a, { serial, filtered: false }).catch(() => undefined);
    expect(seen).toEqual({});
  });

  it('opens with the device settings and labels the port by its chip', async () => {
    const port = new FakePort();
    const t = await requestSerial(SERIAL_SETTINGS.amb8465, { serial: { requestPort: async () => port } });
    await t.open();
    expect(port.opened).toMatchObject({ baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 });
    expect(t.label).toBe('Silicon Labs CP210x USB serial');
    await t.close();
  });

  it('maps a port held elsewhere (NetworkError on open) to busy', async () => {
    const port = new FakePort();
    port.openError = new DOMException('Failed to open serial port.', 'NetworkError');
    const err = await new WebSerialTransport(port, SERIAL_SETTINGS.cul).open().catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'busy' });
  });

  it('keeps reading after a non-fatal error, errors with lost when unplugged', async () => {
    const port = new FakePort();
    const t = new WebSerialTransport(port, SERIAL_SETTINGS.im871a);
    await t.open();
    const r = t.readable.getReader();
    port.emit([1, 2]);
    expect(await read(r)).toEqual([1, 2]);
    port.nonFatal();
    await new Promise((res) => setTimeout(res, 0));
    port.emit([3]);
    expect(await read(r)).toEqual([3]);
    expect(t.lastReadError).toMatchObject({ name: 'ParityError' });
    port.unplug();
    const err = await r.read().catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'lost' });
    await t.close();
  });

  it('close cancels the reader before closing the port, and is idempotent', async () => {
    const port = new FakePort();
    const t = new WebSerialTransport(port, SERIAL_SETTINGS.im871a);
    await t.open();
    await Promise.all([t.close(), t.close()]);
    expect(port.log).toEqual(['cancel', 'close']);
    const r = t.readable.getReader();
    expect((await r.read()).done).toBe(true);
  });

  it('queues writes: one finishes before the next starts', async () => {
    const port = new FakePort();
    const t = new WebSerialTransport(port, SERIAL_SETTINGS.im871a);
    await t.open();
    await Promise.all([t.write(new Uint8Array(3)), t.write(new Uint8Array(5)), t.write(new Uint8Array(1))]);
    expect(port.log).toEqual(['w+3', 'w-3', 'w+5', 'w-5', 'w+1', 'w-1']);
    await t.close();
    await expect(t.write(new Uint8Array(1))).rejects.toMatchObject({ reason: 'lost' });
  });
});
