// Wired M-Bus master against the simulated bus (issue 8 targets), on the COMPILED library
// (dist/server): a 250-meter segment (simSegment, colliding secondary ids) at 2400 baud, 8E1.
//
// The line-time limit of a run is what the bytes need on a real cable plus the standard's
// shortest turnaround: (bytes sent + bytes received) × 11 bits / baud + 11 bit times per exchange
// (EN 13757-2 via protocols.md §8.1: a slave answers after 11 bit times at the earliest).
// The simulated line runs SCALE times faster than a real one (timeScale of the SimLine and the
// master), so a run takes seconds; its time in line time is wall time × SCALE. Default 10: at
// 20 and more a busy machine's timer delays (× SCALE in line time) cost retries; see the
// "errors" figures, which should be 0.
//
//   mbus.readall.ratio          line time of a read-all cycle (SND_NKE + REQ_UD2 for each of the
//                               250 meters by primary address, every telegram) / its limit;
//                               in-memory SimLine on real timers                    target ≤ 1.2
//   mbus.readall.tcp.ratio      the same cycle over a real TCP socket to startSimBusServer
//   mbus.readall.virtual.ratio  the same cycle on virtual timers (VirtualTimers): the time the
//                               bus and the master's waits need, without timer or CPU noise
//   mbus.search.ratio           a full wildcard search for secondary addresses (searchSecondary)
//                               of the 250 colliding meters, against the same kind of limit
//                               (a silent probe costs only its request's bytes there); on
//                               virtual timers: with real ones a single answer that a busy
//                               machine delivers after the (scaled) timeout prunes a whole branch
//   mbus.search.std.ratio       the search against a limit that also counts, for each silent
//                               probe, the longest answer delay the standard allows a meter
//                               (330 bit times + 50 ms): the least any master must wait
//   mbus.search.wall.ratio, mbus.search.wall.found   the search on real timers (wall × SCALE),
//                               and how many meters it found: see how far load distorts it
//   mbus.readall.errors, mbus.readall.tcp.errors   meters whose read failed (should be 0)
//   mbus.search.found           meters the search found (of 250)
//   mbus.readall.bytes / .exchanges / .line_s / .limit_s, mbus.search.bytes / .exchanges /
//   .silent / .line_s / .limit_s    the raw figures behind the ratios (line_s: measured, in
//                               line time; limit_s: the limit)
//
// Run alone: node bench/mbus.mjs [--scale 10]   (or MBUS_BENCH_SCALE=10)

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist/server');

export const figures = [
  'mbus.readall.ratio',
  'mbus.readall.tcp.ratio',
  'mbus.readall.virtual.ratio',
  'mbus.search.ratio',
  'mbus.search.std.ratio',
  'mbus.search.wall.ratio',
  'mbus.search.wall.found',
  'mbus.readall.errors',
  'mbus.readall.tcp.errors',
  'mbus.search.found',
  'mbus.readall.bytes',
  'mbus.readall.exchanges',
  'mbus.readall.line_s',
  'mbus.readall.limit_s',
  'mbus.search.bytes',
  'mbus.search.exchanges',
  'mbus.search.silent',
  'mbus.search.line_s',
  'mbus.search.limit_s'
];

const BAUD = 2400;
const METERS = 250;
const BITS_PER_BYTE = 11; // start, 8 data, even parity, stop (8E1)
const TURNAROUND_BITS = 11; // EN 13757-2: the earliest a slave may answer
const START = Date.UTC(2026, 10, 26, 6);
const argScale = process.argv.indexOf('--scale');
const SCALE = argScale > 0 ? Number(process.argv[argScale + 1]) : Number(process.env.MBUS_BENCH_SCALE ?? 10);
const progress = (line) => process.stderr.write(`  [mbus bench] ${line}\n`);

async function load() {
  const imp = (p) => import(pathToFileURL(join(DIST, p)).href);
  const [master, sim, server, tcp] = await Promise.all([
    imp('shared/mbus/master.js'),
    imp('shared/mbus/sim/index.js'),
    imp('server/src/mbus/sim-server.js'),
    imp('server/src/mbus/tcp-link.js')
  ]);
  return { ...master, ...sim, ...server, ...tcp };
}

/** The limit of a run in seconds: every byte on the line plus the minimum turnaround per exchange. */
function limitSeconds(stats) {
  return ((stats.bytesSent + stats.bytesReceived) * BITS_PER_BYTE + stats.exchanges * TURNAROUND_BITS) / BAUD;
}

/** Counts requests that got no byte back before the next request (silent probes). */
class CountingLink {
  silent = 0;
  #heard = true;
  #first = true;
  constructor(link) {
    this.link = link;
  }
  async write(bytes) {
    if (!this.#first && !this.#heard) this.silent++;
    this.#first = false;
    this.#heard = false;
    return this.link.write(bytes);
  }
  async read(timeoutMs, signal) {
    const chunk = await this.link.read(timeoutMs, signal);
    if (chunk !== null && chunk.length > 0) this.#heard = true;
    return chunk;
  }
  discard() {
    this.link.discard();
  }
  end() {
    if (!this.#first && !this.#heard) this.silent++;
    this.#first = true;
  }
}

const realTimers = {
  now: () => START + performance.now(),
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (h) => clearTimeout(h)
};

/** Reads every meter by its primary address; returns wall ms and the master's counters. */
async function readAll(lib, link, meters, scale, now) {
  const master = new lib.MbusMaster(link, { baud: BAUD, timeScale: scale });
  const errors = [];
  let telegrams = 0;
  const t0 = now();
  for (const m of meters) {
    try {
      const r = await master.read({ primary: m.primaryAddress });
      telegrams += r.frames.length;
      if (r.address?.id !== m.id) errors.push(`primary ${m.primaryAddress}: answered as ${r.address?.id}, expected ${m.id}`);
    } catch (e) {
      errors.push(e.message);
    }
  }
  const ms = now() - t0;
  return { ms, stats: { ...master.stats }, errors, telegrams };
}

function describe(label, r, scale) {
  const line = (r.ms * scale) / 1000;
  const limit = limitSeconds(r.stats);
  progress(
    `${label}: ${r.telegrams} telegrams, ${r.stats.exchanges} exchanges, ${r.stats.bytesSent} + ${r.stats.bytesReceived} bytes; ` +
      `${(r.ms / 1000).toFixed(2)} s ${r.virtual ? 'virtual' : `wall × ${scale}`} = ${line.toFixed(1)} s line time, limit ${limit.toFixed(1)} s → ${(line / limit).toFixed(3)}` +
      (r.errors.length ? `; ${r.errors.length} error(s), first: ${r.errors[0]}` : '')
  );
  return { line, limit, ratio: line / limit };
}

export async function run(report, only = () => true) {
  const lib = await load();
  const meters = lib.simSegment(METERS, { seed: 8, collide: true });
  const bus = () => new lib.SimBus({ meters, startEpochMs: START });
  progress(`${METERS} meters at ${BAUD} baud, line ${SCALE}× faster than real (SimLine turnaround ${lib.SIM_TURNAROUND_BITS} bit times)`);

  const any = (...names) => names.some((n) => only(n));
  if (any('mbus.readall.ratio', 'mbus.readall.bytes', 'mbus.readall.exchanges', 'mbus.readall.line_s', 'mbus.readall.limit_s')) {
    // In-memory line on real timers
    const line = new lib.SimLine(bus(), { baud: BAUD, timeScale: SCALE, timers: realTimers });
    const r = await readAll(lib, line, meters, SCALE, () => performance.now());
    line.close();
    const d = describe('read-all, SimLine', r, SCALE);
    report('mbus.readall.ratio', d.ratio, 'ratio');
    report('mbus.readall.errors', r.errors.length, 'meters');
    report('mbus.readall.bytes', r.stats.bytesSent + r.stats.bytesReceived, 'bytes');
    report('mbus.readall.exchanges', r.stats.exchanges, 'exchanges');
    report('mbus.readall.line_s', d.line, 's');
    report('mbus.readall.limit_s', d.limit, 's');
  }

  if (only('mbus.readall.virtual.ratio')) {
    const timers = new lib.VirtualTimers({ startMs: START, idle: (f) => setImmediate(f) });
    const line = new lib.SimLine(bus(), { baud: BAUD, timeScale: 1, timers });
    const r = { ...(await readAll(lib, line, meters, 1, () => timers.now())), virtual: true };
    line.close();
    report('mbus.readall.virtual.ratio', describe('read-all, virtual time', r, 1).ratio, 'ratio');
  }

  if (only('mbus.readall.tcp.ratio')) {
    const server = await lib.startSimBusServer({ bus: bus(), baud: BAUD, timeScale: SCALE, host: '127.0.0.1', port: 0 });
    const link = await lib.TcpLink.connect(`127.0.0.1:${server.port}`);
    try {
      const r = await readAll(lib, link, meters, SCALE, () => performance.now());
      report('mbus.readall.tcp.ratio', describe('read-all, TCP', r, SCALE).ratio, 'ratio');
      report('mbus.readall.tcp.errors', r.errors.length, 'meters');
    } finally {
      await link.close();
      await server.close();
    }
  }

  const searchFigures = figures.filter((f) => f.startsWith('mbus.search.') && f !== 'mbus.search.wall.ratio' && f !== 'mbus.search.wall.found');
  if (searchFigures.some((n) => only(n))) {
    // Virtual time: a late answer on a busy machine cannot prune a branch, so the search is full.
    const timers = new lib.VirtualTimers({ startMs: START, idle: (f) => setImmediate(f) });
    const r = await search(lib, meters, bus(), 1, timers, () => timers.now(), 'search, virtual time');
    report('mbus.search.ratio', r.ratio, 'ratio');
    report('mbus.search.std.ratio', r.stdRatio, 'ratio');
    report('mbus.search.found', r.found, 'meters');
    report('mbus.search.bytes', r.stats.bytesSent + r.stats.bytesReceived, 'bytes');
    report('mbus.search.exchanges', r.stats.exchanges, 'exchanges');
    report('mbus.search.silent', r.silent, 'probes');
    report('mbus.search.line_s', r.line, 's');
    report('mbus.search.limit_s', r.limit, 's');
  }

  if (only('mbus.search.wall.ratio') || only('mbus.search.wall.found')) {
    const r = await search(lib, meters, bus(), SCALE, realTimers, () => performance.now(), 'search, SimLine on real timers');
    report('mbus.search.wall.ratio', r.ratio, 'ratio');
    report('mbus.search.wall.found', r.found, 'meters');
  }
}

/** A full wildcard search for secondary addresses on a fresh bus. */
async function search(lib, meters, bus, scale, timers, now, label) {
  const line = new lib.SimLine(bus, { baud: BAUD, timeScale: scale, timers });
  const link = new CountingLink(line);
  const master = new lib.MbusMaster(link, { baud: BAUD, timeScale: scale });
  const t0 = now();
  const hits = await master.searchSecondary({});
  const ms = now() - t0;
  link.end();
  line.close();
  const found = new Set(hits.map((h) => h.address.id));
  const missing = meters.filter((m) => !found.has(m.id));
  const stats = { ...master.stats };
  const lineS = (ms * scale) / 1000;
  const limit = limitSeconds(stats);
  const silentWait = (link.silent * ((330 * 1000) / BAUD + 50)) / 1000; // EN 13757-2 longest answer delay
  progress(
    `${label}: ${hits.length}/${meters.length} found${missing.length ? ` (missing ${missing.slice(0, 4).map((m) => m.id).join(', ')}${missing.length > 4 ? ' …' : ''})` : ''}; ` +
      `${stats.exchanges} exchanges (${link.silent} silent), ${stats.bytesSent} + ${stats.bytesReceived} bytes; ` +
      `${(ms / 1000).toFixed(2)} s ${timers === realTimers ? `wall × ${scale}` : 'virtual'} = ${lineS.toFixed(1)} s line time, limit ${limit.toFixed(1)} s → ${(lineS / limit).toFixed(3)}; ` +
      `with the ${silentWait.toFixed(1)} s the standard lets silent probes wait → ${(lineS / (limit + silentWait)).toFixed(3)}`
  );
  return { ratio: lineS / limit, stdRatio: lineS / (limit + silentWait), found: found.size, stats, silent: link.silent, line: lineS, limit };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run((name, value, unit) => process.stdout.write(`BENCH ${name} ${typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(3) : value} ${unit}\n`));
}
