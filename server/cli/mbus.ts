// Wired M-Bus from a terminal: scan a bus behind an M-Bus gateway or serial-over-IP converter
// and show what answers.
//
//   npm run mbus -- scan tcp://host:port [--baud 2400] [--secondary] [--read] [--timeout-scale N]
//                        [--from A --to B]
//
// Progress goes to stderr, the table of meters to stdout. Ctrl-C cancels the scan cleanly (the
// master stops at its next wait, the connection is closed); a second Ctrl-C quits at once.
// Exit codes: EXIT below.

import { pathToFileURL } from 'node:url';
import type { MbusLink } from '../../shared/mbus/link.js';
import { MbusError, MbusMaster, secondaryOf, type MbusBaud, type MbusTarget, type MeterRead, type ScanProgress } from '../../shared/mbus/master.js';
import type { MeterAddress } from '../../shared/model/address.js';
import type { DataRecord } from '../../shared/model/record.js';
import { deviceTypeName } from '../../shared/wmbus/dll.js';
import { TcpLink } from '../src/mbus/tcp-link.js';

export const EXIT = {
  OK: 0,
  /** A bug or something unforeseen (the stack is printed). */
  INTERNAL: 1,
  /** Bad command line: unknown option, bad URL, bad baud rate. */
  USAGE: 2,
  /** Could not connect, or the connection broke during the scan. */
  CONNECTION: 3,
  /** Meters were found, but at least one could not be read (collision, no answer, bad frames). */
  METER_ERRORS: 4,
  /** The scan ran and no meter answered. */
  NO_METERS: 5,
  /** Cancelled (Ctrl-C): 128 + SIGINT, as shells report it. */
  CANCELLED: 130
} as const;

export const USAGE = `usage: mbus scan tcp://host:port [--baud 300|2400|9600] [--secondary] [--read] [--timeout-scale N]
                 [--from A --to B]

  scan               look for meters: primary addresses 0-250, or with --secondary the
                     wildcard search for secondary addresses
  tcp://host:port    an M-Bus gateway or a serial-over-IP converter on the LAN
  --baud N           the bus's baud rate (default 2400)
  --secondary        search secondary addresses instead of primary ones
  --read             also read each meter found and show its main values
  --from A --to B    primary scan of addresses A to B only (default 0 to 250)
  --timeout-scale N  divide every wait by N (only for a simulated bus running N times faster)

exit codes: 0 meters found and read, 2 bad command line, 3 no connection or it broke,
            4 some meters could not be read, 5 no meter answered, 130 cancelled (Ctrl-C)`;

export interface ScanCommand {
  host: string;
  port: number;
  url: string;
  baud: MbusBaud;
  secondary: boolean;
  read: boolean;
  timeScale: number;
  from: number;
  to: number;
}

/** Thrown for a command line we cannot run; the message says what is wrong. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The bus connection the CLI scans over. */
export interface MbusConnection {
  link: MbusLink;
  close(): Promise<void>;
}

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  /** Opens the TCP connection; rejects with an Error whose message a person understands. */
  connect(host: string, port: number, signal: AbortSignal): Promise<MbusConnection>;
  /** Aborts the scan (Ctrl-C in the real program). */
  signal?: AbortSignal;
}

const BAUDS: readonly number[] = [300, 2400, 9600];

export function parseArgs(argv: readonly string[]): ScanCommand {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('no command: the only command is "scan"');
  if (command !== 'scan') throw new UsageError(`unknown command "${command}": the only command is "scan"`);
  let url: string | undefined;
  let baud: MbusBaud = 2400;
  let secondary = false;
  let read = false;
  let timeScale = 1;
  let from = 0;
  let to = 250;
  let ranged = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--baud') {
      const v = value();
      const n = Number(v);
      if (!BAUDS.includes(n)) throw new UsageError(`--baud ${v}: M-Bus runs at 300, 2400 or 9600 baud`);
      baud = n as MbusBaud;
    } else if (a === '--secondary') secondary = true;
    else if (a === '--read') read = true;
    else if (a === '--timeout-scale') {
      const v = value();
      const n = Number(v);
      if (!Number.isFinite(n) || n < 1 || n > 1000) throw new UsageError(`--timeout-scale ${v}: expected a number from 1 to 1000`);
      timeScale = n;
    } else if (a === '--from' || a === '--to') {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 250) throw new UsageError(`${a} ${v}: primary addresses are 0 to 250`);
      ranged = true;
      if (a === '--from') from = n;
      else to = n;
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (url === undefined) url = a;
    else throw new UsageError(`unexpected argument "${a}" after ${url}`);
  }
  if (url === undefined) throw new UsageError('scan needs the bus address, e.g. tcp://192.168.1.50:10001');
  if (ranged && secondary) throw new UsageError('--from and --to limit the primary scan; the secondary search always covers every address');
  if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
  const { host, port } = parseTcpUrl(url);
  return { host, port, url, baud, secondary, read, timeScale, from, to };
}

/** tcp://host:port (IPv6 in brackets); anything else is a UsageError that says why. */
export function parseTcpUrl(text: string): { host: string; port: number } {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(text);
  if (!m) throw new UsageError(`"${text}" is not a bus address: expected tcp://host:port`);
  if (m[1]!.toLowerCase() !== 'tcp') throw new UsageError(`"${text}": only tcp://host:port is supported here (an M-Bus gateway or serial-over-IP converter)`);
  const rest = m[2]!.replace(/\/$/, '');
  const hp = /^(\[[0-9a-f:.]+\]|[^:/[\]\s]+):(\d+)$/i.exec(rest);
  if (!hp) throw new UsageError(`"${text}": expected tcp://host:port with a host and a port number`);
  const port = Number(hp[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`"${text}": port ${hp[2]} is not between 1 and 65535`);
  return { host: hp[1]!.replace(/^\[|\]$/g, ''), port };
}

/** One line of the result table: a meter found, and what reading it gave. */
interface Row {
  primary: number | null;
  secondary: string | null;
  address: MeterAddress | null;
  values: string;
  error: string | null;
}

/** The records a person looks at first, by quantity, from the first telegram that has them. */
const MAIN_QUANTITIES = ['energy', 'volume', 'power', 'volume flow', 'flow temperature', 'return temperature', 'mass'];

export function mainValues(read: MeterRead): string {
  const records: DataRecord[] = read.decoded.flatMap((f) => f.records);
  const parts: string[] = [];
  for (const q of MAIN_QUANTITIES) {
    const r = records.find(
      (x) => x.quantity === q && x.storage === 0 && x.tariff === 0 && x.subunit === 0 && x.function === 'instantaneous' && typeof x.value === 'number'
    );
    if (r) parts.push(`${q} ${formatNumber(r.value as number)}${r.unit ? ` ${r.unit}` : ''}`);
  }
  if (parts.length === 0) parts.push(`${records.length} record(s), none of ${MAIN_QUANTITIES.join('/')}`);
  if (read.truncated) parts.push('(more telegrams not read)');
  return parts.join(', ');
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(10)));
}

function table(rows: Row[], withValues: boolean): string {
  const head = ['primary', 'secondary', 'manufacturer', 'id', 'version', 'medium', ...(withValues ? ['values'] : [])];
  const cells = rows.map((r) => [
    r.primary === null ? '-' : String(r.primary),
    r.secondary ?? '-',
    r.address?.manufacturer ?? '-',
    r.address?.id ?? '-',
    r.address ? `0x${r.address.version.toString(16).toUpperCase().padStart(2, '0')}` : '-',
    r.address ? `${r.address.deviceType} ${deviceTypeName(r.address.deviceType)}` : '-',
    ...(withValues ? [r.error ? `error: ${r.error}` : r.values] : [])
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...cells.map(line)].join('\n') + '\n';
}

/** Progress on stderr: one rewritten line on a terminal, a line per tenth (and per meter) otherwise. */
class Progress {
  #lastTenth = -1;
  #width = 0;
  constructor(
    private readonly err: CliIo['stderr'],
    private readonly what: string
  ) {}
  update(p: ScanProgress): void {
    const text = `${this.what}: ${p.done}/${p.total} probed, ${p.found} found`;
    if (this.err.isTTY) {
      this.err.write(`\r${text.padEnd(this.#width)}`);
      this.#width = text.length;
      return;
    }
    const tenth = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 10;
    if (tenth !== this.#lastTenth) {
      this.#lastTenth = tenth;
      this.err.write(text + '\n');
    }
  }
  note(text: string): void {
    this.end();
    this.err.write(text + '\n');
  }
  end(): void {
    if (this.err.isTTY && this.#width > 0) this.err.write('\n');
    this.#width = 0;
  }
}

function isAbort(e: unknown, signal: AbortSignal): boolean {
  return (e instanceof MbusError && e.code === 'aborted') || (signal.aborted && (e === signal.reason || (e as Error)?.name === 'AbortError'));
}

/** Runs the command line against `io`; resolves with the exit code (EXIT). */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(USAGE + '\n');
    return EXIT.OK;
  }
  let cmd: ScanCommand;
  try {
    cmd = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`mbus: ${e.message}\n\n${USAGE}\n`);
    return EXIT.USAGE;
  }
  const controller = new AbortController();
  const signal = controller.signal;
  const onOuterAbort = (): void => controller.abort(io.signal?.reason);
  if (io.signal?.aborted) return EXIT.CANCELLED;
  io.signal?.addEventListener('abort', onOuterAbort, { once: true });

  let conn: MbusConnection;
  try {
    conn = await io.connect(cmd.host, cmd.port, signal);
  } catch (e) {
    io.signal?.removeEventListener('abort', onOuterAbort);
    if (signal.aborted) {
      io.stderr.write('mbus: cancelled while connecting\n');
      return EXIT.CANCELLED;
    }
    io.stderr.write(`mbus: ${e instanceof Error ? e.message : `cannot connect to ${cmd.url}: ${String(e)}`}\n`);
    return EXIT.CONNECTION;
  }

  const master = new MbusMaster(conn.link, { baud: cmd.baud, timeScale: cmd.timeScale });
  const what = cmd.secondary ? `Secondary search on ${cmd.url} at ${cmd.baud} baud` : `Primary scan ${cmd.from}-${cmd.to} on ${cmd.url} at ${cmd.baud} baud`;
  const progress = new Progress(io.stderr, what);
  const rows: Row[] = [];
  try {
    io.stderr.write(`${what}…\n`);
    if (cmd.secondary) {
      const hits = await master.searchSecondary({
        signal,
        onProgress: (p) => progress.update(p),
        onFound: (h) => progress.note(`found ${h.secondary} (${h.address.manufacturer} ${h.address.id})`)
      });
      progress.end();
      for (const h of hits) {
        const row: Row = { primary: h.primaryAddress, secondary: h.secondary, address: h.address, values: '', error: null };
        if (cmd.read) await readInto(master, { secondary: h.secondary }, row, signal, progress);
        rows.push(row);
      }
    } else {
      const hits = await master.scanPrimary({
        from: cmd.from,
        to: cmd.to,
        signal,
        onProgress: (p) => progress.update(p),
        onFound: (h) => progress.note(`${h.state === 'present' ? 'found' : 'collision at'} primary address ${h.primaryAddress}`)
      });
      progress.end();
      for (const h of hits) {
        const row: Row = { primary: h.primaryAddress, secondary: null, address: null, values: '', error: null };
        if (h.state === 'collision') {
          row.error = `more than one meter answers at primary address ${h.primaryAddress}: give them different addresses or use --secondary`;
        } else {
          // The header (manufacturer, id …) comes with the meter's data: one REQ_UD2 per meter.
          await readInto(master, { primary: h.primaryAddress }, row, signal, progress);
        }
        rows.push(row);
      }
    }
  } catch (e) {
    progress.end();
    if (isAbort(e, signal)) {
      io.stderr.write(`mbus: scan cancelled after ${master.stats.exchanges} exchange(s); ${rows.length} meter(s) listed so far\n`);
      if (rows.length > 0) io.stdout.write(table(rows, cmd.read));
      await conn.close();
      return EXIT.CANCELLED;
    }
    await conn.close();
    const why = e instanceof Error ? e.message : String(e);
    io.stderr.write(`mbus: the scan stopped: ${why}\n`);
    return e instanceof MbusError && e.code !== 'link' ? EXIT.METER_ERRORS : EXIT.CONNECTION;
  } finally {
    io.signal?.removeEventListener('abort', onOuterAbort);
  }
  await conn.close();

  const s = master.stats;
  io.stderr.write(`${rows.length} meter(s); ${s.exchanges} exchanges, ${s.bytesSent} bytes sent, ${s.bytesReceived} received\n`);
  if (rows.length === 0) {
    io.stderr.write(`mbus: no meter answered on ${cmd.url} at ${cmd.baud} baud (check the baud rate, the bus power and ${cmd.secondary ? 'the wiring' : 'try --secondary'})\n`);
    return EXIT.NO_METERS;
  }
  io.stdout.write(table(rows, cmd.read));
  const failed = rows.filter((r) => r.error !== null);
  if (!cmd.read) for (const r of failed) io.stdout.write(`${r.primary !== null ? `primary ${r.primary}` : r.secondary}: ${r.error}\n`);
  return failed.length > 0 ? EXIT.METER_ERRORS : EXIT.OK;
}

async function readInto(master: MbusMaster, target: MbusTarget, row: Row, signal: AbortSignal, progress: Progress): Promise<void> {
  try {
    const r = await master.read(target, { signal });
    row.address = r.address ?? row.address;
    if (r.address) row.secondary ??= secondaryOf(r.address);
    row.primary ??= r.primaryAddress;
    row.values = mainValues(r);
  } catch (e) {
    if (e instanceof MbusError && e.code !== 'aborted' && e.code !== 'link') {
      row.error = e.message;
      progress.note(`mbus: ${e.message}`);
      return;
    }
    throw e;
  }
}

/** The real connection: a TCP socket to the gateway (server/src/mbus/tcp-link.ts). */
export async function connectTcp(host: string, port: number, signal: AbortSignal): Promise<MbusConnection> {
  const link = await TcpLink.connect(`${host.includes(':') ? `[${host}]` : host}:${port}`, { signal });
  return { link, close: () => link.close() };
}

// Run only as a program, so tests can call main() with their own streams.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const controller = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\nmbus: cancelling (Ctrl-C again to quit at once)\n');
      controller.abort(new Error('cancelled by Ctrl-C'));
    } else process.exit(EXIT.CANCELLED);
  });
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, connect: connectTcp, signal: controller.signal }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`mbus: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = EXIT.INTERNAL;
    }
  );
}
