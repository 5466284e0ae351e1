// CUL / nanoCUL with culfw (protocols.md §6.4). 38400 8N1, ASCII lines ending CR LF.
//   b<hex…><LQI><RSSI>    frame format A, link-layer CRCs still included
//   bY<hex…><LQI><RSSI>   frame format B
// Telegrams keep their block CRCs (crcs: 'present'); the decoder strips them (shared/wmbus/dll.ts).
// One mode at a time: brc (C) or brt (T). RSSI dBm = int8 / 2 − 74; LQI = byte >> 1.

import { tryFromHex } from '$shared/bytes/hex';
import { FramedReceiver, type RadioMode, type Receiver, type ReceiverOptions, type ReceiverProtocol } from './receiver';
import { frameAll, FramerStream, type FrameEvent, type FrameRules, type Scan } from './framing';
import type { Transport } from '../transport';

export type CulFrame =
  | { kind: 'telegram'; format: 'A' | 'B'; bytes: Uint8Array; lqi: number; rssiDbm: number; raw: Uint8Array }
  | { kind: 'text'; text: string; raw: Uint8Array };

/** Longest line we wait for: 2 × 255 hex digits + prefix + LQI/RSSI + CR LF, with room to spare. */
export const CUL_MAX_LINE = 600;

const LF = 0x0a;
const CR = 0x0d;

function scanCul(v: Uint8Array): Scan<CulFrame> {
  const end = v.indexOf(LF);
  if (end < 0) return v.length > CUL_MAX_LINE ? { kind: 'no' } : { kind: 'more' };
  if (end > CUL_MAX_LINE) return { kind: 'no' };
  let textEnd = end;
  while (textEnd > 0 && v[textEnd - 1] === CR) textEnd--;
  if (textEnd === 0) return { kind: 'skip', length: end + 1 };
  const raw = v.slice(0, end + 1);
  let text = '';
  for (let i = 0; i < textEnd; i++) {
    const c = v[i]!;
    if (c < 0x20 || c > 0x7e) return { kind: 'no' }; // not a culfw line: treat as noise
    text += String.fromCharCode(c);
  }
  if (text[0] !== 'b') return { kind: 'frame', length: end + 1, frame: { kind: 'text', text, raw } };
  const format = text[1] === 'Y' ? 'B' : 'A';
  const digits = text.slice(format === 'B' ? 2 : 1);
  const bytes = digits.length % 2 === 0 ? tryFromHex(digits) : null;
  if (!bytes || bytes.length < 3) {
    return {
      kind: 'error',
      length: end + 1,
      code: 'bad-frame',
      message: `CUL telegram line with ${digits.length} hex digits${digits.length % 2 ? ' (odd: nanoCUL truncated a long telegram)' : ', not valid hex'}`
    };
  }
  const n = bytes.length - 2;
  return {
    kind: 'frame',
    length: end + 1,
    frame: {
      kind: 'telegram',
      format,
      bytes: bytes.slice(0, n),
      lqi: bytes[n]! >> 1,
      rssiDbm: ((bytes[n + 1]! << 24) >> 24) / 2 - 74,
      raw
    }
  };
}

export const culRules: FrameRules<CulFrame> = { scan: scanCul };

export class CulFramer extends FramerStream<CulFrame> {
  constructor() {
    super(culRules);
  }
}

export function parseCulLines(bytes: Uint8Array): FrameEvent<CulFrame>[] {
  return frameAll(culRules, bytes);
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const textIs = (test: (t: string) => boolean) => (f: CulFrame) => f.kind === 'text' && test(f.text);

export const CUL_MODE: Record<'C1' | 'T1', { send: string; reply: string }> = {
  C1: { send: 'brc', reply: 'CMODE' },
  T1: { send: 'brt', reply: 'TMODE' }
};

export const culProtocol: ReceiverProtocol<CulFrame> = {
  name: 'CUL',
  modes: ['C1', 'T1'],
  framer: () => new CulFramer(),
  setup: () => [
    { what: 'version (V)', bytes: ascii('V\r\n'), isAnswer: textIs((t) => t.includes('CUL')) },
    { what: 'report LQI and RSSI (X21)', bytes: ascii('X21\r\n') }
  ],
  setMode: (mode: RadioMode) => {
    const m = CUL_MODE[mode as 'C1' | 'T1'];
    return [{ what: `${m.send} (${mode})`, bytes: ascii(`${m.send}\r\n`), isAnswer: textIs((t) => t.includes(m.reply)) }];
  },
  telegram: (f) => (f.kind === 'telegram' ? { bytes: f.bytes, crcs: 'present', rssiDbm: f.rssiDbm } : null)
};

export function culReceiver(transport: Transport, options?: ReceiverOptions): Receiver {
  return new FramedReceiver(transport, culProtocol, options);
}
