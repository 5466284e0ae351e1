import type { Db } from '../db/connection.js';
import { zoneOffsetMs } from '../../../shared/consumption.js';
import { KmpError, parseLogResponse, parseRegisters, parseSerialNo, parseType } from '../../../shared/kmp/commands.js';
import type { KmpRegisterValue } from '../../../shared/kmp/commands.js';
import { decodeFrame } from '../../../shared/kmp/frame.js';
import { registerById } from '../../../shared/kmp/registers.js';
import { KMP_UNITS, dateText, projectValue } from '../../../shared/kmp/value.js';
import { SCALE, type ReadingColumns } from './columns.js';
import type { Identity } from './ingest.js';

// Kamstrup KMP answers from the optical eye in the raw-first store (issue 9, protocols.md §5).
// A KMP answer does not name its meter: the sender names it ("KAM 12345678", the serial from
// GetSerialNo in the same session). A GetRegister answer is one reading at the time it was
// received; a logger answer (A0..A3) is one reading per record at the record's own time (its DATE
// and CLOCK registers, the meter's wall clock read in the utility's time zone). Ingest (ingest.ts)
// stores the frame first and writes the readings with mergeReading.

/** "KAM 12345678": a 3-letter manufacturer code and the serial as decimal digits (GetSerialNo is a uint32). */
export const KMP_METER = /^([A-Z]{3}) ([0-9]{1,10})$/;

/**
 * The identity a sender's `meter` names; the serial is padded to 8 digits, as a MULTICAL's serial
 * is printed and as its (wireless) M-Bus id names the same meter. Null when the text is not
 * "KAM 12345678"-shaped or the serial exceeds a uint32.
 */
export function kmpIdentity(meter: string | null | undefined): Identity | null {
  const m = meter ? KMP_METER.exec(meter) : null;
  if (!m || Number(m[2]) > 0xffffffff) return null;
  const serial = m[2].padStart(8, '0');
  return { manufacturer: m[1], serial, text: `${m[1]} ${serial}` };
}

/** The frame as the digest sees it: the meter's name, then the bytes (GetType answers of two 603s are the same bytes). */
export function kmpDigestInput(ident: Identity, bytes: Uint8Array): Uint8Array {
  const name = Buffer.from(`${ident.text}\n`, 'utf8');
  const out = new Uint8Array(name.length + bytes.length);
  out.set(name, 0);
  out.set(bytes, name.length);
  return out;
}

// -- registers → reading columns ---------------------------------------------------------------

type Column = Exclude<keyof ReadingColumns, 'extra'>;

/** Register ids that fill a column (protocols.md §5.5): E1, V1, actual flow V1, actual power, t1, t2, info code. */
const COLUMN_OF: ReadonlyMap<number, Column> = new Map([
  [60, 'energy'],
  [68, 'volume'],
  [74, 'flow'],
  [80, 'power'],
  [86, 'tFlow'],
  [87, 'tReturn'],
  [99, 'info']
]);

/**
 * `extra` names of registers a wireless MULTICAL reading also carries: the names of the Kamstrup
 * heat driver (shared/drivers/kamstrup/heat.ts), so the heat report finds E8/E9 whichever way the
 * meter was read. Every other register goes in `extra` under its display key ("P1", "E2", "t3").
 */
const EXTRA_NAME: ReadonlyMap<number, string> = new Map([
  [63, 'cooling'],
  [97, 'forwardEnergy'],
  [110, 'returnEnergy'],
  [84, 'inputA'],
  [85, 'inputB'],
  [64, 'tariff2Energy'],
  [65, 'tariff3Energy'],
  [1004, 'onTime'],
  [175, 'onTimeError']
]);

/**
 * Not stored as readings: the meter's identity and configuration, its clock (the frame or the
 * logger record has the time), and t1 − t2 (derivable, as columns.ts leaves it out).
 */
const SKIPPED_QUANTITIES = new Set(['identifier', 'configuration', 'clock', 'date-time']);
const SKIPPED_IDS = new Set([1003, 89]);
/** Tariff limits are "configuration" in the catalogue but are values a utility bills by: kept. */
const KEPT_IDS = new Set([66, 67]);

/** Units `extra` keeps each kind in (the columns' canonical units, COLUMN_UNITS), and factors to them. */
const EXTRA_UNITS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  energy: { Wh: 1e-3, kWh: 1, MWh: 1e3, J: 1 / 3.6e6, GJ: 1e9 / 3.6e6 },
  volume: { l: 1e-3, m3: 1 },
  'volume flow': { 'l/h': 1e-3, 'm3/h': 1 },
  power: { kW: 1 },
  duration: { h: 1, s: 1 / 3600, d: 24 }
};

function register(v: KmpRegisterValue): { name: string; column?: Column } | null {
  const column = COLUMN_OF.get(v.id);
  if (column) return { name: column, column };
  const r = registerById(v.id);
  if (r && !KEPT_IDS.has(v.id) && (SKIPPED_QUANTITIES.has(r.quantity) || SKIPPED_IDS.has(v.id))) return null;
  if (v.id === 1001) return null; // the serial: checked against the meter named, never a reading
  return { name: EXTRA_NAME.get(v.id) ?? r?.key ?? `register${v.id}` };
}

/**
 * The value for `extra`: energy, volume, flow, power and durations as numbers in the columns' units
 * (kWh, m3, m3/h, kW, h), other units of the contract (°C, K, bar, numbers) and m³·°C as numbers,
 * dates as text, and anything else (Gcal, ton, an uncertain or unknown unit code) as "text unit":
 * never a number whose unit a reader would have to guess.
 */
function extraValue(v: KmpRegisterValue): number | string {
  const p = projectValue(v.value);
  if (typeof p.value === 'string') return p.value;
  const info = KMP_UNITS[v.value.unit];
  if (info?.contract === undefined) return v.value.unit === 0x2b ? p.value : `${p.text} ${p.unit}`;
  const table = EXTRA_UNITS[info.kind];
  if (table === undefined) return p.value;
  const k = table[p.unit];
  return k === undefined ? `${p.text} ${p.unit}` : Number((p.value * k).toPrecision(15));
}

/** A register value as a column's integer (columns.ts SCALE), or undefined when its unit cannot go there. */
function columnValue(v: KmpRegisterValue, column: Column): number | undefined {
  const p = projectValue(v.value);
  // a unit code the sources disagree on (15: kW or W?) never goes in a column
  if (typeof p.value !== 'number' || KMP_UNITS[v.value.unit]?.contract === undefined) return undefined;
  const k = (SCALE[column] as Record<string, number | undefined>)[p.unit];
  if (k === undefined) return undefined;
  const n = Math.round(p.value * k);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The reading row of some register values; null when none of them is a reading (only identity and clock). */
export function kmpColumns(values: readonly KmpRegisterValue[]): ReadingColumns | null {
  const out: ReadingColumns = { energy: null, volume: null, flow: null, power: null, tFlow: null, tReturn: null, info: null, extra: null };
  let extra: Record<string, number | string> | null = null;
  let any = false;
  for (const v of values) {
    const r = register(v);
    if (r === null) continue;
    any = true;
    if (r.column) {
      const n = columnValue(v, r.column);
      if (n !== undefined) {
        out[r.column] = n;
        continue;
      }
      // a unit the column cannot take (Gcal, "m³ ×10"): kept in extra with its unit
    }
    (extra ??= {})[r.name] = extraValue(v);
  }
  if (extra) out.extra = JSON.stringify(extra);
  return any ? out : null;
}

// -- logger record time -------------------------------------------------------------------------

/**
 * The instant a wall-clock time happens in `timeZone` (in a DST gap the instant after it, in an
 * overlap the first), as shared/consumption.ts places local midnights.
 */
function instantIn(wall: number, timeZone: string): number {
  const first = wall - zoneOffsetMs(timeZone, wall);
  const second = wall - zoneOffsetMs(timeZone, first);
  if (first === second) return first;
  const a = Math.min(first, second);
  const b = Math.max(first, second);
  return zoneOffsetMs(timeZone, a) === wall - a ? a : b;
}

/**
 * A logger record's time from its DATE (1003, yy:mm:dd) and CLOCK (1002, hh:mm:ss, 00:00:00 when
 * the log keeps none) registers (protocols.md §5.4/§5.6). KMP has no time zone: the meter's
 * clock is its wall clock, read in the utility's zone. Null without a valid date.
 */
export function recordTime(values: readonly KmpRegisterValue[], timeZone: string): number | null {
  const date = values.find((v) => v.id === 1003);
  const clock = values.find((v) => v.id === 1002);
  const d = date ? dateText(date.value) : null;
  if (d === null || date!.value.unit === 0x32) return null; // mm:dd has no year
  const t = clock ? dateText(clock.value) : '00:00:00';
  if (t === null || clock?.value.unit !== undefined && clock.value.unit !== 0x2f) return null;
  const wall = Date.parse(`${d}T${t}Z`);
  if (!Number.isFinite(wall) || new Date(wall).toISOString().slice(0, 10) !== d) return null; // 2026-02-31
  return instantIn(wall, timeZone);
}

// -- one frame ----------------------------------------------------------------------------------

export interface KmpDecoded {
  status: 'decoded' | 'failed';
  reason: string | null;
  /** The readings the frame makes; `at` null: at the time the frame was received (a register answer). */
  readings: { at: number | null; columns: ReadingColumns }[];
}

const failed = (reason: string): KmpDecoded => ({ status: 'failed', reason: reason.slice(0, 500), readings: [] });

/**
 * What one stored KMP frame (one answer from the meter, 40 … 0D, as on the wire) makes, for the
 * meter `ident`. Never throws on bad bytes: a frame with bad stuffing or CRC (protocols.md §5.2),
 * a request, a malformed answer or one that names another serial is 'failed' with the reason,
 * and makes no reading.
 */
export function decodeKmp(raw: Uint8Array, ident: Identity, timeZone: string): KmpDecoded {
  const u = decodeFrame(raw);
  if (u.kind === 'garbage') return failed(`not a KMP answer: ${u.reason}`);
  if (u.kind === 'ack') return { status: 'decoded', reason: null, readings: [] }; // SetClock/PutRegister done: no data
  if (u.kind === 'request') return failed('a request to the meter (start byte 80), not its answer: send the frames that start with 40');
  const f = { dst: u.dst, cid: u.cid, data: u.data };
  const serialMismatch = (n: number): KmpDecoded | null => {
    const s = String(n).padStart(8, '0');
    return s === ident.serial ? null : failed(`the meter answered serial ${s}: this frame is not from ${ident.text}`);
  };
  switch (u.cid) {
    case 0x01: {
      const t = parseType(f);
      return t instanceof KmpError ? failed(t.message) : { status: 'decoded', reason: null, readings: [] };
    }
    case 0x02: {
      const s = parseSerialNo(f);
      if (s instanceof KmpError) return failed(s.message);
      return serialMismatch(s) ?? { status: 'decoded', reason: null, readings: [] };
    }
    case 0x10: {
      const regs = parseRegisters(f);
      if (regs instanceof KmpError) return failed(regs.message);
      const serial = regs.find((r) => r.id === 1001);
      const wrong = serial && serial.value.exponent === 0 && !serial.value.negative ? serialMismatch(Number(serial.value.mantissa)) : null;
      if (wrong) return wrong;
      const columns = kmpColumns(regs);
      return { status: 'decoded', reason: null, readings: columns ? [{ at: null, columns }] : [] };
    }
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa3: {
      const log = parseLogResponse(f);
      if (log instanceof KmpError) return failed(log.message);
      if (log.records.length > 0 && !log.registers.some((r) => r.id === 1003)) {
        return failed('the logger answer holds no date register (1003): its records cannot be placed in time');
      }
      const readings: KmpDecoded['readings'] = [];
      const undated: number[] = [];
      for (const rec of log.records) {
        const at = recordTime(rec.values, timeZone);
        const columns = kmpColumns(rec.values);
        if (at === null) undated.push(rec.recId);
        else if (columns) readings.push({ at, columns });
      }
      const reason = undated.length
        ? `${undated.length} record(s) without a valid date left out (RecID ${undated.slice(0, 5).join(', ')}${undated.length > 5 ? ', …' : ''})`
        : null;
      return { status: 'decoded', reason, readings };
    }
    default:
      return failed(`a KMP answer with CID ${u.cid.toString(16).toUpperCase().padStart(2, '0')} carries no registers: only GetType (01), GetSerialNo (02), GetRegister (10) and logger reads (A0..A3) are read`);
  }
}

// -- writing -----------------------------------------------------------------------------------

/**
 * Writes readings without clobbering: a register the new row leaves empty keeps the value stored
 * at that instant (a daily and an hourly record at the same midnight hold different registers; a
 * wireless reading at the same instant keeps its own), `extra` is merged key by key, and a row
 * that would not change is not rewritten (a re-sent logger changes nothing). ReadingStore.put
 * replaces the whole row, which is right for a telegram decoded again, not for a logger record.
 */
export class ReadingMerge {
  readonly #merge;

  constructor(db: Db) {
    const cols = ['energy', 'volume', 'flow', 'power', 't_flow', 't_return', 'info'];
    const set = cols.map((c) => `${c} = coalesce(excluded.${c}, reading.${c})`).join(', ');
    const mergedExtra = `case when excluded.extra is null then reading.extra when reading.extra is null then excluded.extra
      else json_patch(reading.extra, excluded.extra) end`;
    const changed = cols.map((c) => `reading.${c} is not coalesce(excluded.${c}, reading.${c})`).join(' or ');
    this.#merge = db.prepare(
      `insert into reading (meter_id, at, ${cols.join(', ')}, extra) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (meter_id, at) do update set ${set}, extra = ${mergedExtra}
       where ${changed} or reading.extra is not (${mergedExtra})`
    );
  }

  put(meterId: number, at: number, c: ReadingColumns): void {
    this.#merge.run(meterId, at, c.energy, c.volume, c.flow, c.power, c.tFlow, c.tReturn, c.info, c.extra);
  }
}
