import type { Db } from '../db/connection.js';
import { formatDate, lineRenderer, type ExportFormat, type RenderError } from './format.js';
import { exportRowsOf, type Selection } from './rows.js';

// One export file (M13) for the download and the scheduled jobs. A file of 100,000 meters is
// never held as one string: check() renders every line once to find lines that do not fit and
// to count rows and bytes (so a refusal comes before the first byte, and the audit entry is
// written before the file leaves), then chunks() renders it again 1,000 meters at a time.

export interface ExportFile {
  fileName: string;
  contentType: string;
  timeZone: string;
  /** Meters in the selection. */
  meters: number;
  check(): FileCheck;
  /** The file's text in pieces (header first, then one piece per 1,000 meters). */
  chunks(): Generator<string>;
}

export interface FileCheck {
  rows: number;
  estimated: number;
  bytes: number;
  errors: RenderError[];
}

export interface FileRequest {
  tenantId: number;
  timeZone: string;
  format: ExportFormat;
  /** The saved format's name, for the file name; null for an ad hoc format. */
  formatName: string | null;
  selection: Selection;
  at: number;
}

export function exportFile(db: Db, req: FileRequest): ExportFile {
  const source = exportRowsOf(db);
  const ids = source.meterIds(req.tenantId, req.selection);
  const { format, timeZone, at } = req;
  const rowOptions = { interpolate: format.interpolate, maxGapDays: format.maxGapDays };
  function* pieces(r: ReturnType<typeof lineRenderer>, onRow?: (estimated: boolean, line: string) => void): Generator<string> {
    yield r.bom + r.header();
    let k = 0;
    for (const rows of source.chunks(req.tenantId, ids, at, timeZone, rowOptions)) {
      let piece = '';
      for (const row of rows) {
        const line = r.line(row, k++);
        onRow?.(row.estimated, line);
        piece += line;
      }
      yield piece;
    }
  }
  return {
    fileName: fileName(req.formatName, format, at, timeZone),
    contentType: `${format.kind === 'delimited' && format.separator !== '\t' ? 'text/csv' : 'text/plain'}; charset=utf-8`,
    timeZone,
    meters: ids.length,
    check() {
      const r = lineRenderer(format, { timeZone });
      let rows = 0;
      let estimated = 0;
      let bytes = 0;
      for (const piece of pieces(r, (est, line) => {
        if (line === '') return;
        rows++;
        if (est) estimated++;
      })) {
        bytes += Buffer.byteLength(piece, 'utf8');
      }
      return { rows, estimated, bytes, errors: r.errors };
    },
    chunks: () => pieces(lineRenderer(format, { timeZone }))
  };
}

/** readout-<format name>-<cut-off date>.csv|tsv|txt, safe on every file system. */
export function fileName(formatName: string | null, format: ExportFormat, at: number, timeZone: string): string {
  const slug =
    (formatName ?? 'export')
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .replace(/[^\w-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .toLowerCase() || 'export';
  const ext = format.kind === 'fixed' ? 'txt' : format.separator === '\t' ? 'tsv' : 'csv';
  return `readout-${slug}-${formatDate(at, 'YYYY-MM-DD', timeZone)}.${ext}`;
}

/** What the audit keeps of a selection: never a list of 100,000 ids. */
export function selectionSummary(s: Selection): Record<string, unknown> {
  if (s.kind === 'meters') return { kind: 'meters', count: s.meterIds.length, meterIds: s.meterIds.length <= 50 ? s.meterIds : undefined };
  return { ...s };
}

/** The whole file as bytes (an e-mail attachment; the caller has checked it fits). */
export function fileBytes(file: ExportFile): Buffer {
  return Buffer.concat([...file.chunks()].map((p) => Buffer.from(p, 'utf8')));
}
