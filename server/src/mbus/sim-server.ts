// The simulated M-Bus segment behind a TCP port, as an M-Bus-to-TCP gateway in transparent mode
// presents a cable: bytes in are the master's frames on the line, bytes out are what the meters
// put on it, at line pace (SimLine). Tests, the demo, the e2e test and other M-Bus tools
// (libmbus mbus-tcp-scan) use it.
//
// One master at a time, like a gateway port: a second connection while one is open is closed at
// once without a byte; it can connect again when the first has gone.

import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { SimLine } from '../../../shared/mbus/sim/line.js';
import type { SimTimers } from '../../../shared/mbus/sim/line.js';
import type { SimBus } from '../../../shared/mbus/sim/bus.js';

export interface SimBusServerOptions {
  bus: SimBus;
  baud: number;
  /** The line runs this many times faster than a real one (the demo's --speed); default 1. */
  timeScale?: number;
  host?: string;
  /** 0 or omitted: any free port. */
  port?: number;
}

export interface SimBusServer {
  port: number;
  host: string;
  close(): Promise<void>;
}

const realTimers: SimTimers = {
  now: () => Date.now(),
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export function startSimBusServer(o: SimBusServerOptions): Promise<SimBusServer> {
  // checked here so a wrong rate fails at start, not on the first connection
  if (!(o.baud > 0)) return Promise.reject(new RangeError(`baud: expected a positive rate, got ${o.baud}`));
  let active: Socket | null = null;
  const sockets = new Set<Socket>();

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (active) {
      socket.destroy();
      return;
    }
    active = socket;
    socket.setNoDelay(true);
    const line = new SimLine(o.bus, { baud: o.baud, timeScale: o.timeScale, timers: realTimers });
    const stop = new AbortController();
    socket.on('data', (chunk: Buffer) => {
      void line.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    socket.on('close', () => {
      stop.abort();
      line.close();
      if (active === socket) active = null;
    });
    void (async () => {
      // the meters' bytes go out as the line delivers them
      while (!stop.signal.aborted) {
        let chunk: Uint8Array | null;
        try {
          chunk = await line.read(60_000, stop.signal);
        } catch {
          return;
        }
        if (chunk && !socket.destroyed) socket.write(chunk);
      }
    })();
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const addr = server.address();
      if (addr === null || typeof addr === 'string') {
        reject(new Error('simulated bus server: no TCP address after listen'));
        return;
      }
      resolve({
        port: addr.port,
        host: addr.address,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
