// AES-CMAC (RFC 4493 / NIST SP 800-38B) on top of our AES-128: used for the OMS security
// mode 7 key derivation and the AFL MAC (protocols.md §2.3, §2.5). WebCrypto has no CMAC.

import { aesEncryptBlock, type AesKey } from './aes.js';

/** RFC 4493 §2.3 doubling in GF(2^128): shift left one bit, xor Rb = 0x87 on carry-out. */
function double(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 15; i++) out[i] = (block[i]! << 1) | (block[i + 1]! >> 7);
  out[15] = block[15]! << 1;
  if (block[0]! & 0x80) out[15] = out[15]! ^ 0x87;
  return out;
}

/** The full 16-byte AES-CMAC of `msg` (RFC 4493 §2.4); callers truncate for the AFL MAC. */
export function aesCmac(k: AesKey, msg: Uint8Array): Uint8Array {
  // Subkeys (§2.3): L = AES(K, 0^128), K1 = dbl(L), K2 = dbl(K1).
  const l = new Uint8Array(16);
  aesEncryptBlock(k, l, 0, l, 0);
  const k1 = double(l);
  const n = msg.length;
  const blocks = n === 0 ? 1 : Math.ceil(n / 16);
  const complete = n !== 0 && n % 16 === 0;
  const x = new Uint8Array(16);
  // X := AES(K, X xor M_i) for all but the last block (§2.4 step 6)
  for (let b = 0; b < blocks - 1; b++) {
    for (let j = 0; j < 16; j++) x[j] = x[j]! ^ msg[16 * b + j]!;
    aesEncryptBlock(k, x, 0, x, 0);
  }
  // Last block: M_n xor K1 if complete, else (M_n ‖ 10…0) xor K2 (§2.4 step 4)
  const sub = complete ? k1 : double(k1);
  const start = 16 * (blocks - 1);
  const rest = n - start;
  for (let j = 0; j < 16; j++) {
    const m = j < rest ? msg[start + j]! : j === rest ? 0x80 : 0;
    x[j] = x[j]! ^ m ^ sub[j]!;
  }
  aesEncryptBlock(k, x, 0, x, 0);
  l.fill(0); // subkeys derive from the key: do not leave them lying around
  k1.fill(0);
  sub.fill(0);
  return x;
}
