// IMST iU891A with WMBUSGW firmware (protocols.md §6.2). 115200 8N1.
// SLIP framing (C0 ends a frame; DB DC = C0, DB DD = DB inside), then
//   SAP | MID | [STATUS, responses only] | PAYLOAD | CRC-16/X-25 (LE) over SAP … PAYLOAD.
// RX indication SAP 09 MID 20: 7 bytes metadata, RSSI as signed dBm, wM-Bus frame from L with
// CRCs removed (crcs: 'absent'). TV-12 is a real one.

import { crc16X25 } from '$shared/bytes/crc';
import { FramedReceiver, type RadioMode, type Receiver, type ReceiverOptions, type ReceiverProtocol } from './receiver';
import { frameAll, FramerStream, hex16, type FrameEvent, type FrameRules, type Scan } from './framing';
import type { Transport } from '../transport';

const END = 0xc0;
const ESC = 0xdb;
const ESC_END = 0xdc;
const ESC_ESC = 0xdd;

export const Iu891aSap = { devMgmt: 0x01, wmbusGateway: 0x09 } as const;
export const Iu891aMsg = { pingReq: 0x01, pingRsp: 0x02, setConfigReq: 0x03, setConfigRsp: 0x04, rxIndication: 0x20, scanIndication: 0x24 } as const;

/** Link mode byte of the active configuration: C → 05, T → 02, C+T → 03. */
export const IU891A_MODE: Record<RadioMode, number> = { C1: 0x05, T1: 0x02, C1T1: 0x03 };

/** Longest escaped frame we wait for before calling it noise. */
export const IU891A_MAX_FRAME = 1024;

export interface Iu891aFrame {
  sap: number;
  msgId: number;
  /** Responses carry a status byte (0 = ok); indications and requests do not. */
  status: number | null;
  payload: Uint8Array;
  /** The SLIP-escaped bytes as received, up to and including the END that closed the frame. */
  raw: Uint8Array;
}

function hasStatus(sap: number, msgId: number): boolean {
  const indication = sap === Iu891aSap.wmbusGateway && (msgId === 0x20 || msgId === 0x24);
  return !indication && msgId % 2 === 0;
}

export function slipEncode(body: Uint8Array): Uint8Array {
  const out: number[] = [END];
  for (const b of body) {
    if (b === END) out.push(ESC, ESC_END);
    else if (b === ESC) out.push(ESC, ESC_ESC);
    else out.push(b);
  }
  out.push(END);
  return Uint8Array.from(out);
}

/** Unescape one SLIP body; null on a bad escape. */
export function slipDecode(body: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(body.length);
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const b = body[i]!;
    if (b !== ESC) out[n++] = b;
    else if (body[i + 1] === ESC_END) (out[n++] = END), i++;
    else if (body[i + 1] === ESC_ESC) (out[n++] = ESC), i++;
    else return null;
  }
  return out.slice(0, n);
}

/** SAP MID [STATUS] PAYLOAD + CRC, SLIP-encoded with END on both sides. */
export function buildIu891aFrame(sap: number, msgId: number, payload: Uint8Array, status?: number): Uint8Array {
  const head = status === undefined ? [sap, msgId] : [sap, msgId, status];
  const body = new Uint8Array(head.length + payload.length + 2);
  body.set(head, 0);
  body.set(payload, head.length);
  const crc = crc16X25(body, 0, body.length - 2);
  body[body.length - 2] = crc & 0xff;
  body[body.length - 1] = crc >>> 8;
  return slipEncode(body);
}

/** What the stick sends for a received telegram. `metadata` (7 bytes, meaning partly unknown, §11.6) defaults to zeros. */
export function buildIu891aRxIndication(o: { telegram: Uint8Array; rssiDbm: number; metadata?: Uint8Array }): Uint8Array {
  const t = o.telegram;
  if (t.length < 2 || t[0] !== t.length - 1) {
    throw new RangeError(`telegram: expected L = length − 1 (CRC-free frame from L), got L ${t[0]} with ${t.length} bytes`);
  }
  const meta = o.metadata ?? new Uint8Array(7);
  if (meta.length !== 7) throw new RangeError(`metadata: expected 7 bytes, got ${meta.length}`);
  const rssi = Math.max(-128, Math.min(127, Math.round(o.rssiDbm))) & 0xff;
  return buildIu891aFrame(Iu891aSap.wmbusGateway, Iu891aMsg.rxIndication, Uint8Array.from([...meta, rssi, ...t]));
}

function scanSlip(v: Uint8Array): Scan<Iu891aFrame> {
  if (v[0] === END) return { kind: 'skip', length: 1 }; // end of an empty frame (the leading delimiter)
  const end = v.indexOf(END);
  if (end < 0) return v.length > IU891A_MAX_FRAME ? { kind: 'no' } : { kind: 'more' };
  if (end > IU891A_MAX_FRAME) return { kind: 'no' };
  const length = end + 1;
  const body = slipDecode(v.subarray(0, end));
  if (!body || body.length < 4) {
    return { kind: 'error', length, code: 'bad-frame', message: `iU891A SLIP frame of ${end} bytes: ${body ? 'shorter than SAP MID CRC' : 'bad escape'}` };
  }
  const received = body[body.length - 2]! | (body[body.length - 1]! << 8);
  const computed = crc16X25(body, 0, body.length - 2);
  if (received !== computed) {
    return { kind: 'error', length, code: 'bad-crc', message: `iU891A frame CRC ${hex16(received)}, computed ${hex16(computed)} (${body.length} bytes unescaped)` };
  }
  const sap = body[0]!;
  const msgId = body[1]!;
  const st = hasStatus(sap, msgId);
  const raw = v.slice(0, length);
  return {
    kind: 'frame',
    length,
    frame: { sap, msgId, status: st ? body[2]! : null, payload: body.subarray(st ? 3 : 2, body.length - 2), raw }
  };
}

/** A frame is everything up to END; a stream joined mid-frame gives one bad-crc event, then frames. */
export const iu891aRules: FrameRules<Iu891aFrame> = { scan: scanSlip };

export class Iu891aFramer extends FramerStream<Iu891aFrame> {
  constructor() {
    super(iu891aRules);
  }
}

export function parseIu891aFrames(bytes: Uint8Array): FrameEvent<Iu891aFrame>[] {
  return frameAll(iu891aRules, bytes);
}

/** The telegram in an RX indication: metadata, RSSI (signed dBm), frame from L. */
export function decodeIu891aRx(f: Iu891aFrame): { telegram: Uint8Array; rssiDbm: number; metadata: Uint8Array } | null {
  if (f.sap !== Iu891aSap.wmbusGateway || f.msgId !== Iu891aMsg.rxIndication || f.payload.length < 10) return null;
  return { metadata: f.payload.subarray(0, 7), rssiDbm: (f.payload[7]! << 24) >> 24, telegram: f.payload.subarray(8) };
}

/** Active configuration (11 bytes): link mode; options bit1+bit2 (indicate received and sent, not only listed devices),
 *  as wmbusmeters sets them; UI options, LED flash and recalibration 0 (our choice [?], §6.2). */
export function buildIu891aSetMode(mode: RadioMode): Uint8Array {
  const cfg = Uint8Array.of(IU891A_MODE[mode], 0x06, 0x00, 0, 0, 0, 0, 0, 0, 0, 0);
  return buildIu891aFrame(Iu891aSap.wmbusGateway, Iu891aMsg.setConfigReq, cfg);
}

export const iu891aProtocol: ReceiverProtocol<Iu891aFrame> = {
  name: 'iU891A',
  modes: ['C1', 'T1', 'C1T1'],
  framer: () => new Iu891aFramer(),
  setup: () => [
    {
      what: 'ping',
      bytes: buildIu891aFrame(Iu891aSap.devMgmt, Iu891aMsg.pingReq, new Uint8Array(0)),
      isAnswer: (f) => f.sap === Iu891aSap.devMgmt && f.msgId === Iu891aMsg.pingRsp
    }
  ],
  setMode: (mode) => [
    {
      what: `set active configuration ${mode}`,
      bytes: buildIu891aSetMode(mode),
      isAnswer: (f) => f.sap === Iu891aSap.wmbusGateway && f.msgId === Iu891aMsg.setConfigRsp
    }
  ],
  telegram(f) {
    const rx = decodeIu891aRx(f);
    return rx && { bytes: rx.telegram.slice(), crcs: 'absent', rssiDbm: rx.rssiDbm };
  }
};

export function iu891aReceiver(transport: Transport, options?: ReceiverOptions): Receiver {
  return new FramedReceiver(transport, iu891aProtocol, options);
}
