// A wireless M-Bus telegram, layer by layer: DLL (CRC blocks, address) → ELL → AFL → TPL
// (security) → EN 13757-3 records or a Kamstrup compact data area. protocols.md §1, §2, §4.2.

import type { Decoded, Issue, Span } from '../model/decoded.js';
import type { MeterAddress } from '../model/address.js';
import type { DataRecord } from '../model/record.js';
import type { AesKey } from '../crypto/aes.js';
import { decodeRecords } from '../mbus/records.js';
import type { ManufacturerData } from '../mbus/records.js';
import { stripCrcs, rawOffset, manufacturerName, deviceTypeName, controlName } from './dll.js';
import type { CrcPresence, FrameFormat } from './dll.js';
import { readEll, openEll, meterName } from './ell.js';
import type { EllHeader } from './ell.js';
import { readAfl } from './afl.js';
import type { AflHeader } from './afl.js';
import { readTpl, openTpl, ciName, securityModeName } from './tpl.js';
import type { TplHeader, TplKeys } from './tpl.js';
import { CompactFormatTable, expandCompact } from './compact.js';
import type { CompactExpansion } from './compact.js';
import type { KeyRing } from './keyring.js';
import { openPrios } from './diehl.js';

export type SecurityState = 'plain' | 'decrypted' | 'decrypted-upstream' | 'encrypted';

export interface Security {
  /** Where the encryption sits: none, the ELL (AES-128-CTR, §2.2) or the TPL (mode, §2.5). */
  layer: 'none' | 'ell' | 'tpl';
  /** TPL security mode (configuration word bits 12..8); 0 for none and for ELL. */
  mode: number;
  /** 'decrypted-upstream': marked encrypted, but the bytes were already plaintext (gateway logs). */
  state: SecurityState;
}

export interface Telegram {
  /** The link-layer address (M and A fields of the DLL), also when a long TPL header follows. */
  address: MeterAddress;
  /** C field. */
  control: number;
  /** Link-layer CRCs found: format A or B (removed), or none. */
  frameFormat: FrameFormat;
  ell?: EllHeader;
  afl?: AflHeader;
  tpl?: TplHeader;
  /** Compact frames: the format signature and full-frame CRC (§4.2). */
  compact?: { signature: number; fullFrameCrc: number };
  /** Access number of the TPL header, else of the ELL; null when neither is present. */
  accessNumber: number | null;
  /** Status byte of the TPL header; null without one. */
  status: number | null;
  security: Security;
  records: DataRecord[];
  manufacturerData?: ManufacturerData;
}

export interface DecodeTelegramOptions {
  /** Per-meter AES keys. */
  keys?: KeyRing;
  /**
   * A key for this telegram, whatever meter it names (a caller that got the key together with
   * the bytes). Tried before `keys`.
   */
  key?: AesKey;
  /** Known compact formats; full frames teach it theirs. Without one, the §4.2 formats are used. */
  formats?: CompactFormatTable;
  /** Link-layer CRC blocks: detect (default), required, or already removed. */
  crcs?: CrcPresence;
  /**
   * Build the byte map (spans) for a hex inspector. Off by default: it costs about a quarter of
   * the decode time (measured, bench/wmbus.mjs), and bulk decoding does not need it.
   */
  explain?: boolean;
  /**
   * Meters whose application data is a manufacturer's own layout, not records (a driver says
   * so): their data after the 2F fillers is returned as `manufacturerData` and not walked.
   */
  proprietaryPayload?: (meter: MeterAddress) => boolean;
}

let seeded: CompactFormatTable | undefined;
/** The §4.2 formats, read-only, for callers that pass no table (constant data, not a cache). */
function seedTable(): CompactFormatTable {
  return (seeded ??= new CompactFormatTable());
}

const HEX = '0123456789ABCDEF';
function hex2(n: number): string {
  return HEX[(n >> 4) & 15] + HEX[n & 15];
}
function hex4(n: number): string {
  return hex2(n >> 8) + hex2(n & 0xff);
}

const NO_SECURITY: Security = { layer: 'none', mode: 0, state: 'plain' };

/**
 * Decodes a wireless M-Bus telegram from its L field. Never throws on bad bytes: the result
 * holds the raw bytes, what could be read (without a key at least the link header, so the
 * caller can ask for that meter's key), issues with numbers, and a byte map.
 */
export function decodeTelegram(bytes: Uint8Array, opts: DecodeTelegramOptions = {}): Decoded<Telegram> {
  const crcs = opts.crcs ?? 'auto';
  const r = decodeLayers(bytes, opts, crcs);
  // Format B and a CRC-free frame both have L = length − 1; a CRC-free frame whose last two bytes
  // happen to be the CRC of the rest (1 in 65,536) looks like format B. When that reading fails,
  // the CRC-free one decides (§1.2, §1.7).
  // Likewise a CRC-free frame whose bytes 10..11 happen to be the CRC of bytes 0..9 looks like
  // a format-A frame cut short; that reading is kept only when it decodes without any issue.
  if (!r.ok && crcs === 'auto' && r.partial.frameFormat !== 'none') {
    const plain = decodeLayers(bytes, opts, 'absent');
    if (plain.ok && (r.partial.frameFormat === 'B' || plain.issues.length === 0)) return plain;
  }
  return r;
}

function decodeLayers(bytes: Uint8Array, opts: DecodeTelegramOptions, crcs: CrcPresence): Decoded<Telegram> {
  const explain = opts.explain === true;
  const issues: Issue[] = [];
  const spans: Span[] = [];
  const stripped = stripCrcs(bytes, crcs);
  for (const i of stripped.issues) issues.push(i);
  const dllIssues = issues.length;
  const frame = stripped.frame;
  const format = stripped.format;
  const partial: Partial<Telegram> = { frameFormat: format };

  if (frame.length < 10) {
    issues.push({
      code: 'truncated',
      severity: 'error',
      offset: bytes.length,
      message: `link header needs 10 bytes (L C M A), got ${frame.length}`
    });
    return finish(bytes, partial, issues, spans, format, false, dllIssues);
  }
  const m = frame[2] | (frame[3] << 8);
  const address: MeterAddress = {
    manufacturer: manufacturerName(m),
    id: idString(frame, 4),
    version: frame[8],
    deviceType: frame[9]
  };
  partial.address = address;
  partial.control = frame[1];
  partial.accessNumber = null;
  partial.status = null;
  partial.security = NO_SECURITY;
  if (explain) {
    spans.push(
      { offset: 0, length: 1, label: 'L', text: `${frame[0]} bytes follow` },
      { offset: 1, length: 1, label: 'C', text: `${hex2(frame[1])} ${controlName(frame[1])}` },
      { offset: 2, length: 2, label: 'M', text: `${address.manufacturer} (${hex4(m)})` },
      { offset: 4, length: 4, label: 'ID', text: address.id },
      { offset: 8, length: 1, label: 'version', text: `${hex2(frame[8])}` },
      { offset: 9, length: 1, label: 'device type', text: `${hex2(frame[9])} ${deviceTypeName(frame[9])}` }
    );
  }
  if (stripped.issues.length > 0 && hasError(stripped.issues)) {
    return finish(bytes, partial, issues, spans, format, false, dllIssues);
  }
  if (frame.length < 11) {
    issues.push({ code: 'truncated', severity: 'error', offset: 10, message: 'no CI field after the 10-byte link header' });
    return finish(bytes, partial, issues, spans, format, false, dllIssues);
  }

  let buf = frame;
  let p = 10;
  let security = NO_SECURITY;

  // ELL, CI 8C–8F (§2.2)
  let ci = buf[p];
  if (ci >= 0x8c && ci <= 0x8f) {
    const ell = readEll(buf, p);
    if (ell === null) {
      issues.push({
        code: 'truncated',
        severity: 'error',
        offset: p,
        message: `ELL CI ${hex2(ci)} at ${p}: header runs past the end of the frame (${buf.length} bytes)`
      });
      return finish(bytes, partial, issues, spans, format, false, dllIssues);
    }
    partial.ell = ell;
    partial.accessNumber = ell.accessNumber;
    if (explain) {
      spans.push({ offset: p, length: 1, label: 'CI', text: `${hex2(ci)} ${ciName(ci)}` });
      spans.push({ offset: p + 1, length: 1, label: 'ELL CC', text: hex2(ell.communicationControl) });
      spans.push({ offset: p + 2, length: 1, label: 'ELL access number', text: `${ell.accessNumber}` });
      if (ell.sessionNumber !== undefined) {
        spans.push({
          offset: p + ell.length - 4,
          length: 4,
          label: 'ELL session number',
          text: `${ell.sessionNumber.toString(16).padStart(8, '0')}, encryption ${ell.encryption === 1 ? 'AES-128-CTR' : ell.encryption}`
        });
      }
    }
    if (ell.encryption === 1) {
      const key = opts.key ?? opts.keys?.find(m, readU32(frame, 4));
      const r = openEll(buf, p, ell, key, address, issues);
      if (r.state !== 'plain' && r.state !== 'decrypted' && r.state !== 'plain-upstream') {
        partial.security = { layer: 'ell', mode: 0, state: 'encrypted' };
        return finish(bytes, partial, issues, spans, format, false, dllIssues);
      }
      security = { layer: 'ell', mode: 0, state: r.state === 'decrypted' ? 'decrypted' : 'decrypted-upstream' };
      buf = r.buffer;
    } else if (ell.sessionNumber !== undefined) {
      const r = openEll(buf, p, ell, undefined, address, issues);
      if (r.state !== 'plain') return finish(bytes, partial, issues, spans, format, false, dllIssues);
    }
    partial.security = security;
    p += ell.length;
    if (ell.sessionNumber !== undefined) {
      if (explain) {
        spans.push({ offset: p, length: 2, label: 'ELL payload CRC', text: hex4(buf[p] | (buf[p + 1] << 8)) });
      }
      p += 2;
    }
    if (p >= buf.length) {
      issues.push({ code: 'truncated', severity: 'error', offset: p, message: `no CI after the ELL at ${p}` });
      return finish(bytes, partial, issues, spans, format, false, dllIssues);
    }
    ci = buf[p];
  }

  // AFL, CI 90 (§2.3)
  let afl: { h: AflHeader; at: number } | undefined;
  if (ci === 0x90) {
    const h = readAfl(buf, p, issues);
    if (h === null) return finish(bytes, partial, issues, spans, format, false, dllIssues);
    afl = { h, at: p };
    partial.afl = h;
    if (explain) {
      spans.push({ offset: p, length: h.length, label: 'AFL', text: aflText(h) });
    }
    p += h.length;
    if (p >= buf.length) {
      issues.push({ code: 'truncated', severity: 'error', offset: p, message: `no CI after the AFL at ${p}` });
      return finish(bytes, partial, issues, spans, format, false, dllIssues);
    }
    ci = buf[p];
  }

  // TPL (§2.1, §2.4)
  const tpl = readTpl(buf, p, issues);
  if (tpl === null) return finish(bytes, partial, issues, spans, format, false, dllIssues);
  partial.tpl = tpl;
  if (tpl.accessNumber !== undefined) partial.accessNumber = tpl.accessNumber;
  if (tpl.status !== undefined) partial.status = tpl.status;
  if (explain) tplSpans(spans, buf, p, tpl);
  const tplAt = p;
  p += tpl.length;

  if (tpl.securityMode !== 0) {
    const long = tpl.kind === 'long';
    const mAt = long ? tplAt + 5 : 2;
    const idAt = long ? tplAt + 1 : 4;
    let key = opts.key;
    if (key === undefined && opts.keys !== undefined) {
      key = opts.keys.find(buf[mAt] | (buf[mAt + 1] << 8), readU32(buf, idAt));
      if (key === undefined && long) key = opts.keys.find(m, readU32(frame, 4));
    }
    const tk: TplKeys = { key, meter: long ? tpl.address! : address, idAt, mAt, verAt: long ? tplAt + 7 : 8 };
    const r = openTpl(buf, tplAt, tpl, tk, afl, issues);
    if (r.state === 'decrypted' || r.state === 'plain-upstream' || r.state === 'plain') {
      security = {
        layer: 'tpl',
        mode: tpl.securityMode,
        state: r.state === 'decrypted' ? 'decrypted' : r.state === 'plain' ? 'plain' : 'decrypted-upstream'
      };
      buf = r.buffer;
      partial.security = security;
    } else {
      partial.security = { layer: 'tpl', mode: tpl.securityMode, state: 'encrypted' };
      return finish(bytes, partial, issues, spans, format, false, dllIssues);
    }
  }

  const end = buf.length;
  let records: DataRecord[] = [];
  let manufacturerData: ManufacturerData | undefined;
  let compact: Telegram['compact'];
  switch (tpl.content) {
    case 'records': {
      if (opts.proprietaryPayload?.(tpl.address ?? address) === true) {
        let q = p;
        while (q < end && buf[q] === 0x2f) q++;
        manufacturerData = { offset: q, bytes: buf.subarray(q, end), moreRecordsFollow: false };
        break;
      }
      const r = decodeRecords(buf, p, end, { spans: explain, manufacturer: (tpl.address ?? address).manufacturer });
      records = r.records;
      manufacturerData = r.manufacturerData;
      for (const i of r.issues) issues.push(i);
      if (explain) for (const s of r.spans) spans.push(s);
      if (opts.formats !== undefined && !hasError(r.issues) && records.length > 0) {
        opts.formats.learn(buf, p, end, address);
      }
      break;
    }
    case 'compact': {
      const c = decodeCompact(buf, p, end, opts.formats ?? seedTable(), tpl.securityMode !== 0, address, issues, spans, explain);
      if (c === null) {
        Object.assign(partial, { security });
        return finish(bytes, partial, issues, spans, format, false, dllIssues);
      }
      records = c.records;
      compact = c.compact;
      manufacturerData = c.manufacturerData;
      break;
    }
    case 'manufacturer':
      // Diehl PRIOS: the scrambled bytes are handed on as plaintext at the same positions (diehl.ts).
      manufacturerData = { offset: p, bytes: ((tplAt === 10 && openPrios(buf)) || buf).subarray(p, end), moreRecordsFollow: false };
      issues.push({
        code: 'unknown-ci',
        severity: 'warning',
        offset: tplAt,
        message: `CI ${hex2(tpl.ci)} is manufacturer specific: ${end - p} byte(s) kept as manufacturer data`
      });
      if (explain) spans.push({ offset: p, length: end - p, label: 'manufacturer data', text: `${end - p} byte(s)` });
      break;
    case 'application-error':
      issues.push({
        code: 'bad-frame',
        severity: 'error',
        offset: p,
        message: `application error telegram (CI ${hex2(tpl.ci)})${p < end ? `, error code ${hex2(buf[p])}` : ''}`
      });
      return finish(bytes, partial, issues, spans, format, false, dllIssues);
    case 'alarm':
      issues.push({
        code: 'bad-frame',
        severity: 'warning',
        offset: p,
        message: `alarm telegram (CI ${hex2(tpl.ci)})${p < end ? `, alarm code ${hex2(buf[p])}` : ''}`
      });
      manufacturerData = { offset: p, bytes: buf.subarray(p, end), moreRecordsFollow: false };
      break;
    case 'format':
      issues.push({
        code: 'unknown-ci',
        severity: 'warning',
        offset: tplAt,
        message: `format frame (CI ${hex2(tpl.ci)}): it declares a record format and carries no values`
      });
      break;
    case 'dlms':
      issues.push({
        code: 'unknown-ci',
        severity: 'error',
        offset: tplAt,
        message: `CI ${hex2(tpl.ci)} carries a DLMS/COSEM application, which is not decoded here`
      });
      return finish(bytes, partial, issues, spans, format, false, dllIssues);
  }

  // Every member present (undefined when absent): one object shape for all telegrams, so the
  // code that reads them stays monomorphic.
  const value: Telegram = {
    address,
    control: frame[1],
    frameFormat: format,
    accessNumber: partial.accessNumber ?? null,
    status: partial.status ?? null,
    security,
    records,
    ell: partial.ell,
    afl: afl?.h,
    tpl,
    compact,
    manufacturerData
  };
  return finish(bytes, value, issues, spans, format, true, dllIssues);
}

function finish(
  raw: Uint8Array,
  value: Partial<Telegram>,
  issues: Issue[],
  spans: Span[],
  format: FrameFormat,
  complete: boolean,
  dllIssues = 0
): Decoded<Telegram> {
  if (format !== 'none') {
    // Offsets of the layers count bytes of the CRC-free frame; the byte map shows the frame as
    // received. The link layer's own issues (the first `dllIssues`) are in received bytes already.
    const n = raw.length;
    for (const s of spans) {
      // A span across a block boundary grows by the CRC bytes inside it.
      const end = s.length === 0 ? rawOffset(s.offset, format) : rawOffset(s.offset + s.length - 1, format) + 1;
      s.offset = Math.min(rawOffset(s.offset, format), n);
      s.length = Math.min(end, n) - s.offset;
    }
    for (let i = dllIssues; i < issues.length; i++) {
      const o = issues[i].offset;
      if (o !== undefined) issues[i] = { ...issues[i], offset: Math.min(rawOffset(o, format), n) };
    }
  }
  if (complete && !hasError(issues)) return { ok: true, raw, value: value as Telegram, issues, spans };
  return { ok: false, raw, partial: value, issues, spans };
}

function hasError(issues: Issue[]): boolean {
  for (let i = 0; i < issues.length; i++) if (issues[i].severity === 'error') return true;
  return false;
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/** "00".."FF" by byte value. */
const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => hex2(b));

/** "76348799" from 99 87 34 76 (BCD LE, nibbles above 9 as hex digits like bcdIdString). */
function idString(b: Uint8Array, at: number): string {
  return BYTE_HEX[b[at + 3]] + BYTE_HEX[b[at + 2]] + BYTE_HEX[b[at + 1]] + BYTE_HEX[b[at]];
}

function aflText(h: AflHeader): string {
  let t = `FCL ${hex4(h.fragmentControl)}`;
  if (h.messageControl !== undefined) t += `, MCL ${hex2(h.messageControl)} (AT ${h.authenticationType})`;
  if (h.messageCounter !== undefined) t += `, counter ${h.messageCounter}`;
  if (h.mac !== undefined) t += `, MAC ${h.mac.length} bytes`;
  if (h.messageLength !== undefined) t += `, length ${h.messageLength}`;
  return t;
}

function tplSpans(spans: Span[], b: Uint8Array, at: number, h: TplHeader): void {
  spans.push({ offset: at, length: 1, label: 'CI', text: `${hex2(h.ci)} ${ciName(h.ci)}` });
  let p = at + 1;
  if (h.address !== undefined) {
    spans.push({ offset: p, length: 4, label: 'TPL ID', text: h.address.id });
    spans.push({ offset: p + 4, length: 2, label: 'TPL M', text: h.address.manufacturer });
    spans.push({ offset: p + 6, length: 1, label: 'TPL version', text: hex2(h.address.version) });
    spans.push({
      offset: p + 7,
      length: 1,
      label: 'TPL device type',
      text: `${hex2(h.address.deviceType)} ${deviceTypeName(h.address.deviceType)}`
    });
    p += 8;
  }
  if (h.accessNumber === undefined) return;
  spans.push({ offset: p, length: 1, label: 'access number', text: `${h.accessNumber}` });
  spans.push({ offset: p + 1, length: 1, label: 'status', text: statusText(h.status!) });
  const mode = h.securityMode;
  spans.push({
    offset: p + 2,
    length: 2,
    label: 'configuration',
    text:
      `${hex4(h.config!)}: security mode ${mode} (${securityModeName(mode)})` +
      (h.encryptedBlocks !== undefined ? `, ${h.encryptedBlocks} encrypted blocks` : '')
  });
  if (h.configExt !== undefined) {
    spans.push({ offset: p + 4, length: 1, label: 'configuration ext', text: `${hex2(h.configExt)}, KDF ${(h.configExt >> 4) & 3}` });
  }
  void b;
}

/** Standard status bits, §2.4. */
export function statusText(s: number): string {
  const parts: string[] = [];
  const app = s & 3;
  if (app === 1) parts.push('application busy');
  else if (app === 2) parts.push('application error');
  else if (app === 3) parts.push('abnormal condition / alarm');
  if (s & 0x04) parts.push('power low');
  if (s & 0x08) parts.push('permanent error');
  if (s & 0x10) parts.push('temporary error');
  if (s & 0xe0) parts.push(`manufacturer bits ${hex2(s & 0xe0)}`);
  return `${hex2(s)} ${parts.length === 0 ? 'OK' : parts.join(', ')}`;
}

interface CompactResult {
  records: DataRecord[];
  compact: { signature: number; fullFrameCrc: number };
  manufacturerData?: ManufacturerData;
}

/**
 * Compact data area at `p`: FSIG(2 LE) FFCRC(2 LE) data. The format comes from `table`; the
 * rebuilt full record area must have the FFCRC (§4.2). With TPL encryption the 2F2F check
 * bytes come first and 2F padding may follow the data.
 */
function decodeCompact(
  buf: Uint8Array,
  p: number,
  end: number,
  table: CompactFormatTable,
  checked: boolean,
  address: MeterAddress,
  issues: Issue[],
  spans: Span[],
  explain: boolean
): CompactResult | null {
  // exactly the two check bytes: a format signature may itself start with 2F (1 in 256)
  if (checked && buf[p] === 0x2f && buf[p + 1] === 0x2f) p += 2;
  if (p + 4 > end) {
    issues.push({
      code: 'truncated',
      severity: 'error',
      offset: p,
      message: `compact frame needs 4 bytes of signature and full-frame CRC at ${p}, frame ends at ${end}`
    });
    return null;
  }
  const signature = buf[p] | (buf[p + 1] << 8);
  const fullFrameCrc = buf[p + 2] | (buf[p + 3] << 8);
  const compact = { signature, fullFrameCrc };
  if (explain) {
    spans.push({ offset: p, length: 2, label: 'format signature', text: hex4(signature) });
    spans.push({ offset: p + 2, length: 2, label: 'full-frame CRC', text: hex4(fullFrameCrc) });
  }
  const d = p + 4;
  let dataEnd = end;
  if (checked) while (dataEnd > d && buf[dataEnd - 1] === 0x2f) dataEnd--;
  const formats = table.lookup(signature);
  if (formats === undefined) {
    issues.push({
      code: 'unknown-format',
      severity: 'error',
      offset: p,
      message: `compact frame format ${hex4(signature)} is not known: a full frame (CI 78) from meter ${meterName(address)} is needed to learn it`,
      hint: 'full frames come every 8th telegram (about every 2 minutes)'
    });
    return null;
  }
  // The format whose rebuilt records have the FFCRC; failing that, the first one the data fits
  // exactly (wmbusmeters does not check the FFCRC, and some logged telegrams fail it; the ELL
  // payload CRC or 2F2F check has already vouched for the bytes): then a 'bad-crc' warning.
  let best: CompactExpansion | null = null;
  for (const f of formats) {
    // 2F filler may follow the data, and the data itself may end in 2F bytes: try each end
    let x: CompactExpansion | null = null;
    for (let e = end; e >= dataEnd; e--) {
      const y = expandCompact(f, buf, d, e);
      if (y === null) continue;
      if (y.crc === fullFrameCrc) {
        x = y;
        break;
      }
      x ??= y;
    }
    if (x === null) continue;
    if (x.crc === fullFrameCrc) {
      best = x;
      break;
    }
    best ??= x;
  }
  if (best !== null) {
    const x = best;
    if (x.crc !== fullFrameCrc) {
      issues.push({
        code: 'bad-crc',
        severity: 'warning',
        offset: p + 2,
        message: `compact frame full-frame CRC ${hex4(fullFrameCrc)}, computed ${hex4(x.crc)} over the records rebuilt with format ${hex4(signature)}; values kept because the data fits the format exactly`
      });
    }
    const r = decodeRecords(x.records, 0, x.records.length, { spans: false, manufacturer: address.manufacturer });
    for (const i of r.issues) issues.push({ ...i, offset: undefined });
    if (explain) {
      // Each record's data as it sits in the compact frame.
      const seg = x.segments;
      for (let i = 0, k = 0; i < r.records.length; i++) {
        const rec = r.records[i];
        const dataAt = rec.offset + rec.difvif.length / 2;
        while (k < seg.length && seg[k] < dataAt) k += 3;
        if (k < seg.length && seg[k] === dataAt) {
          spans.push({
            offset: seg[k + 1],
            length: seg[k + 2],
            label: `${rec.difvif} ${rec.quantity}`,
            text: `${rec.value} ${rec.unit}`.trim()
          });
        }
      }
    }
    return { records: r.records, compact, manufacturerData: r.manufacturerData };
  }
  issues.push({
    code: 'unknown-format',
    severity: 'error',
    offset: d,
    message: `compact frame data (${end - d} bytes) does not fit format ${hex4(signature)}: a full frame (CI 78) from meter ${meterName(address)} is needed`
  });
  return null;
}
