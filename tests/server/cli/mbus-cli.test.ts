// `npm run mbus -- scan tcp://…` against the simulated bus on a real TCP socket: the CLI's main()
// with the real TCP connection and captured stdout/stderr, as a person at a terminal sees it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectTcp, EXIT, main, parseArgs, parseTcpUrl, type CliIo } from '../../../server/cli/mbus';
import { startSimBusServer } from '../../../server/src/mbus/sim-server';
import { SimBus, simSegment, type SimMbusMeter } from '../../../shared/mbus/sim/index';
import { projectRoot } from '../../../server/src/paths';

const START = Date.UTC(2026, 2, 1);
const SCALE = 10; // the simulated bus and the CLI's waits run 10 times faster than the line

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

async function simBus(meters: SimMbusMeter[], baud = 9600, scale = SCALE) {
  const bus = new SimBus({ meters, startEpochMs: START });
  const server = await startSimBusServer({ bus, baud, timeScale: scale, host: '127.0.0.1', port: 0 });
  cleanups.push(() => server.close());
  return { bus, url: `tcp://127.0.0.1:${server.port}` };
}

function io(o: { signal?: AbortSignal; onErr?: (text: string) => void } = {}): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: {
      write: (t: string) => {
        err += t;
        o.onErr?.(t);
      }
    },
    connect: connectTcp,
    signal: o.signal,
    out: () => out,
    err: () => err
  };
}

/** Data rows of the table, split on runs of spaces, header dropped. */
function rows(stdout: string): string[][] {
  return stdout.trim().split('\n').slice(1).map((l) => l.split(/\s{2,}/));
}

const three = (): SimMbusMeter[] => [
  { model: 'multical-403', primaryAddress: 4, id: '71000004' },
  { model: 'oms-water', primaryAddress: 7, id: '52000007' },
  { model: 'multical-603', primaryAddress: 11, id: '71000011' }
];

describe('command line', () => {
  it('parses scan with its options', () => {
    expect(parseArgs(['scan', 'tcp://10.0.0.5:10001', '--baud', '300', '--read', '--timeout-scale', '5'])).toMatchObject({
      host: '10.0.0.5', port: 10001, baud: 300, secondary: false, read: true, timeScale: 5, from: 0, to: 250
    });
    expect(parseTcpUrl('tcp://[fe80::1]:10001')).toEqual({ host: 'fe80::1', port: 10001 });
  });

  it.each([
    [['scan'], 'scan needs the bus address'],
    [['scan', 'http://gw:80'], 'only tcp://host:port is supported'],
    [['scan', 'tcp://gw'], 'expected tcp://host:port with a host and a port number'],
    [['scan', 'tcp://gw:70000'], 'port 70000 is not between 1 and 65535'],
    [['scan', '10.0.0.5:10001'], 'is not a bus address: expected tcp://host:port'],
    [['scan', 'tcp://gw:1', '--baud', '1200'], '--baud 1200: M-Bus runs at 300, 2400 or 9600 baud'],
    [['scan', 'tcp://gw:1', '--timeout-scale', '0'], '--timeout-scale 0: expected a number from 1 to 1000'],
    [['scan', 'tcp://gw:1', '--secondary', '--from', '3'], '--from and --to limit the primary scan'],
    [['scan', 'tcp://gw:1', '--verbose'], 'unknown option --verbose'],
    [['list', 'tcp://gw:1'], 'unknown command "list"']
  ])('%j is refused with exit 2: %s', async (argv, message) => {
    const c = io();
    expect(await main(argv, c)).toBe(EXIT.USAGE);
    expect(c.err()).toContain(message);
    expect(c.err()).toContain('usage: mbus scan');
    expect(c.out()).toBe('');
  });
});

describe('mbus scan against the simulated bus over TCP', () => {
  it('primary scan: progress on stderr, one row per meter with its header on stdout', async () => {
    const { url } = await simBus(three());
    const c = io();
    const code = await main(['scan', url, '--baud', '9600', '--timeout-scale', String(SCALE), '--from', '0', '--to', '15'], c);
    expect(c.err()).toContain(`Primary scan 0-15 on ${url} at 9600 baud`);
    expect(c.err()).toContain('16/16 probed, 3 found');
    expect(c.err()).toContain('found primary address 7');
    expect(code).toBe(EXIT.OK);
    expect(c.out().split('\n')[0]).toMatch(/^primary\s+secondary\s+manufacturer\s+id\s+version\s+medium$/);
    const r = rows(c.out());
    expect(r.map((x) => [x[0], x[2], x[3]])).toEqual([
      ['4', 'KAM', '71000004'],
      ['7', expect.stringMatching(/^[A-Z]{3}$/), '52000007'],
      ['11', 'KAM', '71000011']
    ]);
    expect(r[0]![1]).toMatch(/^710000042D2C[0-9A-F]{4}$/); // secondary: id, KAM = 2D2C, version, medium
    expect(r[0]![5]).toMatch(/^4 /); // heat
  });

  it('--read adds the main values of each meter', async () => {
    const { url } = await simBus(three());
    const c = io();
    expect(await main(['scan', url, '--baud', '9600', '--timeout-scale', String(SCALE), '--from', '4', '--to', '11', '--read'], c)).toBe(EXIT.OK);
    const r = rows(c.out());
    expect(r).toHaveLength(3);
    expect(r[0]![6]).toMatch(/energy [\d.]+ (k|M)?Wh/);
    expect(r[1]![6]).toMatch(/volume [\d.]+ m3/);
  });

  it('--secondary finds colliding meters through the wildcard search', async () => {
    const meters = simSegment(6, { seed: 11, collide: true });
    const { url } = await simBus(meters, 9600, 5);
    const c = io();
    // a slower scale than the others: one answer delayed past the (scaled) timeout by a busy event
    // loop would read as silence and prune a branch of the tree
    expect(await main(['scan', url, '--baud', '9600', '--timeout-scale', '5', '--secondary'], c)).toBe(EXIT.OK);
    expect(c.err()).toContain('Secondary search');
    const ids = rows(c.out()).map((x) => x[3]);
    expect(ids.sort(), c.err()).toEqual(meters.map((m) => m.id).sort());
    for (const x of rows(c.out())) expect(x[1]).toMatch(new RegExp(`^${x[3]}[0-9A-F]{8}$`));
  });

  it('a full primary scan 0-250 of an empty bus says so and exits 5', async () => {
    const { url } = await simBus([], 9600, 50);
    const c = io();
    expect(await main(['scan', url, '--baud', '9600', '--timeout-scale', '50'], c)).toBe(EXIT.NO_METERS);
    expect(c.err()).toContain('251/251 probed, 0 found');
    expect(c.err()).toContain(`no meter answered on ${url} at 9600 baud`);
    expect(c.out()).toBe('');
  });

  it('two meters on one primary address: a collision row, a clear error and exit 4', async () => {
    const { url } = await simBus([
      { model: 'oms-water', primaryAddress: 5, id: '52000001' },
      { model: 'oms-heat', primaryAddress: 5, id: '52000002' }
    ]);
    const c = io();
    expect(await main(['scan', url, '--baud', '9600', '--timeout-scale', String(SCALE), '--from', '0', '--to', '8'], c)).toBe(EXIT.METER_ERRORS);
    expect(c.out()).toContain('primary 5: more than one meter answers at primary address 5');
  });

  it('a refused connection is named and exits 3', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const c = io();
    expect(await main(['scan', `tcp://127.0.0.1:${port}`], c)).toBe(EXIT.CONNECTION);
    expect(c.err()).toContain(`127.0.0.1:${port}: connection refused`);
  });

  it('cancel (Ctrl-C) during a scan stops it promptly, closes the connection and exits 130', async () => {
    const { url } = await simBus(three());
    const ac = new AbortController();
    const c = io({ signal: ac.signal, onErr: (t) => t.includes('found primary address 4') && ac.abort(new Error('cancelled by Ctrl-C')) });
    const code = await main(['scan', url, '--baud', '9600', '--timeout-scale', String(SCALE)], c);
    expect(code).toBe(EXIT.CANCELLED);
    expect(c.err()).toContain('scan cancelled');
    expect(c.err()).not.toContain('251/251');
    // the connection was closed: the gateway (one master at a time) takes a new scan once it
    // has seen the close, which may come a moment after ours
    let code2: number = EXIT.CONNECTION;
    for (let i = 0; i < 10 && code2 === EXIT.CONNECTION; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 50));
      code2 = await main(['scan', url, '--baud', '9600', '--timeout-scale', String(SCALE), '--from', '7', '--to', '7'], io());
    }
    expect(code2).toBe(EXIT.OK);
  });
});

describe('the built program (npm run mbus; npm test builds first)', () => {
  const entry = join(projectRoot, 'dist/server/server/cli/mbus.js');

  function run(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
    const child = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, out: () => out, err: () => err, exit };
  }

  it('prints the table on stdout and exits 0', async () => {
    const { url } = await simBus(three());
    const p = run(['scan', url, '--baud', '9600', '--timeout-scale', String(SCALE), '--from', '3', '--to', '8']);
    expect(await p.exit).toBe(EXIT.OK);
    expect(rows(p.out()).map((x) => x[3])).toEqual(['71000004', '52000007']);
    expect(p.err()).toContain('6/6 probed, 2 found');
  });

  it('Ctrl-C (SIGINT) cancels the scan and exits 130', async () => {
    const { url } = await simBus(three());
    const p = run(['scan', url, '--baud', '9600', '--timeout-scale', String(SCALE)]);
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (p.err().includes('found primary address 4')) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
    p.child.kill('SIGINT');
    expect(await p.exit).toBe(EXIT.CANCELLED);
    expect(p.err()).toContain('mbus: cancelling (Ctrl-C again to quit at once)');
    expect(p.err()).toContain('mbus: scan cancelled');
    expect(p.err()).not.toContain('251/251');
  });
});
