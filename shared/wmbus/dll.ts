// Wireless M-Bus data link layer (EN 13757-4): block CRCs of frame formats A and B, and the
// L C M A header. protocols.md §1.2–§1.5.

import type { MeterAddress } from '../model/address.js';
import type { Issue } from '../model/decoded.js';
import { crc16En13757 } from '../bytes/crc.js';
import { bcdIdString } from '../bytes/bcd.js';

/** How the link-layer CRCs were found: format A or B blocks (now removed), or already absent. */
export type FrameFormat = 'A' | 'B' | 'none';

/** Whether the input still holds its block CRCs: detect, insist, or trust that they are gone. */
export type CrcPresence = 'auto' | 'present' | 'absent';

export interface StrippedFrame {
  /** The frame from L, without block CRCs and without bytes past L. Shares memory with the input when nothing was removed. */
  frame: Uint8Array;
  format: FrameFormat;
  issues: Issue[];
}

const HEX = '0123456789abcdef';
function hex4(n: number): string {
  return HEX[(n >> 12) & 15] + HEX[(n >> 8) & 15] + HEX[(n >> 4) & 15] + HEX[n & 15];
}

function readCrcBE(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

/** Number of bytes on air of a format-A frame with this L: 1 + L + 2 per block. §1.2 */
export function formatALength(l: number): number {
  const blocks = l <= 9 ? 1 : 1 + Math.ceil((l - 9) / 16);
  return 1 + l + 2 * blocks;
}

/** Index of the first failing format-A block CRC, -1 when all agree. §1.2: first block 10 bytes, then 16. */
function checkFormatA(b: Uint8Array, issues: Issue[] | null): boolean {
  const n = b.length;
  let start = 0;
  let size = 10;
  let block = 1;
  while (start < n) {
    const end = Math.min(start + size, n - 2);
    if (end <= start) return false;
    const want = readCrcBE(b, end);
    const got = crc16En13757(b, start, end);
    if (want !== got) {
      if (issues) {
        issues.push({
          code: 'bad-crc',
          severity: 'error',
          offset: end,
          message: `format A block ${block} CRC ${hex4(want)}, computed ${hex4(got)}`,
          hint: 'the frame was damaged on air; a receiver that already removed CRCs needs crcs: "absent"'
        });
      }
      return false;
    }
    start = end + 2;
    size = 16;
    block++;
  }
  return true;
}

function stripFormatA(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length - 2 * Math.ceil((b.length - 12) / 18) - 2);
  let o = 0;
  let start = 0;
  let size = 10;
  while (start < b.length) {
    const end = Math.min(start + size, b.length - 2);
    out.set(b.subarray(start, end), o);
    o += end - start;
    start = end + 2;
    size = 16;
  }
  out[0] = out.length - 1; // L now counts the bytes after it, as in a stripped frame
  return out;
}

/**
 * Format B: one CRC at the end when the frame has at most 128 bytes, else at 126..127 and at the end. §1.2
 * The frame is `b[0..n)` (a length rather than a subarray: this runs for every telegram).
 */
function checkFormatB(b: Uint8Array, n: number, issues: Issue[] | null): boolean {
  if (n < 12) return false;
  if (n <= 128) {
    const want = readCrcBE(b, n - 2);
    const got = crc16En13757(b, 0, n - 2);
    if (want === got) return true;
    issues?.push({
      code: 'bad-crc',
      severity: 'error',
      offset: n - 2,
      message: `format B CRC ${hex4(want)}, computed ${hex4(got)}`
    });
    return false;
  }
  const want1 = readCrcBE(b, 126);
  const got1 = crc16En13757(b, 0, 126);
  if (want1 !== got1) {
    issues?.push({
      code: 'bad-crc',
      severity: 'error',
      offset: 126,
      message: `format B block 2 CRC ${hex4(want1)}, computed ${hex4(got1)}`
    });
    return false;
  }
  if (n < 131) return false;
  const want2 = readCrcBE(b, n - 2);
  const got2 = crc16En13757(b, 128, n - 2);
  if (want2 === got2) return true;
  issues?.push({
    code: 'bad-crc',
    severity: 'error',
    offset: n - 2,
    message: `format B block 3 CRC ${hex4(want2)}, computed ${hex4(got2)}`
  });
  return false;
}

function stripFormatB(b: Uint8Array): Uint8Array {
  let out: Uint8Array;
  if (b.length <= 128) {
    out = b.slice(0, b.length - 2);
  } else {
    out = new Uint8Array(b.length - 4);
    out.set(b.subarray(0, 126), 0);
    out.set(b.subarray(128, b.length - 2), 126);
  }
  out[0] = out.length - 1;
  return out;
}

/**
 * Check and remove the block CRCs of a format A or B frame, or accept a frame whose receiver
 * already removed them. With 'auto' the frame is tried as format A (length must fit), then as
 * format B, then taken as CRC-free when L = length − 1 (wmbusmeters' removeAnyDLLCRCs, §1.2, §1.7).
 * Bytes past L (an RSSI byte, for instance) are cut off with a 'trailing-bytes' warning.
 */
export function stripCrcs(bytes: Uint8Array, crcs: CrcPresence = 'auto'): StrippedFrame {
  const issues: Issue[] = [];
  const n = bytes.length;
  if (n === 0) {
    issues.push({ code: 'truncated', severity: 'error', offset: 0, message: 'empty telegram: 0 bytes' });
    return { frame: bytes, format: 'none', issues };
  }
  const l = bytes[0];
  if (crcs !== 'absent') {
    const aLen = formatALength(l);
    // Format A: the first block's CRC sits at 10..11.
    // A frame of exactly L + 1 bytes whose block-1 CRC matches is a format-A frame cut at L + 1
    // (or, 1 in 65,536, a CRC-free one: decodeTelegram then tries that reading too).
    const bOk = n >= l + 1 && l >= 11 && checkFormatB(bytes, l + 1, null);
    if (!bOk && l >= 9 && n >= 12 && readCrcBE(bytes, 10) === crc16En13757(bytes, 0, 10)) {
      if (n < aLen) {
        issues.push({
          code: 'truncated',
          severity: 'error',
          offset: n,
          message: `format A frame (first block CRC matches): L = ${l} needs ${aLen} bytes with CRCs, got ${n}`
        });
        return { frame: bytes, format: 'A', issues };
      }
      if (checkFormatA(bytes.subarray(0, aLen), issues)) {
        if (n > aLen) issues.push(trailing(n, aLen, 'format A frame'));
        return { frame: stripFormatA(bytes.subarray(0, aLen)), format: 'A', issues };
      }
      // A later block failed: the frame was damaged on air (the issue says which block).
      return { frame: stripFormatA(bytes.subarray(0, aLen)), format: 'A', issues };
    }
    if (crcs === 'auto' && l >= 9 && n === aLen && n !== l + 1) {
      // Exactly the length of a format-A frame, first block damaged: report the bad block.
      checkFormatA(bytes, issues);
      return { frame: stripFormatA(bytes), format: 'A', issues };
    }
    if (bOk) {
      if (n > l + 1) issues.push(trailing(n, l + 1, 'format B frame'));
      return { frame: stripFormatB(bytes.subarray(0, l + 1)), format: 'B', issues };
    }
    if (crcs === 'present') {
      // Say why neither format fits, with the numbers.
      if (n >= l + 1 && l >= 11) checkFormatB(bytes, l + 1, issues);
      else if (n >= 12 && l >= 9)
        issues.push({
          code: 'bad-crc',
          severity: 'error',
          offset: 10,
          message: `format A block 1 CRC ${hex4(readCrcBE(bytes, 10))}, computed ${hex4(crc16En13757(bytes, 0, 10))}`
        });
      else
        issues.push({
          code: 'truncated',
          severity: 'error',
          offset: n,
          message: `L = ${l} needs ${aLen} bytes with format A CRCs or ${l + 1} with format B, got ${n}`
        });
      return { frame: bytes, format: 'none', issues };
    }
  }
  if (n === l + 1) return { frame: bytes, format: 'none', issues };
  if (n > l + 1) {
    issues.push(trailing(n, l + 1, 'L field'));
    return { frame: bytes.subarray(0, l + 1), format: 'none', issues };
  }
  issues.push({
    code: 'truncated',
    severity: 'error',
    offset: n,
    message: `L = ${l} announces ${l + 1} bytes, got ${n}`
  });
  return { frame: bytes, format: 'none', issues };
}

function trailing(n: number, want: number, what: string): Issue {
  return {
    code: 'trailing-bytes',
    severity: 'warning',
    offset: want,
    message: `${n - want} byte(s) after the end of the ${what} at ${want} (frame has ${n})`,
    hint: 'often an RSSI byte appended by the receiver'
  };
}

/** Position in the frame as received of a byte at `offset` of the CRC-free frame. */
export function rawOffset(offset: number, format: FrameFormat): number {
  if (format === 'A') return offset < 10 ? offset : offset + 2 + 2 * Math.floor((offset - 10) / 16);
  if (format === 'B') return offset < 126 ? offset : offset + 2;
  return offset;
}

// ---------------------------------------------------------------------------------------------
// Header fields §1.3

export interface DllHeader {
  /** L as received (for a frame whose CRCs were removed here: the length after removal). */
  length: number;
  /** C field: 0x44 SND_NR, 0x46 SND_IR, 0x08 RSP_UD … §1.3 */
  control: number;
  address: MeterAddress;
}

/** Three-letter manufacturer code from the 16-bit M field value. §1.4 */
export function manufacturerName(code: number): string {
  return String.fromCharCode(((code >> 10) & 0x1f) + 64, ((code >> 5) & 0x1f) + 64, (code & 0x1f) + 64);
}

/** 16-bit M field value of a three-letter code ("KAM" → 0x2C2D). Throws on misuse. §1.4 */
export function manufacturerCode(name: string): number {
  if (!/^[A-Z]{3}$/.test(name)) throw new RangeError(`manufacturer: expected three letters A-Z, got "${name}"`);
  return ((name.charCodeAt(0) - 64) << 10) | ((name.charCodeAt(1) - 64) << 5) | (name.charCodeAt(2) - 64);
}

/** Reads M, ID, version and device type at `offset` (M first, as in the DLL). §1.3 */
export function readAddress(b: Uint8Array, offset: number): MeterAddress {
  return {
    manufacturer: manufacturerName(b[offset] | (b[offset + 1] << 8)),
    id: bcdIdString(b, offset + 2),
    version: b[offset + 6],
    deviceType: b[offset + 7]
  };
}

/** The DLL header of a CRC-free frame; the caller made sure it has at least 10 bytes. */
export function readDllHeader(frame: Uint8Array): DllHeader {
  return { length: frame[0], control: frame[1], address: readAddress(frame, 2) };
}

const DEVICE_TYPES: Record<number, string> = {
  0x00: 'other',
  0x01: 'oil',
  0x02: 'electricity',
  0x03: 'gas',
  0x04: 'heat (outlet)',
  0x05: 'steam',
  0x06: 'warm water',
  0x07: 'water',
  0x08: 'heat cost allocator',
  0x09: 'compressed air',
  0x0a: 'cooling (outlet)',
  0x0b: 'cooling (inlet)',
  0x0c: 'heat (inlet)',
  0x0d: 'heat/cooling',
  0x0e: 'bus/system component',
  0x0f: 'unknown',
  0x15: 'hot water',
  0x16: 'cold water',
  0x17: 'hot/cold water',
  0x18: 'pressure',
  0x19: 'A/D converter',
  0x1a: 'smoke detector',
  0x1b: 'room sensor',
  0x1c: 'gas detector',
  0x20: 'breaker (electricity)',
  0x21: 'valve (gas/water)',
  0x25: 'customer unit',
  0x28: 'waste water',
  0x29: 'garbage',
  0x31: 'communication controller',
  0x32: 'unidirectional repeater',
  0x33: 'bidirectional repeater',
  0x36: 'radio converter (system side)',
  0x37: 'radio converter (meter side)'
};

/** Name of a device type (medium) byte, EN 13757-3 via protocols.md §1.5; "reserved (0x3F)" otherwise. */
export function deviceTypeName(type: number): string {
  return DEVICE_TYPES[type] ?? `reserved (0x${type.toString(16).toUpperCase().padStart(2, '0')})`;
}

const CONTROLS: Record<number, string> = {
  0x44: 'SND_NR',
  0x46: 'SND_IR',
  0x47: 'ACC_NR',
  0x48: 'ACC_DMD',
  0x08: 'RSP_UD',
  0x40: 'SND_NKE',
  0x53: 'SND_UD',
  0x73: 'SND_UD',
  0x5a: 'REQ_UD1',
  0x7a: 'REQ_UD1',
  0x5b: 'REQ_UD2',
  0x7b: 'REQ_UD2'
};

/** Name of a C field value (§1.3), or its hex when it has none. */
export function controlName(c: number): string {
  return CONTROLS[c] ?? `C ${c.toString(16).toUpperCase().padStart(2, '0')}`;
}
