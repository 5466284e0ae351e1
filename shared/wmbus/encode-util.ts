// Small helpers shared by the encoder files (encode.ts, encode-tpl.ts).

import type { MeterAddress } from '../model/address.js';
import { bcdIdBytes } from '../bytes/bcd.js';

export function checkU8(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name}: expected a byte 0..255, got ${v}`);
  return v;
}

export function checkU32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new RangeError(`${name}: expected an integer 0..4294967295, got ${v}`);
  }
  return v;
}

export function u32le(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** "KAM" → 0x2C2D: m = (c1−64)·1024 + (c2−64)·32 + (c3−64), letters A..Z (protocols.md §1.4). */
export function packManufacturer(code: string): number {
  if (!/^[A-Z]{3}$/.test(code)) {
    throw new RangeError(`manufacturer: expected 3 letters A-Z, got ${JSON.stringify(code)}`);
  }
  return ((code.charCodeAt(0) - 64) << 10) | ((code.charCodeAt(1) - 64) << 5) | (code.charCodeAt(2) - 64);
}

/** M(2, LE) ‖ ID(4, BCD LE) ‖ VER ‖ TYPE: the link-layer order (§1.3), also the IV prefix (§2.2, §2.5). */
export function encodeAddress(a: MeterAddress): Uint8Array {
  const m = packManufacturer(a.manufacturer);
  const out = new Uint8Array(8);
  out[0] = m & 0xff;
  out[1] = m >> 8;
  out.set(bcdIdBytes(a.id), 2);
  out[6] = checkU8('address.version', a.version);
  out[7] = checkU8('address.deviceType', a.deviceType);
  return out;
}
