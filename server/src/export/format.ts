import { z } from 'zod';
import { zoneOffsetMs } from '../../../shared/consumption.js';
import { exportField, type ExportRow } from './fields.js';

// An export format (M13) and the file it makes: delimited (RFC 4180 quoting) or fixed-width,
// with the decimal mark, date format and line end the billing system expects. render() is pure:
// rows and the utility's time zone in, the file's text out, tested byte for byte.

export const DATE_FORMATS = ['iso', 'YYYY-MM-DD', 'DD-MM-YYYY', 'DD.MM.YYYY HH:mm'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

const dateFormat = z.enum(DATE_FORMATS, { error: `expected one of ${DATE_FORMATS.join(', ')}` });

export const Column = z
  .object({
    field: z.string({ error: 'expected a field id from GET /api/exports/fields' }).min(1).max(60),
    header: z.string({ error: 'expected text' }).max(100, 'at most 100 characters').optional(),
    unit: z.string().max(10).optional(),
    decimals: z.number({ error: 'expected a number' }).int('expected a whole number').min(0).max(6, 'at most 6').optional(),
    dateFormat: dateFormat.optional(),
    width: z.number({ error: 'expected a number' }).int('expected a whole number').min(1).max(200, 'at most 200').optional(),
    align: z.enum(['left', 'right'], { error: 'expected left or right' }).optional(),
    pad: z.string().length(1, 'expected one character').optional()
  })
  .strict();

export const ExportFormat = z
  .object({
    kind: z.enum(['delimited', 'fixed'], { error: 'expected delimited or fixed' }),
    separator: z.enum([',', ';', '\t', '|'], { error: 'expected , ; tab or |' }).default(';'),
    /** needed: only values holding the separator, a quote or a line break; never: such a value is an error. */
    quote: z.enum(['needed', 'always', 'never'], { error: 'expected needed, always or never' }).default('needed'),
    header: z.boolean({ error: 'expected true or false' }).default(true),
    decimalMark: z.enum(['.', ','], { error: 'expected . or ,' }).default('.'),
    dateFormat: dateFormat.default('iso'),
    lineEnd: z.enum(['CRLF', 'LF'], { error: 'expected CRLF or LF' }).default('CRLF'),
    bom: z.boolean({ error: 'expected true or false' }).default(false),
    /** Not used by render: rows.ts interpolates water meters' volume at the cut-off (rows marked estimated). */
    interpolate: z.boolean({ error: 'expected true or false' }).default(false),
    /** No estimate across a longer gap between the readings around the cut-off: the value stays empty, marked missing. */
    maxGapDays: z.number({ error: 'expected a number of days' }).int('expected a whole number of days').min(1, 'at least 1 day').max(366, 'at most 366 days').optional(),
    columns: z.array(Column, { error: 'expected a list of columns' }).min(1, 'choose at least one column').max(100, 'at most 100 columns')
  })
  .strict()
  .superRefine((f, ctx) => {
    f.columns.forEach((c, i) => {
      const field = exportField(c.field);
      if (!field) {
        ctx.addIssue({ code: 'custom', path: ['columns', i, 'field'], message: `no export field "${c.field}" (see GET /api/exports/fields)` });
        return;
      }
      if (c.unit !== undefined && !(field.units && c.unit in field.units)) {
        const allowed = field.units ? Object.keys(field.units).join(', ') : 'none';
        ctx.addIssue({ code: 'custom', path: ['columns', i, 'unit'], message: `"${c.field}" cannot be given in ${c.unit} (units: ${allowed})` });
      }
      if (f.kind === 'fixed' && c.width === undefined) {
        ctx.addIssue({ code: 'custom', path: ['columns', i, 'width'], message: 'a fixed-width file needs a width for every column' });
      }
    });
  });

export type ExportFormat = z.output<typeof ExportFormat>;
export type ExportFormatInput = z.input<typeof ExportFormat>;
type ColumnDef = ExportFormat['columns'][number];

export interface RenderError {
  /** 1-based data row (the header line is row 0). */
  row: number;
  /** 1-based column. */
  column: number;
  field: string;
  message: string;
}

export interface Rendered {
  text: string;
  /** Data lines written. A row with an error is left out of the text; a download refuses then. */
  rows: number;
  errors: RenderError[];
}

export interface RenderOptions {
  /** The utility's IANA zone, for every date format except iso. */
  timeZone: string;
}

const two = (n: number) => String(n).padStart(2, '0');

/** An instant in a named pattern: iso in UTC, the others on the utility's wall clock. */
export function formatDate(at: number, pattern: DateFormat, timeZone: string): string {
  const d = new Date(pattern === 'iso' ? at : at + zoneOffsetMs(timeZone, at));
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  const mo = two(d.getUTCMonth() + 1);
  const day = two(d.getUTCDate());
  const hm = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
  switch (pattern) {
    case 'iso':
      return `${y}-${mo}-${day}T${hm}:${two(d.getUTCSeconds())}Z`;
    case 'YYYY-MM-DD':
      return `${y}-${mo}-${day}`;
    case 'DD-MM-YYYY':
      return `${day}-${mo}-${y}`;
    case 'DD.MM.YYYY HH:mm':
      return `${day}.${mo}.${y} ${hm}`;
  }
}

/**
 * `stored / divisor` with `decimals` places, rounded half away from zero, without binary
 * floating-point surprises: stored values are integers, so the rounding works on integers
 * (BigInt), never on 1.005-like doubles.
 */
export function formatDecimal(stored: number, divisor: number, decimals: number, mark: '.' | ','): string {
  if (!Number.isInteger(stored)) throw new TypeError(`stored: expected an integer, got ${stored}`);
  const neg = stored < 0;
  const scale = 10n ** BigInt(decimals);
  // every unit's divisor in fields.ts is a whole number (1, 100, 1e3 … 3.6e9)
  if (!Number.isInteger(divisor)) throw new TypeError(`divisor: expected an integer, got ${divisor}`);
  const num = BigInt(Math.abs(stored)) * scale;
  const den = BigInt(divisor);
  let q = num / den;
  if ((num % den) * 2n >= den) q += 1n;
  const digits = q.toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const frac = digits.slice(digits.length - decimals);
  const body = decimals > 0 ? `${whole}${mark}${frac}` : whole;
  return neg && q !== 0n ? `-${body}` : body;
}

/** One cell's text, before quoting or padding; null for a missing value. */
function cellText(c: ColumnDef, row: ExportRow, format: ExportFormat, timeZone: string): string | null {
  const field = exportField(c.field)!;
  const v = field.get(row);
  if (v === null) return null;
  switch (field.type) {
    case 'text':
      return String(v);
    case 'integer':
      return String(v);
    case 'instant':
      return formatDate(v as number, c.dateFormat ?? format.dateFormat, timeZone);
    case 'number': {
      const units = field.units!;
      const unit = units[c.unit ?? Object.keys(units)[0]];
      return formatDecimal(v as number, unit.divisor, c.decimals ?? unit.decimals, format.decimalMark);
    }
  }
}

const length = (s: string) => [...s].length;

function fixedCell(text: string | null, c: ColumnDef, numeric: boolean): string | { error: string } {
  const width = c.width!;
  // a missing value is blank even in a zero-padded column: 000000 would read as a zero reading
  if (text === null) return ' '.repeat(width);
  const n = length(text);
  if (n > width) return { error: `"${text}" is ${n} characters, the column is ${width} wide` };
  const pad = (c.pad ?? ' ').repeat(width - n);
  return (c.align ?? (numeric ? 'right' : 'left')) === 'right' ? pad + text : text + pad;
}

function delimitedCell(text: string | null, format: ExportFormat): string | { error: string } {
  if (text === null) return format.quote === 'always' ? '""' : '';
  const special = text.includes(format.separator) || /["\r\n]/.test(text);
  if (format.quote === 'always' || (format.quote === 'needed' && special)) return `"${text.replace(/"/g, '""')}"`;
  if (special) return { error: `"${text}" holds the separator, a quote or a line break and the format never quotes` };
  return text;
}

export interface LineRenderer {
  /** The header line with its line end, or '' (no header, or it does not fit: see errors). */
  header(): string;
  /** One data line with its line end; '' when it does not fit (the error is in errors). `index` is 0-based. */
  line(row: ExportRow, index: number): string;
  /** The byte order mark, when the format asks for one. */
  readonly bom: string;
  readonly errors: RenderError[];
}

/** Renders a file line by line, so a large export can be streamed or written in chunks. */
export function lineRenderer(format: ExportFormat, opts: RenderOptions): LineRenderer {
  const eol = format.lineEnd === 'CRLF' ? '\r\n' : '\n';
  const errors: RenderError[] = [];
  const numeric = format.columns.map((c) => exportField(c.field)!.type !== 'text');
  const join = format.kind === 'fixed' ? '' : format.separator;
  const line = (cells: (string | null)[], rowNo: number, label: string): string => {
    const out: string[] = [];
    let ok = true;
    format.columns.forEach((c, i) => {
      if (format.kind === 'fixed' && /[\r\n]/.test(cells[i] ?? '')) {
        errors.push({ row: rowNo, column: i + 1, field: c.field, message: `${label}, column ${i + 1} (${c.field}): a line break cannot go in a fixed-width file` });
        ok = false;
        return;
      }
      const cell = format.kind === 'fixed' ? fixedCell(cells[i], c, numeric[i]) : delimitedCell(cells[i], format);
      if (typeof cell === 'string') out.push(cell);
      else {
        errors.push({ row: rowNo, column: i + 1, field: c.field, message: `${label}, column ${i + 1} (${c.field}): ${cell.error}` });
        ok = false;
      }
    });
    return ok ? out.join(join) + eol : '';
  };
  return {
    bom: format.bom ? '\uFEFF' : '',
    errors,
    header: () => (format.header ? line(format.columns.map((c) => c.header ?? c.field), 0, 'header') : ''),
    line: (row, k) =>
      line(
        format.columns.map((c) => cellText(c, row, format, opts.timeZone)),
        k + 1,
        `row ${k + 1} (meter ${row.meter.manufacturer} ${row.meter.serial})`
      )
  };
}

/** The file's text for the rows. */
export function render(format: ExportFormat, rows: readonly ExportRow[], opts: RenderOptions): Rendered {
  const r = lineRenderer(format, opts);
  let text = r.bom + r.header();
  let written = 0;
  rows.forEach((row, k) => {
    const l = r.line(row, k);
    if (l !== '') {
      text += l;
      written++;
    }
  });
  return { text, rows: written, errors: r.errors };
}
