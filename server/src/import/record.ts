// Imports that leave an import run (M14): the import's effects and its run row (counts, every
// rejected line, the meters it touched) are written in one transaction. A file the importer
// refuses as a whole (unreadable CSV, mapping errors, wrong key-file password) gets a failed run
// too, and the caller still receives the 422. Dry runs record nothing.
import { createHash } from 'node:crypto';
import { HTTPException } from 'hono/http-exception';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import type { Stores } from '../store/index.js';
import type { RejectedLine, RunStatus } from '../store/imports.js';
import { runKemImport, type KemImportReport, type KemImportRequest } from './kem-import.js';
import { noEffects, runCsvImport, type CsvImportRequest, type ImportEffects, type ImportReport } from './run.js';

export interface RunContext {
  actor: Actor;
  trigger: 'manual' | 'scheduled';
  /** The file name (or folder/file for a folder import). */
  source: string;
  folderId?: number | null;
  /** When the import started. */
  now: number;
  /** The clock, for when it finished (the injected one in tests). */
  clock?: () => number;
}

export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

export interface Recorded<R> {
  report: R;
  runId: number | null;
  status: RunStatus | null;
  effects: ImportEffects;
}

export function recordedCsvImport(db: Db, stores: Stores, ctx: RunContext, req: CsvImportRequest, fileHash?: string): Recorded<ImportReport> {
  const effects = noEffects();
  if (req.dryRun) return { report: runCsvImport(db, stores, ctx.actor, req, ctx.now, effects), runId: null, status: null, effects };
  const hash = fileHash ?? sha256(req.csv);
  return recorded(db, stores, ctx, req.kind, hash, effects, () => {
    const report = runCsvImport(db, stores, ctx.actor, req, ctx.now, effects);
    const summary = {
      rows: report.rows,
      valid: report.valid,
      invalid: report.invalid,
      created: report.created,
      updated: report.updated,
      unchanged: report.unchanged,
      installed: report.installed
    };
    const rejected = effects.rejected.map((e) => ({ line: e.line, field: e.field, message: e.message }));
    let message: string | null = null;
    if (!report.imported) {
      message = !report.rows
        ? 'the file has a header but no data rows'
        : report.invalid && report.mode === 'all-or-nothing'
          ? `${report.invalid} of ${report.rows} rows have errors; nothing was imported (mode all-or-nothing)`
          : 'no row is valid; nothing was imported';
    }
    return { report, summary, rejected, imported: report.imported, message };
  });
}

export function recordedKemImport(
  db: Db,
  stores: Stores,
  ctx: RunContext,
  req: KemImportRequest,
  opts: { mayCreateMeters: boolean }
): Recorded<KemImportReport> {
  const effects = noEffects();
  const run = () => runKemImport(db, stores, ctx.actor, req, { ...opts, now: ctx.now }, effects);
  if (req.dryRun) return { report: run(), runId: null, status: null, effects };
  return recorded(db, stores, ctx, 'kem', sha256(req.file), effects, () => {
    const report = run();
    const summary = {
      rows: report.meters,
      valid: report.valid,
      invalid: report.invalid,
      created: report.metersCreated,
      keysCreated: report.keysCreated,
      keysUpdated: report.keysUpdated,
      keysUnchanged: report.keysUnchanged
    };
    const rejected = report.errors.map((e) => ({ line: e.index, field: e.serial ? `meter ${e.serial}` : null, message: e.message }));
    const message = report.imported ? null : `${report.invalid} of ${report.meters} meters cannot be imported; nothing was imported`;
    return { report, summary, rejected, imported: report.imported, message };
  });
}

interface Outcome<R> {
  report: R;
  summary: Record<string, number>;
  rejected: RejectedLine[];
  imported: boolean;
  message: string | null;
}

function recorded<R>(
  db: Db,
  stores: Stores,
  ctx: RunContext,
  kind: string,
  hash: string,
  effects: ImportEffects,
  work: () => Outcome<R>
): Recorded<R> {
  const base = {
    kind,
    source: ctx.source,
    trigger: ctx.trigger,
    userId: ctx.actor.userId,
    startedAt: ctx.now,
    folderId: ctx.folderId ?? null,
    sha256: hash
  };
  let refused: HTTPException | null = null;
  let runId = 0;
  const result = db.transaction(() => {
    let out: Outcome<R>;
    try {
      out = work();
    } catch (err) {
      // the whole file is refused before anything was written: keep a failed run, answer the 422 after the commit
      if (!(err instanceof HTTPException) || err.status !== 422) throw err;
      refused = err;
      const finishedAt = ctx.clock?.() ?? ctx.now;
      runId = stores.imports.record(ctx.actor.tenantId, { ...base, finishedAt, status: 'failed', summary: {}, rejected: [], message: err.message || 'the file was refused' }, []);
      return null;
    }
    const status: RunStatus = !out.imported ? 'failed' : out.summary.invalid ? 'partial' : 'ok';
    const run = { ...base, finishedAt: ctx.clock?.() ?? ctx.now, status, summary: out.summary, rejected: out.rejected, message: out.message };
    runId = stores.imports.record(ctx.actor.tenantId, run, out.imported ? effects.changed : []);
    return { report: out.report, status };
  })();
  if (refused) throw new RefusedImport(refused, runId);
  return { report: result!.report, runId, status: result!.status, effects };
}

/** A file refused as a whole, answered as the importer's 422 plus the id of its failed run. */
export class RefusedImport extends HTTPException {
  constructor(
    err: HTTPException,
    readonly runId: number
  ) {
    // the importers put their 422 body in `cause` (import/run.ts, kem-import.ts)
    const body = typeof err.cause === 'object' && err.cause ? (err.cause as Record<string, unknown>) : { error: err.message };
    super(422, {
      message: err.message,
      res: new Response(JSON.stringify({ ...body, runId }), { status: 422, headers: { 'content-type': 'application/json' } })
    });
  }
}
