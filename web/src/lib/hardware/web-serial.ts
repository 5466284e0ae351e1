// Web Serial adapter (style.md §4): USB sticks and optical heads on desktop Chrome/Edge, paired
// Bluetooth Classic serial devices on Chrome for Android 138+ (protocols.md §7.2).
// The read loop survives non-fatal errors (parity, framing, overrun, break): while port.readable
// exists it takes a new reader and releases it in `finally`. close() cancels the reader, then
// closes the port. Everything acquired while opening is released by a cleanup stack.

import { CleanupStack, toTransportError, TransportError, WriteQueue, type Transport } from './transport';

export interface SerialSettings {
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
  flowControl: 'none';
}

const s = (baudRate: number, dataBits: 7 | 8, parity: SerialSettings['parity'], stopBits: 1 | 2): SerialSettings => ({
  baudRate, dataBits, parity, stopBits, flowControl: 'none'
});

/** Line settings per device, protocols.md §6.5. */
export const SERIAL_SETTINGS = {
  im871a: s(57600, 8, 'none', 1),
  iu891a: s(115200, 8, 'none', 1),
  amb8465: s(9600, 8, 'none', 1), // factory default; SETUARTSPEED changes it (then reopen)
  cul: s(38400, 8, 'none', 1),
  kmp: s(1200, 8, 'none', 2),
  iec62056: s(300, 7, 'even', 1), // then the negotiated rate: close and reopen
  mbus: s(2400, 8, 'even', 1)
} as const satisfies Record<string, SerialSettings>;

export type SerialDevice = keyof typeof SERIAL_SETTINGS;

/** Baud rates a wired M-Bus master speaks (protocols.md §8.1); the line is always 8E1. */
export const MBUS_BAUDS = [300, 2400, 9600] as const;

/** Settings for an M-Bus level converter at `baud` (SERIAL_SETTINGS.mbus is the 2400 default). */
export function mbusSerialSettings(baud: (typeof MBUS_BAUDS)[number]): SerialSettings {
  if (!MBUS_BAUDS.includes(baud)) throw new RangeError(`mbus baud: expected 300, 2400 or 9600, got ${String(baud)}`);
  return { ...SERIAL_SETTINGS.mbus, baudRate: baud };
}

export interface UsbSerialId {
  usbVendorId: number;
  usbProductId: number;
  chip: string;
  /** Which of our devices are reported to use it; [?] = not confirmed on hardware (protocols.md §11.2). */
  seenIn: string;
}

/**
 * USB-UART bridges for requestPort filters. The VID:PID of each chip is from the Linux
 * drivers (cp210x.c, ftdi_sio_ids.h, ch341.c, pl2303.h) and usb.ids; which stick carries
 * which chip is NOT in our sources (protocols.md §11 question 2): confirm with port.getInfo().
 * Because of that, requestSerial also offers "show all ports".
 */
export const USB_SERIAL_IDS: readonly UsbSerialId[] = [
  { usbVendorId: 0x10c4, usbProductId: 0xea60, chip: 'Silicon Labs CP210x', seenIn: 'iM871A-USB, iU891A [?]; many optical heads' },
  { usbVendorId: 0x0403, usbProductId: 0x6001, chip: 'FTDI FT232R', seenIn: 'AMB8465-M / Metis-II USB [?]; optical heads, M-Bus level converters' },
  { usbVendorId: 0x0403, usbProductId: 0x6015, chip: 'FTDI FT230X / FT231X', seenIn: 'optical heads (IR probes) [?]' },
  { usbVendorId: 0x1a86, usbProductId: 0x7523, chip: 'WCH CH340', seenIn: 'nanoCUL clones [?]' },
  { usbVendorId: 0x03eb, usbProductId: 0x204b, chip: 'Atmel LUFA CDC (busware CUL, culfw)', seenIn: 'CUL / CUNO [?]' },
  { usbVendorId: 0x067b, usbProductId: 0x2303, chip: 'Prolific PL2303', seenIn: 'older optical heads and level converters [?]' }
];

// The parts of the Web Serial API we use (not in TypeScript's DOM lib).
export interface SerialPortLike extends EventTarget {
  readonly readable: ReadableStream<Uint8Array> | null;
  readonly writable: WritableStream<Uint8Array> | null;
  open(options: SerialSettings & { bufferSize?: number }): Promise<void>;
  close(): Promise<void>;
  getInfo?(): { usbVendorId?: number; usbProductId?: number; bluetoothServiceClassId?: string | number };
}
export interface SerialLike {
  requestPort(options?: { filters?: Array<{ usbVendorId: number; usbProductId?: number }> }): Promise<SerialPortLike>;
  getPorts?(): Promise<SerialPortLike[]>;
}

function serialOf(): SerialLike {
  if (globalThis.isSecureContext === false) throw new TransportError('insecure-context', 'Web Serial needs https or localhost');
  const serial = (globalThis.navigator as { serial?: SerialLike } | undefined)?.serial;
  if (!serial) throw new TransportError('unsupported', 'this browser has no Web Serial (navigator.serial)');
  return serial;
}

/** A label for the UI from what the port tells about itself. */
export function portLabel(port: SerialPortLike): string {
  const info = port.getInfo?.() ?? {};
  if (info.bluetoothServiceClassId !== undefined) return 'Bluetooth serial port';
  const known = USB_SERIAL_IDS.find((u) => u.usbVendorId === info.usbVendorId && u.usbProductId === info.usbProductId);
  if (known) return `${known.chip} USB serial`;
  if (info.usbVendorId !== undefined) {
    const h = (n: number | undefined) => (n ?? 0).toString(16).padStart(4, '0');
    return `USB serial ${h(info.usbVendorId)}:${h(info.usbProductId)}`;
  }
  return 'Serial port';
}

export interface RequestSerialOptions {
  serial?: SerialLike;
  /** false: every port, for a stick whose bridge chip is not in USB_SERIAL_IDS. Default true. */
  filtered?: boolean;
}

/** Show the port chooser (needs a user gesture); the transport is not open yet. */
export async function requestSerial(settings: SerialSettings, o: RequestSerialOptions = {}): Promise<WebSerialTransport> {
  const serial = o.serial ?? serialOf();
  try {
    const filters = o.filtered === false ? undefined : USB_SERIAL_IDS.map(({ usbVendorId, usbProductId }) => ({ usbVendorId, usbProductId }));
    const port = await serial.requestPort(filters ? { filters } : {});
    return new WebSerialTransport(port, settings);
  } catch (e) {
    throw toTransportError(e, 'request', 'serial port');
  }
}

export class WebSerialTransport implements Transport {
  readonly label: string;
  readonly readable: ReadableStream<Uint8Array>;
  #out!: ReadableStreamDefaultController<Uint8Array>;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #queue = new WriteQueue();
  #cleanup = new CleanupStack();
  #state: 'idle' | 'opening' | 'open' | 'closed' = 'idle';
  #closing: Promise<void> | null = null;
  /** The last non-fatal read error (parity, framing, overrun, break), for diagnostics. */
  lastReadError: unknown = null;

  constructor(
    readonly port: SerialPortLike,
    readonly settings: SerialSettings,
    label?: string
  ) {
    this.label = label ?? portLabel(port);
    this.readable = new ReadableStream<Uint8Array>({ start: (c) => void (this.#out = c) });
  }

  async open(signal?: AbortSignal): Promise<void> {
    if (this.#state !== 'idle') throw new TransportError('busy', `${this.label}: already ${this.#state}`);
    if (signal?.aborted) throw new TransportError('nothing-picked', `${this.label}: cancelled before opening`, { cause: signal.reason });
    this.#state = 'opening';
    try {
      await this.port.open({ ...this.settings });
      this.#cleanup.push(() => this.port.close());
      const pump = this.#pump();
      this.#cleanup.push(() => pump);
      this.#cleanup.push(() => this.#reader?.cancel());
      if (signal?.aborted) throw new TransportError('nothing-picked', `${this.label}: cancelled while opening`, { cause: signal.reason });
      this.#state = 'open';
    } catch (e) {
      this.#state = 'closed';
      await this.#cleanup.run();
      throw toTransportError(e, 'open', this.label);
    }
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.#queue.run(async () => {
      const writable = this.port.writable;
      if (this.#state !== 'open' || !writable) throw new TransportError('lost', `${this.label}: not open (${this.#state})`);
      let writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
      try {
        writer = writable.getWriter();
        await writer.write(bytes);
      } catch (e) {
        throw toTransportError(e, 'write', this.label);
      } finally {
        writer?.releaseLock();
      }
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#state = 'closed';
      await this.#cleanup.run();
      try {
        this.#out.close();
      } catch {
        // already errored with 'lost'
      }
    })();
    return this.#closing;
  }

  async #pump(): Promise<void> {
    let fatal: unknown = null;
    let ended = false;
    while (this.port.readable && this.#state !== 'closed' && !ended) {
      const reader = this.port.readable.getReader();
      this.#reader = reader;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            ended = true; // cancelled by close(), or the port's stream closed: no new reader
            break;
          }
          if (value && value.length > 0) this.#out.enqueue(value);
        }
      } catch (e) {
        // Non-fatal errors leave a fresh port.readable behind; fatal ones (unplugged) leave null.
        this.lastReadError = e;
        fatal = e;
      } finally {
        reader.releaseLock();
        this.#reader = null;
      }
    }
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    const why = fatal instanceof Error ? `: ${fatal.name} ${fatal.message}` : '';
    this.#out.error(new TransportError('lost', `${this.label}: the port went away${why}`, { cause: fatal }));
    void this.#cleanup.run();
  }
}
