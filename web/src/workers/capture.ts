// Decoding a capture file (B7): many telegrams at once, in the worker, so an engineer can check
// a receiver's log or a colleague's capture on the spot, offline. One telegram per line, either
// plain hex (spaces allowed) or a line of the decoder contract, {"hex": "…", "key": "…"}
// (../shared/conformance/README.md, "Input line"). Kept apart from the Comlink wiring so Node
// tests run it too.

import { tryFromHex } from '$shared/bytes/hex';
import { aesKey, type AesKey } from '$shared/crypto/aes';
import { applyDriver } from '$shared/drivers/index';
import type { IssueCode } from '$shared/model/decoded';
import type { ReadingField } from '$shared/model/reading';
import type { CompactFormatTable } from '$shared/wmbus/compact';
import type { KeyRing } from '$shared/wmbus/keyring';
import { decodeTelegram } from '$shared/wmbus/telegram';

/** Why a line is not even a telegram to try. */
export type LineProblem = 'not-hex' | 'not-json' | 'not-wmbus' | 'bad-key';

export interface CaptureRow {
  line: number;
  /** "KAM 76348799" when the link header could be read. */
  meter: string | null;
  ok: boolean;
  /** First error: an issue code or a line problem. */
  reason: IssueCode | LineProblem | null;
  /** The driver's primary register, "1234.5 m³", when decoded. */
  value: string | null;
}

export interface CaptureSummary {
  /** Non-blank lines that are not comments. */
  lines: number;
  decoded: number;
  /** Lines by the reason they did not decode. */
  reasons: Partial<Record<IssueCode | LineProblem, number>>;
  /** Distinct meters seen (link header readable). */
  meters: number;
  /** The first `rowsKept` lines' outcomes, for the table on the screen. */
  rows: CaptureRow[];
  /** Decoding time in the worker, ms (parsing included). */
  ms: number;
}

export interface CaptureOptions {
  /** The route's key ring: used for lines without a key of their own. */
  keys: KeyRing;
  /** Compact formats: the capture's full frames teach it, as they would on the route. */
  formats: CompactFormatTable;
  rowsKept?: number;
  /** Called every `progressEvery` lines with the lines done so far. */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
  now?: () => number;
}

const KEY_DIGITS = /^[0-9A-Fa-f]{32}$/;

interface Line {
  bytes: Uint8Array | null;
  key: AesKey | undefined;
  problem: LineProblem | null;
}

/** One line of the file; `cache` keeps each distinct key expanded once (a capture has few meters and many lines). */
function parseLine(text: string, cache: Map<string, AesKey>): Line {
  if (!text.startsWith('{')) {
    const bytes = tryFromHex(text);
    return bytes && bytes.length > 0 ? { bytes, key: undefined, problem: null } : { bytes: null, key: undefined, problem: 'not-hex' };
  }
  let req: { hex?: unknown; link?: unknown; key?: unknown };
  try {
    req = JSON.parse(text);
  } catch {
    return { bytes: null, key: undefined, problem: 'not-json' };
  }
  if (req.link !== undefined && req.link !== 'wmbus') return { bytes: null, key: undefined, problem: 'not-wmbus' };
  const bytes = typeof req.hex === 'string' ? tryFromHex(req.hex) : null;
  if (!bytes || bytes.length === 0) return { bytes: null, key: undefined, problem: 'not-hex' };
  if (req.key === undefined) return { bytes, key: undefined, problem: null };
  if (typeof req.key !== 'string' || !KEY_DIGITS.test(req.key)) return { bytes, key: undefined, problem: 'bad-key' };
  let key = cache.get(req.key);
  if (!key) {
    key = aesKey(tryFromHex(req.key)!);
    cache.set(req.key, key);
  }
  return { bytes, key, problem: null };
}

function valueText(f: ReadingField): string | null {
  if (f.value === null) return null;
  const v = typeof f.value === 'number' ? String(+f.value.toPrecision(12)) : f.value;
  return f.unit ? `${v} ${f.unit}` : v;
}

export function decodeCapture(text: string, o: CaptureOptions): CaptureSummary {
  const now = o.now ?? (() => performance.now());
  const t0 = now();
  const rowsKept = o.rowsKept ?? 200;
  const every = o.progressEvery ?? 5000;
  const cache = new Map<string, AesKey>();
  const meters = new Set<string>();
  const summary: CaptureSummary = { lines: 0, decoded: 0, reasons: {}, meters: 0, rows: [], ms: 0 };
  const all = text.split(/\r?\n/);
  const fail = (reason: IssueCode | LineProblem) => (summary.reasons[reason] = (summary.reasons[reason] ?? 0) + 1);

  all.forEach((raw, index) => {
    const t = raw.trim();
    if (t.length === 0 || t.startsWith('#')) return;
    summary.lines++;
    if (o.onProgress && summary.lines % every === 0) o.onProgress(index + 1, all.length);
    const line = parseLine(t, cache);
    const row: CaptureRow = { line: index + 1, meter: null, ok: false, reason: line.problem, value: null };
    if (line.bytes && line.problem === null) {
      const r = decodeTelegram(line.bytes, { keys: o.keys, formats: o.formats, key: line.key });
      const address = r.ok ? r.value.address : r.partial.address;
      if (address) {
        row.meter = `${address.manufacturer} ${address.id}`;
        meters.add(row.meter);
      }
      if (r.ok) {
        row.ok = true;
        try {
          const reading = applyDriver(r.value);
          const primary = reading.primary ? reading.fields[reading.primary] : undefined;
          if (primary) row.value = valueText(primary);
        } catch {
          // the telegram decoded; a driver that cannot read it leaves the value empty
        }
      } else {
        row.reason = r.issues.find((i) => i.severity === 'error')?.code ?? r.issues[0]?.code ?? 'bad-frame';
      }
    }
    if (row.ok) summary.decoded++;
    else fail(row.reason ?? 'bad-frame');
    if (summary.rows.length < rowsKept) summary.rows.push(row);
  });
  o.onProgress?.(all.length, all.length);
  summary.meters = meters.size;
  summary.ms = now() - t0;
  return summary;
}
