// Diehl group scrambling (Diehl Metering, Hydrometer, Sappel, …): a 32-bit LFSR key stream over
// the bytes after a short transport header at offset 10. Two uses:
// - PRIOS (IZAR water meters), CI A0–A7: the plaintext starts with the check byte 4B;
// - "real data" OMS telegrams, CI 7A with TPL security mode 16–31: the byte sum of the plaintext,
//   masked with EF, equals the high configuration byte masked with EF.
// Facts (seed derivation, feedback taps, checks, published default keys) from wmbusmeters
// src/manufacturer_specificities.cc (decodeDiehlLfsr, detectDiehlFrameInterpretation).

/** Frame offsets of a frame without link-layer CRCs: C field, M field, CI, configuration word, data. */
const C_AT = 1;
const M_AT = 2;
const CI_AT = 10;
const DATA_AT = 15;

/** Diehl group manufacturer codes (DME, EWT, HYD, SAP, SPL) as sent in the M field. */
const DIEHL = new Set([0x11a5, 0x16f4, 0x2324, 0x4c30, 0x4e0c]);

/** The published PRIOS default keys (two 8-byte halves XORed into one 32-bit seed each). */
export const DIEHL_DEFAULT_SEEDS: readonly number[] = [
  (0x39bc8a10 ^ 0xe66d83f8) >>> 0,
  (0x51728910 ^ 0xe66d83f8) >>> 0,
];

const PRIOS_CHECK = 0x4b;

function u32be(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Whether `frame` is a send/no-reply (C 44 or 46) from a Diehl group manufacturer, long enough for the scheme. */
function isDiehlSnd(frame: Uint8Array): boolean {
  if (frame.length <= DATA_AT) return false;
  const c = frame[C_AT]!;
  return (c === 0x44 || c === 0x46) && DIEHL.has(frame[M_AT]! | (frame[M_AT + 1]! << 8));
}

/**
 * The bytes from offset 15 on, XORed with the key stream for `seed`. The LFSR starts from the
 * seed XOR the big-endian words at 2 (M, A), 6 (A, version, type) and 10 (CI …); it steps 8 times
 * per byte, feeding back bits 1, 2, 11 and 31, and the low byte of the state is the stream byte.
 */
export function diehlKeyStreamXor(frame: Uint8Array, seed: number): Uint8Array {
  let key = (seed ^ u32be(frame, 2) ^ u32be(frame, 6) ^ u32be(frame, 10)) >>> 0;
  const out = new Uint8Array(Math.max(0, frame.length - DATA_AT));
  for (let i = 0; i < out.length; i++) {
    for (let j = 0; j < 8; j++) {
      const bit = ((key >>> 1) ^ (key >>> 2) ^ (key >>> 11) ^ (key >>> 31)) & 1;
      key = ((key << 1) | bit) >>> 0;
    }
    out[i] = frame[DATA_AT + i]! ^ (key & 0xff);
  }
  return out;
}

function withData(frame: Uint8Array, data: Uint8Array): Uint8Array {
  const copy = frame.slice();
  copy.set(data, DATA_AT);
  return copy;
}

/**
 * A PRIOS frame (Diehl group, CI A0–A7 at offset 10) with its scrambled bytes replaced by the
 * plaintext, at the same positions; null when the frame is not PRIOS or no default key gives
 * the check byte.
 */
export function openPrios(frame: Uint8Array): Uint8Array | null {
  if (!isDiehlSnd(frame)) return null;
  const ci = frame[CI_AT]!;
  if (ci < 0xa0 || ci > 0xa7) return null;
  for (const seed of DIEHL_DEFAULT_SEEDS) {
    const plain = diehlKeyStreamXor(frame, seed);
    if (plain[0] === PRIOS_CHECK) return withData(frame, plain);
  }
  return null;
}

function sumMasked(b: Uint8Array, from: number): number {
  let s = 0;
  for (let i = from; i < b.length; i++) s += b[i]!;
  return s & 0xef;
}

export interface DiehlRealData {
  /** 'decrypted': a default key gave the check; 'plain-upstream': the bytes already check out. */
  state: 'decrypted' | 'plain-upstream' | 'wrong-key';
  /** The frame with plaintext from offset 15 (the input when nothing was descrambled). */
  buffer: Uint8Array;
}

/**
 * A "real data" frame (Diehl group, CI 7A at offset 10, security mode 16–31) opened with the
 * default keys; null when the frame is not one. A frame logged after descrambling upstream
 * already satisfies the check and is taken as it is.
 */
export function openDiehlRealData(frame: Uint8Array): DiehlRealData | null {
  if (!isDiehlSnd(frame) || frame[CI_AT] !== 0x7a || (frame[14]! & 0x10) === 0) return null;
  const check = frame[14]! & 0xef;
  for (const seed of DIEHL_DEFAULT_SEEDS) {
    const plain = diehlKeyStreamXor(frame, seed);
    if (sumMasked(plain, 0) === check) return { state: 'decrypted', buffer: withData(frame, plain) };
  }
  if (sumMasked(frame, DATA_AT) === check) return { state: 'plain-upstream', buffer: frame };
  return { state: 'wrong-key', buffer: frame };
}
