// A Kamstrup KMP client on an optical head (issue 9, contract A): identify the meter, read its
// registers and page through its loggers, over any byte link — a Web Serial head (1200 8N2,
// web-serial.ts SERIAL_SETTINGS.kmp), a Web Bluetooth BLE UART head (ble-uart.ts profiles) or the
// simulated head (shared/kmp/sim). Framing, commands and parsers come from shared/kmp.
//
// Timing follows protocols.md §5.1 (MULTICAL 601/801 doc): the answer starts < 1.6 s after the
// request, wait ≥ 1 byte time after an answer before the next request, wait ≥ 1.6 s after a
// timeout or CRC error before retrying, ignore a stray 00 (KmpReader does), and drop the head's
// echo of our own request (start byte 80, the meter answers with 40). Like the M-Bus master, the
// client has no clock and no timers of its own: every wait is a link.read with a timeout.

import { KmpReader, hex2 } from '$shared/kmp/frame';
import type { KmpUnit } from '$shared/kmp/frame';
import { CID, getRegister, getSerialNo, getType, logRequest, nextLogPage, parseLogResponse, parseRegisters, parseSerialNo, parseType } from '$shared/kmp/commands';
import type { KmpFrame, KmpTime, LogRequest } from '$shared/kmp/commands';
import { firstLogPage, loggerFor } from '$shared/kmp/loggers';
import type { LoggerKind } from '$shared/kmp/loggers';
import { MULTICAL_MODELS, registerBatches, registerById } from '$shared/kmp/registers';
import type { MulticalModel } from '$shared/kmp/registers';
import { projectValue } from '$shared/kmp/value';
import type { KmpValue } from '$shared/kmp/value';
import { lineMs } from '$shared/mbus/link';
import type { Transport } from '../transport';
import { TransportMbusLink } from './mbus-link';

/** A byte pipe to the optical head (the same shape as the wired M-Bus link; SimOpticalHead fits). */
export interface KmpLink {
  write(b: Uint8Array): Promise<void>;
  read(timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array | null>;
  discard(): void;
}

/**
 * The KmpLink of an opened Transport (Web Serial at SERIAL_SETTINGS.kmp, or a BLE UART head).
 * It holds the transport's reader until release(); the transport stays the caller's to close.
 */
export function transportKmpLink(t: Transport): KmpLink & { release(): Promise<void> } {
  return new TransportMbusLink(t, 'optical head link'); // a plain byte queue: nothing M-Bus specific in it
}

export type KmpReadErrorCode = 'timeout' | 'crc' | 'garbled' | 'unexpected' | 'aborted' | 'link';

/** A failed exchange with the meter; `message` is a sentence for a person. */
export class KmpReadError extends Error {
  override readonly name = 'KmpReadError';
  constructor(
    readonly code: KmpReadErrorCode,
    message: string,
    o?: ErrorOptions
  ) {
    super(message, o);
  }
}

export interface KmpIdentity {
  meterType: number;
  revision: string;
  serial: number;
  /** '601', '603', … or 'unknown'. */
  model: string;
}

export interface KmpRegisterRead {
  /** The meter's answers as on the wire (40 … 0D), for storing raw. */
  frames: Uint8Array[];
  values: { id: number; name: string; value: KmpValue; text: string; unit: string }[];
}

export interface KmpLogRecord {
  recordId: number;
  /** The record's time: its DATE (1003) and CLOCK (1002) registers read as UTC, ms. */
  at: number;
  values: Map<number, KmpValue>;
}

/**
 * Where a cut-short log read goes on (pass it back as `resume`); opaque to callers, but plain
 * data (structured-clone and JSON safe), so it can be kept in IndexedDB across a page reload.
 */
export interface KmpLogResume {
  kind: LoggerKind;
  model: MulticalModel;
  request: LogRequest;
  firstRecId: number | null;
  done: number;
}

export interface KmpLogRead {
  frames: Uint8Array[];
  records: KmpLogRecord[];
  /**
   * False when cancelled or failed part way. `resumeFrom` continues after the last record kept;
   * after a complete read it asks for the records written since (none yet: an empty, complete read).
   */
  complete: boolean;
  resumeFrom: unknown;
  /** Why the read stopped early (cancel: code 'aborted'); absent when complete. */
  error?: KmpReadError;
}

export interface KmpClientOptions {
  /** Every wait is divided by it (a simulated head running N× faster); default 1. */
  timeScale?: number;
  /** Extra attempts per exchange after a timeout, bad CRC or garbled answer; default 2. */
  retries?: number;
  /** Line rate for the timing budget; default 1200 (§5.1). */
  baud?: number;
}

/** §5.1: the answer starts within 1.6 s of the request; after a timeout or CRC error wait 1.6 s. */
const ANSWER_MS = 1600;
const QUIET_MS = 1600;
/** Head and USB/BLE latency on top of §5.1's answer time. */
const MARGIN_MS = 400;
/** Longest pause inside an answer: a BLE head hands on 20-byte notifications, a USB head 16-64 bytes. */
const GAP_BYTES = 64;

function aborted(): KmpReadError {
  return new KmpReadError('aborted', 'The read was cancelled.');
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError');
}

/** Meter types (§5.3): 0001/0004/0005 and 15xx are MULTICAL 601; others are not documented. */
export function modelOfType(type: number): MulticalModel | 'unknown' {
  if (type === 0x0001 || type === 0x0004 || type === 0x0005 || type >> 8 === 0x15) return '601';
  // [?] not public: the simulator answers 0x0603 for a 603; read such a code as its model number
  const digits = type.toString(16);
  return (MULTICAL_MODELS as readonly string[]).includes(digits) ? (digits as MulticalModel) : 'unknown';
}

function timeOf(ms: number): KmpTime {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

/** DATE (1003, YYMMDD) and CLOCK (1002, hhmmss) of a log record → ms, the meter clock read as UTC. */
function recordTime(values: Map<number, KmpValue>): number | null {
  const date = values.get(1003);
  if (!date || date.exponent !== 0) return null;
  const d = Number(date.mantissa);
  const clock = values.get(1002);
  const t = clock && clock.exponent === 0 ? Number(clock.mantissa) : 0;
  const ms = Date.UTC(2000 + Math.floor(d / 10000), (Math.floor(d / 100) % 100) - 1, d % 100, Math.floor(t / 10000), Math.floor(t / 100) % 100, t % 100);
  return Number.isFinite(ms) ? ms : null;
}

interface Answer {
  frame: KmpFrame;
  bytes: Uint8Array;
}

export class KmpClient {
  readonly #link: KmpLink;
  readonly #scale: number;
  readonly #retries: number;
  readonly #baud: number;
  /** Bytes written and received (echo included), and exchanges tried, retries included. */
  readonly stats = { bytesSent: 0, bytesReceived: 0, exchanges: 0, retries: 0 };

  constructor(link: KmpLink, o: KmpClientOptions = {}) {
    const scale = o.timeScale ?? 1;
    if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`timeScale: expected a positive number, got ${scale}`);
    const retries = o.retries ?? 2;
    if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new RangeError(`retries: expected an integer 0..10, got ${retries}`);
    const baud = o.baud ?? 1200;
    if (!(baud > 0)) throw new RangeError(`baud: expected a positive rate, got ${baud}`);
    this.#link = link;
    this.#scale = scale;
    this.#retries = retries;
    this.#baud = baud;
  }

  /** GetType and GetSerialNo (§5.3). */
  async identify(signal?: AbortSignal): Promise<KmpIdentity> {
    const t = await this.#exchange(getType(), CID.GET_TYPE, 'GetType', signal);
    const type = parseType(t.frame);
    if (type instanceof Error) throw new KmpReadError('unexpected', `The meter's type answer could not be read: ${type.message}.`);
    const s = await this.#exchange(getSerialNo(), CID.GET_SERIAL_NO, 'GetSerialNo', signal);
    const serial = parseSerialNo(s.frame);
    if (serial instanceof Error) throw new KmpReadError('unexpected', `The meter's serial number answer could not be read: ${serial.message}.`);
    return { meterType: type.type, revision: type.revision, serial, model: modelOfType(type.type) };
  }

  /** GetRegister in batches of at most 8 (§5.1); registers the meter does not have are left out (§5.3). */
  async readRegisters(ids: number[], signal?: AbortSignal): Promise<KmpRegisterRead> {
    const out: KmpRegisterRead = { frames: [], values: [] };
    for (const batch of registerBatches(ids)) {
      const a = await this.#exchange(getRegister(batch), CID.GET_REGISTER, 'GetRegister', signal);
      const regs = parseRegisters(a.frame);
      if (regs instanceof Error) throw new KmpReadError('unexpected', `The meter's register answer could not be read: ${regs.message}.`);
      out.frames.push(a.bytes);
      for (const r of regs) {
        const p = projectValue(r.value);
        out.values.push({ id: r.id, name: registerById(r.id)?.name ?? `register ${r.id}`, value: r.value, text: p.text, unit: p.unit });
      }
    }
    return out;
  }

  /**
   * Reads a logger page by page (§5.6: A0 from `since`, then A2 from the record after the last
   * one read). Cancelling (signal) or a page that fails after its retries ends the read with
   * `complete: false`: the records read so far are kept, and `resume: resumeFrom` continues
   * with the next record, without gaps or duplicates.
   */
  async readLog(
    kind: LoggerKind,
    o: { model: string; signal?: AbortSignal; onProgress?(done: number, total: number): void; resume?: unknown; since?: number }
  ): Promise<KmpLogRead> {
    let state: KmpLogResume;
    if (o.resume !== undefined) {
      const r = o.resume as KmpLogResume;
      if (!r || typeof r !== 'object' || r.kind !== kind || !r.request) throw new RangeError(`resume: expected the resumeFrom of a ${kind} read, got ${JSON.stringify(o.resume)}`);
      state = { ...r };
    } else {
      if (!(MULTICAL_MODELS as readonly string[]).includes(o.model)) {
        throw new KmpReadError('unexpected', `No logger layout is known for meter model "${o.model}": the loggers of MULTICAL ${MULTICAL_MODELS.join(', ')} can be read.`);
      }
      const model = o.model as MulticalModel;
      // sim/[?]: a time before the oldest record reads from the oldest one (§5.6 A0 "towards now")
      const from = timeOf(o.since ?? Date.UTC(2000, 0, 1));
      state = { kind, model, request: firstLogPage(loggerFor(model, kind), from), firstRecId: null, done: 0 };
    }
    const logger = loggerFor(state.model, kind);
    const read: KmpLogRead = { frames: [], records: [], complete: false, resumeFrom: state };
    let req: LogRequest | null = state.request;
    while (req !== null) {
      let a: Answer;
      try {
        a = await this.#exchange(logRequest(req, logger.dst), req.cid, `${kind} log read`, o.signal);
      } catch (e) {
        if (!(e instanceof KmpReadError)) throw e;
        read.error = e;
        return read;
      }
      const res = parseLogResponse(a.frame);
      if (res instanceof Error) {
        read.error = new KmpReadError('unexpected', `The meter's ${kind} log answer could not be read: ${res.message}.`);
        return read;
      }
      read.frames.push(a.bytes);
      for (const rec of res.records) {
        const values = new Map<number, KmpValue>(rec.values.map((v) => [v.id, v.value]));
        read.records.push({ recordId: rec.recId, at: recordTime(values) ?? NaN, values });
      }
      if (state.firstRecId === null && res.records.length > 0) state.firstRecId = res.records[0].recId;
      state.done += res.records.length;
      req = nextLogPage(req, res);
      state = { ...state, request: req ?? state.request };
      read.resumeFrom = state;
      const total = state.firstRecId !== null && res.newestRecId !== undefined ? ((res.newestRecId - state.firstRecId) & 0xffff) + 1 : state.done;
      o.onProgress?.(state.done, req === null ? state.done : Math.max(total, state.done));
    }
    // Complete: resuming now asks only for records written since (A2 from the one after the last read).
    const lastRec = read.records.at(-1)?.recordId;
    if (lastRec !== undefined) {
      const r = state.request;
      read.resumeFrom = { ...state, request: { cid: 0xa2, lid: r.lid, registers: r.registers, records: r.records, maxL: r.maxL, recId: (lastRec + 1) & 0xffff } };
    }
    read.complete = true;
    return read;
  }

  /**
   * One request and its answer with §5.1's timing and retries: the answer with `cid`, or a
   * KmpReadError once every attempt failed.
   */
  async #exchange(request: Uint8Array, cid: number, what: string, signal?: AbortSignal): Promise<Answer> {
    let last: KmpReadError | null = null;
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      if (signal?.aborted) throw aborted();
      if (attempt > 0) {
        this.stats.retries++;
        await this.#quiet(signal); // §5.1: ≥ 1.6 s after a timeout or CRC error
      }
      this.stats.exchanges++;
      const r = await this.#once(request, cid, what, signal);
      if (!(r instanceof KmpReadError)) {
        await this.#settle(signal); // §5.1: ≥ 1 byte time after the answer
        return r;
      }
      last = r;
      if (r.code === 'unexpected') break;
    }
    const tries = this.#retries + 1;
    throw new KmpReadError(last!.code, `${last!.message} (${tries} attempt${tries === 1 ? '' : 's'})`);
  }

  async #once(request: Uint8Array, cid: number, what: string, signal?: AbortSignal): Promise<Answer | KmpReadError> {
    this.#link.discard();
    try {
      await this.#link.write(request);
    } catch (e) {
      if (isAbort(e)) throw aborted();
      throw new KmpReadError('link', `The optical head stopped working while sending ${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    this.stats.bytesSent += request.length;
    const reader = new KmpReader();
    const firstMs = (lineMs(request.length, this.#baud) + ANSWER_MS + MARGIN_MS) / this.#scale;
    const gapMs = (lineMs(GAP_BYTES, this.#baud) + MARGIN_MS) / this.#scale;
    let started = false;
    let problem: KmpReadError | null = null;
    for (;;) {
      let chunk: Uint8Array | null;
      try {
        // inside a frame (the echo or the answer) the bytes come at line pace; before the answer, §5.1's 1.6 s
        chunk = await this.#link.read(started || reader.pending ? gapMs : firstMs, signal);
      } catch (e) {
        if (isAbort(e) || signal?.aborted) throw aborted();
        throw new KmpReadError('link', `The optical head stopped working while waiting for the ${what} answer: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      if (chunk === null) {
        if (problem) return problem;
        return started || reader.pending
          ? new KmpReadError('garbled', `The ${what} answer stopped part way: bytes were lost between the head and the meter. Hold the head steady on the meter's eye.`)
          : new KmpReadError('timeout', `The meter did not answer ${what}. Check that the head sits on the meter's optical eye and the meter's display is awake.`);
      }
      this.stats.bytesReceived += chunk.length;
      reader.push(chunk);
      for (const u of reader.take()) {
        const got = this.#unit(u, cid, what);
        if (got === 'echo') continue;
        started = true;
        if (got instanceof KmpReadError) {
          problem ??= got; // keep reading to the end of what the meter sends, then retry
          continue;
        }
        return got;
      }
    }
  }

  #unit(u: KmpUnit, cid: number, what: string): Answer | KmpReadError | 'echo' {
    if (u.kind === 'request') return 'echo'; // §5.1: the head echoes what it sends (start byte 80)
    if (u.kind === 'garbage') {
      if (u.bytes[0] === 0x80) return 'echo'; // a damaged echo of ours: the meter heard the original
      if (u.reason.startsWith('CRC')) return new KmpReadError('crc', `The ${what} answer failed its CRC check (${u.reason}).`);
      return new KmpReadError('garbled', `The ${what} answer was garbled: ${u.reason}.`);
    }
    if (u.kind === 'ack') return new KmpReadError('unexpected', `The meter answered ${what} with an ACK (06) instead of data.`);
    if (u.cid !== cid) return new KmpReadError('unexpected', `The meter answered ${what} (CID ${hex2(cid)}) with CID ${hex2(u.cid)}.`);
    return { frame: { dst: u.dst, cid: u.cid, data: u.data }, bytes: u.bytes };
  }

  /** Waits until the line has been silent for 1.6 s, throwing away what arrives (§5.1). */
  async #quiet(signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < 20; i++) {
      let chunk: Uint8Array | null;
      try {
        chunk = await this.#link.read(QUIET_MS / this.#scale, signal);
      } catch (e) {
        if (isAbort(e) || signal?.aborted) throw aborted();
        throw new KmpReadError('link', `The optical head stopped working: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      if (chunk === null) return;
      this.stats.bytesReceived += chunk.length;
    }
    throw new KmpReadError('garbled', 'The optical head keeps sending bytes nobody asked for; take it off the meter and put it back.');
  }

  /** One byte time of silence after an answer before the next request (§5.1). */
  async #settle(signal?: AbortSignal): Promise<void> {
    try {
      const chunk = await this.#link.read(lineMs(1, this.#baud) / this.#scale, signal);
      if (chunk) this.stats.bytesReceived += chunk.length;
    } catch (e) {
      if (isAbort(e) || signal?.aborted) throw aborted();
      throw new KmpReadError('link', `The optical head stopped working: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
}
