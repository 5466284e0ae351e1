// AES-128 (FIPS-197) with the block modes M-Bus needs: CBC without padding (security modes
// 5 and 7, protocols.md §2.5), CTR (ELL, §2.2) and single blocks (CMAC, cmac.ts).
//
// Implementation choice, by measurement (scripts/measure-aes.mjs: best of 7 × 30 ms, Node 20.20,
// shared 2-core box, two runs agreeing within 10 %). µs per call; the AesKey is cached by
// the caller, noble's public API takes the raw key on every call:
//
//                                         own T-tables   @noble/ciphers 2.4.0
//   key setup (aesKey)                         0.30        -
//   1 block (aesEncryptBlock / ecb().encrypt)  0.10        1.11   (unsafe.encryptBlock with a
//                                                                  cached schedule: 0.34-0.39)
//   CTR 40 B, 3 blocks (TV-4 ELL payload)      0.36        2.37-2.51
//   CBC decrypt 64 B, 4 blocks                 0.41        2.23-2.36
//   CBC decrypt 144 B, 9 blocks (TV-2)         1.11        2.98-3.04
//   cold key + CTR 40 B                        0.64-0.67   (= the noble CTR figure)
//
// noble's public API expands the key schedule and allocates on every call; only its `unsafe`
// internals ("may change at any time") take a prepared schedule, and even those are ~3.5×
// slower per block here. At 150,000 telegrams/s the whole decode budget is 6.7 µs per
// telegram; noble would spend 2.2-3 µs of it on AES, ours 0.4-1.1 µs. So we use our own
// table-driven AES (T-tables computed at load from the GF(2^8) definitions of FIPS-197
// §4-§5, not copied from anywhere), cross-checked against node:crypto, @noble/ciphers (CMAC)
// and the FIPS-197 / SP 800-38A / RFC 4493 vectors in tests/shared/crypto/.
//
// Not constant-time (table lookups): acceptable for decoding received telegrams with stored
// keys on our own machines; do not use it as a general-purpose crypto service.

const BLOCK = 16;

// --- Tables, from FIPS-197: S-box = affine(inverse in GF(2^8) mod x^8+x^4+x^3+x+1) ---------

const SBOX = new Uint8Array(256);
const INV_SBOX = new Uint8Array(256);
/** Encryption round tables: Te0[x] = (2·S[x], S[x], S[x], 3·S[x]) packed big-endian (MixColumns §5.1.3). */
const TE0 = new Int32Array(256);
const TE1 = new Int32Array(256);
const TE2 = new Int32Array(256);
const TE3 = new Int32Array(256);
/** Decryption round tables: Td0[x] = (14·Si[x], 9·Si[x], 13·Si[x], 11·Si[x]) (InvMixColumns §5.3.3). */
const TD0 = new Int32Array(256);
const TD1 = new Int32Array(256);
const TD2 = new Int32Array(256);
const TD3 = new Int32Array(256);

function xtime(a: number): number {
  return ((a << 1) ^ (a & 0x80 ? 0x1b : 0)) & 0xff;
}

function rotr8(w: number): number {
  return (w >>> 8) | (w << 24);
}

{
  // exp/log tables over the generator 3, then inverses, S-box and round tables.
  const exp = new Uint8Array(255);
  const log = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= xtime(x); // x·3
  }
  const mul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : exp[(log[a]! + log[b]!) % 255]!);
  for (let a = 0; a < 256; a++) {
    const inv = a === 0 ? 0 : exp[(255 - log[a]!) % 255]!;
    let s = inv;
    for (let k = 1; k <= 4; k++) s ^= ((inv << k) | (inv >> (8 - k))) & 0xff;
    s ^= 0x63;
    SBOX[a] = s;
    INV_SBOX[s] = a;
  }
  for (let x = 0; x < 256; x++) {
    const s = SBOX[x]!;
    const e = (mul(s, 2) << 24) | (s << 16) | (s << 8) | mul(s, 3);
    TE0[x] = e;
    TE1[x] = rotr8(e);
    TE2[x] = rotr8(rotr8(e));
    TE3[x] = rotr8(rotr8(rotr8(e)));
    const si = INV_SBOX[x]!;
    const d = (mul(si, 14) << 24) | (mul(si, 9) << 16) | (mul(si, 13) << 8) | mul(si, 11);
    TD0[x] = d;
    TD1[x] = rotr8(d);
    TD2[x] = rotr8(rotr8(d));
    TD3[x] = rotr8(rotr8(rotr8(d)));
  }
}

// --- Key schedule (FIPS-197 §5.2, Nk = 4, Nr = 10) -------------------------------------------

const RCON = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

function expandEncryptKey(raw: Uint8Array): Int32Array {
  const w = new Int32Array(44);
  for (let i = 0; i < 4; i++) {
    w[i] = (raw[4 * i]! << 24) | (raw[4 * i + 1]! << 16) | (raw[4 * i + 2]! << 8) | raw[4 * i + 3]!;
  }
  for (let i = 4; i < 44; i++) {
    let t = w[i - 1]!;
    if (i % 4 === 0) {
      // SubWord(RotWord(t)) ^ Rcon
      t =
        ((SBOX[(t >>> 16) & 0xff]! << 24) |
          (SBOX[(t >>> 8) & 0xff]! << 16) |
          (SBOX[t & 0xff]! << 8) |
          SBOX[t >>> 24]!) ^
        (RCON[i / 4 - 1]! << 24);
    }
    w[i] = w[i - 4]! ^ t;
  }
  return w;
}

/** Schedule of the equivalent inverse cipher (FIPS-197 §5.3.5): reversed, InvMixColumns on rounds 1..9. */
function expandDecryptKey(enc: Int32Array): Int32Array {
  const d = new Int32Array(44);
  for (let r = 0; r <= 10; r++) {
    for (let j = 0; j < 4; j++) {
      const w = enc[4 * (10 - r) + j]!;
      d[4 * r + j] =
        r === 0 || r === 10
          ? w
          : TD0[SBOX[w >>> 24]!]! ^ TD1[SBOX[(w >>> 16) & 0xff]!]! ^ TD2[SBOX[(w >>> 8) & 0xff]!]! ^ TD3[SBOX[w & 0xff]!]!;
    }
  }
  return d;
}

// --- The key object ----------------------------------------------------------------------------

let encScheduleOf: (k: AesKey) => Int32Array;
let decScheduleOf: (k: AesKey) => Int32Array;

const REDACTED = 'AesKey(***)';

/**
 * An expanded AES-128 key. Opaque: the schedule lives in private fields, so the key bytes
 * never show up in JSON, console output or error reports. Build once per meter key with
 * aesKey() and reuse it; it holds no per-call state.
 */
class AesKeyImpl {
  readonly #enc: Int32Array;
  #dec: Int32Array | null = null; // only CBC decryption needs it: computed on first use

  constructor(enc: Int32Array) {
    this.#enc = enc;
  }

  static {
    encScheduleOf = (k) => k.#enc;
    decScheduleOf = (k) => (k.#dec ??= expandDecryptKey(k.#enc));
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  /** Node's util.inspect and vitest's printer (a plain symbol, no Node API involved). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

export type AesKey = AesKeyImpl;

/** Expands a 16-byte AES-128 key. TypeError unless a Uint8Array, RangeError unless 16 bytes. */
export function aesKey(raw: Uint8Array): AesKey {
  if (!(raw instanceof Uint8Array)) throw new TypeError(`key: expected a Uint8Array, got ${typeof raw}`);
  if (raw.length !== 16) throw new RangeError(`key: expected 16 bytes, got ${raw.length}`);
  return new AesKeyImpl(expandEncryptKey(raw));
}

// --- Block functions on words ----------------------------------------------------------------

/** Output of the two cores: 4 big-endian column words (module scratch, read right after the call). */
const OUT = new Int32Array(4);

function encryptWords(rk: Int32Array, a0: number, a1: number, a2: number, a3: number): void {
  let s0 = a0 ^ rk[0]!;
  let s1 = a1 ^ rk[1]!;
  let s2 = a2 ^ rk[2]!;
  let s3 = a3 ^ rk[3]!;
  let k = 4;
  for (let round = 1; round < 10; round++, k += 4) {
    // SubBytes + ShiftRows + MixColumns + AddRoundKey (FIPS-197 §5.1, table form)
    const t0 = TE0[s0 >>> 24]! ^ TE1[(s1 >>> 16) & 0xff]! ^ TE2[(s2 >>> 8) & 0xff]! ^ TE3[s3 & 0xff]! ^ rk[k]!;
    const t1 = TE0[s1 >>> 24]! ^ TE1[(s2 >>> 16) & 0xff]! ^ TE2[(s3 >>> 8) & 0xff]! ^ TE3[s0 & 0xff]! ^ rk[k + 1]!;
    const t2 = TE0[s2 >>> 24]! ^ TE1[(s3 >>> 16) & 0xff]! ^ TE2[(s0 >>> 8) & 0xff]! ^ TE3[s1 & 0xff]! ^ rk[k + 2]!;
    const t3 = TE0[s3 >>> 24]! ^ TE1[(s0 >>> 16) & 0xff]! ^ TE2[(s1 >>> 8) & 0xff]! ^ TE3[s2 & 0xff]! ^ rk[k + 3]!;
    s0 = t0;
    s1 = t1;
    s2 = t2;
    s3 = t3;
  }
  // Final round: no MixColumns.
  const S = SBOX;
  OUT[0] = ((S[s0 >>> 24]! << 24) | (S[(s1 >>> 16) & 0xff]! << 16) | (S[(s2 >>> 8) & 0xff]! << 8) | S[s3 & 0xff]!) ^ rk[40]!;
  OUT[1] = ((S[s1 >>> 24]! << 24) | (S[(s2 >>> 16) & 0xff]! << 16) | (S[(s3 >>> 8) & 0xff]! << 8) | S[s0 & 0xff]!) ^ rk[41]!;
  OUT[2] = ((S[s2 >>> 24]! << 24) | (S[(s3 >>> 16) & 0xff]! << 16) | (S[(s0 >>> 8) & 0xff]! << 8) | S[s1 & 0xff]!) ^ rk[42]!;
  OUT[3] = ((S[s3 >>> 24]! << 24) | (S[(s0 >>> 16) & 0xff]! << 16) | (S[(s1 >>> 8) & 0xff]! << 8) | S[s2 & 0xff]!) ^ rk[43]!;
}

function decryptWords(dk: Int32Array, a0: number, a1: number, a2: number, a3: number): void {
  let s0 = a0 ^ dk[0]!;
  let s1 = a1 ^ dk[1]!;
  let s2 = a2 ^ dk[2]!;
  let s3 = a3 ^ dk[3]!;
  let k = 4;
  for (let round = 1; round < 10; round++, k += 4) {
    // InvShiftRows takes row r from column c - r (FIPS-197 §5.3.1)
    const t0 = TD0[s0 >>> 24]! ^ TD1[(s3 >>> 16) & 0xff]! ^ TD2[(s2 >>> 8) & 0xff]! ^ TD3[s1 & 0xff]! ^ dk[k]!;
    const t1 = TD0[s1 >>> 24]! ^ TD1[(s0 >>> 16) & 0xff]! ^ TD2[(s3 >>> 8) & 0xff]! ^ TD3[s2 & 0xff]! ^ dk[k + 1]!;
    const t2 = TD0[s2 >>> 24]! ^ TD1[(s1 >>> 16) & 0xff]! ^ TD2[(s0 >>> 8) & 0xff]! ^ TD3[s3 & 0xff]! ^ dk[k + 2]!;
    const t3 = TD0[s3 >>> 24]! ^ TD1[(s2 >>> 16) & 0xff]! ^ TD2[(s1 >>> 8) & 0xff]! ^ TD3[s0 & 0xff]! ^ dk[k + 3]!;
    s0 = t0;
    s1 = t1;
    s2 = t2;
    s3 = t3;
  }
  const S = INV_SBOX;
  OUT[0] = ((S[s0 >>> 24]! << 24) | (S[(s3 >>> 16) & 0xff]! << 16) | (S[(s2 >>> 8) & 0xff]! << 8) | S[s1 & 0xff]!) ^ dk[40]!;
  OUT[1] = ((S[s1 >>> 24]! << 24) | (S[(s0 >>> 16) & 0xff]! << 16) | (S[(s3 >>> 8) & 0xff]! << 8) | S[s2 & 0xff]!) ^ dk[41]!;
  OUT[2] = ((S[s2 >>> 24]! << 24) | (S[(s1 >>> 16) & 0xff]! << 16) | (S[(s0 >>> 8) & 0xff]! << 8) | S[s3 & 0xff]!) ^ dk[42]!;
  OUT[3] = ((S[s3 >>> 24]! << 24) | (S[(s2 >>> 16) & 0xff]! << 16) | (S[(s1 >>> 8) & 0xff]! << 8) | S[s0 & 0xff]!) ^ dk[43]!;
}

function word(b: Uint8Array, i: number): number {
  return (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
}

function putWord(b: Uint8Array, i: number, w: number): void {
  b[i] = w >>> 24;
  b[i + 1] = w >>> 16;
  b[i + 2] = w >>> 8;
  b[i + 3] = w;
}

// --- Argument checks (our own misuse: style.md §3) ---------------------------------------------

function checkBlockAt(name: string, b: Uint8Array, off: number): void {
  if (!Number.isInteger(off) || off < 0 || off + BLOCK > b.length) {
    throw new RangeError(`${name}: expected 16 bytes at offset ${off}, buffer has ${b.length} bytes`);
  }
}

function checkIv(name: string, iv: Uint8Array): void {
  if (iv.length !== BLOCK) throw new RangeError(`${name}: expected 16 bytes, got ${iv.length}`);
}

function checkWholeBlocks(data: Uint8Array): void {
  if (data.length % BLOCK !== 0) {
    throw new RangeError(`data: expected a multiple of 16 bytes (no padding), got ${data.length}`);
  }
}

function checkRange(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, length: number, wholeBlocks: boolean): void {
  if (wholeBlocks && length % BLOCK !== 0) {
    throw new RangeError(`data: expected a multiple of 16 bytes (no padding), got ${length}`);
  }
  if (!(srcOff >= 0 && length >= 0 && srcOff + length <= src.length)) {
    throw new RangeError(`src: expected ${length} bytes from offset ${srcOff}, array has ${src.length}`);
  }
  if (!(dstOff >= 0 && dstOff + length <= dst.length)) {
    throw new RangeError(`dst: expected room for ${length} bytes from offset ${dstOff}, array has ${dst.length}`);
  }
}

// --- Public block and mode functions -----------------------------------------------------------

/** Encrypts the 16 bytes at `input[inOff]` into `output[outOff]` (may be the same place). */
export function aesEncryptBlock(k: AesKey, input: Uint8Array, inOff: number, output: Uint8Array, outOff: number): void {
  checkBlockAt('input', input, inOff);
  checkBlockAt('output', output, outOff);
  encryptWords(encScheduleOf(k), word(input, inOff), word(input, inOff + 4), word(input, inOff + 8), word(input, inOff + 12));
  for (let j = 0; j < 4; j++) putWord(output, outOff + 4 * j, OUT[j]!);
}

/** Decrypts the 16 bytes at `input[inOff]` into `output[outOff]` (may be the same place). */
export function aesDecryptBlock(k: AesKey, input: Uint8Array, inOff: number, output: Uint8Array, outOff: number): void {
  checkBlockAt('input', input, inOff);
  checkBlockAt('output', output, outOff);
  decryptWords(decScheduleOf(k), word(input, inOff), word(input, inOff + 4), word(input, inOff + 8), word(input, inOff + 12));
  for (let j = 0; j < 4; j++) putWord(output, outOff + 4 * j, OUT[j]!);
}

/**
 * AES-128-CBC decryption without padding (SP 800-38A §6.2): M-Bus fills with 0x2F itself
 * (protocols.md §2.5), so nothing is stripped. RangeError unless `iv` is 16 bytes and
 * `data.length` a multiple of 16. Returns a new array.
 */
export function aesCbcDecrypt(k: AesKey, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  aesCbcDecryptInto(k, iv, data, 0, out, 0, data.length);
  return out;
}

/**
 * aesCbcDecrypt of `src[srcOff, srcOff + length)` written to `dst` from `dstOff`; `dst` may be
 * `src` at the same offset (in place). For hot paths that decrypt into a frame's one copy: an
 * array over 64 bytes lives outside V8's heap and costs as much to allocate as a block costs to
 * decrypt (measured with bench/wmbus.mjs).
 */
export function aesCbcDecryptInto(
  k: AesKey,
  iv: Uint8Array,
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
  length: number
): void {
  checkIv('iv', iv);
  checkRange(src, srcOff, dst, dstOff, length, true);
  const dk = decScheduleOf(k);
  let p0 = word(iv, 0);
  let p1 = word(iv, 4);
  let p2 = word(iv, 8);
  let p3 = word(iv, 12);
  for (let i = 0; i < length; i += BLOCK) {
    // read the whole ciphertext block before writing: in place the output overwrites it
    const c0 = word(src, srcOff + i);
    const c1 = word(src, srcOff + i + 4);
    const c2 = word(src, srcOff + i + 8);
    const c3 = word(src, srcOff + i + 12);
    decryptWords(dk, c0, c1, c2, c3);
    putWord(dst, dstOff + i, OUT[0]! ^ p0);
    putWord(dst, dstOff + i + 4, OUT[1]! ^ p1);
    putWord(dst, dstOff + i + 8, OUT[2]! ^ p2);
    putWord(dst, dstOff + i + 12, OUT[3]! ^ p3);
    p0 = c0;
    p1 = c1;
    p2 = c2;
    p3 = c3;
  }
}

/** AES-128-CBC encryption without padding (SP 800-38A §6.2); same checks as aesCbcDecrypt. */
export function aesCbcEncrypt(k: AesKey, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkIv('iv', iv);
  checkWholeBlocks(data);
  const rk = encScheduleOf(k);
  const out = new Uint8Array(data.length);
  let c0 = word(iv, 0);
  let c1 = word(iv, 4);
  let c2 = word(iv, 8);
  let c3 = word(iv, 12);
  for (let i = 0; i < data.length; i += BLOCK) {
    encryptWords(rk, word(data, i) ^ c0, word(data, i + 4) ^ c1, word(data, i + 8) ^ c2, word(data, i + 12) ^ c3);
    c0 = OUT[0]!;
    c1 = OUT[1]!;
    c2 = OUT[2]!;
    c3 = OUT[3]!;
    putWord(out, i, c0);
    putWord(out, i + 4, c1);
    putWord(out, i + 8, c2);
    putWord(out, i + 12, c3);
  }
  return out;
}

/**
 * AES-128-CTR (SP 800-38A §6.5), any length; encryption and decryption are the same.
 * `counter` is the 16-byte initial counter block; block n uses it plus n as a big-endian
 * 128-bit number. For the ELL (protocols.md §2.2) the counter block ends in BC = 00 and only
 * BC is specified to increment; the two agree for any telegram (carry out of BC needs more
 * than 255 blocks, i.e. > 4 kB, while a wM-Bus frame is at most 255 bytes), and the 128-bit
 * increment is what wmbusmeters and node:crypto do.
 */
export function aesCtr(k: AesKey, counter: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  aesCtrInto(k, counter, data, 0, out, 0, data.length);
  return out;
}

/** aesCtr of `src[srcOff, srcOff + length)` written to `dst` from `dstOff`; in place allowed. */
export function aesCtrInto(
  k: AesKey,
  counter: Uint8Array,
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
  length: number
): void {
  checkIv('counter', counter);
  checkRange(src, srcOff, dst, dstOff, length, false);
  const rk = encScheduleOf(k);
  let n0 = word(counter, 0);
  let n1 = word(counter, 4);
  let n2 = word(counter, 8);
  let n3 = word(counter, 12);
  for (let i = 0; i < length; i += BLOCK) {
    encryptWords(rk, n0, n1, n2, n3);
    const last = Math.min(BLOCK, length - i);
    for (let j = 0; j < last; j++) {
      dst[dstOff + i + j] = src[srcOff + i + j]! ^ (OUT[j >> 2]! >>> (24 - 8 * (j & 3)));
    }
    // 128-bit big-endian increment
    n3 = (n3 + 1) | 0;
    if (n3 === 0) {
      n2 = (n2 + 1) | 0;
      if (n2 === 0) {
        n1 = (n1 + 1) | 0;
        if (n1 === 0) n0 = (n0 + 1) | 0;
      }
    }
  }
}
