// Kamstrup KMP frames on the optical eye (protocols.md §5.1, §5.2; Kamstrup doc 5512-447 §3):
//   to meter:   80 | DST CID DATA… CRC_hi CRC_lo | 0D
//   from meter: 40 | DST CID DATA… CRC_hi CRC_lo | 0D
//   ACK:        06 (single byte, no framing)
// Everything between start and stop byte is byte-stuffed; the CRC is CRC-16/XMODEM over
// DST…DATA, appended big-endian, so the CRC over DST…CRC_lo is 0.

import { crc16Xmodem } from '../bytes/crc.js';

export const KMP = {
  TO_METER: 0x80,
  FROM_METER: 0x40,
  STOP: 0x0d,
  ACK: 0x06,
  ESC: 0x1b,
  DST_METER: 0x3f,
  DST_LOGGER_TOP: 0x7f,
  DST_LOGGER_BASE: 0xbf
} as const;

/** A stuffed frame longer than this (start to stop) is not KMP: the reader gives it up as garbage. */
export const KMP_MAX_FRAME = 1024;

const HEX = '0123456789ABCDEF';
/** Two upper-case hex digits. */
export function hex2(n: number): string {
  return HEX[(n >> 4) & 15] + HEX[n & 15];
}

function hexBytes(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (i ? ' ' : '') + hex2(b[i]);
  return s;
}

/** The five bytes that are escaped between start and stop byte (§5.2). */
function isSpecial(b: number): boolean {
  return b === 0x80 || b === 0x40 || b === 0x0d || b === 0x06 || b === 0x1b;
}

/**
 * Byte stuffing (§5.2): each of 80 40 0D 06 1B becomes 1B followed by the byte XOR FF
 * (`04 0D 00 06` → `04 1B F2 00 1B F9`).
 */
export function stuff(data: Uint8Array): Uint8Array {
  let extra = 0;
  for (let i = 0; i < data.length; i++) if (isSpecial(data[i])) extra++;
  const out = new Uint8Array(data.length + extra);
  let p = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (isSpecial(b)) {
      out[p++] = KMP.ESC;
      out[p++] = b ^ 0xff;
    } else out[p++] = b;
  }
  return out;
}

/** Why stuffed bytes could not be unstuffed; `offset` is the position in the stuffed input. */
export interface StuffingError {
  error: string;
  offset: number;
}

/**
 * Undoes `stuff` (§5.2). Returns the bytes, or a StuffingError for an ESC at the end, an ESC
 * followed by a byte that is not an escaped special byte (7F BF F2 F9 E4), or a special byte
 * sent unescaped. Never throws. `at` is added to the positions in messages (the place of
 * `stuffed` in a larger buffer).
 */
export function unstuff(stuffed: Uint8Array, at = 0): Uint8Array | StuffingError {
  const out = new Uint8Array(stuffed.length);
  let p = 0;
  for (let i = 0; i < stuffed.length; i++) {
    const b = stuffed[i];
    if (b === KMP.ESC) {
      if (i + 1 >= stuffed.length) return { error: `escape byte 1B at ${at + i} is the last byte: nothing to unescape`, offset: at + i };
      const e = stuffed[i + 1] ^ 0xff;
      if (!isSpecial(e)) {
        return { error: `escape byte 1B at ${at + i} is followed by ${hex2(stuffed[i + 1])}, expected 7F, BF, F2, F9 or E4`, offset: at + i };
      }
      out[p++] = e;
      i++;
    } else if (isSpecial(b)) {
      return { error: `byte ${hex2(b)} at ${at + i} should have been escaped`, offset: at + i };
    } else out[p++] = b;
  }
  return out.slice(0, p);
}

function checkByte(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name}: expected a byte 0..255, got ${v}`);
}

function frame(start: number, dst: number, cid: number, data: Uint8Array): Uint8Array {
  checkByte('dst', dst);
  checkByte('cid', cid);
  const body = new Uint8Array(data.length + 4);
  body[0] = dst;
  body[1] = cid;
  body.set(data, 2);
  const crc = crc16Xmodem(body, 0, data.length + 2); // §5.2: CRC over DST CID DATA, big-endian
  body[data.length + 2] = crc >> 8;
  body[data.length + 3] = crc & 0xff;
  const s = stuff(body);
  const out = new Uint8Array(s.length + 2);
  out[0] = start;
  out.set(s, 1);
  out[s.length + 1] = KMP.STOP;
  return out;
}

/** A request as sent to the meter: `80 <stuffed DST CID DATA CRC> 0D`. */
export function requestFrame(dst: number, cid: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  return frame(KMP.TO_METER, dst, cid, data);
}

/** A response as the meter sends it: `40 <stuffed DST CID DATA CRC> 0D` (for the simulator and tests). */
export function responseFrame(dst: number, cid: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  return frame(KMP.FROM_METER, dst, cid, data);
}

/** One thing cut from the byte stream of an optical head. */
export type KmpUnit =
  | { kind: 'request' | 'response'; dst: number; cid: number; data: Uint8Array; bytes: Uint8Array }
  | { kind: 'ack'; bytes: Uint8Array }
  | { kind: 'garbage'; bytes: Uint8Array; reason: string };

/**
 * One whole frame (start byte to stop byte, as on the wire) → request or response, or garbage
 * with the reason (bad start/stop byte, bad stuffing, too short, CRC mismatch). A single 06 is
 * an ACK. Never throws.
 */
export function decodeFrame(bytes: Uint8Array): KmpUnit {
  const n = bytes.length;
  const garbage = (reason: string): KmpUnit => ({ kind: 'garbage', bytes, reason });
  if (n === 0) return garbage('empty: 0 bytes');
  if (n === 1 && bytes[0] === KMP.ACK) return { kind: 'ack', bytes };
  const start = bytes[0];
  if (start !== KMP.TO_METER && start !== KMP.FROM_METER) {
    return garbage(`start byte ${hex2(start)}: expected 40 (from meter), 80 (to meter) or a lone 06 (ACK)`);
  }
  if (bytes[n - 1] !== KMP.STOP) return garbage(`no stop byte 0D: the ${n} bytes end with ${hex2(bytes[n - 1])}`);
  const u = unstuff(bytes.subarray(1, n - 1), 1);
  if (!(u instanceof Uint8Array)) return garbage(`bad stuffing: ${u.error}`);
  if (u.length < 4) return garbage(`frame too short: ${u.length} byte(s) between start and stop after unstuffing, a frame needs DST, CID and a 2-byte CRC`);
  const crc = crc16Xmodem(u, 0, u.length - 2);
  const sent = (u[u.length - 2] << 8) | u[u.length - 1];
  if (crc !== sent) return garbage(`CRC ${hex2(sent >> 8)}${hex2(sent & 0xff)}, computed ${hex2(crc >> 8)}${hex2(crc & 0xff)} over ${hexBytes(u.subarray(0, u.length - 2))}`);
  return {
    kind: start === KMP.TO_METER ? 'request' : 'response',
    dst: u[0],
    cid: u[1],
    data: u.slice(2, u.length - 2),
    bytes
  };
}

/**
 * Cuts the byte stream of an optical head into KMP units (§5.1, §5.2). A frame comes out the
 * moment its 0D arrives; the head's echo of our request comes out as 'request', the meter's
 * answer as 'response', a lone 06 as 'ack'. A stray 00 between frames is ignored (§5.1). Bytes
 * that are no frame, a frame with bad stuffing or CRC, and a frame cut short by a new start byte
 * come out as 'garbage' with the reason. Never throws.
 */
export class KmpReader {
  #frame: number[] | null = null;
  #junk: number[] = [];
  #out: KmpUnit[] = [];

  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) this.#byte(chunk[i]);
    this.#flushJunk(); // bytes outside a frame: report them per chunk, not at the next frame
  }

  /** The units cut so far, oldest first; empties the queue. */
  take(): KmpUnit[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  /** True while a frame has started and its stop byte has not arrived. */
  get pending(): boolean {
    return this.#frame !== null;
  }

  /** Gives up a started frame (e.g. after a timeout): it comes out as garbage. */
  flush(): void {
    if (this.#frame !== null) {
      const f = Uint8Array.from(this.#frame);
      this.#frame = null;
      this.#out.push({ kind: 'garbage', bytes: f, reason: `frame of ${f.length} byte(s) without stop byte 0D (given up)` });
    }
    this.#flushJunk();
  }

  #byte(b: number): void {
    const f = this.#frame;
    if (f === null) {
      if (b === KMP.TO_METER || b === KMP.FROM_METER) {
        this.#flushJunk();
        this.#frame = [b];
      } else if (b === KMP.ACK) {
        this.#flushJunk();
        this.#out.push({ kind: 'ack', bytes: Uint8Array.of(b) });
      } else if (b !== 0x00 || this.#junk.length > 0) {
        this.#junk.push(b); // a 00 on its own between frames is the meter's wake-up noise (§5.1)
      }
      return;
    }
    if (b === KMP.TO_METER || b === KMP.FROM_METER) {
      // A start byte cannot appear inside a stuffed frame: the stop byte was lost.
      this.#out.push({ kind: 'garbage', bytes: Uint8Array.from(f), reason: `frame of ${f.length} byte(s) cut short by a new start byte ${hex2(b)}: stop byte 0D missing` });
      this.#frame = [b];
      return;
    }
    f.push(b);
    if (b === KMP.STOP) {
      this.#frame = null;
      this.#out.push(decodeFrame(Uint8Array.from(f)));
    } else if (f.length >= KMP_MAX_FRAME) {
      this.#frame = null;
      this.#out.push({ kind: 'garbage', bytes: Uint8Array.from(f), reason: `no stop byte 0D within ${KMP_MAX_FRAME} bytes` });
    }
  }

  #flushJunk(): void {
    if (this.#junk.length === 0) return;
    const j = Uint8Array.from(this.#junk);
    this.#junk = [];
    this.#out.push({ kind: 'garbage', bytes: j, reason: `${j.length} byte(s) outside a frame: ${hexBytes(j.subarray(0, 16))}${j.length > 16 ? ' …' : ''}` });
  }
}

/**
 * The KmpReader as a stream stage (style.md §4: framing is a TransformStream): raw chunks of a
 * head in, KMP units out; a frame still open when the input ends comes out as garbage.
 */
export function kmpFramer(): TransformStream<Uint8Array, KmpUnit> {
  const reader = new KmpReader();
  return new TransformStream<Uint8Array, KmpUnit>({
    transform(chunk, controller) {
      reader.push(chunk);
      for (const u of reader.take()) controller.enqueue(u);
    },
    flush(controller) {
      reader.flush();
      for (const u of reader.take()) controller.enqueue(u);
    }
  });
}
