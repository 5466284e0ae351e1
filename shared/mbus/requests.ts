// The frames a wired M-Bus master sends (EN 13757-2/-3 via protocols.md §8.3-§8.8), and the
// secondary addresses and wildcard masks of §8.5: built from their fields on link.ts. Misuse
// (an address out of range, a malformed mask) throws RangeError with the value (style.md §3).

import type { MeterAddress } from '../model/address.js';
import { ADDRESS, C, longFrame, shortFrame, withFcb } from './link.js';

/** CI fields of master → slave frames (EN 13757-3 via protocols.md §8.5, §8.8; libmbus constants). */
export const CI = {
  APPLICATION_RESET: 0x50,
  DATA_SEND: 0x51,
  SELECT: 0x52,
  SELECT_MSB: 0x56
} as const;

/** CI of "switch baud rate" (EN 13757-3 via libmbus constants, protocols.md §8.8: 9600 = BD). */
export const BAUD_CI: Readonly<Record<number, number>> = {
  300: 0xb8,
  600: 0xb9,
  1200: 0xba,
  2400: 0xbb,
  4800: 0xbc,
  9600: 0xbd,
  19200: 0xbe,
  38400: 0xbf
};

function checkPrimary(what: string, a: number, max: number = ADDRESS.MAX_PRIMARY): void {
  if (!Number.isInteger(a) || a < 0 || a > max) throw new RangeError(`${what}: expected a primary address 0..${max}, got ${a}`);
}

/** Addresses a frame may go to: primary 0..250, the selected meter (253) or a broadcast (254/255). */
function checkTo(a: number): void {
  if (Number.isInteger(a) && (a === ADDRESS.NETWORK || a === ADDRESS.BROADCAST_REPLY || a === ADDRESS.BROADCAST)) return;
  checkPrimary('address', a);
}

/** SND_NKE (link reset, "ping"; to 253 it deselects): 10 40 A CS 16 (§8.3). */
export function sndNke(a: number): Uint8Array {
  checkTo(a);
  return shortFrame(C.SND_NKE, a);
}

/** REQ_UD2 with the frame count bit (§8.7): 7B with FCB 1, 5B with FCB 0. */
export function reqUd2(a: number, fcb: boolean): Uint8Array {
  checkTo(a);
  return shortFrame(withFcb(C.REQ_UD2, fcb), a);
}

/**
 * SND_UD with a CI and data (§8.8). Commands go with C = 53 (FCB 0, FCV 1) as in the §8.8
 * vectors and libmbus; a selection goes with 73 (§8.5).
 */
export function sndUd(a: number, ci: number, data: Uint8Array = new Uint8Array(0), fcb = false): Uint8Array {
  checkTo(a);
  if (!Number.isInteger(ci) || ci < 0 || ci > 255) throw new RangeError(`ci: expected a byte 0..255, got ${ci}`);
  return longFrame(withFcb(C.SND_UD, fcb), a, ci, data);
}

/** Application reset, CI 50, with an optional sub-code byte (§8.8). */
export function applicationResetFrame(a: number, subcode?: number): Uint8Array {
  if (subcode === undefined) return sndUd(a, CI.APPLICATION_RESET);
  if (!Number.isInteger(subcode) || subcode < 0 || subcode > 255) throw new RangeError(`subcode: expected a byte 0..255, got ${subcode}`);
  return sndUd(a, CI.APPLICATION_RESET, Uint8Array.of(subcode));
}

/** Set primary address: CI 51 with record 01 7A aa (§8.8). The new address must be 0..250. */
export function setPrimaryAddressFrame(a: number, next: number): Uint8Array {
  checkPrimary('next', next);
  return sndUd(a, CI.DATA_SEND, Uint8Array.of(0x01, 0x7a, next));
}

/** Switch baud rate: a control frame with CI B8..BF (§8.8); the meter answers E5 at the old rate. */
export function setBaudRateFrame(a: number, baud: number): Uint8Array {
  const ci = BAUD_CI[baud];
  if (ci === undefined) throw new RangeError(`baud: expected one of ${Object.keys(BAUD_CI).join(', ')}, got ${baud}`);
  return sndUd(a, ci);
}

/** Generic data write: SND_UD CI 51 with EN 13757-3 records (§8.8, e.g. 01 FD 1A xx for a valve, §8.9). */
export function dataSendFrame(a: number, records: Uint8Array): Uint8Array {
  return sndUd(a, CI.DATA_SEND, records);
}

// --- Secondary addresses (§8.5) ----------------------------------------------------------

/**
 * A secondary address or selection mask as 16 upper-case hex characters "IIIIIIIIMMMMVVTT":
 * 8 ID digits as printed, the manufacturer field as its 2 bytes in line order (low byte first:
 * KAM = "2D2C"), version and device type, the way libmbus prints and parses them, so an address
 * copied from another M-Bus tool selects the same meter. In a mask an F nibble of the ID is a wildcard digit
 * and an FF byte of manufacturer, version or device type is a wildcard byte.
 */
export type SecondaryMask = string;

const HEX = '0123456789ABCDEF';
const hex2 = (n: number): string => HEX[(n >> 4) & 15] + HEX[n & 15];

/** The manufacturer field of a three-letter code (EN 13757-4 via protocols.md §1.4): KAM → 0x2C2D. */
export function manufacturerCode(name: string): number {
  if (!/^[A-Z@\[\\\]^_]{3}$/.test(name)) throw new RangeError(`manufacturer: expected three letters A-Z, got ${JSON.stringify(name)}`);
  return ((name.charCodeAt(0) - 64) << 10) | ((name.charCodeAt(1) - 64) << 5) | (name.charCodeAt(2) - 64);
}

/** The full 16-character secondary address of a decoded header (CI 72), e.g. "774477442D2C3404". */
export function secondaryOf(address: MeterAddress): string {
  if (!/^[0-9A-Fa-f]{8}$/.test(address.id)) throw new RangeError(`address.id: expected 8 digits, got ${JSON.stringify(address.id)}`);
  for (const k of ['version', 'deviceType'] as const) {
    const v = address[k];
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`address.${k}: expected a byte 0..255, got ${v}`);
  }
  const m = manufacturerCode(address.manufacturer);
  return (address.id + hex2(m & 0xff) + hex2(m >> 8) + hex2(address.version) + hex2(address.deviceType)).toUpperCase();
}

/** The start mask of a full search: every field a wildcard (§8.6). */
export const WILDCARD_MASK: SecondaryMask = 'FFFFFFFFFFFFFFFF';

/**
 * Checks and normalises a secondary address or mask (upper case). ID characters are digits 0-9
 * or the wildcard F; the rest is hex. Throws RangeError saying which character is wrong.
 */
export function parseSecondaryMask(text: string): SecondaryMask {
  if (typeof text !== 'string') throw new RangeError(`secondary address: expected a string of 16 hex characters, got ${typeof text}`);
  const s = text.trim().toUpperCase();
  if (s.length !== 16) {
    throw new RangeError(
      `secondary address ${JSON.stringify(text)}: expected 16 hex characters (8 ID digits, 4 manufacturer, 2 version, 2 device type), got ${s.length}`
    );
  }
  for (let i = 0; i < 16; i++) {
    const ch = s[i];
    if (i < 8) {
      if (!/[0-9F]/.test(ch)) {
        throw new RangeError(`secondary address ${JSON.stringify(text)}: ID digit ${i + 1} is ${JSON.stringify(ch)}, expected 0-9 or F (wildcard)`);
      }
    } else if (!/[0-9A-F]/.test(ch)) {
      const field = i < 12 ? 'manufacturer' : i < 14 ? 'version' : 'device type';
      throw new RangeError(`secondary address ${JSON.stringify(text)}: character ${i + 1} (${field}) is ${JSON.stringify(ch)}, expected a hex digit`);
    }
  }
  return s;
}

/** True when `mask` has no wildcard left: it names one meter. */
export function isFullSecondary(mask: SecondaryMask): boolean {
  const s = parseSecondaryMask(mask);
  return !s.slice(0, 8).includes('F') && !/^(?:..)*FF/.test(s.slice(8));
}

/**
 * Whether a full secondary address matches a mask as a meter compares them (§8.5): F ID nibbles
 * match any digit, FF bytes of manufacturer, version and device type match any byte.
 */
export function matchesSecondaryMask(secondary: string, mask: SecondaryMask): boolean {
  const a = parseSecondaryHex(secondary);
  const m = parseSecondaryMask(mask);
  for (let i = 0; i < 8; i++) if (m[i] !== 'F' && m[i] !== a[i]) return false;
  for (let i = 8; i < 16; i += 2) {
    const mb = m.slice(i, i + 2);
    if (mb !== 'FF' && mb !== a.slice(i, i + 2)) return false;
  }
  return true;
}

function parseSecondaryHex(text: string): string {
  const s = String(text).trim().toUpperCase();
  if (!/^[0-9A-F]{16}$/.test(s)) throw new RangeError(`secondary address ${JSON.stringify(text)}: expected 16 hex characters`);
  return s;
}

/**
 * The 8 data bytes of a selection (§8.5): ID as LE BCD with F nibbles, manufacturer LE, version,
 * device type; `msbFirst` (CI 56, libmbus) sends ID and manufacturer most significant byte first.
 */
export function selectionData(mask: SecondaryMask, msbFirst = false): Uint8Array {
  const s = parseSecondaryMask(mask);
  const byte = (i: number): number => parseInt(s.slice(i, i + 2), 16);
  const id = [byte(0), byte(2), byte(4), byte(6)]; // printed order: most significant first
  const m = [byte(8), byte(10)]; // line order already (low byte first)
  const le = msbFirst ? [...id, ...m.reverse()] : [...id.reverse(), ...m];
  return Uint8Array.from([...le, byte(12), byte(14)]);
}

/**
 * Secondary selection: SND_UD (C 73, FCB 1 as in §8.5 and libmbus) to 253 with CI 52, or CI 56
 * with the bytes most significant first. A matching meter answers E5 and is selected.
 */
export function selectFrame(mask: SecondaryMask, o: { msbFirst?: boolean } = {}): Uint8Array {
  const msb = o.msbFirst === true;
  return longFrame(withFcb(C.SND_UD, true), ADDRESS.NETWORK, msb ? CI.SELECT_MSB : CI.SELECT, selectionData(mask, msb));
}

/** Deselects whichever meter is selected: SND_NKE to 253 (§8.5). */
export function deselectFrame(): Uint8Array {
  return shortFrame(C.SND_NKE, ADDRESS.NETWORK);
}
