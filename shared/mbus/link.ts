// Wired M-Bus link layer (EN 13757-2 via protocols.md §8.2-§8.4): the frames a master sends and a
// slave answers, built from their fields, and a reader that cuts a byte stream into frames as the
// bytes arrive. The master (master.ts) and the simulated bus (sim/) both stand on this; decoding
// a RSP_UD's records is frame.ts.

/** C field values (§8.3). Master frames always have PRM (0x40); FCV 0x10 says FCB 0x20 is valid. */
export const C = {
  SND_NKE: 0x40,
  SND_UD: 0x53,
  REQ_UD2: 0x5b,
  REQ_UD1: 0x5a,
  RSP_UD: 0x08,
  FCB: 0x20,
  FCV: 0x10,
  /** Slave answer bits: ACD (class-1 data available), DFC (data flow control). */
  ACD: 0x20,
  DFC: 0x10
} as const;

/** Special addresses (§8.4). */
export const ADDRESS = {
  UNCONFIGURED: 0,
  MAX_PRIMARY: 250,
  /** Network layer: the meter selected by secondary address. */
  NETWORK: 0xfd,
  /** Broadcast, every meter answers (one meter on the bus only). */
  BROADCAST_REPLY: 0xfe,
  /** Broadcast, nobody answers. */
  BROADCAST: 0xff
} as const;

export const ACK = 0xe5;

/** The C field of a REQ_UD2 or SND_UD with the frame count bit `fcb` (FCV set, §8.7). */
export function withFcb(c: number, fcb: boolean): number {
  return (c & ~C.FCB) | C.FCV | (fcb ? C.FCB : 0);
}

export function ackFrame(): Uint8Array {
  return Uint8Array.of(ACK);
}

/** Short frame 10 C A CS 16, CS = (C + A) mod 256. */
export function shortFrame(c: number, a: number): Uint8Array {
  return Uint8Array.of(0x10, c & 0xff, a & 0xff, (c + a) & 0xff, 0x16);
}

/**
 * Control frame (no data, L = 3) or long frame 68 L L 68 C A CI data CS 16; L counts C to the last
 * data byte and may not exceed 255, CS is the sum of those bytes mod 256.
 */
export function longFrame(c: number, a: number, ci: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const l = 3 + data.length;
  if (l > 255) throw new RangeError(`long frame: ${data.length} data bytes, at most 252 fit (L ≤ 255)`);
  const out = new Uint8Array(l + 6);
  out[0] = 0x68;
  out[1] = l;
  out[2] = l;
  out[3] = 0x68;
  out[4] = c & 0xff;
  out[5] = a & 0xff;
  out[6] = ci & 0xff;
  out.set(data, 7);
  let cs = 0;
  for (let i = 4; i < 4 + l; i++) cs += out[i];
  out[4 + l] = cs & 0xff;
  out[5 + l] = 0x16;
  return out;
}

/** What FrameReader found in the byte stream. */
export type LinkUnit =
  /** A complete frame whose length, checksum and stop byte are right. */
  | { kind: 'frame'; type: 'ack' | 'short' | 'control' | 'long'; bytes: Uint8Array }
  /**
   * Bytes that are not a valid frame: noise, a wrong start, checksum or stop byte, or the
   * superposed answers of two meters (a collision). `reason` says which, for per-meter errors.
   */
  | { kind: 'garbage'; bytes: Uint8Array; reason: string };

const HEX = '0123456789ABCDEF';
const hex2 = (n: number): string => HEX[(n >> 4) & 15] + HEX[n & 15];

/**
 * Cuts a received byte stream into frames as bytes arrive: push() the chunks, take() what is
 * complete. A frame is complete the moment its last byte is in, so a master never waits longer
 * than the line needs. `pending` says whether a frame has started and is not complete yet.
 * Bytes that cannot start a frame, or a frame that fails its length, checksum or stop byte,
 * come out as one 'garbage' unit (the whole announced frame, so its tail does not restart the
 * search in the middle of data).
 */
export class FrameReader {
  #buf = new Uint8Array(512);
  #len = 0;
  readonly #out: LinkUnit[] = [];

  push(chunk: Uint8Array): void {
    if (this.#len + chunk.length > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + chunk.length));
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
    this.#cut();
  }

  /** Complete units in arrival order; empties the queue. */
  take(): LinkUnit[] {
    return this.#out.splice(0, this.#out.length);
  }

  /** True while a started frame waits for more bytes. */
  get pending(): boolean {
    return this.#len > 0;
  }

  /** Bytes received towards an incomplete frame. */
  get pendingBytes(): number {
    return this.#len;
  }

  /** Gives up on an incomplete frame (the line went quiet): it comes out as garbage. */
  flush(): void {
    if (this.#len === 0) return;
    const bytes = this.#buf.slice(0, this.#len);
    this.#len = 0;
    this.#out.push({ kind: 'garbage', bytes, reason: `incomplete frame: ${bytes.length} byte(s) (${describeStart(bytes)}) and then silence` });
  }

  /** Forgets everything received and not yet taken. */
  reset(): void {
    this.#len = 0;
    this.#out.length = 0;
  }

  #cut(): void {
    let p = 0;
    const b = this.#buf;
    const n = this.#len;
    let junkFrom = -1;
    const endJunk = (at: number): void => {
      if (junkFrom < 0) return;
      const bytes = b.slice(junkFrom, at);
      this.#out.push({ kind: 'garbage', bytes, reason: `${bytes.length} byte(s) that start no frame (${describeStart(bytes)})` });
      junkFrom = -1;
    };
    while (p < n) {
      const s = b[p];
      if (s === ACK) {
        endJunk(p);
        this.#out.push({ kind: 'frame', type: 'ack', bytes: b.slice(p, p + 1) });
        p += 1;
        continue;
      }
      if (s === 0x10) {
        if (n - p < 5) break;
        endJunk(p);
        const f = b.slice(p, p + 5);
        const bad = f[3] !== ((f[1] + f[2]) & 0xff) ? `checksum ${hex2(f[3])}, computed ${hex2((f[1] + f[2]) & 0xff)}` : f[4] !== 0x16 ? `stop byte ${hex2(f[4])}, expected 16` : '';
        this.#out.push(bad ? { kind: 'garbage', bytes: f, reason: `short frame with ${bad}` } : { kind: 'frame', type: 'short', bytes: f });
        p += 5;
        continue;
      }
      if (s === 0x68) {
        if (n - p < 4) break;
        const l = b[p + 1];
        if (b[p + 2] !== l || b[p + 3] !== 0x68 || l < 3) {
          // Not a frame header: this byte is junk, look for a start after it.
          if (junkFrom < 0) junkFrom = p;
          p += 1;
          continue;
        }
        const total = l + 6;
        if (n - p < total) break;
        endJunk(p);
        const f = b.slice(p, p + total);
        let cs = 0;
        for (let i = 4; i < 4 + l; i++) cs += f[i];
        cs &= 0xff;
        const bad = f[4 + l] !== cs ? `checksum ${hex2(f[4 + l])}, computed ${hex2(cs)}` : f[5 + l] !== 0x16 ? `stop byte ${hex2(f[5 + l])}, expected 16` : '';
        this.#out.push(
          bad ? { kind: 'garbage', bytes: f, reason: `${l === 3 ? 'control' : 'long'} frame (L = ${l}) with ${bad}` } : { kind: 'frame', type: l === 3 ? 'control' : 'long', bytes: f }
        );
        p += total;
        continue;
      }
      if (junkFrom < 0) junkFrom = p;
      p += 1;
    }
    endJunk(p);
    if (p > 0) {
      this.#buf.copyWithin(0, p, n);
      this.#len = n - p;
    }
  }
}

function describeStart(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < Math.min(b.length, 6); i++) s += (i ? ' ' : '') + hex2(b[i]);
  return b.length > 6 ? `${s} …` : s;
}

/**
 * A byte pipe to the bus as the master sees it. Adapters: a Web Serial or Bluetooth Transport
 * (web), a TCP socket or serial port (server), the simulated bus (sim/line.ts).
 */
export interface MbusLink {
  /** Sends bytes; resolves once they are handed to the transport. Rejects on a broken link. */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * The next chunk of received bytes (bytes that arrived before the call come first), or null
   * when nothing arrived within `timeoutMs`. Rejects when `signal` aborts or the link breaks.
   */
  read(timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array | null>;
  /** Drops bytes received and not yet read (before a new request). */
  discard(): void;
}

/** Bit times of one character on the line: start, 8 data, even parity, stop (8E1, §8.1). */
export const BITS_PER_BYTE = 11;

/** Milliseconds `bytes` characters take on the line at `baud`. */
export function lineMs(bytes: number, baud: number): number {
  return (bytes * BITS_PER_BYTE * 1000) / baud;
}
