// Packed BCD as used by M-Bus: two decimal digits per byte, least significant BYTE first
// (EN 13757-3 data types A; protocols.md §1.3 "bytes 99 87 34 76 → 76348799").

import { toHex } from './hex.js';

function checkRange(fn: string, bytes: Uint8Array, offset: number, length: number): void {
  if (!Number.isInteger(length) || length < 1 || length > 8) {
    throw new RangeError(`${fn}: length: expected 1..8 bytes, got ${length}`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + length > bytes.length) {
    throw new RangeError(
      `${fn}: expected ${length} bytes at offset ${offset}, buffer has ${bytes.length} bytes`,
    );
  }
}

/**
 * The value of `length` BCD bytes at `offset` (least significant byte first), or null when a
 * nibble is not a decimal digit.
 *
 * Sign: EN 13757-3 (type A) marks a negative BCD number with `F` in the most significant
 * nibble (top nibble of the last byte); that nibble is then not a digit, so "12 F3" reads
 * as -312 ("F0" reads as 0, not -0). Any other nibble above 9 gives null. Values above 2^53 (only possible with 8 bytes)
 * lose precision like any JS number.
 *
 * Throws RangeError if the bytes do not lie inside `bytes` (our misuse, not bad data:
 * check the length with a ByteReader first).
 */
export function readBcdLE(bytes: Uint8Array, offset: number, length: number): number | null {
  checkRange('readBcdLE', bytes, offset, length);
  let value = 0;
  let negative = false;
  for (let i = offset + length - 1; i >= offset; i--) {
    const b = bytes[i]!;
    let hi = b >> 4;
    const lo = b & 15;
    if (i === offset + length - 1 && hi === 15) {
      negative = true;
      hi = 0;
    }
    if (hi > 9 || lo > 9) return null;
    value = value * 100 + hi * 10 + lo;
  }
  return negative && value !== 0 ? -value : value; // never -0
}

/**
 * Writes `value` as `length` BCD bytes at `offset`, least significant byte first. A negative
 * value gets the EN 13757-3 `F` sign nibble, so it has one digit less of room. Throws
 * RangeError if the value is not an integer or does not fit, or the bytes fall outside `out`.
 */
export function writeBcdLE(out: Uint8Array, offset: number, length: number, value: number): void {
  checkRange('writeBcdLE', out, offset, length);
  const digits = 2 * length;
  const negative = value < 0;
  let rest = Math.abs(value);
  const limit = 10 ** (negative ? digits - 1 : digits);
  if (!Number.isSafeInteger(value) || rest >= limit) {
    throw new RangeError(
      `writeBcdLE: value: expected an integer with |value| < ${limit} for ${length} bytes, got ${value}`,
    );
  }
  for (let i = offset; i < offset + length; i++) {
    const lo = rest % 10;
    rest = Math.floor(rest / 10);
    const hi = rest % 10;
    rest = Math.floor(rest / 10);
    out[i] = (hi << 4) | lo;
  }
  if (negative) out[offset + length - 1] = out[offset + length - 1]! | 0xf0;
}

/**
 * The 8-digit identification number from the 4 BCD bytes at `offset` as sent (LE):
 * `99 87 34 76` → "76348799". Nibbles above 9 print as hex digits ("7834A0B1"), so ids of
 * non-conforming meters still print and still match the key ring.
 */
export function bcdIdString(bytes: Uint8Array, offset: number): string {
  checkRange('bcdIdString', bytes, offset, 4);
  return toHex(Uint8Array.of(bytes[offset + 3]!, bytes[offset + 2]!, bytes[offset + 1]!, bytes[offset]!));
}

/** Inverse of bcdIdString: "76348799" → 99 87 34 76. Accepts 8 hex digits; RangeError otherwise. */
export function bcdIdBytes(id: string): Uint8Array {
  if (!/^[0-9A-Fa-f]{8}$/.test(id)) {
    throw new RangeError(`id: expected 8 digits, got ${JSON.stringify(id)}`);
  }
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) out[3 - i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
  return out;
}
