import { statSync } from 'node:fs';
import type { SerialPort as SerialPortType } from 'serialport';
import { abortError, ChunkLink, LinkError } from './chunks.js';

// An M-Bus level converter on the server's own serial port (issue 8, "Transports"): 8 data bits,
// even parity, 1 stop bit at the system's baud rate (EN 13757-2 via protocols.md §8.1). The
// `serialport` package (a native binding) is imported when a serial system is first used, so a
// server without serial systems never loads it.

export const OPEN_TIMEOUT_MS = 5000;

/** What an open error means for a person at the server. */
function openFailure(path: string, err: Error): LinkError {
  const text = err.message;
  if (/no such file|ENOENT|not found/i.test(text)) {
    return new LinkError('missing', `The serial port ${path} does not exist: check that the level converter is plugged in and the port name is right.`, { cause: err });
  }
  if (/lock|busy|EBUSY|Resource temporarily unavailable/i.test(text)) {
    return new LinkError('busy', `The serial port ${path} is busy: another program (or another M-Bus system) has it open.`, { cause: err });
  }
  if (/permission|EACCES/i.test(text)) {
    return new LinkError(
      'denied',
      `The server may not open the serial port ${path}: permission denied (on Linux, add the server's user to the "dialout" group).`,
      { cause: err }
    );
  }
  return new LinkError('io', `Could not open the serial port ${path}: ${text}.`, { cause: err });
}

export class SerialLink extends ChunkLink {
  readonly #port: SerialPortType;
  readonly label: string;
  #closed = false;

  private constructor(port: SerialPortType, path: string) {
    super();
    this.#port = port;
    this.label = path;
    port.on('data', (chunk: Buffer) => this.received(chunk));
    port.on('error', (err: Error) => this.broke(new LinkError('io', `The serial port ${path} failed: ${err.message}.`, { cause: err })));
    port.on('close', () => {
      if (!this.#closed) this.broke(new LinkError('lost', `The serial port ${path} was closed (the level converter was unplugged?).`));
    });
  }

  /** Opens `path` 8E1 at `baud` within `timeoutMs`; rejects with a LinkError sentence or the abort reason. */
  static async open(path: string, baud: number, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SerialLink> {
    if (!path.trim()) throw new LinkError('missing', 'The serial port name is empty: give a port such as /dev/ttyUSB0 or COM3.');
    const signal = o.signal;
    if (signal?.aborted) throw abortError(signal);
    // Only a character device (a tty, or a link to one) is opened: a system's address is typed by
    // office staff, and the server must never open one of its own files read-write.
    if (process.platform !== 'win32') {
      let device = false;
      try {
        device = statSync(path).isCharacterDevice();
      } catch (err) {
        throw openFailure(path, err as Error);
      }
      if (!device) throw new LinkError('missing', `${path} is not a serial port (not a character device): give a port such as /dev/ttyUSB0.`);
    }
    let SerialPort: typeof SerialPortType;
    try {
      ({ SerialPort } = await import('serialport'));
    } catch (err) {
      throw new LinkError('io', `Serial ports cannot be used on this server: the serialport package did not load (${(err as Error).message}).`, { cause: err });
    }
    const port = new SerialPort({ path, baudRate: baud, dataBits: 8, parity: 'even', stopBits: 1, autoOpen: false, lock: true });
    const timeoutMs = o.timeoutMs ?? OPEN_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) {
          if (port.isOpen) port.close(() => {});
          reject(err);
        } else resolve();
      };
      const onAbort = () => finish(abortError(signal!));
      const timer = setTimeout(() => finish(new LinkError('io', `The serial port ${path} did not open within ${timeoutMs / 1000} s.`)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      port.open((err) => finish(err ? openFailure(path, err) : null));
    });
    return new SerialLink(port, path);
  }

  write(bytes: Uint8Array): Promise<void> {
    const broken = this.brokenError;
    if (broken) return Promise.reject(broken);
    if (this.#closed) return Promise.reject(new LinkError('lost', `The serial port ${this.label} is closed.`));
    return new Promise((resolve, reject) => {
      this.#port.write(Buffer.from(bytes), (err) => {
        if (err) return reject(new LinkError('io', `Could not send on the serial port ${this.label}: ${err.message}.`, { cause: err }));
        // drain: the bytes are handed to the driver, so the answer timeout starts after them
        this.#port.drain((e) => (e ? reject(new LinkError('io', `Could not send on the serial port ${this.label}: ${e.message}.`, { cause: e })) : resolve()));
      });
    });
  }

  /** Closes the port; idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.broke(new LinkError('lost', `The serial port ${this.label} is closed.`));
    return new Promise((resolve) => {
      if (!this.#port.isOpen) return resolve();
      this.#port.close(() => resolve());
    });
  }
}
