// CSV text → header and rows with their line numbers (M14). csv-parse handles quotes, a BOM
// and CRLF; line numbers are those a text editor shows for the first line of each record.
import { parse } from 'csv-parse/sync';

export const SEPARATORS = [',', ';', '\t', '|'] as const;
export type Separator = (typeof SEPARATORS)[number];

export interface CsvRow {
  /** 1-based line where the record starts. */
  line: number;
  cells: string[];
}

export interface CsvTable {
  header: string[];
  rows: CsvRow[];
}

export type CsvParse = { ok: true; table: CsvTable } | { ok: false; line: number | null; message: string };

// csv-parse's own messages quote the text around the problem; ours name only the line, so no
// cell content (a key, in a key file) ends up in a message.
const MESSAGES: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed (a " is missing)',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by other characters than the separator',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a closing quote is followed by other characters than the separator',
  CSV_MAX_RECORD_SIZE: 'a record is too long',
  INVALID_OPENING_QUOTE: 'a quote appears inside a field that does not start with a quote'
};

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

export function parseCsv(text: string, separator: Separator): CsvParse {
  // One line ending everywhere, so line numbers count as an editor does (csv-parse counts a CRLF
  // inside quotes twice).
  const normalised = text.replace(/\r\n?/g, '\n');
  let records: ParsedRecord[];
  try {
    records = parse(normalised, {
      delimiter: separator,
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: 1_000_000
    }) as unknown as ParsedRecord[];
  } catch (err) {
    const e = err as { code?: string; lines?: number };
    const message = (e.code && MESSAGES[e.code]) ?? `the file cannot be read as CSV (${e.code ?? 'unknown error'})`;
    return { ok: false, line: typeof e.lines === 'number' ? e.lines : null, message };
  }
  if (!records.length) return { ok: false, line: null, message: 'the file is empty: expected a header line and rows' };
  const rows = records.map((r) => {
    const inside = r.record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
    return { line: r.info.lines - inside, cells: r.record };
  });
  const [head, ...body] = rows;
  return { ok: true, table: { header: head!.cells.map((h) => h.trim()), rows: body } };
}
