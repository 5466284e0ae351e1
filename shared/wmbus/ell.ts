// Extended link layer, CI 8C–8F (EN 13757-4), and its AES-128-CTR payload encryption.
// protocols.md §2.1, §2.2.

import type { Issue } from '../model/decoded.js';
import type { AesKey } from '../crypto/aes.js';
import { aesCtrInto } from '../crypto/aes.js';
import { crc16En13757 } from '../bytes/crc.js';
import { readAddress } from './dll.js';
import type { MeterAddress } from '../model/address.js';

export interface EllHeader {
  ci: number;
  /** Communication control: 0x80 bidirectional, 0x40 fast response, 0x20 synchronised, 0x10 hop, 0x08 priority, 0x04 accessibility, 0x02 repeated. */
  communicationControl: number;
  accessNumber: number;
  /** Session number (CI 8D/8F), LE uint32: bits 0..3 session counter, 4..28 time, 29..31 encryption. */
  sessionNumber?: number;
  /** 0 none, 1 AES-128-CTR (bits 29..31 of the session number). */
  encryption?: number;
  /** Payload CRC as transmitted (CI 8D/8F); for an encrypted payload only known after decryption. */
  payloadCrc?: number;
  /** Target address (CI 8E/8F). */
  target?: MeterAddress;
  /** Bytes from the CI to the first byte after the ELL header. */
  length: number;
}

/** Header length (with CI) per ELL CI, 0 when the CI is not an ELL. §2.1 */
export function ellLength(ci: number): number {
  switch (ci) {
    case 0x8c:
      return 3;
    case 0x8d:
      return 7; // CC ACC SN(4); the PLCRC is part of the (encrypted) payload
    case 0x8e:
      return 11;
    case 0x8f:
      return 15;
    default:
      return 0;
  }
}

/** Reads the ELL header at `offset` (the CI). Returns null when the frame is too short. */
export function readEll(frame: Uint8Array, offset: number): EllHeader | null {
  const ci = frame[offset];
  const length = ellLength(ci);
  if (length === 0 || offset + length > frame.length) return null;
  // Every member present (undefined when the CI lacks it): one object shape for all headers.
  const h: EllHeader = {
    ci,
    communicationControl: frame[offset + 1],
    accessNumber: frame[offset + 2],
    length,
    target: undefined,
    sessionNumber: undefined,
    encryption: undefined
  };
  let p = offset + 3;
  if (ci === 0x8e || ci === 0x8f) {
    h.target = readAddress(frame, p);
    p += 8;
  }
  if (ci === 0x8d || ci === 0x8f) {
    const sn = (frame[p] | (frame[p + 1] << 8) | (frame[p + 2] << 16) | (frame[p + 3] << 24)) >>> 0;
    h.sessionNumber = sn;
    h.encryption = sn >>> 29;
  }
  return h;
}

/**
 * The initial counter block of ELL AES-CTR: M(2) A(6) CC&~0x12 SN(4) FN(2)=0 BC=0. §2.2
 * `frame` is the CRC-free frame (M at 2), `snAt` the position of the session number.
 */
export function ellCounterBlock(frame: Uint8Array, cc: number, snAt: number): Uint8Array {
  const iv = new Uint8Array(16);
  for (let i = 0; i < 8; i++) iv[i] = frame[2 + i];
  iv[8] = cc & ~0x12; // hop and repeated bits may be changed by a repeater
  iv[9] = frame[snAt];
  iv[10] = frame[snAt + 1];
  iv[11] = frame[snAt + 2];
  iv[12] = frame[snAt + 3];
  return iv;
}

/** "KAM 76348799", for messages. */
export function meterName(a: MeterAddress): string {
  return `${a.manufacturer} ${a.id}`;
}

const HEX = '0123456789abcdef';
function hex4(n: number): string {
  return HEX[(n >> 12) & 15] + HEX[(n >> 8) & 15] + HEX[(n >> 4) & 15] + HEX[n & 15];
}

/** True when the 2-byte LE payload CRC at `at` matches the CRC of the bytes after it. §2.2 */
export function payloadCrcMatches(b: Uint8Array, at: number, end: number): boolean {
  return (b[at] | (b[at + 1] << 8)) === crc16En13757(b, at + 2, end);
}

export type EllOpenResult =
  | { state: 'plain' | 'decrypted' | 'plain-upstream'; buffer: Uint8Array }
  | { state: 'no-key' | 'wrong-key' | 'bad-crc' | 'unsupported'; buffer: Uint8Array };

/**
 * Check the payload CRC and, when the session number says AES-CTR, decrypt. `frame` is CRC-free;
 * `at` is the ELL CI. Decrypted bytes are written into a copy of the frame at the same positions,
 * so later layers keep their offsets. Issues carry offsets in `frame`.
 *
 * ENC = 1 without a key: a payload whose CRC already matches was decrypted upstream
 * (wmbusmeters logs telegrams that way, protocols.md §10) and is accepted as such.
 */
export function openEll(
  frame: Uint8Array,
  at: number,
  h: EllHeader,
  key: AesKey | undefined,
  address: MeterAddress,
  issues: Issue[]
): EllOpenResult {
  if (h.ci !== 0x8d && h.ci !== 0x8f) return { state: 'plain', buffer: frame };
  const crcAt = at + h.length;
  const end = frame.length;
  if (crcAt + 2 > end) {
    issues.push({
      code: 'truncated',
      severity: 'error',
      offset: crcAt,
      message: `ELL payload CRC at ${crcAt} needs 2 bytes, frame ends at ${end}`
    });
    return { state: 'bad-crc', buffer: frame };
  }
  const enc = h.encryption ?? 0;
  if (enc === 0) {
    if (payloadCrcMatches(frame, crcAt, end)) return { state: 'plain', buffer: frame };
    issues.push(crcIssue(frame, crcAt, end, 'bad-crc', meterName(address)));
    return { state: 'bad-crc', buffer: frame };
  }
  if (enc !== 1) {
    issues.push({
      code: 'unsupported-security',
      severity: 'error',
      offset: at + 3,
      message: `ELL encryption ${enc} (session number bits 29..31) is reserved; only 1 = AES-128-CTR is defined`
    });
    return { state: 'unsupported', buffer: frame };
  }
  if (key === undefined) {
    if (payloadCrcMatches(frame, crcAt, end)) return { state: 'plain-upstream', buffer: frame };
    const meter = meterName(address);
    issues.push({
      code: 'no-key',
      severity: 'error',
      offset: crcAt,
      message: `ELL payload is AES-128-CTR encrypted (${end - crcAt} bytes) and no key is known for meter ${meter}`,
      hint: `add the AES key of meter ${meter}`
    });
    return { state: 'no-key', buffer: frame };
  }
  const snAt = at + h.length - 4;
  const buffer = new Uint8Array(frame); // a copy, also of a Node Buffer (whose slice() shares memory)
  // in place, into the frame's one copy (aesCtrInto)
  aesCtrInto(key, ellCounterBlock(frame, h.communicationControl, snAt), buffer, crcAt, buffer, crcAt, end - crcAt);
  if (payloadCrcMatches(buffer, crcAt, end)) return { state: 'decrypted', buffer };
  if (payloadCrcMatches(frame, crcAt, end)) {
    issues.push({
      code: 'wrong-key',
      severity: 'warning',
      offset: crcAt,
      message: `ELL payload CRC matches without decryption: telegram of meter ${meterName(address)} was decrypted upstream, the key was not used`
    });
    return { state: 'plain-upstream', buffer: frame };
  }
  issues.push(crcIssue(buffer, crcAt, end, 'wrong-key', meterName(address)));
  return { state: 'wrong-key', buffer: frame };
}

function crcIssue(b: Uint8Array, at: number, end: number, code: 'bad-crc' | 'wrong-key', meter: string): Issue {
  const want = b[at] | (b[at + 1] << 8);
  const got = crc16En13757(b, at + 2, end);
  return code === 'wrong-key'
    ? {
        code,
        severity: 'error',
        offset: at,
        message: `ELL payload CRC after decryption ${hex4(want)}, computed ${hex4(got)}: wrong key`,
        hint: `check the AES key for meter ${meter}`
      }
    : {
        code,
        severity: 'error',
        offset: at,
        message: `ELL payload CRC ${hex4(want)}, computed ${hex4(got)}`
      };
}
