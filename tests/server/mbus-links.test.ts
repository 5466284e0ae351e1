// The server's M-Bus links (issue 8, "Transports"): a real TCP socket to a listening server, and
// a real serial port: a pseudo-terminal pair made by socat (CI installs it: apt-get install socat).
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { LinkError } from '../../server/src/mbus/chunks';
import { SerialLink } from '../../server/src/mbus/serial-link';
import { parseHostPort, TcpLink } from '../../server/src/mbus/tcp-link';
import { useTempDir } from './helpers';
import { ptyPair } from './mbus-pty';

const SND_NKE_5 = Uint8Array.from([0x10, 0x40, 0x05, 0x45, 0x16]); // protocols.md §8.8

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** A TCP server that answers E5 to a SND_NKE, as a gateway with one meter would pass it on. */
async function gateway(): Promise<{ port: number; sockets: Socket[]; server: Server }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('data', (d) => {
      if (d.length === 5 && d[1] === 0x40) s.write(Uint8Array.from([0xe5]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
  return { port: (server.address() as { port: number }).port, sockets, server };
}

describe('TcpLink', () => {
  test('sends a frame and reads the answer; nothing more arrives, so the next read times out with null', async () => {
    const gw = await gateway();
    const link = await TcpLink.connect(`127.0.0.1:${gw.port}`);
    cleanups.push(() => link.close());
    await link.write(SND_NKE_5);
    expect(await link.read(2000)).toEqual(Uint8Array.from([0xe5]));
    expect(await link.read(50)).toBeNull();
  });

  test('a gateway that refuses connections gives the sentence', async () => {
    const gw = await gateway();
    const port = gw.port;
    await new Promise<void>((r) => gw.server.close(() => r()));
    const err = await TcpLink.connect(`127.0.0.1:${port}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LinkError);
    expect((err as Error).message).toBe(`Could not connect to the M-Bus gateway 127.0.0.1:${port}: connection refused.`);
  });

  test('a gateway that closes the connection makes the waiting read reject with a sentence', async () => {
    const gw = await gateway();
    const link = await TcpLink.connect(`127.0.0.1:${gw.port}`);
    cleanups.push(() => link.close());
    const reading = link.read(5000);
    await new Promise((r) => setTimeout(r, 20));
    for (const s of gw.sockets) s.destroy();
    await expect(reading).rejects.toThrow(`The M-Bus gateway 127.0.0.1:${gw.port} closed the connection.`);
    await expect(link.write(SND_NKE_5)).rejects.toThrow(/closed the connection/);
  });

  test('an aborted read rejects at once', async () => {
    const gw = await gateway();
    const link = await TcpLink.connect(`127.0.0.1:${gw.port}`);
    cleanups.push(() => link.close());
    const ac = new AbortController();
    const reading = link.read(60_000, ac.signal);
    ac.abort();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('addresses are checked', () => {
    expect(parseHostPort('10.0.0.5:10001')).toEqual({ host: '10.0.0.5', port: 10001 });
    expect(parseHostPort('[fe80::1]:502')).toEqual({ host: 'fe80::1', port: 502 });
    expect(() => parseHostPort('10.0.0.5')).toThrow('address: expected host:port such as 10.0.0.5:10001, got "10.0.0.5"');
    expect(() => parseHostPort('gw:70000')).toThrow('address: port 70000 is outside 1-65535');
  });
});

const tempDir = useTempDir('readout-serial-');

const pty = () => ptyPair(tempDir(), cleanups);

describe('SerialLink', () => {
  test('bytes written at one end of a pseudo-terminal pair arrive at the other', async () => {
    const { a, b } = await pty();
    const master = await SerialLink.open(a, 2400);
    cleanups.push(() => master.close());
    const meter = await SerialLink.open(b, 2400);
    cleanups.push(() => meter.close());
    await master.write(SND_NKE_5);
    let got = new Uint8Array(0);
    while (got.length < 5) {
      const chunk = await meter.read(2000);
      if (!chunk) break;
      got = Uint8Array.from([...got, ...chunk]);
    }
    expect(got).toEqual(SND_NKE_5);
    await meter.write(Uint8Array.from([0xe5]));
    expect(await master.read(2000)).toEqual(Uint8Array.from([0xe5]));
  });

  test('a missing port and a port in use give sentences', async () => {
    const dir = tempDir();
    await expect(SerialLink.open(join(dir, 'ttyNOPE'), 2400)).rejects.toThrow(
      `The serial port ${join(dir, 'ttyNOPE')} does not exist: check that the level converter is plugged in and the port name is right.`
    );
    const { a } = await pty();
    const first = await SerialLink.open(a, 2400);
    cleanups.push(() => first.close());
    await expect(SerialLink.open(a, 2400)).rejects.toThrow(`The serial port ${a} is busy: another program (or another M-Bus system) has it open.`);
  });

  test('a path that is not a serial port (one of the server files) is refused before it is opened', async () => {
    const file = join(tempDir(), 'readout.db');
    writeFileSync(file, 'SQLite format 3');
    await expect(SerialLink.open(file, 2400)).rejects.toThrow(`${file} is not a serial port (not a character device): give a port such as /dev/ttyUSB0.`);
    expect(readFileSync(file, 'utf8')).toBe('SQLite format 3');
  });
});
