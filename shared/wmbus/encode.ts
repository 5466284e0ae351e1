// Wireless M-Bus telegram encoder: builds byte-exact telegrams from a typed spec for the
// simulator, demo data and round-trip tests. Layers, outside in (protocols.md §1-§2, §4.2):
//
//   DLL  L C M A                      §1.3, 3-letter code §1.4, framing A/B with CRCs §1.2
//   ELL  CI 8C (CC ACC) or 8D (CC ACC SN PLCRC, AES-CTR)            §2.2
//   AFL  CI 90 (FCL MCL MCR MAC), the mode 7 CMAC                   §2.3
//   TPL  CI 78/79, 7A/7B, 72/73 with security 0/5/7, compact frames  §2.4, §2.5, §4.2  (encode-tpl.ts)
//
// Inputs come from our own code, so misuse throws TypeError/RangeError (style.md §3).

import type { MeterAddress } from '../model/address.js';
import { crc16En13757 } from '../bytes/crc.js';
import { aesCtr, type AesKey } from '../crypto/aes.js';
import { aesCmac } from '../crypto/cmac.js';
import { deriveMode7Keys } from '../crypto/kdf.js';
import { encodeTpl, type TplSpec } from './encode-tpl.js';
import { checkU32, checkU8, concat, encodeAddress, u32le } from './encode-util.js';

export { compactFrameBody, fullFrameRecords } from './encode-tpl.js';
export type { CompactRecord, TplSecurity, TplSpec } from './encode-tpl.js';
export { packManufacturer } from './encode-util.js';

/** Extended link layer (protocols.md §2.2). */
export type EllSpec =
  /** ELL I: CC, ACC. */
  | { ci: 0x8c; cc: number; acc: number }
  /**
   * ELL II: CC, ACC, SN, PLCRC. `sn` is the session number word as sent (LE uint32: bits
   * 0..3 session counter, 4..28 time, 29..31 ENC). With `key` the PLCRC and everything after
   * it are AES-128-CTR encrypted, which needs ENC = 1; with ENC = 1 and no key the bytes go
   * out in clear, like the "pre-decrypted" telegrams of protocols.md §10.
   */
  | { ci: 0x8d; cc: number; acc: number; sn: number; key?: AesKey };

/** Authentication and fragmentation layer, single fragment (protocols.md §2.3). */
export interface AflSpec {
  /** Message counter MCR (uint32); the mode 7 KDF input. */
  counter: number;
  /** MAC length in bytes when the TPL uses mode 7 (AES-CMAC truncated): 2, 4, 8, 12 or 16; default 8. */
  macLength?: 2 | 4 | 8 | 12 | 16;
}

export interface TelegramSpec {
  /** C field; default 0x44 SND_NR (protocols.md §1.3). */
  c?: number;
  /** Link-layer M and A fields. `id` is the 8-digit number as printed ("76348799"). */
  address: MeterAddress;
  ell?: EllSpec;
  afl?: AflSpec;
  tpl: TplSpec;
  /**
   * Link-layer framing: 'none' gives the frame without block CRCs as most receivers deliver
   * it (L = length − 1); 'A' and 'B' add the block CRCs of frame format A / B (§1.2).
   * Default 'none'.
   */
  frame?: 'none' | 'A' | 'B';
}

/** AFL authentication type per MAC length (protocols.md §2.3: AT 3→2 … 7→16 bytes). */
const AUTH_TYPE: Record<number, number> = { 2: 3, 4: 4, 8: 5, 12: 6, 16: 7 };

function encodeAfl(spec: AflSpec, tpl: Uint8Array, mac: { key: AesKey; id: Uint8Array } | null): Uint8Array {
  const counter = checkU32('afl.counter', spec.counter);
  const macLength = spec.macLength ?? 8;
  const at = AUTH_TYPE[macLength];
  if (at === undefined) throw new RangeError(`afl.macLength: expected 2, 4, 8, 12 or 16, got ${macLength}`);
  // FCL: 0x2000 MCL present, 0x0800 MCR present, 0x0400 MAC present; fragment 0, no more fragments
  const fcl = 0x2000 | 0x0800 | (mac ? 0x0400 : 0);
  const mcl = 0x20 | (mac ? at : 0); // MCL: counter present, authentication type
  const mcr = u32le(counter);
  let tag: Uint8Array = new Uint8Array(0);
  if (mac) {
    // MAC = AES-CMAC(K_mac, MCL ‖ MCR ‖ TPL from its CI to the end), truncated (§2.3)
    const { mac: kmac } = deriveMode7Keys(mac.key, counter, mac.id);
    tag = aesCmac(kmac, concat([Uint8Array.of(mcl), mcr, tpl])).subarray(0, macLength);
  }
  const fields = concat([Uint8Array.of(fcl & 0xff, fcl >> 8, mcl), mcr, tag]);
  return concat([Uint8Array.of(0x90, fields.length), fields]);
}

function encodeEll(spec: EllSpec, address: Uint8Array, rest: Uint8Array): Uint8Array {
  const cc = checkU8('ell.cc', spec.cc);
  const acc = checkU8('ell.acc', spec.acc);
  if (spec.ci === 0x8c) return concat([Uint8Array.of(0x8c, cc, acc), rest]);
  if (spec.ci !== 0x8d) throw new RangeError(`ell.ci: expected 0x8C or 0x8D, got ${String((spec as { ci: unknown }).ci)}`);
  const sn = u32le(checkU32('ell.sn', spec.sn));
  // PLCRC over everything after it, LE, inside the encrypted region (§2.2)
  const crc = crc16En13757(rest);
  let secured = concat([Uint8Array.of(crc & 0xff, crc >> 8), rest]);
  if (spec.key) {
    const enc = spec.sn >>> 29;
    if (enc !== 1) throw new RangeError(`ell.sn: a key needs ENC (bits 29..31) = 1 (AES-CTR), got ${enc}`);
    // Initial counter block: M(2) A(6) CC&~(H|R) SN(4) FN(2)=0 BC=0 (§2.2)
    const iv = concat([address, Uint8Array.of(cc & ~0x12), sn, new Uint8Array(3)]);
    secured = aesCtr(spec.key, iv, secured);
  }
  return concat([Uint8Array.of(0x8d, cc, acc), sn, secured]);
}

/** Builds one telegram. See TelegramSpec; throws on inconsistent or out-of-range fields. */
export function encodeTelegram(spec: TelegramSpec): Uint8Array {
  const dllAddress = encodeAddress(spec.address);
  const c = checkU8('c', spec.c ?? 0x44);
  const tplSecurity = spec.tpl.header === 'none' ? undefined : spec.tpl.security;

  const tpl = encodeTpl(spec.tpl, spec.address, spec.afl ? { counter: spec.afl.counter } : null);
  let inner = tpl;
  if (spec.afl) {
    let mac: { key: AesKey; id: Uint8Array } | null = null;
    if (tplSecurity?.mode === 7) {
      // KDF id: from the long TPL header if present, else the link layer (§2.5)
      const kdfAddress = spec.tpl.header === 'long' ? (spec.tpl.address ?? spec.address) : spec.address;
      mac = { key: tplSecurity.key, id: encodeAddress(kdfAddress).subarray(2, 6) };
    }
    inner = concat([encodeAfl(spec.afl, tpl, mac), tpl]);
  }
  if (spec.ell) inner = encodeEll(spec.ell, dllAddress, inner);

  const frame = concat([Uint8Array.of(0, c), dllAddress, inner]);
  const format = spec.frame ?? 'none';
  if (format === 'none') {
    setLength(frame, frame.length - 1);
    return frame;
  }
  return encodeFrameFormat(frame, format);
}

function setLength(frame: Uint8Array, l: number): void {
  if (l > 255) throw new RangeError(`telegram: expected L <= 255, got ${l} (frame too long)`);
  frame[0] = l;
}

function putCrc(out: Uint8Array, at: number, crc: number): void {
  out[at] = crc >> 8; // block CRCs are big-endian (§1.2)
  out[at + 1] = crc & 0xff;
}

/**
 * Adds the link-layer block CRCs of frame format A or B (EN 13757-4; protocols.md §1.2) to a
 * frame given without CRCs (starting with L; L is rewritten for the format).
 *   A: block 1 = L..A (10 bytes), then blocks of 16, each followed by its CRC; L excludes CRCs.
 *   B: one CRC at the end if the total is <= 128 bytes, else a CRC over bytes 0..125 at 126
 *      and one over the rest at the end; L includes the CRCs.
 */
export function encodeFrameFormat(frame: Uint8Array, format: 'A' | 'B'): Uint8Array {
  const n = frame.length;
  if (n < 10) throw new RangeError(`frame: expected at least the 10 bytes L..A, got ${n}`);
  if (format === 'A') {
    const copy = frame.slice();
    setLength(copy, n - 1);
    const blocks = 1 + Math.ceil((n - 10) / 16);
    const out = new Uint8Array(n + 2 * blocks);
    let src = 0;
    let dst = 0;
    for (let b = 0; b < blocks; b++) {
      const size = b === 0 ? 10 : Math.min(16, n - src);
      out.set(copy.subarray(src, src + size), dst);
      putCrc(out, dst + size, crc16En13757(copy, src, src + size));
      src += size;
      dst += size + 2;
    }
    return out;
  }
  if (format !== 'B') throw new RangeError(`format: expected 'A' or 'B', got ${String(format)}`);
  if (n + 2 <= 128) {
    const out = new Uint8Array(n + 2);
    out.set(frame);
    setLength(out, n + 1);
    putCrc(out, n, crc16En13757(out, 0, n));
    return out;
  }
  const out = new Uint8Array(n + 4);
  out.set(frame.subarray(0, 126), 0);
  out.set(frame.subarray(126), 128);
  setLength(out, n + 3);
  putCrc(out, 126, crc16En13757(out, 0, 126));
  putCrc(out, n + 2, crc16En13757(out, 128, n + 2));
  return out;
}
