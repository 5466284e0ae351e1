// Amber AMB8465(-M) / Würth Metis-II receiver (protocols.md §6.3). 9600 8N1 by default.
//   FF | CMD | LEN | PAYLOAD[LEN] | CS      CS = XOR of every byte before it, FF included.
// Confirmations are CMD | 0x80. Received telegrams (command-output mode, user setting 0x05 = 1):
//   FF 03 LEN | C M M A … | [RSSI] | CS — the L byte is not sent (L = LEN − 1 with RSSI), block
// CRCs removed by the stick (crcs: 'absent'). RSSI: int8 / 2 − 74 dBm.

import { toHex } from '$shared/bytes/hex';
import { FramedReceiver, type RadioMode, type Receiver, type ReceiverOptions, type ReceiverProtocol } from './receiver';
import { frameAll, FramerStream, type FrameEvent, type FrameRules, type Scan } from './framing';
import type { Transport } from '../transport';

export const AMBER_STX = 0xff;

export const AmberCmd = {
  dataReq: 0x00, dataRetryReq: 0x02, dataInd: 0x03, setModeReq: 0x04, resetReq: 0x05, setChannelReq: 0x06,
  setReq: 0x09, getReq: 0x0a, serialNoReq: 0x0b, fwvReq: 0x0c, rssiReq: 0x0d, setUartSpeedReq: 0x10,
  factoryResetReq: 0x11, dataPreloadReq: 0x30, clrPreloadReq: 0x31, setAesKeyReq: 0x50, clrAesKeyReq: 0x51,
  getAesDevReq: 0x52
} as const;

/** Confirmation of a request: CMD | 0x80. */
export const amberConfirm = (cmd: number): number => cmd | 0x80;

const KNOWN = new Set<number>(Object.values(AmberCmd).flatMap((c) => [c, c | 0x80]));

/** Mode bytes for receiving meters (§6.3): C1 → 0E, T1 → 08, C1+T1 → 09. */
export const AMBER_MODE: Record<RadioMode, number> = { C1: 0x0e, T1: 0x08, C1T1: 0x09 };

/** User-setting positions (Würth SDK Metis.h) for GET/SET. */
export const AmberSetting = { cmdOutEnable: 0x05, aesEnable: 0x0b, txPower: 0x3d, rssiEnable: 0x45, modePreselect: 0x46 } as const;

export interface AmberFrame {
  cmd: number;
  payload: Uint8Array;
  raw: Uint8Array;
}

export function buildAmberCommand(cmd: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (!Number.isInteger(cmd) || cmd < 0 || cmd > 0xff) throw new RangeError(`cmd: expected 0..255, got ${cmd}`);
  if (payload.length > 0xff) throw new RangeError(`payload: expected at most 255 bytes, got ${payload.length}`);
  const out = new Uint8Array(payload.length + 4);
  out[0] = AMBER_STX;
  out[1] = cmd;
  out[2] = payload.length;
  out.set(payload, 3);
  out[out.length - 1] = xor(out, out.length - 1);
  return out;
}

/** What the stick sends for a received telegram (for the simulated receiver): L dropped, RSSI appended when given. */
export function buildAmberDataInd(telegram: Uint8Array, rssiDbm?: number): Uint8Array {
  if (telegram.length < 2 || telegram[0] !== telegram.length - 1) {
    throw new RangeError(`telegram: expected L = length − 1 (CRC-free frame from L), got L ${telegram[0]} with ${telegram.length} bytes`);
  }
  const body = telegram.subarray(1);
  if (rssiDbm === undefined) return buildAmberCommand(AmberCmd.dataInd, body);
  const raw = Math.max(-128, Math.min(127, Math.round((rssiDbm + 74) * 2)));
  return buildAmberCommand(AmberCmd.dataInd, Uint8Array.from([...body, raw & 0xff]));
}

export const amberRssiDbm = (raw: number): number => ((raw << 24) >> 24) / 2 - 74;

function xor(b: Uint8Array, end: number): number {
  let cs = 0;
  for (let i = 0; i < end; i++) cs ^= b[i]!;
  return cs;
}

function scanAmber(v: Uint8Array): Scan<AmberFrame> {
  if (v.length < 2) return { kind: 'more' };
  if (!KNOWN.has(v[1]!)) return { kind: 'no' };
  if (v.length < 3) return { kind: 'more' };
  const total = v[2]! + 4;
  if (v.length < total) return { kind: 'more' };
  const cs = xor(v, total - 1);
  if (cs !== v[total - 1]) {
    return {
      kind: 'error',
      length: total,
      code: 'bad-checksum',
      message: `Amber frame checksum ${toHex(v, total - 1, total)}, computed ${toHex(Uint8Array.of(cs))} (cmd ${toHex(v, 1, 2)}, ${v[2]} payload bytes)`
    };
  }
  const raw = v.slice(0, total);
  return { kind: 'frame', length: total, frame: { cmd: raw[1]!, payload: raw.subarray(3, total - 1), raw } };
}

export const amberRules: FrameRules<AmberFrame> = { sync: AMBER_STX, scan: scanAmber };

export class AmberFramer extends FramerStream<AmberFrame> {
  constructor() {
    super(amberRules);
  }
}

export function parseAmberFrames(bytes: Uint8Array): FrameEvent<AmberFrame>[] {
  return frameAll(amberRules, bytes);
}

export interface AmberOptions {
  /** Whether user setting 0x45 (RSSI_Enable) is on, so each DATA_IND ends with an RSSI byte. Default true. */
  rssi?: boolean;
}

/** The receiver never writes the stick's flash by itself: RSSI and command output are set once with setup tools (FF 09 …). */
export function amberProtocol(o: AmberOptions = {}): ReceiverProtocol<AmberFrame> {
  const rssi = o.rssi !== false;
  return {
    name: 'AMB8465',
    modes: ['C1', 'T1', 'C1T1'],
    framer: () => new AmberFramer(),
    setup: () => [
      { what: 'serial number', bytes: buildAmberCommand(AmberCmd.serialNoReq), isAnswer: (f) => f.cmd === amberConfirm(AmberCmd.serialNoReq) }
    ],
    setMode: (mode) => [
      {
        what: `set mode ${mode}`,
        bytes: buildAmberCommand(AmberCmd.setModeReq, Uint8Array.of(AMBER_MODE[mode])),
        isAnswer: (f) => f.cmd === amberConfirm(AmberCmd.setModeReq)
      }
    ],
    telegram(f) {
      if (f.cmd !== AmberCmd.dataInd) return null;
      const n = rssi ? f.payload.length - 1 : f.payload.length;
      if (n < 1) return null;
      const bytes = new Uint8Array(n + 1);
      bytes[0] = n;
      bytes.set(f.payload.subarray(0, n), 1);
      return { bytes, crcs: 'absent', rssiDbm: rssi ? amberRssiDbm(f.payload[n]!) : null };
    }
  };
}

export function amb8465Receiver(transport: Transport, options?: ReceiverOptions & AmberOptions): Receiver {
  return new FramedReceiver(transport, amberProtocol(options), options);
}
