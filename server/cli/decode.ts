// Command-line decoder.
//
//   node dist/server/server/cli/decode.js --jsonl            decoder contract of
//        ../shared/conformance/README.md on stdin/stdout (one answer line per input line)
//   node dist/server/server/cli/decode.js <hex> [--key K] [--mbus] [--crcs auto|present|absent]
//        a readable explanation: header, records, issues and a byte map

import type { Decoded, Issue, Span } from '../../shared/model/decoded.js';
import type { DataRecord } from '../../shared/model/record.js';
import type { MeterAddress } from '../../shared/model/address.js';
import { pathToFileURL } from 'node:url';
import { tryFromHex } from '../../shared/bytes/hex.js';
import { decodeTelegram } from '../../shared/wmbus/telegram.js';
import type { Telegram } from '../../shared/wmbus/telegram.js';
import { KeyRing } from '../../shared/wmbus/keyring.js';
import type { AesKey } from '../../shared/crypto/aes.js';
import { aesKey } from '../../shared/crypto/aes.js';
import { CompactFormatTable } from '../../shared/wmbus/compact.js';
import type { CrcPresence } from '../../shared/wmbus/dll.js';
import { controlName, deviceTypeName } from '../../shared/wmbus/dll.js';
import { decodeMbusFrame } from '../../shared/mbus/frame.js';
import type { MbusFrame } from '../../shared/mbus/frame.js';
import { ALL_DRIVERS, findDriver } from '../../shared/drivers/index.js';
import type { ExtraValue, ExtrasPlan } from '../../shared/drivers/extras.js';
import type { Driver } from '../../shared/drivers/define.js';
import { fitsLayout, planExtras, runExtras } from '../../shared/drivers/extras.js';
import { fromHex } from '../../shared/bytes/hex.js';
import { KMP, decodeFrame } from '../../shared/kmp/frame.js';
import { KmpError, parseLogResponse, parseRegisters, parseSerialNo, parseType } from '../../shared/kmp/commands.js';
import type { KmpRegisterValue } from '../../shared/kmp/commands.js';
import { KMP_UNITS, projectValue } from '../../shared/kmp/value.js';
import { registerById } from '../../shared/kmp/registers.js';

// ---------------------------------------------------------------------------------------------
// --jsonl: the decoder contract

interface Request {
  hex?: unknown;
  link?: unknown;
  key?: unknown;
}

/** A record's answer after its value (unit, quantity, storage, tariff, subunit, function), encoded. */
interface RecordTail {
  /** The record it was encoded for. */
  r: DataRecord;
  bytes: Uint8Array;
}

function sameTail(a: DataRecord, b: DataRecord): boolean {
  return (
    a.unit === b.unit &&
    a.quantity === b.quantity &&
    a.storage === b.storage &&
    a.tariff === b.tariff &&
    a.subunit === b.subunit &&
    a.function === b.function
  );
}

/**
 * Output bytes for the JSONL answers, written straight into a Buffer: at 100,000 telegrams of
 * ~1.5 kB JSON each, string concatenation and UTF-8 re-encoding took most of the time (measured
 * with --cpu-prof). The fields after a record's value depend only on its DIF/VIF: they are
 * encoded once per record of a layout (JsonlDecoder) and copied while they match the record;
 * a cache of output fragments checked against every record, not of decode results.
 */
class JsonOut {
  buf: Buffer = Buffer.allocUnsafe(1 << 20);
  pos = 0;

  #room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos), 0);
    this.buf = next;
  }

  /** Text known to be ASCII without characters that need escaping. */
  ascii(t: string): void {
    const n = t.length;
    this.#room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = t.charCodeAt(i);
    this.pos = p;
  }

  bytes(x: Uint8Array): void {
    this.#room(x.length);
    this.buf.set(x, this.pos); // a native copy: 4× a loop for a ~90-byte record fragment (measured)
    this.pos += x.length;
  }

  /** Any text as a JSON string. */
  string(t: string): void {
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        const j = JSON.stringify(t);
        this.#room(3 * j.length);
        this.pos += this.buf.write(j, this.pos, 'utf8');
        return;
      }
    }
    this.#room(t.length + 2);
    this.buf[this.pos++] = 0x22;
    this.ascii(t);
    this.buf[this.pos++] = 0x22;
  }

  /** A number as JSON.stringify writes it. */
  number(v: number): void {
    if (v >= 0 && v < 1e9 && (v | 0) === v) return this.#integer(v);
    const a = Math.abs(v);
    if (a >= 1e-6 && a < 1e9) {
      if (Number.isInteger(a)) {
        this.#room(1);
        this.buf[this.pos++] = 0x2d; // -
        return this.#integer(a);
      }
      // A value with at most 6 decimals, as most scaled values are (4293 / 100), is written from
      // its digits (String(v) costs ~0.2 µs, measured). With at most 15 significant digits no
      // other decimal as short rounds to v, so String(v), the shortest decimal that rounds to v,
      // has the same digits (checked against JSON.stringify on 15 million values).
      for (let k = 1, m = 10; k <= 6; k++, m *= 10) {
        const r = Math.round(a * m);
        if (r / m !== a) continue;
        const whole = Math.floor(r / m);
        let fraction = r - whole * m;
        this.#room(k + 2);
        if (v < 0) this.buf[this.pos++] = 0x2d; // -
        this.#integer(whole);
        this.#room(k + 1);
        const b = this.buf;
        b[this.pos] = 0x2e; // .
        for (let i = this.pos + k; i > this.pos; i--) {
          b[i] = 0x30 + (fraction % 10);
          fraction = (fraction / 10) | 0;
        }
        this.pos += k + 1;
        return;
      }
    }
    this.ascii(Number.isFinite(v) ? String(v) : 'null');
  }

  /** An integer 0 <= v < 1e9. */
  #integer(v: number): void {
    this.#room(10);
    if (v < 10) {
      this.buf[this.pos++] = 0x30 + v;
      return;
    }
    let digits = 1;
    for (let x = v; x >= 10; x = (x / 10) | 0) digits++;
    const b = this.buf;
    let p = this.pos + digits;
    this.pos = p;
    for (let x = v; x > 0; x = (x / 10) | 0) b[--p] = 0x30 + (x % 10);
  }

  nullable(v: number | null | undefined): void {
    if (v === null || v === undefined) this.ascii('null');
    else this.number(v);
  }

  /** Record `i` of a layout whose encoded tails are `tails` (kept there), if it has one. */
  record(r: DataRecord, tails: (RecordTail | undefined)[] | undefined, i: number): void {
    this.ascii('{"value":');
    if (typeof r.value === 'number') this.number(r.value);
    else this.string(r.value);
    let t = tails?.[i];
    if (t === undefined || !sameTail(t.r, r)) {
      const text =
        `,"unit":${JSON.stringify(r.unit)},"quantity":${JSON.stringify(r.quantity)},"storage":${r.storage},` +
        `"tariff":${r.tariff},"subunit":${r.subunit},"function":"${r.function}"}`;
      t = { r, bytes: Buffer.from(text, 'utf8') };
      if (tails !== undefined) tails[i] = t;
    }
    this.bytes(t.bytes);
  }

  records(records: DataRecord[], extras?: ExtraValue[], tails?: (RecordTail | undefined)[]): void {
    this.ascii('"records":[');
    for (let i = 0; i < records.length; i++) {
      if (i > 0) this.buf[this.pos++] = 0x2c;
      this.record(records[i], tails, i);
    }
    if (extras !== undefined) {
      for (let i = 0; i < extras.length; i++) {
        if (records.length > 0 || i > 0) this.buf[this.pos++] = 0x2c;
        this.extra(extras[i]);
      }
    }
    this.ascii(']');
  }

  /** A driver's value, after the frame's records, with the storage/tariff/subunit of its record. */
  extra(e: ExtraValue): void {
    this.ascii('{"value":');
    this.number(e.value);
    this.ascii(',"unit":');
    this.string(e.unit === 'm3·°C' ? 'm3C' : e.unit);
    this.ascii(',"quantity":');
    this.string(e.label);
    const r = e.from;
    this.ascii(`,"storage":${r?.storage ?? 0},"tariff":${r?.tariff ?? 0},"subunit":${r?.subunit ?? 0},"function":"${r?.function ?? 'instantaneous'}"}`);
  }

  header(a: MeterAddress | undefined, accessNumber: number | null | undefined, status: number | null | undefined): void {
    if (a === undefined) {
      this.ascii('"manufacturer":null,"id":null,"version":null,"deviceType":null');
    } else {
      this.ascii('"manufacturer":');
      this.string(a.manufacturer);
      this.ascii(',"id":');
      this.string(a.id);
      this.ascii(',"version":');
      this.number(a.version);
      this.ascii(',"deviceType":');
      this.number(a.deviceType);
    }
    this.ascii(',"accessNumber":');
    this.nullable(accessNumber);
    this.ascii(',"status":');
    this.nullable(status);
  }

  failure(error: string): void {
    this.ascii('{"ok":false,"error":');
    this.string(error);
    this.ascii('}');
  }

  newline(): void {
    this.#room(1);
    this.buf[this.pos++] = 0x0a;
  }

  /** The bytes written so far, handed over with the buffer; writing goes on in a new one. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.buf.length);
    this.pos = 0;
    return out;
  }
}

/** Byte → hex digit value, -1 for anything else. */
const NIBBLE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[0x30 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[0x41 + i] = NIBBLE[0x61 + i] = 10 + i;

const SLAB_BYTES = 1 << 16;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** Whether `b[start..end)` holds exactly the ASCII text `t`. */
function isAscii(b: Uint8Array, start: number, end: number, t: string): boolean {
  if (end - start !== t.length) return false;
  for (let i = 0; i < t.length; i++) if (b[start + i] !== t.charCodeAt(i)) return false;
  return true;
}

/**
 * Where the fields of a request line sit. Reads the plain shape the scorers send,
 * `{"hex": "…", "link": "…", "key": "…"}` (any order, any of them left out, JSON white space),
 * with values of printable ASCII without escapes: such a line means the same to JSON.parse, so
 * it needs neither a string nor an object (decoding, parsing and hex-converting each line as text
 * took an eighth of the CLI's time, measured with --cpu-prof). Anything else (escapes, other
 * fields or types, a repeated field, non-ASCII) is left to JSON.parse.
 */
class RequestScan {
  hexStart = -1;
  hexEnd = -1;
  linkStart = -1;
  linkEnd = -1;
  keyStart = -1;
  keyEnd = -1;

  /** True when `b[start..end)` is a request of the plain shape; false: parse it as JSON. */
  read(b: Uint8Array, start: number, end: number): boolean {
    this.hexStart = this.linkStart = this.keyStart = -1;
    let p = this.#space(b, start, end);
    if (p >= end || b[p] !== 0x7b) return false; // {
    p = this.#space(b, p + 1, end);
    for (;;) {
      if (p >= end || b[p] !== 0x22) return false;
      const nameStart = p + 1;
      const nameEnd = this.#string(b, nameStart, end);
      if (nameEnd < 0) return false;
      p = this.#space(b, nameEnd + 1, end);
      if (p >= end || b[p] !== 0x3a) return false; // :
      p = this.#space(b, p + 1, end);
      if (p >= end || b[p] !== 0x22) return false;
      const valueStart = p + 1;
      const valueEnd = this.#string(b, valueStart, end);
      if (valueEnd < 0 || !this.#field(b, nameStart, nameEnd, valueStart, valueEnd)) return false;
      p = this.#space(b, valueEnd + 1, end);
      if (p >= end) return false;
      if (b[p] === 0x7d) return this.#space(b, p + 1, end) === end; // }
      if (b[p] !== 0x2c) return false; // ,
      p = this.#space(b, p + 1, end);
    }
  }

  #space(b: Uint8Array, p: number, end: number): number {
    while (p < end && isSpace(b[p])) p++;
    return p;
  }

  /** End (the closing quote) of a string starting at `p`; -1 when it needs JSON.parse. */
  #string(b: Uint8Array, p: number, end: number): number {
    for (; p < end; p++) {
      const c = b[p];
      if (c === 0x22) return p;
      if (c < 0x20 || c > 0x7e || c === 0x5c) return -1;
    }
    return -1;
  }

  #field(b: Uint8Array, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): boolean {
    if (isAscii(b, nameStart, nameEnd, 'hex') && this.hexStart < 0) {
      this.hexStart = valueStart;
      this.hexEnd = valueEnd;
    } else if (isAscii(b, nameStart, nameEnd, 'link') && this.linkStart < 0) {
      this.linkStart = valueStart;
      this.linkEnd = valueEnd;
    } else if (isAscii(b, nameStart, nameEnd, 'key') && this.keyStart < 0) {
      this.keyStart = valueStart;
      this.keyEnd = valueEnd;
    } else {
      return false;
    }
    return true;
  }
}

interface KeyEntry {
  /** The key's 16 bytes as 4 big-endian words. */
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  key: AesKey;
  next: KeyEntry | undefined;
}

/**
 * Expanded AES keys by the 32 hex digits of a line, read as bytes: a string per line and a Map
 * keyed by it (KeyRing.keyFromHex) cost 0.6 µs a telegram with 10,000 keys (measured). Entries
 * sit under a hash of the key's words and are compared word by word.
 */
class KeyCache {
  readonly #entries = new Map<number, KeyEntry>();

  /** The key for the hex digits `b[start..end)`; undefined unless they are exactly 32 hex digits. */
  find(b: Uint8Array, start: number, end: number): AesKey | undefined {
    if (end - start !== 32) return undefined;
    for (let p = start; p < end; p++) if (NIBBLE[b[p]] < 0) return undefined;
    const w0 = hexWord(b, start);
    const w1 = hexWord(b, start + 8);
    const w2 = hexWord(b, start + 16);
    const w3 = hexWord(b, start + 24);
    const h = (w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3, 0xc2b2ae35)) & 0x3fffffff;
    // A new key is added, then found like a known one: with one path through find, the
    // optimizing compiler does not have to redo find when the first key comes again.
    for (;;) {
      for (let e = this.#entries.get(h); e !== undefined; e = e.next) {
        if (e.w0 === w0 && e.w1 === w1 && e.w2 === w2 && e.w3 === w3) return e.key;
      }
      this.#add(h, w0, w1, w2, w3);
    }
  }

  /** Expands a new key (apart from find, which stays small for the optimizing compiler). */
  #add(h: number, w0: number, w1: number, w2: number, w3: number): void {
    const raw = new Uint8Array(16);
    for (let i = 0; i < 4; i++) {
      raw[i] = w0 >>> (24 - 8 * i);
      raw[4 + i] = w1 >>> (24 - 8 * i);
      raw[8 + i] = w2 >>> (24 - 8 * i);
      raw[12 + i] = w3 >>> (24 - 8 * i);
    }
    this.#entries.set(h, { w0, w1, w2, w3, key: aesKey(raw), next: this.#entries.get(h) });
  }
}

/** 8 hex digits at `p` (checked by the caller) as a 32-bit word. */
function hexWord(b: Uint8Array, p: number): number {
  let w = 0;
  for (let i = 0; i < 8; i++) w = (w << 4) | NIBBLE[b[p + i]];
  return w;
}

/** One record layout of a driver's meters: its plan of added values and its records' encoded tails. */
interface Layout {
  plan: ExtrasPlan;
  tails: (RecordTail | undefined)[];
}

/**
 * Keeps what one run learns (compact formats), each distinct key, expanded once, and per meter
 * model the driver chosen for it with its plans of added values (shared/drivers/extras.ts).
 */
export class JsonlDecoder {
  readonly keys = new KeyRing();
  readonly formats = new CompactFormatTable();
  readonly out = new JsonOut();
  readonly #scan = new RequestScan();
  readonly #keyCache = new KeyCache();
  /**
   * Telegram bytes are views carved one after another from this slab: an array of its own would
   * mostly be over 64 bytes, which V8 allocates outside its heap at about 0.3 µs each (measured).
   * A slab is never written twice, so a view that a result keeps stays valid.
   */
  #slab = new ArrayBuffer(0); // the first line takes a slab, as every few hundred lines do
  #slabAt = 0;
  /**
   * Per meter model (manufacturer, version, type, CI: what findDriver looks at): the layouts of
   * its driver. Not per meter: with 10,000 meters that map cost 1 µs a telegram (measured).
   */
  readonly #drivers = new Map<string, Layout[]>();
  /** Per driver: each record layout seen (meters of one model share them). */
  readonly #layouts = new Map<Driver, Layout[]>();

  /** Manufacturers with a driver that reads a proprietary payload: the only ones worth a lookup. */
  readonly #proprietary = new Set<string>();
  readonly #isProprietary = (a: MeterAddress): boolean =>
    this.#proprietary.has(a.manufacturer) && findDriver(a).payload === 'proprietary';

  constructor() {
    for (const d of ALL_DRIVERS) {
      for (const f of d.compactFormats ?? []) this.formats.add(fromHex(f), `driver ${d.id}`);
      if (d.payload === 'proprietary') for (const m of d.match) this.#proprietary.add(m.mfct);
    }
  }

  /**
   * The records, then the values the meter's driver adds to them (formulas, unscaled registers …),
   * as the "records" member of an answer.
   */
  #records(a: MeterAddress, records: DataRecord[], manufacturerBytes: Uint8Array | undefined, ci?: number): void {
    const l = this.#layout(a, records, ci);
    this.out.records(records, l.plan.adds ? runExtras(l.plan, records, manufacturerBytes) : undefined, l.tails);
  }

  /** The layout of these records among those seen from the meter's driver; a new one is planned. */
  #layout(a: MeterAddress, records: DataRecord[], ci: number | undefined): Layout {
    // The CI too: a few drivers match on it (DriverMatch.ci).
    const key = a.manufacturer + String.fromCharCode(a.version, a.deviceType, ci ?? 0);
    let layouts = this.#drivers.get(key);
    if (layouts === undefined) {
      const driver = findDriver(a, ci);
      layouts = this.#layouts.get(driver);
      if (layouts === undefined) this.#layouts.set(driver, (layouts = []));
      if (this.#drivers.size > 100_000) this.#drivers.clear();
      this.#drivers.set(key, layouts);
    }
    // The layout seen last first.
    for (let i = layouts.length - 1; i >= 0; i--) if (fitsLayout(layouts[i]!.plan, records)) return layouts[i]!;
    const driver = layouts.length > 0 ? layouts[0]!.plan.driver : findDriver(a, ci);
    const l: Layout = { plan: planExtras(driver, records), tails: [] };
    if (layouts.length > 64) layouts.shift();
    layouts.push(l);
    return l;
  }

  /** Decodes one input line, the UTF-8 bytes `b[start..end)`, and appends its answer line to `out`. */
  writeBytes(b: Buffer, start: number, end: number): void {
    const o = this.out;
    const mark = o.pos;
    try {
      const q = this.#scan;
      if (q.read(b, start, end)) this.#answerScanned(b, q);
      else this.#answer(b.toString('utf8', start, end));
    } catch (e) {
      // A bug of ours must not stop the run; the contract still gets its line.
      o.pos = mark;
      o.failure(`internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
    o.newline();
  }

  /** Decodes one input line given as text and appends its answer line to `out`. */
  write(text: string): void {
    const b = Buffer.from(text, 'utf8');
    this.writeBytes(b, 0, b.length);
  }

  /** One answer line (without newline) for one input line: for tests and single use. */
  line(text: string): string {
    const o = this.out;
    const mark = o.pos;
    this.write(text);
    const s = o.buf.toString('utf8', mark, o.pos - 1);
    o.pos = mark;
    return s;
  }

  #answer(text: string): void {
    const o = this.out;
    let req: Request;
    try {
      req = JSON.parse(text) as Request;
    } catch {
      return o.failure('input line is not JSON');
    }
    if (req === null || typeof req !== 'object') return o.failure('input line is not a JSON object');
    const hex = req.hex;
    if (typeof hex !== 'string') return o.failure('input has no "hex" string');
    const bytes = tryFromHex(hex);
    if (bytes === null) return o.failure('"hex" is not an even number of hex digits');
    this.#reply(bytes, req.link ?? 'wmbus', req.key);
  }

  /** #answer for a line the scanner read: the same checks in the same order, on its byte ranges. */
  #answerScanned(b: Buffer, q: RequestScan): void {
    const o = this.out;
    if (q.hexStart < 0) return o.failure('input has no "hex" string');
    const bytes = this.#hexBytes(b, q.hexStart, q.hexEnd);
    if (bytes === null) return o.failure('"hex" is not an even number of hex digits');
    if (q.linkStart >= 0 && !isAscii(b, q.linkStart, q.linkEnd, 'wmbus')) {
      return this.#reply(bytes, b.toString('latin1', q.linkStart, q.linkEnd), q.keyStart < 0 ? undefined : b.toString('latin1', q.keyStart, q.keyEnd));
    }
    let key: AesKey | undefined;
    if (q.keyStart >= 0) {
      key = this.#keyCache.find(b, q.keyStart, q.keyEnd) ?? this.keys.keyFromHex(b.toString('latin1', q.keyStart, q.keyEnd)) ?? undefined;
      if (key === undefined) return o.failure('"key" is not 32 hex digits');
    }
    this.#wmbus(bytes, key);
  }

  /**
   * Telegram bytes from the hex digits `b[start..end)`, in a view of the current slab; anything
   * but an even number of plain digits goes to tryFromHex (separators, odd counts …).
   */
  #hexBytes(b: Buffer, start: number, end: number): Uint8Array | null {
    const n = (end - start) >> 1;
    if (((end - start) & 1) === 0) {
      if (this.#slabAt + n > this.#slab.byteLength) {
        this.#slab = new ArrayBuffer(Math.max(SLAB_BYTES, n));
        this.#slabAt = 0;
      }
      const out = new Uint8Array(this.#slab, this.#slabAt, n);
      let bad = 0;
      for (let i = 0, p = start; i < n; i++, p += 2) {
        const hi = NIBBLE[b[p]];
        const lo = NIBBLE[b[p + 1]];
        bad |= hi | lo; // -1 for a character that is not a hex digit
        out[i] = (hi << 4) | lo;
      }
      if (bad >= 0) {
        this.#slabAt += n;
        return out;
      }
    }
    return tryFromHex(b.toString('latin1', start, end));
  }

  /** The answer for a wireless M-Bus telegram. */
  #wmbus(bytes: Uint8Array, key: AesKey | undefined): void {
    const o = this.out;
    const r = decodeTelegram(bytes, { key, formats: this.formats, explain: false, proprietaryPayload: this.#isProprietary });
    if (!r.ok) {
      o.ascii('{"ok":false,"error":');
      o.string(firstError(r.issues));
      const p = r.partial;
      if (p.address !== undefined) {
        o.ascii(',');
        o.header(p.address, p.tpl?.accessNumber, p.tpl?.status);
      }
      o.ascii('}');
      return;
    }
    const t = r.value;
    // Contract: header from the DLL address; access number and status from the TPL header.
    o.ascii('{"ok":true,');
    o.header(t.address, t.tpl?.accessNumber, t.tpl?.status);
    o.ascii(',');
    this.#records(t.tpl?.address ?? t.address, t.records, t.manufacturerData?.bytes, t.tpl?.ci);
    o.ascii('}');
  }

  /** The answer for the telegram bytes, the link and the key as the request gave them. */
  #reply(bytes: Uint8Array, link: unknown, keyText: unknown): void {
    const o = this.out;
    if (link === 'wmbus') {
      let key;
      if (typeof keyText === 'string') {
        key = this.keys.keyFromHex(keyText) ?? undefined;
        if (key === undefined) return o.failure('"key" is not 32 hex digits');
      }
      return this.#wmbus(bytes, key);
    }
    if (link === 'mbus') {
      const r = decodeMbusFrame(bytes, { explain: false });
      if (!r.ok) return o.failure(firstError(r.issues));
      const f = r.value;
      o.ascii('{"ok":true,');
      if (f.fixed !== undefined) {
        // Fixed data structure: no manufacturer or version (contract).
        o.ascii('"manufacturer":null,"id":');
        o.string(f.fixed.id);
        o.ascii(',"version":null,"deviceType":');
        o.number(f.fixed.medium);
        o.ascii(',"accessNumber":');
        o.nullable(f.accessNumber);
        o.ascii(',"status":');
        o.nullable(f.status);
      } else {
        o.header(f.address, f.accessNumber, f.status);
      }
      o.ascii(',');
      if (f.address === undefined) o.records(f.records);
      else this.#records(f.address, f.records, f.manufacturerData?.bytes);
      o.ascii('}');
      return;
    }
    if (link === 'kmp') {
      o.bytes(Buffer.from(JSON.stringify(kmpAnswer(bytes)), 'utf8'));
      return;
    }
    return o.failure(`unknown link ${JSON.stringify(link)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// link "kmp": one whole KMP frame from the meter (40 … 0D, or an ACK 06) in, registers out
// (protocols.md §5; shared/kmp)

interface KmpRecordAnswer {
  value: number | string;
  unit: string;
  quantity: string;
  storage: number;
  tariff: number;
  subunit: number;
  function: 'instantaneous';
  /** Register id (§5.5). */
  register: number;
  /** Catalogue name of the register, or "register <id>" when it is not in the catalogue. */
  name: string;
  /** Exact decimal of `value` in `unit` (billing values never go through a float). */
  text: string;
  /** Logger answers: the record id the value belongs to. */
  record?: number;
}

function kmpRecord(r: KmpRegisterValue, record?: number): KmpRecordAnswer {
  const p = projectValue(r.value);
  const out: KmpRecordAnswer = {
    value: p.value,
    unit: p.unit,
    quantity: KMP_UNITS[r.value.unit]?.kind ?? 'unknown unit',
    storage: 0,
    tariff: 0,
    subunit: 0,
    function: 'instantaneous',
    register: r.id,
    name: registerById(r.id)?.name ?? `register ${r.id}`,
    text: p.text
  };
  if (record !== undefined) out.record = record;
  return out;
}

/** The contract answer for one KMP frame from the meter. */
export function kmpAnswer(bytes: Uint8Array): Record<string, unknown> {
  const fail = (error: string) => ({ ok: false, error });
  const stop = bytes.indexOf(KMP.STOP, 1);
  if (bytes.length > 1 && stop >= 0 && stop < bytes.length - 1) {
    return fail(`${bytes.length - 1 - stop} byte(s) after the stop byte 0D at ${stop}: expected one whole KMP frame`);
  }
  const u = decodeFrame(bytes);
  const header = { manufacturer: null, id: null as string | null, version: null, deviceType: null, accessNumber: null, status: null };
  if (u.kind === 'garbage') return fail(`not a KMP frame: ${u.reason}`);
  if (u.kind === 'ack') return { ok: true, ...header, records: [] };
  if (u.kind === 'request') return fail(`a request to the meter (start byte 80, CID ${u.cid.toString(16).toUpperCase().padStart(2, '0')}), not an answer from it (40 …)`);
  const f = u;
  if (f.cid === 0x10) {
    const regs = parseRegisters(f);
    if (regs instanceof KmpError) return fail(regs.message);
    return { ok: true, ...header, records: regs.map((r) => kmpRecord(r)) };
  }
  if (f.cid === 0x02) {
    const serial = parseSerialNo(f);
    if (serial instanceof KmpError) return fail(serial.message);
    return { ok: true, ...header, id: String(serial).padStart(8, '0'), records: [] };
  }
  if (f.cid === 0x01) {
    const t = parseType(f);
    if (t instanceof KmpError) return fail(t.message);
    return { ok: true, ...header, meterType: t.type, revision: t.revision, records: [] };
  }
  if (f.cid >= 0xa0 && f.cid <= 0xa3) {
    const log = parseLogResponse(f);
    if (log instanceof KmpError) return fail(log.message);
    const records = log.records.flatMap((rec) => rec.values.map((v) => kmpRecord(v, rec.recId)));
    return { ok: true, ...header, records, info: log.info };
  }
  return fail(`KMP answer with CID ${f.cid.toString(16).toUpperCase().padStart(2, '0')}: only GetType (01), GetSerialNo (02), GetRegister (10) and logger reads (A0..A3) carry registers`);
}

function firstError(issues: Issue[]): string {
  for (const i of issues) if (i.severity === 'error') return i.message;
  return issues.length > 0 ? issues[0].message : 'not decoded';
}

async function runJsonl(): Promise<void> {
  const decoder = new JsonlDecoder();
  const stdin = process.stdin;
  const stdout = process.stdout;
  const out = decoder.out;
  let rest: Buffer | null = null; // an unfinished line at the end of the last chunk
  const flush = async (): Promise<void> => {
    if (out.pos === 0) return;
    if (!stdout.write(out.take())) await new Promise<void>((resolve) => stdout.once('drain', resolve));
  };
  // Lines are split and read as bytes (a newline byte is never part of a UTF-8 sequence).
  for await (const chunk of stdin as AsyncIterable<Buffer>) {
    const b: Buffer = rest === null ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    for (;;) {
      const nl = b.indexOf(0x0a, start);
      if (nl < 0) break;
      if (nl > start && !(nl === start + 1 && b[start] === 13)) decoder.writeBytes(b, start, nl);
      start = nl + 1;
    }
    rest = start < b.length ? b.subarray(start) : null;
    if (out.pos > 1 << 19) await flush();
  }
  if (rest !== null && rest.toString('utf8').trim().length > 0) decoder.writeBytes(rest, 0, rest.length);
  await flush();
}

// ---------------------------------------------------------------------------------------------
// <hex> [--key K]: explanation for a person

function hexOf(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end && i < b.length; i++) s += b[i].toString(16).toUpperCase().padStart(2, '0') + ' ';
  return s.trimEnd();
}

function explainIssues(issues: Issue[]): string[] {
  if (issues.length === 0) return ['Issues: none'];
  return ['Issues:', ...issues.map((i) => `  ${i.severity} ${i.code}${i.offset !== undefined ? ` @${i.offset}` : ''}: ${i.message}${i.hint ? ` (${i.hint})` : ''}`)];
}

function explainRecords(records: DataRecord[]): string[] {
  if (records.length === 0) return ['Records: none'];
  const lines = ['Records:'];
  for (const r of records) {
    const extra = [
      r.storage ? `storage ${r.storage}` : '',
      r.tariff ? `tariff ${r.tariff}` : '',
      r.subunit ? `subunit ${r.subunit}` : '',
      r.function !== 'instantaneous' ? r.function : ''
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${r.difvif.padEnd(12)} ${r.quantity}: ${r.value}${r.unit ? ` ${r.unit}` : ''}${extra ? `  [${extra}]` : ''}`);
  }
  return lines;
}

function explainSpans(raw: Uint8Array, spans: Span[]): string[] {
  if (spans.length === 0) return [];
  const sorted = [...spans].sort((a, b) => a.offset - b.offset);
  return ['Byte map:', ...sorted.map((s) => `  ${String(s.offset).padStart(4)}  ${hexOf(raw, s.offset, s.offset + s.length).padEnd(24)} ${s.label}: ${s.text}`)];
}

function explainAddress(a: MeterAddress): string {
  return `${a.manufacturer} ${a.id}, version ${a.version} (0x${a.version.toString(16).toUpperCase().padStart(2, '0')}), device type ${a.deviceType} (${deviceTypeName(a.deviceType)})`;
}

export function explain(hex: string, opts: { key?: string; mbus?: boolean; crcs?: CrcPresence }): string {
  const bytes = tryFromHex(hex);
  if (bytes === null) return 'not hex: expected an even number of hex digits';
  const lines: string[] = [];
  if (opts.mbus) {
    const r = decodeMbusFrame(bytes, { explain: true });
    const f: Partial<MbusFrame> = r.ok ? r.value : r.partial;
    lines.push(`Wired M-Bus ${f.kind ?? '?'} frame, ${bytes.length} bytes: ${r.ok ? 'decoded' : 'NOT decoded'}`);
    if (f.control !== undefined) lines.push(`C ${f.control.toString(16).toUpperCase()}, primary address ${f.primaryAddress}, CI ${f.ci?.toString(16).toUpperCase()}`);
    if (f.address) lines.push(`Meter: ${explainAddress(f.address)}`);
    if (f.accessNumber !== undefined) lines.push(`Access number ${f.accessNumber}, status ${f.status}`);
    lines.push(...explainRecords(f.records ?? []), ...explainIssues(r.issues), ...explainSpans(bytes, r.spans));
    return lines.join('\n');
  }
  const keys = new KeyRing();
  const key = opts.key !== undefined ? keys.keyFromHex(opts.key) : undefined;
  if (key === null) return 'key: expected 32 hex digits';
  const r = decodeTelegram(bytes, { key, crcs: opts.crcs, explain: true });
  const t: Partial<Telegram> = r.ok ? r.value : r.partial;
  lines.push(`Wireless M-Bus telegram, ${bytes.length} bytes, link CRCs: ${t.frameFormat === 'none' ? 'none' : `format ${t.frameFormat}, removed`}: ${r.ok ? 'decoded' : 'NOT decoded'}`);
  if (t.address) lines.push(`Meter (link layer): ${explainAddress(t.address)}`);
  if (t.control !== undefined) lines.push(`C field ${t.control.toString(16).toUpperCase()} ${controlName(t.control)}`);
  if (t.ell) lines.push(`ELL CI ${t.ell.ci.toString(16).toUpperCase()}, access number ${t.ell.accessNumber}${t.ell.sessionNumber !== undefined ? `, session ${t.ell.sessionNumber.toString(16)}` : ''}`);
  if (t.afl) lines.push(`AFL: fragment ${t.afl.fragmentId}${t.afl.messageCounter !== undefined ? `, message counter ${t.afl.messageCounter}` : ''}`);
  if (t.tpl) {
    lines.push(`TPL CI ${t.tpl.ci.toString(16).toUpperCase()} (${t.tpl.kind === 'none' ? 'no' : t.tpl.kind} header, ${t.tpl.content})${t.tpl.accessNumber !== undefined ? `, access number ${t.tpl.accessNumber}, status ${t.tpl.status}` : ''}`);
    if (t.tpl.address) lines.push(`Meter (transport layer): ${explainAddress(t.tpl.address)}`);
  }
  if (t.security) lines.push(`Security: ${t.security.layer === 'none' ? 'none' : t.security.layer === 'ell' ? 'ELL AES-128-CTR' : `TPL mode ${t.security.mode}`}, ${t.security.state}`);
  if (t.compact) lines.push(`Compact frame: format ${t.compact.signature.toString(16).toUpperCase().padStart(4, '0')}, full-frame CRC ${t.compact.fullFrameCrc.toString(16).toUpperCase().padStart(4, '0')}`);
  lines.push(...explainRecords(t.records ?? []));
  if (t.manufacturerData) lines.push(`Manufacturer data: ${hexOf(t.manufacturerData.bytes, 0, t.manufacturerData.bytes.length)}`);
  lines.push(...explainIssues(r.issues), ...explainSpans(bytes, r.spans));
  return lines.join('\n');
}

const USAGE = `usage: decode --jsonl                 decoder contract on stdin/stdout
       decode <hex> [--key K] [--mbus] [--crcs auto|present|absent]`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--jsonl')) {
    await runJsonl();
    return 0;
  }
  let hex: string | undefined;
  let key: string | undefined;
  let mbus = false;
  let crcs: CrcPresence | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--key') key = argv[++i];
    else if (a === '--mbus') mbus = true;
    else if (a === '--crcs') crcs = argv[++i] as CrcPresence;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE + '\n');
      return 0;
    } else if (hex === undefined) hex = a;
    else hex += a; // hex split over several arguments
  }
  if (hex === undefined) {
    process.stderr.write(USAGE + '\n');
    return 2;
  }
  if (!mbus && /^68/i.test(hex) && /16$/.test(hex) && hex.length > 12 && hex.slice(2, 4).toLowerCase() === hex.slice(4, 6).toLowerCase()) mbus = true;
  process.stdout.write(explain(hex, { key, mbus, crcs }) + '\n');
  return 0;
}

// Run only as a program, so tests can import JsonlDecoder and explain().
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`decode: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  }
  );
}
