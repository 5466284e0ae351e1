// Authentication and fragmentation layer, CI 90 (EN 13757-7 via protocols.md §2.3).

import type { Issue } from '../model/decoded.js';
import type { AesKey } from '../crypto/aes.js';
import { aesCmac } from '../crypto/cmac.js';

export interface AflHeader {
  /** AFLL: number of AFL bytes after the AFLL byte. */
  aflLength: number;
  /** Fragmentation control, LE uint16. */
  fragmentControl: number;
  fragmentId: number;
  moreFragments: boolean;
  /** Message control (when FCL 0x2000): bits 0..3 authentication type. */
  messageControl?: number;
  authenticationType?: number;
  keyInfo?: number;
  /** Message counter (when FCL 0x0800), used in the mode-7 key derivation. */
  messageCounter?: number;
  /** Position of the 4 counter bytes in the frame. */
  messageCounterAt?: number;
  /** MAC as transmitted, and where it sits. */
  mac?: Uint8Array;
  macAt?: number;
  messageLength?: number;
  /** Bytes from the CI to the first byte after the AFL. */
  length: number;
}

/** MAC length per authentication type: 3→2, 4→4, 5→8, 6→12, 7→16 (CMAC), 8→12 (GMAC). §2.3 */
export function macLength(at: number): number {
  switch (at) {
    case 3:
      return 2;
    case 4:
      return 4;
    case 5:
      return 8;
    case 6:
      return 12;
    case 7:
      return 16;
    case 8:
      return 12;
    default:
      return 0;
  }
}

/** Reads the AFL at `at` (the CI 90). Issues for a header that does not fit. */
export function readAfl(frame: Uint8Array, at: number, issues: Issue[]): AflHeader | null {
  if (at + 4 > frame.length) {
    issues.push({
      code: 'truncated',
      severity: 'error',
      offset: at,
      message: `AFL header needs at least 4 bytes at ${at}, frame ends at ${frame.length}`
    });
    return null;
  }
  const afll = frame[at + 1];
  const end = at + 2 + afll;
  if (end > frame.length) {
    issues.push({
      code: 'truncated',
      severity: 'error',
      offset: at + 1,
      message: `AFL length ${afll} runs past the end of the frame (${end} > ${frame.length})`
    });
    return null;
  }
  const fcl = frame[at + 2] | (frame[at + 3] << 8);
  const h: AflHeader = {
    aflLength: afll,
    fragmentControl: fcl,
    fragmentId: fcl & 0xff,
    moreFragments: (fcl & 0x4000) !== 0,
    length: 2 + afll
  };
  let p = at + 4;
  if (fcl & 0x2000) {
    const mcl = frame[p++];
    h.messageControl = mcl;
    h.authenticationType = mcl & 0x0f;
  }
  if (fcl & 0x0200) {
    h.keyInfo = frame[p] | (frame[p + 1] << 8);
    p += 2;
  }
  if (fcl & 0x0800) {
    h.messageCounterAt = p;
    h.messageCounter = (frame[p] | (frame[p + 1] << 8) | (frame[p + 2] << 16) | (frame[p + 3] << 24)) >>> 0;
    p += 4;
  }
  if (fcl & 0x0400) {
    const n = macLength(h.authenticationType ?? 0);
    h.macAt = p;
    h.mac = frame.subarray(p, p + n);
    p += n;
  }
  if (fcl & 0x1000) {
    h.messageLength = frame[p] | (frame[p + 1] << 8);
    p += 2;
  }
  if (p > end) {
    issues.push({
      code: 'bad-frame',
      severity: 'error',
      offset: at + 1,
      message: `AFL fields need ${p - at - 2} bytes, AFLL says ${afll}`
    });
    return null;
  }
  if (h.moreFragments || h.fragmentId > 1) {
    issues.push({
      code: 'bad-frame',
      severity: 'warning',
      offset: at + 2,
      message: `AFL fragment ${h.fragmentId}${h.moreFragments ? ', more fragments follow' : ''}: reassembly is not supported`
    });
  }
  return h;
}

/**
 * MAC check for security mode 7: AES-CMAC(K_mac, MCL ‖ MCR ‖ [ML] ‖ bytes from the TPL CI to
 * the end), truncated to the transmitted length. §2.3. Returns the computed MAC.
 */
export function computeAflMac(
  kMac: AesKey,
  frame: Uint8Array,
  aflAt: number,
  h: AflHeader,
  tplAt: number
): Uint8Array {
  const tail = frame.length - tplAt;
  const hasMl = h.messageLength !== undefined;
  const msg = new Uint8Array(1 + 4 + (hasMl ? 2 : 0) + tail);
  let p = 0;
  msg[p++] = h.messageControl ?? 0;
  const c = h.messageCounterAt ?? aflAt;
  msg.set(frame.subarray(c, c + 4), p);
  p += 4;
  if (hasMl) {
    msg[p++] = h.messageLength! & 0xff;
    msg[p++] = h.messageLength! >> 8;
  }
  msg.set(frame.subarray(tplAt), p);
  const mac = aesCmac(kMac, msg);
  return mac.subarray(0, h.mac ? h.mac.length : 16);
}
