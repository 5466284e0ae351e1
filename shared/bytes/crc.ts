// CRC-16 variants met in this project, table-driven (one table lookup per byte).
// Parameters and check values: protocols.md §1.2 and TV-0.

function checkRange(fn: string, bytes: Uint8Array, start: number, end: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > bytes.length) {
    throw new RangeError(`${fn}: expected 0 <= start <= end <= ${bytes.length}, got start ${start}, end ${end}`);
  }
}

/** Table for an MSB-first (not reflected) CRC-16 with polynomial `poly`. */
function msbFirstTable(poly: number): Uint16Array {
  const table = new Uint16Array(256);
  for (let b = 0; b < 256; b++) {
    let c = b << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ poly) & 0xffff : (c << 1) & 0xffff;
    table[b] = c;
  }
  return table;
}

/** Table for an LSB-first (reflected) CRC-16 with reflected polynomial `rpoly`. */
function lsbFirstTable(rpoly: number): Uint16Array {
  const table = new Uint16Array(256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ rpoly : c >>> 1;
    table[b] = c;
  }
  return table;
}

const EN13757 = msbFirstTable(0x3d65);
const XMODEM = msbFirstTable(0x1021);
const X25 = lsbFirstTable(0x8408); // 0x1021 reflected

/**
 * CRC-16/EN-13757 of `bytes[start..end)`: poly 0x3D65, init 0, not reflected, xorout 0xFFFF
 * (EN 13757-4 link-layer block CRC, ELL payload CRC, Kamstrup FSIG/FFCRC; protocols.md §1.2,
 * §2.2, §4.2). Check value "123456789" → 0xC2B7 (TV-0). Block CRCs go on air big-endian,
 * the ELL PLCRC and Kamstrup FSIG/FFCRC little-endian.
 */
export function crc16En13757(bytes: Uint8Array, start = 0, end = bytes.length): number {
  checkRange('crc16En13757', bytes, start, end);
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) ^ EN13757[((crc >>> 8) ^ bytes[i]!) & 0xff]!) & 0xffff;
  return crc ^ 0xffff;
}

/** One byte into a running CRC-16/EN-13757 register: start from 0, finish with `^ 0xFFFF`.
 *  For CRCs taken while walking bytes that are not contiguous (Kamstrup format signatures). */
export function crc16En13757Update(crc: number, byte: number): number {
  return ((crc << 8) ^ EN13757[((crc >>> 8) ^ byte) & 0xff]!) & 0xffff;
}

/**
 * CRC-16/XMODEM (poly 0x1021, init 0, not reflected, xorout 0): Kamstrup KMP link CRC
 * (protocols.md §5.2). Check value 0x31C3 (TV-0).
 */
export function crc16Xmodem(bytes: Uint8Array, start = 0, end = bytes.length): number {
  checkRange('crc16Xmodem', bytes, start, end);
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) ^ XMODEM[((crc >>> 8) ^ bytes[i]!) & 0xff]!) & 0xffff;
  return crc;
}

/**
 * CRC-16/X-25 (poly 0x1021 reflected, init 0xFFFF, xorout 0xFFFF): iM871A / iU891A HCI frames
 * (protocols.md §6). Check value 0x906E (TV-0).
 */
export function crc16X25(bytes: Uint8Array, start = 0, end = bytes.length): number {
  checkRange('crc16X25', bytes, start, end);
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ X25[(crc ^ bytes[i]!) & 0xff]!;
  return crc ^ 0xffff;
}
