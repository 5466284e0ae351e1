// OMS security mode 7 key derivation (OMS Vol.2 / EN 13757-7 KDF "1"; protocols.md §2.5):
//   K_enc = AES-CMAC(K, 00 ‖ MCR(4) ‖ ID(4) ‖ 07×7)
//   K_mac = AES-CMAC(K, 01 ‖ MCR(4) ‖ ID(4) ‖ 07×7)
// MCR is the AFL message counter and ID the meter id, both as transmitted (little-endian).

import { aesKey, type AesKey } from './aes.js';
import { aesCmac } from './cmac.js';

/** Derivation constant: first byte of the KDF input (protocols.md §2.5). */
const DC_ENC = 0x00;
const DC_MAC = 0x01;

function derive(master: AesKey, dc: number, counter: number, id: Uint8Array): AesKey {
  const input = new Uint8Array(16).fill(0x07); // 07 padding up to one block
  input[0] = dc;
  input[1] = counter & 0xff; // MCR as on air: LE uint32
  input[2] = (counter >>> 8) & 0xff;
  input[3] = (counter >>> 16) & 0xff;
  input[4] = counter >>> 24;
  input.set(id, 5);
  const raw = aesCmac(master, input);
  const key = aesKey(raw);
  raw.fill(0); // derived key bytes live only inside the AesKey
  return key;
}

/**
 * Per-message mode 7 keys from the meter's master key, the AFL message counter (MCR, a
 * uint32) and the meter id bytes as sent (4 BCD bytes LE; from the long TPL header if
 * present, else the link layer).
 */
export function deriveMode7Keys(
  master: AesKey,
  counter: number,
  meterIdBytes: Uint8Array,
): { enc: AesKey; mac: AesKey } {
  if (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff) {
    throw new RangeError(`counter: expected an integer 0..4294967295, got ${counter}`);
  }
  if (meterIdBytes.length !== 4) {
    throw new RangeError(`meterIdBytes: expected 4 bytes, got ${meterIdBytes.length}`);
  }
  return {
    enc: derive(master, DC_ENC, counter, meterIdBytes),
    mac: derive(master, DC_MAC, counter, meterIdBytes),
  };
}
