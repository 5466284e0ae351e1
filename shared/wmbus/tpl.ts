// Transport layer (EN 13757-3/-7 via protocols.md §2.1, §2.4, §2.5): the CI, the short and
// long headers, the configuration word and security modes 0, 5 and 7.

import type { Issue } from '../model/decoded.js';
import type { MeterAddress } from '../model/address.js';
import type { AesKey } from '../crypto/aes.js';
import { aesCbcDecryptInto } from '../crypto/aes.js';
import { deriveMode7Keys } from '../crypto/kdf.js';
import { bcdIdString } from '../bytes/bcd.js';
import { manufacturerName } from './dll.js';
import type { AflHeader } from './afl.js';
import { computeAflMac } from './afl.js';
import { meterName } from './ell.js';
import { openDiehlRealData } from './diehl.js';

export type TplHeaderKind = 'none' | 'short' | 'long';

/** What follows the TPL header, by CI. §2.1 */
export type TplContent =
  | 'records'
  | 'compact'
  | 'format'
  | 'application-error'
  | 'alarm'
  | 'dlms'
  | 'manufacturer';

export interface TplHeader {
  ci: number;
  kind: TplHeaderKind;
  content: TplContent;
  /** Long header only: the meter behind a repeater or radio converter. */
  address?: MeterAddress;
  accessNumber?: number;
  status?: number;
  /** Configuration word, LE uint16 (short and long headers). §2.4 */
  config?: number;
  /** Mode 7: the byte after the configuration word. */
  configExt?: number;
  /** Bits 12..8 of the configuration word; 0 without a header. */
  securityMode: number;
  /** Mode 5/7: bits 7..4 of the configuration word, number of encrypted 16-byte blocks. */
  encryptedBlocks?: number;
  /** Bytes from the CI to the first byte after the header. */
  length: number;
}

// Per CI: header kind and content; -1 for a CI that is not a TPL. §2.1
const NONE = 0;
const SHORT = 1;
const LONG = 2;
const KIND_NAMES: TplHeaderKind[] = ['none', 'short', 'long'];

function ciShape(ci: number): [number, TplContent] | null {
  switch (ci) {
    case 0x78:
      return [NONE, 'records'];
    case 0x7a:
      return [SHORT, 'records'];
    case 0x72:
      return [LONG, 'records'];
    case 0x79:
      return [NONE, 'compact'];
    case 0x7b:
      return [SHORT, 'compact'];
    case 0x73:
      return [LONG, 'compact'];
    case 0x69:
      return [NONE, 'format'];
    case 0x6a:
      return [SHORT, 'format'];
    case 0x6b:
      return [LONG, 'format'];
    case 0x70:
      return [NONE, 'application-error'];
    case 0x6e:
      return [SHORT, 'application-error'];
    case 0x6f:
      return [LONG, 'application-error'];
    case 0x74:
      return [SHORT, 'alarm'];
    case 0x75:
      return [LONG, 'alarm'];
    case 0x7c:
      return [LONG, 'dlms'];
    case 0x7d:
      return [SHORT, 'dlms'];
    default:
      if (ci >= 0xa0 && ci <= 0xb7) return [NONE, 'manufacturer'];
      return null;
  }
}

/** Name of a CI for messages and byte maps. §2.1 */
export function ciName(ci: number): string {
  if (ci >= 0x8c && ci <= 0x8f) return `ELL ${['I', 'II', 'III', 'IV'][ci - 0x8c]}`;
  if (ci === 0x90) return 'AFL';
  const s = ciShape(ci);
  if (s === null) return 'unknown';
  const head = ['no', 'short', 'long'][s[0]];
  return s[1] === 'manufacturer' ? 'manufacturer specific' : `${s[1]}, ${head} header`;
}

const HEX = '0123456789ABCDEF';
function hex2(n: number): string {
  return HEX[(n >> 4) & 15] + HEX[n & 15];
}

/** Reads the TPL header at `at` (the CI). An unknown CI gives an 'unknown-ci' issue and null. */
export function readTpl(frame: Uint8Array, at: number, issues: Issue[]): TplHeader | null {
  const ci = frame[at];
  const shape = ciShape(ci);
  if (shape === null) {
    issues.push({
      code: 'unknown-ci',
      severity: 'error',
      offset: at,
      message: `CI ${hex2(ci)} at ${at} is not a known transport layer`,
      hint: 'see protocols.md §2.1 for the CI values read here'
    });
    return null;
  }
  const kind = shape[0];
  // Every member present (undefined when the header lacks it): one object shape for all headers.
  const h: TplHeader = {
    ci,
    kind: KIND_NAMES[kind],
    content: shape[1],
    securityMode: 0,
    length: 1,
    address: undefined,
    accessNumber: undefined,
    status: undefined,
    config: undefined,
    encryptedBlocks: undefined,
    configExt: undefined
  };
  if (kind === NONE) return h;
  let p = at + 1;
  const need = kind === LONG ? 12 : 4;
  if (p + need > frame.length) {
    issues.push({
      code: 'truncated',
      severity: 'error',
      offset: p,
      message: `${KIND_NAMES[kind]} transport header needs ${need} bytes at ${p}, frame ends at ${frame.length}`
    });
    return null;
  }
  if (kind === LONG) {
    // Long header: ID(4) M(2) VER TYPE, the id first (unlike the DLL). §2.4
    h.address = {
      manufacturer: manufacturerName(frame[p + 4] | (frame[p + 5] << 8)),
      id: bcdIdString(frame, p),
      version: frame[p + 6],
      deviceType: frame[p + 7]
    };
    p += 8;
  }
  h.accessNumber = frame[p];
  h.status = frame[p + 1];
  const cfg = frame[p + 2] | (frame[p + 3] << 8);
  h.config = cfg;
  p += 4;
  const mode = (cfg >> 8) & 0x1f;
  h.securityMode = mode;
  if (mode === 5 || mode === 7) h.encryptedBlocks = (cfg >> 4) & 0x0f;
  if (mode === 7) {
    if (p >= frame.length) {
      issues.push({
        code: 'truncated',
        severity: 'error',
        offset: p,
        message: `security mode 7 needs a configuration extension byte at ${p}, frame ends at ${frame.length}`
      });
      return null;
    }
    h.configExt = frame[p++];
  }
  h.length = p - at;
  return h;
}

/** Names of the security modes of §2.5, for messages. */
export function securityModeName(mode: number): string {
  switch (mode) {
    case 0:
      return 'none';
    case 2:
    case 3:
      return 'DES (deprecated)';
    case 5:
      return 'AES-128-CBC with IV';
    case 7:
      return 'AES-128-CBC, IV 0, KDF';
    case 8:
      return 'AES-128-CTR + CMAC';
    case 9:
      return 'AES-128-GCM';
    case 10:
      return 'AES-128-CCM';
    case 13:
      return 'TLS';
    default:
      return mode >= 16 ? 'manufacturer specific' : 'reserved';
  }
}

export type TplOpenState =
  | 'plain'
  | 'decrypted'
  | 'plain-upstream'
  | 'no-key'
  | 'wrong-key'
  | 'bad-mac'
  | 'unsupported'
  | 'truncated';

export interface TplKeys {
  /** Key found for the long-header meter, else the DLL meter. */
  key: AesKey | undefined;
  /** The meter the key was looked up for (long header, else DLL), for messages. */
  meter: MeterAddress;
  /** Where the 4 id bytes used in the mode 5 IV and the mode 7 KDF sit in `frame`; M at mAt. */
  idAt: number;
  mAt: number;
  /** Version and type bytes of that meter. */
  verAt: number;
}

export interface TplOpenResult {
  state: TplOpenState;
  /** The frame with plaintext at the encrypted positions (the input when nothing was decrypted). */
  buffer: Uint8Array;
}

const FILLER = 0x2f;

/**
 * Decrypts the bytes after the header as the security mode says. `frame` is CRC-free; `at` the
 * TPL CI; `afl` the AFL (with its position) for mode 7. Decrypted bytes land in a copy of the
 * frame at the same positions.
 */
export function openTpl(
  frame: Uint8Array,
  at: number,
  h: TplHeader,
  keys: TplKeys,
  afl: { h: AflHeader; at: number } | undefined,
  issues: Issue[]
): TplOpenResult {
  const mode = h.securityMode;
  if (mode === 0) return { state: 'plain', buffer: frame };
  const start = at + h.length;
  const end = frame.length;
  if (mode >= 16 && at === 10) {
    // Diehl group "real data" (modes 16–31): an LFSR key stream, not AES (diehl.ts).
    const r = openDiehlRealData(frame);
    if (r !== null && r.state !== 'wrong-key') return r;
    if (r !== null) {
      issues.push({
        code: 'wrong-key',
        severity: 'error',
        offset: start,
        message: `Diehl real data (security mode ${mode}): neither a default key nor the plaintext gives the check byte ${hex2(frame[14]! & 0xef)}`
      });
      return { state: 'wrong-key', buffer: frame };
    }
  }
  if (mode !== 5 && mode !== 7) {
    issues.push({
      code: 'unsupported-security',
      severity: 'error',
      offset: at + h.length - 1,
      message: `security mode ${mode} (${securityModeName(mode)}) in configuration word ${hex2(h.config! >> 8)}${hex2(h.config! & 0xff)} is not supported; modes 0, 5 and 7 are`
    });
    return { state: 'unsupported', buffer: frame };
  }
  let blocks = h.encryptedBlocks ?? 0;
  const n = blocks * 16;
  const startsPlain = start + 1 < end && frame[start] === FILLER && frame[start + 1] === FILLER;
  if (start + n > end) {
    issues.push({
      code: 'truncated',
      severity: 'error',
      offset: end,
      message: `security mode ${mode} announces ${blocks} encrypted blocks (${n} bytes) at ${start}, only ${end - start} bytes follow`
    });
    return { state: 'truncated', buffer: frame };
  }
  if (blocks === 0) return { state: startsPlain ? 'plain-upstream' : 'plain', buffer: frame };
  const key = keys.key;
  if (key === undefined) {
    // Decrypted upstream (gateway logs): the check bytes are already plaintext. §2.5
    if (startsPlain) return { state: 'plain-upstream', buffer: frame };
    issues.push({
      code: 'no-key',
      severity: 'error',
      offset: start,
      message: `${n} bytes encrypted with security mode ${mode} and no key is known for meter ${meterName(keys.meter)}`,
      hint: `add the AES key of meter ${meterName(keys.meter)}`
    });
    return { state: 'no-key', buffer: frame };
  }
  let encKey: AesKey = key;
  const iv = new Uint8Array(16);
  let macOk = true;
  let macMessage = '';
  if (mode === 5) {
    // IV = M(2) ‖ A(6) ‖ ACC × 8, from the long header when there is one. §2.5
    iv[0] = frame[keys.mAt];
    iv[1] = frame[keys.mAt + 1];
    for (let i = 0; i < 4; i++) iv[2 + i] = frame[keys.idAt + i];
    iv[6] = frame[keys.verAt];
    iv[7] = frame[keys.verAt + 1];
    iv.fill(h.accessNumber!, 8);
  } else {
    const kdf = ((h.configExt ?? 0) >> 4) & 0x03;
    if (kdf !== 1) {
      issues.push({
        code: 'unsupported-security',
        severity: 'error',
        offset: at + h.length - 1,
        message: `security mode 7 with key derivation ${kdf} (configuration extension ${hex2(h.configExt ?? 0)}) is not supported; only KDF 1 (AES-CMAC) is`
      });
      return { state: 'unsupported', buffer: frame };
    }
    if (afl === undefined || afl.h.messageCounter === undefined) {
      issues.push({
        code: 'bad-frame',
        severity: 'error',
        offset: at,
        message: 'security mode 7 needs the AFL message counter (CI 90 with FCL 0x0800) before the TPL; none found'
      });
      return { state: 'unsupported', buffer: frame };
    }
    const derived = deriveMode7Keys(key, afl.h.messageCounter, frame.subarray(keys.idAt, keys.idAt + 4));
    encKey = derived.enc;
    if (afl.h.mac !== undefined && afl.h.mac.length > 0) {
      const mac = computeAflMac(derived.mac, frame, afl.at, afl.h, at);
      macOk = equalBytes(mac, afl.h.mac);
      if (!macOk) macMessage = `AFL MAC ${hexOf(afl.h.mac)}, computed ${hexOf(mac)}`;
    }
  }
  const buffer = new Uint8Array(frame); // a copy, also of a Node Buffer (whose slice() shares memory)
  aesCbcDecryptInto(encKey, iv, frame, start, buffer, start, n);
  if (buffer[start] === FILLER && buffer[start + 1] === FILLER) {
    if (!macOk) {
      issues.push({
        code: 'bad-mac',
        severity: 'error',
        offset: afl!.h.macAt,
        message: `${macMessage}: the key decrypts, so the telegram was altered`
      });
      return { state: 'bad-mac', buffer };
    }
    return { state: 'decrypted', buffer };
  }
  if (startsPlain && macOk) {
    // Decrypted upstream although a key is known; the key was not needed.
    return { state: 'plain-upstream', buffer: frame };
  }
  const why = macOk
    ? `decrypted data starts ${hex2(buffer[start])}${hex2(buffer[start + 1])}, expected 2F2F`
    : `${macMessage}, and decrypted data starts ${hex2(buffer[start])}${hex2(buffer[start + 1])}, expected 2F2F`;
  issues.push({
    code: 'wrong-key',
    severity: 'error',
    offset: start,
    message: `security mode ${mode}: ${why}: wrong key`,
    hint: `check the AES key for meter ${meterName(keys.meter)}`
  });
  return { state: 'wrong-key', buffer: frame };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hexOf(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += hex2(b[i]);
  return s.toLowerCase();
}
