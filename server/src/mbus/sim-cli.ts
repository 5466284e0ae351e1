// A simulated M-Bus segment on a TCP port, for a person (point an M-Bus tool at it) and for the
// e2e test:
//
//   node dist/server/server/src/mbus/sim-cli.js --port 10001 --meters 250 --baud 2400 [--speed 20] [--seed 1]
//        [--host 127.0.0.1] [--duplicate-primary 0]
//
// Prints one line with the address, then runs until killed (SIGINT/SIGTERM close it cleanly).

import { pathToFileURL } from 'node:url';
import { SimBus } from '../../../shared/mbus/sim/bus.js';
import { simSegment } from '../../../shared/mbus/sim/segment.js';
import { startSimBusServer } from './sim-server.js';

export interface SimCliOptions {
  port: number;
  host: string;
  meters: number;
  baud: 300 | 2400 | 9600;
  speed: number;
  seed: number;
  duplicatePrimary: number;
}

const USAGE = 'usage: sim-cli [--port 10001] [--host 127.0.0.1] [--meters 250] [--baud 300|2400|9600] [--speed 1] [--seed 1] [--duplicate-primary 0]';

/** Parses the arguments; throws an Error whose message says which one is wrong and why. */
export function parseSimCliArgs(argv: readonly string[]): SimCliOptions {
  const o: SimCliOptions = { port: 10001, host: '127.0.0.1', meters: 250, baud: 2400, speed: 1, seed: 1, duplicatePrimary: 0 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const num = (min: number, max: number, integer = true): number => {
      const n = Number(value);
      if (value === undefined || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
        throw new Error(`${flag}: expected ${integer ? 'an integer' : 'a number'} ${min}..${max}, got ${value === undefined ? 'nothing' : `"${value}"`}`);
      }
      i++;
      return n;
    };
    switch (flag) {
      case '--port':
        o.port = num(0, 65535);
        break;
      case '--host':
        if (!value) throw new Error('--host: expected a host name or address');
        o.host = value;
        i++;
        break;
      case '--meters':
        o.meters = num(1, 250);
        break;
      case '--baud': {
        const b = num(300, 9600);
        if (b !== 300 && b !== 2400 && b !== 9600) throw new Error(`--baud: expected 300, 2400 or 9600, got ${b}`);
        o.baud = b;
        break;
      }
      case '--speed':
        o.speed = num(0.01, 10000, false);
        break;
      case '--seed':
        o.seed = num(0, 2 ** 32 - 1);
        break;
      case '--duplicate-primary':
        o.duplicatePrimary = num(0, 125);
        break;
      default:
        throw new Error(`unknown argument "${flag}"\n${USAGE}`);
    }
  }
  if (o.duplicatePrimary * 2 > o.meters) throw new Error(`--duplicate-primary: at most half the meters (${Math.floor(o.meters / 2)}), got ${o.duplicatePrimary}`);
  return o;
}

async function main(): Promise<void> {
  let o: SimCliOptions;
  try {
    o = parseSimCliArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const bus = new SimBus({ meters: simSegment(o.meters, { seed: o.seed, duplicatePrimary: o.duplicatePrimary }), startEpochMs: Date.now() });
  const server = await startSimBusServer({ bus, baud: o.baud, timeScale: o.speed, host: o.host, port: o.port });
  process.stdout.write(`M-Bus simulator: ${o.meters} meters at ${o.baud} baud (speed ${o.speed}x, seed ${o.seed}) on tcp://${server.host}:${server.port}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`M-Bus simulator: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
