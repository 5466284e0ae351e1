// Transport layer for the telegram encoder: TPL headers (CI 78 / 7A / 72 and the Kamstrup
// compact CIs 79 / 7B / 73), security modes 0, 5 and 7, and the compact-frame body.
// Sources: protocols.md §2.4 (headers, configuration word), §2.5 (modes 5 and 7), §4.2 (FSIG,
// FFCRC). Used by encode.ts; the spec types live here so both files share them.

import type { MeterAddress } from '../model/address.js';
import { crc16En13757 } from '../bytes/crc.js';
import { aesCbcEncrypt, type AesKey } from '../crypto/aes.js';
import { deriveMode7Keys } from '../crypto/kdf.js';
import { checkU8, concat, encodeAddress } from './encode-util.js';

/** One EN 13757-3 record split the way a Kamstrup compact frame needs it (protocols.md §4.2). */
export interface CompactRecord {
  /** DIF, DIFEs, VIF and VIFEs as sent in the full frame, e.g. 02 FF 20. */
  difvif: Uint8Array;
  /** The record's data bytes. */
  data: Uint8Array;
}

/** Security of a TPL with a short or long header (protocols.md §2.5). */
export type TplSecurity =
  | { mode: 0 }
  /**
   * AES-128-CBC, IV = M ‖ A ‖ 8 × ACC. Without `key` the blocks are written in clear, as a
   * gateway that decrypted upstream would forward them (TV-8 "pre-decrypted").
   */
  | { mode: 5; key?: AesKey }
  /** AES-128-CBC with K_enc derived from `key` (the meter's master key), IV 0; needs `afl`. */
  | { mode: 7; key: AesKey };

interface TplCommon {
  /**
   * Application bytes after the header: EN 13757-3 records or manufacturer data. With
   * security 5/7 they follow the 2F 2F check bytes and are padded with 2F to whole blocks,
   * so append extra 2F bytes yourself to send more filler.
   */
  payload?: Uint8Array;
  /**
   * Instead of `payload`: send a Kamstrup compact frame (CI 79 / 7B / 73) carrying these
   * records as FSIG ‖ FFCRC ‖ data. Send the same list as `payload: fullFrameRecords(…)`
   * for the matching full frame.
   */
  compact?: readonly CompactRecord[];
}

interface TplHeaderFields extends TplCommon {
  /** Access number, 0..255 (also the mode 5 IV). */
  acc: number;
  /** Status byte (§2.4); default 0. */
  status?: number;
  /**
   * Configuration word bits other than the security mode (bits 12..8) and the block count
   * N (bits 7..4), which the encoder fills in: 0x8000 bidirectional, 0x4000 accessibility,
   * 0x2000 synchronous, bits 3..0 content/repeater bits. Default 0.
   */
  configFlags?: number;
  /** Mode 7 only: the configuration extension byte; default 0x10 (KDF 1, §2.4). */
  configExt?: number;
  /** Default mode 0. */
  security?: TplSecurity;
  /** Bytes sent in clear after the encrypted blocks (TV-2); only with mode 5/7. */
  plainTail?: Uint8Array;
}

export type TplSpec =
  /** No transport header: CI 78, or 79 with `compact` (Kamstrup C1 behind an ELL). */
  | ({ header: 'none' } & TplCommon)
  /** Short header ACC STS CFG: CI 7A, or 7B with `compact`. */
  | ({ header: 'short' } & TplHeaderFields)
  /** Long header ID M VER TYPE ACC STS CFG: CI 72, or 73 with `compact`; `address` defaults to the link-layer one. */
  | ({ header: 'long'; address?: MeterAddress } & TplHeaderFields);

/** The AFL counter and MAC length, as far as the TPL needs them for mode 7. */
export interface Mode7Context {
  counter: number;
}

const CI = { none: [0x78, 0x79], short: [0x7a, 0x7b], long: [0x72, 0x73] } as const;

/** The record area of the full frame a compact frame stands for: DIF/VIF and data, in order. */
export function fullFrameRecords(records: readonly CompactRecord[]): Uint8Array {
  return concat(records.flatMap((r) => [r.difvif, r.data]));
}

/**
 * FSIG ‖ FFCRC ‖ data of a Kamstrup compact frame (protocols.md §4.2): FSIG = CRC-16/EN-13757
 * over all DIF/VIF bytes, FFCRC = CRC-16/EN-13757 over the full record area, both LE.
 */
export function compactFrameBody(records: readonly CompactRecord[]): Uint8Array {
  const difvifs = concat(records.map((r) => r.difvif));
  const full = fullFrameRecords(records);
  const fsig = crc16En13757(difvifs);
  const ffcrc = crc16En13757(full);
  return concat([
    Uint8Array.of(fsig & 0xff, fsig >> 8, ffcrc & 0xff, ffcrc >> 8),
    ...records.map((r) => r.data),
  ]);
}

function body(spec: TplCommon): Uint8Array {
  if (spec.payload !== undefined && spec.compact !== undefined) {
    throw new TypeError('tpl: expected either payload or compact, got both');
  }
  if (spec.compact !== undefined) return compactFrameBody(spec.compact);
  return spec.payload ?? new Uint8Array(0);
}

/**
 * Encodes the TPL from its CI to the end of the frame.
 * `dllAddress` is the link-layer address (IV and KDF input unless a long header overrides it);
 * `mode7` carries the AFL message counter when the telegram has an AFL.
 */
export function encodeTpl(spec: TplSpec, dllAddress: MeterAddress, mode7: Mode7Context | null): Uint8Array {
  const compact = spec.compact !== undefined ? 1 : 0;
  const app = body(spec);
  if (spec.header === 'none') return concat([Uint8Array.of(CI.none[compact]), app]);

  const acc = checkU8('tpl.acc', spec.acc);
  const status = checkU8('tpl.status', spec.status ?? 0);
  const flags = spec.configFlags ?? 0;
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffff || (flags & 0x1ff0) !== 0) {
    throw new RangeError(
      `tpl.configFlags: expected a 16-bit value without mode/N bits (mask 0x1FF0), got 0x${flags.toString(16)}`,
    );
  }
  const address = spec.header === 'long' ? (spec.address ?? dllAddress) : dllAddress;
  const security = spec.security ?? { mode: 0 };
  const tail = spec.plainTail ?? new Uint8Array(0);

  let secured = app;
  let blocks = 0;
  let ext: Uint8Array = new Uint8Array(0);
  if (security.mode === 0) {
    if (tail.length > 0) throw new TypeError('tpl.plainTail: only with security mode 5 or 7');
  } else {
    // 2F 2F check bytes, then 2F filler to whole AES blocks (§2.5)
    const plain = concat([Uint8Array.of(0x2f, 0x2f), app]);
    blocks = Math.ceil(plain.length / 16);
    if (blocks > 15) {
      throw new RangeError(`tpl.payload: expected at most 238 bytes with encryption (N <= 15 blocks), got ${app.length}`);
    }
    const padded = new Uint8Array(blocks * 16).fill(0x2f);
    padded.set(plain);
    const addr = encodeAddress(address); // M(2) ‖ ID(4) VER TYPE
    if (security.mode === 5) {
      // IV = M(2) ‖ A(6) ‖ ACC × 8 (§2.5 mode 5)
      const iv = new Uint8Array(16).fill(acc);
      iv.set(addr);
      secured = security.key ? aesCbcEncrypt(security.key, iv, padded) : padded;
    } else {
      if (mode7 === null) throw new TypeError('tpl.security: mode 7 needs an afl (its message counter feeds the KDF)');
      const { enc } = deriveMode7Keys(security.key, mode7.counter, addr.subarray(2, 6));
      secured = aesCbcEncrypt(enc, new Uint8Array(16), padded); // IV = 16 × 00 (§2.5 mode 7)
      ext = Uint8Array.of(checkU8('tpl.configExt', spec.configExt ?? 0x10));
    }
  }
  // CFG (§2.4): bits 12..8 mode, bits 7..4 N, LE
  const cfg = flags | (security.mode << 8) | (blocks << 4);
  const head =
    spec.header === 'short'
      ? Uint8Array.of(CI.short[compact], acc, status, cfg & 0xff, cfg >> 8)
      : concat([
          Uint8Array.of(CI.long[compact]),
          // long header order: ID(4) M(2) VER TYPE (§2.4), unlike the link layer's M ID VER TYPE
          encodeAddress(address).subarray(2, 6),
          encodeAddress(address).subarray(0, 2),
          Uint8Array.of(address.version, address.deviceType, acc, status, cfg & 0xff, cfg >> 8),
        ]);
  return concat([head, ext, secured, tail]);
}
