// Hex text <-> bytes. Frames are shown and stored as upper-case hex without separators
// (protocols.md conventions: bytes in transmission order).

const HEX_DIGITS = '0123456789ABCDEF';

/** "00".."FF" for every byte value: one lookup per byte instead of two nibble conversions. */
const BYTE_TO_HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!,
);

/** Char code → nibble value, -1 for anything that is not a hex digit. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[0x41 + i] = 10 + i;
  NIBBLE[0x61 + i] = 10 + i;
}

/**
 * Upper-case hex of `bytes[start..end)`, no separators: `toHex(Uint8Array.of(0x2a, 0x44))` → "2A44".
 * Throws RangeError when the range does not lie inside `bytes`.
 */
export function toHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > bytes.length) {
    throw new RangeError(`toHex: expected 0 <= start <= end <= ${bytes.length}, got start ${start}, end ${end}`);
  }
  let out = '';
  for (let i = start; i < end; i++) out += BYTE_TO_HEX[bytes[i]!]!;
  return out;
}

/** True for the separators fromHex skips: space, tab, CR, LF. */
function isSeparator(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** Parses hex; returns the bytes, or a message naming the first problem. */
function parseHex(text: string): Uint8Array | string {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && NIBBLE[c]! >= 0) digits++;
    else if (!isSeparator(c)) {
      return `fromHex: expected a hex digit at position ${i}, got ${JSON.stringify(text[i])}`;
    }
  }
  if (digits % 2 !== 0) return `fromHex: expected an even number of hex digits, got ${digits}`;
  const out = new Uint8Array(digits / 2);
  let hi = -1;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSeparator(c)) continue;
    const v = NIBBLE[c]!;
    if (hi < 0) hi = v;
    else {
      out[n++] = (hi << 4) | v;
      hi = -1;
    }
  }
  return out;
}

/**
 * Bytes from hex text in either case; spaces, tabs and line breaks are ignored, also inside
 * a byte ("2A 44" and "2 A44" both give 2A 44). Throws RangeError naming the position (index
 * in `text`) of the first bad character, or the digit count when it is odd.
 */
export function fromHex(text: string): Uint8Array {
  const r = parseHex(text);
  if (typeof r === 'string') throw new RangeError(r);
  return r;
}

/** Like fromHex, but null instead of an exception: for text from outside (uploads, forms). */
export function tryFromHex(text: string): Uint8Array | null {
  const r = parseHex(text);
  return typeof r === 'string' ? null : r;
}
