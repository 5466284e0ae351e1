import { Socket } from 'node:net';
import { abortError, ChunkLink, LinkError } from './chunks.js';

// An M-Bus master on the LAN: an M-Bus-to-TCP gateway in transparent mode (or serial-over-IP)
// passes the bytes of the cable through a TCP connection unchanged (issue 8, "Transports").

export const CONNECT_TIMEOUT_MS = 5000;

export interface HostPort {
  host: string;
  port: number;
}

/** "10.0.0.5:10001", "gateway.local:10001" or "[fe80::1]:10001"; RangeError naming the problem. */
export function parseHostPort(address: string): HostPort {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(address.trim());
  if (!m) throw new RangeError(`address: expected host:port such as 10.0.0.5:10001, got "${address.slice(0, 80)}"`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new RangeError(`address: port ${port} is outside 1-65535`);
  return { host: m[1] ?? m[2], port };
}

/** What a socket error code means, in words. */
function cause(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name is not known';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the host cannot be reached';
    case 'ECONNRESET':
      return 'the gateway closed the connection';
    case 'ETIMEDOUT':
      return 'no answer from the network';
    case 'EPIPE':
      return 'the connection is closed';
    default:
      return err.message;
  }
}

export class TcpLink extends ChunkLink {
  readonly #socket: Socket;
  readonly label: string;
  #closed = false;

  private constructor(socket: Socket, label: string) {
    super();
    this.#socket = socket;
    this.label = label;
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.broke(new LinkError('lost', `The connection to the M-Bus gateway ${label} was lost: ${cause(err)}.`, { cause: err }));
    });
    socket.on('close', () => {
      if (!this.#closed) this.broke(new LinkError('lost', `The M-Bus gateway ${label} closed the connection.`));
    });
  }

  /** Connects within `timeoutMs`; rejects with a LinkError sentence, or the abort reason. */
  static connect(address: string, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<TcpLink> {
    let target: HostPort;
    try {
      target = parseHostPort(address);
    } catch (err) {
      return Promise.reject(new LinkError('connect', `Could not connect to the M-Bus gateway "${address}": ${(err as Error).message}.`));
    }
    const label = address.trim();
    const timeoutMs = o.timeoutMs ?? CONNECT_TIMEOUT_MS;
    const signal = o.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<TcpLink>((resolve, reject) => {
      const socket = new Socket();
      const done = (err: Error | null) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.removeListener('error', onError);
        socket.removeListener('connect', onConnect);
        if (err) {
          socket.destroy();
          reject(err);
        } else {
          socket.setNoDelay(true);
          resolve(new TcpLink(socket, label));
        }
      };
      const onError = (err: NodeJS.ErrnoException) =>
        done(new LinkError('connect', `Could not connect to the M-Bus gateway ${label}: ${cause(err)}.`, { cause: err }));
      const onConnect = () => done(null);
      const onAbort = () => done(abortError(signal!));
      const timer = setTimeout(
        () => done(new LinkError('connect', `Could not connect to the M-Bus gateway ${label}: no answer within ${timeoutMs / 1000} s.`)),
        timeoutMs
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('error', onError);
      socket.once('connect', onConnect);
      socket.connect(target.port, target.host);
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    const broken = this.brokenError;
    if (broken) return Promise.reject(broken);
    if (this.#closed) return Promise.reject(new LinkError('lost', `The connection to the M-Bus gateway ${this.label} is closed.`));
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (err) => {
        if (err) reject(new LinkError('lost', `Could not send to the M-Bus gateway ${this.label}: ${cause(err as NodeJS.ErrnoException)}.`, { cause: err }));
        else resolve();
      });
    });
  }

  /** Ends the connection; idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.broke(new LinkError('lost', `The connection to the M-Bus gateway ${this.label} is closed.`));
    return new Promise((resolve) => {
      if (this.#socket.destroyed) return resolve();
      this.#socket.once('close', () => resolve());
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), 1000).unref();
    });
  }
}
