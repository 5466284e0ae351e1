// IMST WMBus HCI (iM871A, iM170A): frame codec, both directions, pure (protocols.md §6.1).
// Parse what the stick sends; build what we send and, for the simulated receiver, what it sends.
//
//   A5 | CE | MID | LEN | PAYLOAD[LEN] | [TIMESTAMP 4, LE] | [RSSI 1] | [CRC16 2, LE]
//   CE high nibble: 0x2 timestamp, 0x4 RSSI, 0x8 CRC attached (0x1 reserved); low nibble: endpoint.
//   CRC-16/X-25 over CE … last byte before the CRC.

import { crc16X25 } from '$shared/bytes/crc';
import { toHex } from '$shared/bytes/hex';
import { frameAll, FramerStream, hex16, type FrameEvent, type FrameRules, type Scan } from './framing';

export const HCI_SOF = 0xa5;

export const HciEndpoint = { devMgmt: 0x1, radioLink: 0x2, radioLinkTest: 0x3, hwTest: 0x4 } as const;

/** Control bits, already shifted into the high nibble of CE. */
export const HciControl = { timestamp: 0x20, rssi: 0x40, crc: 0x80 } as const;

/** DEVMGMT message ids (request / response), wmbusmeters `src/wmbus_im871a.h` after IMST WMBus_HCI_Spec_V1_6. */
export const DevMgmtMsg = {
  pingReq: 0x01, pingRsp: 0x02,
  setConfigReq: 0x03, setConfigRsp: 0x04,
  getConfigReq: 0x05, getConfigRsp: 0x06,
  resetReq: 0x07, resetRsp: 0x08,
  factoryResetReq: 0x09, factoryResetRsp: 0x0a,
  getOpModeReq: 0x0b, getOpModeRsp: 0x0c,
  setOpModeReq: 0x0d, setOpModeRsp: 0x0e,
  deviceInfoReq: 0x0f, deviceInfoRsp: 0x10,
  systemStatusReq: 0x11, systemStatusRsp: 0x12,
  firmwareInfoReq: 0x13, firmwareInfoRsp: 0x14,
  getRtcReq: 0x19, getRtcRsp: 0x1a,
  setRtcReq: 0x1b, setRtcRsp: 0x1c,
  lowPowerReq: 0x1d, lowPowerRsp: 0x1e,
  aesDecryptionErrorInd: 0x27
} as const;

export const RadioLinkMsg = { dataReq: 0x01, dataRsp: 0x02, dataInd: 0x03, dataReq2: 0x04, dataRsp2: 0x05 } as const;

/** Link mode byte of set/get config (§6.1). wmbusmeters receives C1 with 0x07 and C1+T1 with 0x0A (firmware > 0x13). */
export const HciLinkMode = {
  S1: 0x00, S1m: 0x01, S2: 0x02, T1: 0x03, T2: 0x04, R2: 0x05,
  C1A: 0x06, C1B: 0x07, C2A: 0x08, C2B: 0x09, C1T1: 0x0a
} as const;

/** Highest message id we accept per endpoint while resynchronising (our heuristic, §6.1 "validate … message id range"). */
const MAX_MSG_ID: Record<number, number> = { 0x1: 0x3f, 0x2: 0x0f, 0x3: 0x0f, 0x4: 0x0f };

export interface HciFrame {
  endpoint: number;
  msgId: number;
  payload: Uint8Array;
  /** 32-bit device time (LE) when attached; the unit is the stick's RTC count (not in our sources). */
  timestamp: number | null;
  /** Raw RSSI byte when attached; see rssiRawToDbm. */
  rssiRaw: number | null;
  /** Received CRC when attached (it matched, or this would have been an error event). */
  crc: number | null;
  /** The whole frame from A5. */
  raw: Uint8Array;
}

export interface HciFrameInit {
  endpoint: number;
  msgId: number;
  payload?: Uint8Array;
  timestamp?: number;
  rssiRaw?: number;
  crc?: boolean;
}

function checkByte(name: string, v: number, min = 0, max = 0xff): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${name}: expected an integer ${min}..${max}, got ${v}`);
  }
}

/** Encode one HCI frame. Throws RangeError for values that do not fit their field. */
export function buildHciFrame(init: HciFrameInit): Uint8Array {
  const payload = init.payload ?? new Uint8Array(0);
  checkByte('endpoint', init.endpoint, 0, 0x0f);
  checkByte('msgId', init.msgId);
  checkByte('payload length', payload.length);
  if (init.rssiRaw !== undefined) checkByte('rssiRaw', init.rssiRaw);
  if (init.timestamp !== undefined && (!Number.isInteger(init.timestamp) || init.timestamp < 0 || init.timestamp > 0xffffffff)) {
    throw new RangeError(`timestamp: expected an integer 0..4294967295, got ${init.timestamp}`);
  }
  const hasTs = init.timestamp !== undefined;
  const hasRssi = init.rssiRaw !== undefined;
  const hasCrc = init.crc === true;
  const n = 4 + payload.length + (hasTs ? 4 : 0) + (hasRssi ? 1 : 0) + (hasCrc ? 2 : 0);
  const out = new Uint8Array(n);
  out[0] = HCI_SOF;
  out[1] = (hasTs ? HciControl.timestamp : 0) | (hasRssi ? HciControl.rssi : 0) | (hasCrc ? HciControl.crc : 0) | init.endpoint;
  out[2] = init.msgId;
  out[3] = payload.length;
  out.set(payload, 4);
  let at = 4 + payload.length;
  if (hasTs) {
    const t = init.timestamp!;
    out[at++] = t & 0xff;
    out[at++] = (t >>> 8) & 0xff;
    out[at++] = (t >>> 16) & 0xff;
    out[at++] = (t >>> 24) & 0xff;
  }
  if (hasRssi) out[at++] = init.rssiRaw!;
  if (hasCrc) {
    const crc = crc16X25(out, 1, at);
    out[at++] = crc & 0xff;
    out[at++] = crc >>> 8;
  }
  return out;
}

/** wmbusmeters' rough linear fit (`toDBM`): raw ≥ 230 → 0 dBm, else −100 + (raw − 45) / 2. */
export function rssiRawToDbm(raw: number): number {
  return raw >= 230 ? 0 : -100 + (raw - 45) * 0.5;
}

/** Inverse of rssiRawToDbm, rounded to the nearest half dB and clamped to the byte (0 dBm and above → 230). */
export function rssiDbmToRaw(dbm: number): number {
  if (!Number.isFinite(dbm)) throw new RangeError(`rssiDbm: expected a finite number, got ${dbm}`);
  if (dbm >= 0) return 230;
  return Math.min(229, Math.max(0, Math.round((dbm + 100) * 2 + 45)));
}

export interface RxIndicationInit {
  /** wM-Bus link-layer frame from L, block CRCs removed (L = length − 1). */
  telegram: Uint8Array;
  rssiDbm?: number;
  /** Written as the 32-bit timestamp field (mod 2^32). */
  timestampMs?: number;
  crc?: boolean;
}

/**
 * The frame a real iM871A sends for a received telegram (RADIOLINK 0x03): LEN is the L field and
 * the L byte itself is left out (§6.1). RSSI and timestamp are attached when given.
 */
export function buildRxIndication(init: RxIndicationInit): Uint8Array {
  const t = init.telegram;
  if (t.length < 2 || t[0] !== t.length - 1) {
    throw new RangeError(`telegram: expected L = length − 1 (CRC-free frame from L), got L ${t[0]} with ${t.length} bytes`);
  }
  return buildHciFrame({
    endpoint: HciEndpoint.radioLink,
    msgId: RadioLinkMsg.dataInd,
    payload: t.subarray(1),
    timestamp: init.timestampMs === undefined ? undefined : Math.floor(init.timestampMs) >>> 0,
    rssiRaw: init.rssiDbm === undefined ? undefined : rssiDbmToRaw(init.rssiDbm),
    crc: init.crc
  });
}

export interface RxIndication {
  /** wM-Bus frame from L (L restored from LEN), CRCs removed by the stick. */
  telegram: Uint8Array;
  rssiDbm: number | null;
  timestamp: number | null;
}

/** The telegram inside a RADIOLINK data indication, or null for any other frame. */
export function decodeRxIndication(f: HciFrame): RxIndication | null {
  if (f.endpoint !== HciEndpoint.radioLink || f.msgId !== RadioLinkMsg.dataInd || f.payload.length === 0) return null;
  const telegram = new Uint8Array(f.payload.length + 1);
  telegram[0] = f.payload.length;
  telegram.set(f.payload, 1);
  return { telegram, rssiDbm: f.rssiRaw === null ? null : rssiRawToDbm(f.rssiRaw), timestamp: f.timestamp };
}

export interface LinkModeConfig {
  linkMode: number;
  /** Attach RSSI to every indication (IIFLAG2 0x10). Default true. */
  rssi?: boolean;
  /** Attach the RX timestamp (IIFLAG2 0x20). Default false. */
  timestamp?: boolean;
  /** Also store in non-volatile memory. Default false (RAM only; flash wears). */
  store?: boolean;
}

/** DEVMGMT set config with link mode and the RSSI/timestamp attachment flags: `A5 01 03 06 00 02 07 30 01 00` for C1 (TV-13). */
export function buildSetLinkMode(c: LinkModeConfig): Uint8Array {
  checkByte('linkMode', c.linkMode);
  const payload = Uint8Array.of(c.store ? 1 : 0, 0x02, c.linkMode, 0x30, c.rssi === false ? 0 : 1, c.timestamp ? 1 : 0);
  return buildHciFrame({ endpoint: HciEndpoint.devMgmt, msgId: DevMgmtMsg.setConfigReq, payload });
}

/** A request without payload on DEVMGMT: ping `A5 01 01 00`, get config `A5 01 05 00`, device info `A5 01 0F 00`. */
export function buildDevMgmtRequest(msgId: number): Uint8Array {
  return buildHciFrame({ endpoint: HciEndpoint.devMgmt, msgId });
}

// --- parsing --------------------------------------------------------------------------------

function scanHci(v: Uint8Array): Scan<HciFrame> {
  // v[0] is A5 (sync). Reject a false start as soon as the bytes seen say so.
  if (v.length < 2) return { kind: 'more' };
  const ce = v[1]!;
  if (!plausibleCe(ce)) return { kind: 'no' };
  if (v.length < 3) return { kind: 'more' };
  if (!plausibleId(ce, v[2]!)) return { kind: 'no' };
  if (v.length < 4) return { kind: 'more' };
  const len = v[3]!;
  const hasTs = (ce & HciControl.timestamp) !== 0;
  const hasRssi = (ce & HciControl.rssi) !== 0;
  const hasCrc = (ce & HciControl.crc) !== 0;
  const total = 4 + len + (hasTs ? 4 : 0) + (hasRssi ? 1 : 0) + (hasCrc ? 2 : 0);
  if (v.length < total) return { kind: 'more' };
  let at = 4 + len;
  let crc: number | null = null;
  if (hasCrc) {
    const received = v[total - 2]! | (v[total - 1]! << 8);
    const computed = crc16X25(v, 1, total - 2);
    if (received !== computed) {
      return {
        kind: 'error',
        length: total,
        code: 'bad-crc',
        message: `iM871A HCI frame CRC ${hex16(received)}, computed ${hex16(computed)} (endpoint ${ce & 0x0f}, msg ${toHex(v, 2, 3)}, ${len} payload bytes)`
      };
    }
    crc = received;
  }
  const raw = v.slice(0, total);
  let timestamp: number | null = null;
  if (hasTs) {
    timestamp = (raw[at]! | (raw[at + 1]! << 8) | (raw[at + 2]! << 16) | (raw[at + 3]! << 24)) >>> 0;
    at += 4;
  }
  const rssiRaw = hasRssi ? raw[at]! : null;
  return {
    kind: 'frame',
    length: total,
    frame: { endpoint: ce & 0x0f, msgId: raw[2]!, payload: raw.subarray(4, 4 + len), timestamp, rssiRaw, crc, raw }
  };
}

function plausibleCe(ce: number): boolean {
  const ep = ce & 0x0f;
  return (ce & 0x10) === 0 && ep >= 1 && ep <= 4;
}

function plausibleId(ce: number, id: number): boolean {
  return id >= 1 && id <= MAX_MSG_ID[ce & 0x0f]!;
}

/** Resynchronise on A5, check endpoint, message id and length, then the CRC when flagged (§6.1). */
export const hciRules: FrameRules<HciFrame> = { sync: HCI_SOF, scan: scanHci };

export type HciEvent = FrameEvent<HciFrame>;

/** TransformStream: byte chunks → HCI frames, discarded bytes and CRC errors, with stream offsets. */
export class HciFramer extends FramerStream<HciFrame> {
  constructor() {
    super(hciRules);
  }
}

/** Every event in a complete capture. */
export function parseHciFrames(bytes: Uint8Array): HciEvent[] {
  return frameAll(hciRules, bytes);
}
