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

// ---------------------------------------------------------------------------------------------
// --jsonl: the decoder contract

interface Request {
  hex?: unknown;
  link?: unknown;
  key?: unknown;
}

/**
 * Output bytes for the JSONL answers, written straight into a Buffer: at 100,000 telegrams of
 * ~1.5 kB JSON each, string concatenation and UTF-8 re-encoding took most of the time (measured
 * with --cpu-prof). Record fields that depend only on DIF/VIF (unit, quantity, storage, tariff,
 * subunit, function) are encoded once per DIF/VIF string and copied; this is a cache of output
 * fragments checked against every record, not of decode results.
 */
class JsonOut {
  buf: Buffer = Buffer.allocUnsafe(1 << 20);
  pos = 0;
  readonly #fragments = new Map<string, { r: DataRecord; bytes: Uint8Array }>();

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
    const n = x.length;
    this.#room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = x[i];
    this.pos = p;
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

  number(v: number): void {
    if (v >= 0 && v < 1e9 && (v | 0) === v) {
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
      return;
    }
    this.ascii(Number.isFinite(v) ? String(v) : 'null');
  }

  nullable(v: number | null | undefined): void {
    if (v === null || v === undefined) this.ascii('null');
    else this.number(v);
  }

  record(r: DataRecord): void {
    this.ascii('{"value":');
    if (typeof r.value === 'number') this.number(r.value);
    else this.string(r.value);
    let f = this.#fragments.get(r.difvif);
    const c = f?.r;
    if (
      c === undefined ||
      c.unit !== r.unit ||
      c.quantity !== r.quantity ||
      c.storage !== r.storage ||
      c.tariff !== r.tariff ||
      c.subunit !== r.subunit ||
      c.function !== r.function
    ) {
      const text =
        `,"unit":${JSON.stringify(r.unit)},"quantity":${JSON.stringify(r.quantity)},"storage":${r.storage},` +
        `"tariff":${r.tariff},"subunit":${r.subunit},"function":"${r.function}"}`;
      f = { r, bytes: Buffer.from(text, 'utf8') };
      if (this.#fragments.size > 4096) this.#fragments.clear();
      this.#fragments.set(r.difvif, f);
    }
    this.bytes(f!.bytes);
  }

  records(records: DataRecord[], extras?: ExtraValue[]): void {
    this.ascii('"records":[');
    for (let i = 0; i < records.length; i++) {
      if (i > 0) this.buf[this.pos++] = 0x2c;
      this.record(records[i]);
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

  /** The bytes written so far (a copy), and a fresh start. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}

/**
 * Keeps what one run learns (compact formats), each distinct key, expanded once, and per meter
 * the driver chosen for it with its plan of added values (shared/drivers/extras.ts).
 */
export class JsonlDecoder {
  readonly keys = new KeyRing();
  readonly formats = new CompactFormatTable();
  readonly out = new JsonOut();
  /** Per meter (manufacturer, id, version, type): its driver, chosen once. */
  readonly #drivers = new Map<string, ExtrasPlan[]>();
  /** Per driver: a plan for each record layout seen (meters of one model share them). */
  readonly #plans = new Map<Driver, ExtrasPlan[]>();

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

  /** The values the meter's driver adds to these records (formulas, unscaled registers …). */
  #extras(a: MeterAddress, records: DataRecord[], manufacturerBytes: Uint8Array | undefined): ExtraValue[] | undefined {
    const key = a.manufacturer + a.id + String.fromCharCode(a.version, a.deviceType);
    let plans = this.#drivers.get(key);
    if (plans === undefined) {
      const driver = findDriver(a);
      plans = this.#plans.get(driver);
      if (plans === undefined) this.#plans.set(driver, (plans = []));
      if (this.#drivers.size > 100_000) this.#drivers.clear();
      this.#drivers.set(key, plans);
    }
    // The layout of the meter's last telegram first: a meter rarely changes its datagram.
    let plan: ExtrasPlan | undefined;
    for (let i = plans.length - 1; i >= 0; i--) {
      if (fitsLayout(plans[i]!, records)) {
        plan = plans[i]!;
        break;
      }
    }
    if (plan === undefined) {
      plan = planExtras(this.#driverOf(plans, a), records);
      if (plans.length > 64) plans.shift();
      plans.push(plan);
    }
    return plan.adds ? runExtras(plan, records, manufacturerBytes) : undefined;
  }

  #driverOf(plans: ExtrasPlan[], a: MeterAddress): Driver {
    return plans.length > 0 ? plans[0]!.driver : findDriver(a);
  }

  /** Decodes one input line and appends its answer line to `out`. */
  write(text: string): void {
    const o = this.out;
    const mark = o.pos;
    try {
      this.#answer(text);
    } catch (e) {
      // A bug of ours must not stop the run; the contract still gets its line.
      o.pos = mark;
      o.failure(`internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
    o.newline();
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
    const link = req.link ?? 'wmbus';
    if (link === 'wmbus') {
      let key;
      if (typeof req.key === 'string') {
        key = this.keys.keyFromHex(req.key) ?? undefined;
        if (key === undefined) return o.failure('"key" is not 32 hex digits');
      }
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
      o.records(t.records, this.#extras(t.tpl?.address ?? t.address, t.records, t.manufacturerData?.bytes));
      o.ascii('}');
      return;
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
      o.records(f.records, f.address === undefined ? undefined : this.#extras(f.address, f.records, f.manufacturerData?.bytes));
      o.ascii('}');
      return;
    }
    if (link === 'kmp') return o.failure('kmp not supported yet');
    return o.failure(`unknown link ${JSON.stringify(link)}`);
  }
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
  let rest = '';
  const flush = async (): Promise<void> => {
    if (out.pos === 0) return;
    if (!stdout.write(out.take())) await new Promise<void>((resolve) => stdout.once('drain', resolve));
  };
  stdin.setEncoding('utf8');
  for await (const chunk of stdin as AsyncIterable<string>) {
    const text = rest.length > 0 ? rest + chunk : chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      if (nl > start && !(nl === start + 1 && text.charCodeAt(start) === 13)) decoder.write(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
    if (out.pos > 1 << 19) await flush();
  }
  if (rest.trim().length > 0) decoder.write(rest);
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
