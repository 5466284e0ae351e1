// What each CSV import kind accepts (M14): field names for the column mapping and how one cell
// becomes a value. Messages never quote the cell (a key file's cells are secrets).
import { parseMeterKey } from '../store/keys.js';
import { READING_MODES, type MeterInput, type ReadingMode } from '../store/meters.js';

// 'installations': one line per metering point with its customer and meter, as billing systems
// usually deliver them (import/installations.ts).
export const IMPORT_KINDS = ['customers', 'metering-points', 'meters', 'keys', 'installations'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export type CellValue = string | number | Uint8Array | null;
type Cell = { ok: true; value: CellValue } | { ok: false; message: string };
type Parser = (text: string) => Cell;

export interface FieldSpec {
  required: boolean;
  parse: Parser;
}

const ok = (value: CellValue): Cell => ({ ok: true, value });
const bad = (message: string): Cell => ({ ok: false, message });

const text =
  (max: number): Parser =>
  (s) =>
    s.length > max ? bad(`at most ${max} characters, got ${s.length}`) : ok(s);

const integer =
  (min: number, max: number): Parser =>
  (s) => {
    if (!/^-?\d+$/.test(s)) return bad(`expected a whole number from ${min} to ${max}`);
    const n = Number(s);
    return n < min || n > max ? bad(`expected a whole number from ${min} to ${max}`) : ok(n);
  };

const decimal =
  (min: number, max: number): Parser =>
  (s) => {
    const t = s.replace(',', '.'); // 55,676 as written with a decimal comma
    if (!/^-?\d+(\.\d+)?$/.test(t)) return bad(`expected a number from ${min} to ${max}`);
    const n = Number(t);
    return n < min || n > max ? bad(`expected a number from ${min} to ${max}`) : ok(n);
  };

const manufacturer: Parser = (s) => (/^[A-Za-z]{3}$/.test(s) ? ok(s.toUpperCase()) : bad('expected a 3-letter manufacturer code such as KAM'));
const serial: Parser = (s) => (/^[0-9A-Za-z._-]{1,32}$/.test(s) ? ok(s) : bad('expected 1-32 letters, digits or . _ -'));
const readingMode: Parser = (s) =>
  (READING_MODES as readonly string[]).includes(s) ? ok(s) : bad(`expected one of ${READING_MODES.join(', ')}`);
const instant: Parser = (s) => {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const t = Date.parse(s + 'T00:00:00Z');
    return Number.isNaN(t) ? bad('expected a date such as 2026-03-01') : ok(t);
  }
  const t = /^\d{4}-\d{2}-\d{2}T/.test(s) ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? bad('expected a date (2026-03-01) or an ISO 8601 time with zone (2026-03-01T06:00:00Z)') : ok(t);
};
const key: Parser = (s) => {
  const k = parseMeterKey(s);
  return k.ok ? ok(k.key) : bad(k.message);
};

const f = (parse: Parser, required = false): FieldSpec => ({ required, parse });

export const FIELDS: Record<ImportKind, Record<string, FieldSpec>> = {
  customers: { number: f(text(64), true), name: f(text(200), true), email: f(text(200)), phone: f(text(50)) },
  'metering-points': {
    number: f(text(64), true),
    address: f(text(300), true),
    postalCode: f(text(20)),
    city: f(text(100)),
    lat: f(decimal(-90, 90)),
    lon: f(decimal(-180, 180)),
    customerNumber: f(text(64))
  },
  meters: {
    manufacturer: f(manufacturer, true),
    serial: f(serial, true),
    version: f(integer(0, 255)),
    deviceType: f(integer(0, 255)),
    medium: f(text(30)),
    model: f(text(100)),
    driver: f(text(64)),
    readingMode: f(readingMode),
    intervalS: f(integer(1, 31_622_400)),
    meteringPointNumber: f(text(64)),
    installedFrom: f(instant)
  },
  keys: { serial: f(serial, true), manufacturer: f(manufacturer), key: f(key, true) },
  installations: {
    customerNumber: f(text(64)),
    customerName: f(text(200)),
    email: f(text(200)),
    phone: f(text(50)),
    meteringPointNumber: f(text(64), true),
    address: f(text(300), true),
    postalCode: f(text(20)),
    city: f(text(100)),
    lat: f(decimal(-90, 90)),
    lon: f(decimal(-180, 180)),
    manufacturer: f(manufacturer, true),
    serial: f(serial, true),
    version: f(integer(0, 255)),
    deviceType: f(integer(0, 255)),
    medium: f(text(30)),
    model: f(text(100)),
    driver: f(text(64)),
    readingMode: f(readingMode),
    intervalS: f(integer(1, 31_622_400)),
    installedFrom: f(instant)
  }
};

/** Header → field, from the caller's mapping or, without one, from headers named like fields. */
export function resolveMapping(
  kind: ImportKind,
  header: string[],
  mapping: Record<string, string | null> | undefined
): { ok: true; columns: Map<string, number> } | { ok: false; errors: { field: string; message: string }[] } {
  const fields = FIELDS[kind];
  const names = Object.keys(fields);
  const errors: { field: string; message: string }[] = [];
  const columns = new Map<string, number>();
  const norm = (s: string) => s.toLowerCase().replace(/[\s_-]/g, '');
  if (mapping) {
    for (const [column, field] of Object.entries(mapping)) {
      if (field === null || field === '') continue;
      if (!names.includes(field)) {
        errors.push({ field: `mapping.${column}`, message: `unknown field "${field}" for ${kind}; expected one of ${names.join(', ')}` });
        continue;
      }
      let index = header.indexOf(column.trim());
      if (index < 0) index = header.findIndex((h) => norm(h) === norm(column));
      if (index < 0) {
        errors.push({ field: `mapping.${column}`, message: `the file has no column "${column}" (its header: ${header.join(', ')})` });
        continue;
      }
      if (columns.has(field)) {
        errors.push({ field: `mapping.${column}`, message: `field "${field}" is mapped from two columns` });
        continue;
      }
      columns.set(field, index);
    }
  } else {
    header.forEach((h, i) => {
      const field = names.find((n) => norm(n) === norm(h));
      if (field && !columns.has(field)) columns.set(field, i);
    });
  }
  for (const [name, spec] of Object.entries(fields)) {
    if (spec.required && !columns.has(name)) {
      errors.push({ field: 'mapping', message: `no column is mapped to the required field "${name}"` });
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, columns };
}

/** A cell for a store: undefined (no such column) keeps the stored value, null (empty cell) clears it. */
export const cellText = (v: CellValue | undefined) => (v === undefined ? undefined : v === null ? null : String(v));
export const cellNumber = (v: CellValue | undefined) => (v === undefined ? undefined : v === null ? null : Number(v));

/** The meter of a meters or installations row, as the meter store takes it (the row is validated). */
export function meterInputOf(v: Readonly<Record<string, CellValue | undefined>>): MeterInput {
  return {
    manufacturer: String(v.manufacturer),
    serial: String(v.serial),
    version: cellNumber(v.version),
    deviceType: cellNumber(v.deviceType),
    medium: cellText(v.medium),
    model: cellText(v.model),
    driver: cellText(v.driver),
    readingMode: v.readingMode === undefined || v.readingMode === null ? undefined : (v.readingMode as ReadingMode),
    intervalS: cellNumber(v.intervalS)
  };
}
