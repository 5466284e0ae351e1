import { Cron } from 'croner';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { extname, join, basename } from 'node:path';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { RefusedImport, recordedCsvImport, sha256 } from '../import/record.js';
import type { Separator } from '../import/csv.js';
import type { ImportKind } from '../import/fields.js';
import type { ImportEffects } from '../import/run.js';
import { MAX_CSV_CHARS } from '../import/limits.js';
import { decodeWaiting } from '../routes/waiting.js';
import type { ImportFolder } from '../store/import-config.js';
import type { RunStatus } from '../store/imports.js';
import type { Stores } from '../store/index.js';

// Folder imports (M14): each watched folder under <DATA_DIR>/imports has its own croner
// schedule. A run imports every file in the folder, one import run per file, and then moves the
// file to done/ (ok, partial, already imported) or failed/, under a new name if one is taken,
// so no file is ever lost or overwritten. The import commits before the move: after a crash in
// between, the next run finds the same SHA-256 already imported and only moves the file.
// Files still being written are skipped when named .part, .tmp or starting with a dot: write
// under such a name and rename when complete.

export interface FolderDeps {
  db: Db;
  stores: Stores;
  now: () => number;
  log?: (line: string) => void;
}

export interface FileResult {
  file: string;
  runId: number;
  status: RunStatus;
  /** Where the file is now, relative to the watched folder: done/… or failed/… */
  movedTo: string;
  message: string | null;
}

const SKIPPED = /^\.|\.(part|tmp|partial|crdownload)$/i;

/** Imports every waiting file of one folder now. `by` is the person who pressed "Run now", else the folder itself. */
export function runFolderImport(deps: FolderDeps, folder: ImportFolder, by: Actor | null): FileResult[] {
  const { db, stores, now, log } = deps;
  if (!existsSync(folder.location)) return [];
  // a file that cannot be moved away would be found again on every run: import nothing until it can
  try {
    for (const sub of ['done', 'failed']) {
      mkdirSync(join(folder.location, sub), { recursive: true });
      accessSync(join(folder.location, sub), constants.W_OK);
    }
  } catch (err) {
    log?.(`folder import ${folder.id} (${folder.name}): cannot write to done/ or failed/ in ${folder.location}: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
  const actor: Actor = by ?? { tenantId: folder.tenantId, userId: null, name: `folder import "${folder.name}"`, device: null };
  const trigger = by ? 'manual' : 'scheduled';
  const mapping = folder.mappingId === null ? undefined : stores.imports.mappings.get(folder.tenantId, folder.mappingId).mapping;
  const files = readdirSync(folder.location, { withFileTypes: true })
    .filter((e) => e.isFile() && !SKIPPED.test(e.name))
    .map((e) => e.name)
    .sort();
  const results: FileResult[] = [];
  for (const file of files) {
    const path = join(folder.location, file);
    const ctx = { actor, trigger, source: `${folder.path}/${file}`, folderId: folder.id, now: now(), clock: now } as const;
    const record = (status: RunStatus, message: string, hash: string | null) =>
      stores.imports.record(
        folder.tenantId,
        { kind: folder.kind, source: ctx.source, trigger, userId: actor.userId, startedAt: ctx.now, finishedAt: now(), status, summary: {}, rejected: [], message, folderId: folder.id, sha256: hash },
        []
      );
    let runId: number;
    let status: RunStatus;
    let message: string | null = null;
    let effects: ImportEffects | null = null;
    try {
      if (statSync(path).size > MAX_CSV_CHARS * 4) {
        status = 'failed';
        message = `the file is larger than ${MAX_CSV_CHARS / 1024 / 1024} MB; split it into smaller files`;
        runId = record(status, message, null);
      } else {
        const bytes = readFileSync(path);
        const hash = sha256(bytes);
        const before = stores.imports.importedBefore(folder.tenantId, hash);
        const csv = bytes.toString('utf8');
        if (before !== undefined) {
          status = 'ok';
          message = `already imported (run ${before}); nothing was imported again`;
          runId = record(status, message, null);
        } else if (csv.length > MAX_CSV_CHARS) {
          status = 'failed';
          message = `the file is larger than ${MAX_CSV_CHARS / 1024 / 1024} MB; split it into smaller files`;
          runId = record(status, message, hash);
        } else {
          const req = { kind: folder.kind as ImportKind, separator: folder.separator as Separator, mapping, mode: folder.mode, dryRun: false, csv };
          try {
            const r = recordedCsvImport(db, stores, ctx, req, hash);
            runId = r.runId!;
            status = r.status!;
            effects = r.effects;
          } catch (err) {
            // a refused file: recordedCsvImport has recorded its failed run
            if (!(err instanceof RefusedImport)) throw err;
            status = 'failed';
            message = err.message;
            runId = err.runId;
          }
        }
      }
    } catch (err) {
      status = 'failed';
      message = `the import stopped: ${err instanceof Error ? err.message : String(err)}`;
      log?.(`folder import ${folder.id} (${folder.name}), file ${file}: ${message}`);
      runId = record(status, message, null);
    }
    if (effects) {
      try {
        decodeWaiting(stores, folder.tenantId, effects, now());
      } catch (err) {
        log?.(`folder import ${folder.id}: decoding waiting frames failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const movedTo = moveAside(folder.location, file, status === 'failed' ? 'failed' : 'done');
    results.push({ file, runId, status, movedTo, message });
  }
  return results;
}

/** Moves the file into done/ or failed/ without overwriting: "a.csv" becomes "a (2).csv" if taken. */
function moveAside(folder: string, file: string, to: 'done' | 'failed'): string {
  const ext = extname(file);
  const stem = basename(file, ext);
  let name = file;
  for (let n = 2; existsSync(join(folder, to, name)); n++) name = `${stem} (${n})${ext}`;
  renameSync(join(folder, file), join(folder, to, name));
  return `${to}/${name}`;
}

/**
 * One croner job per enabled folder. sync() (every few seconds, and at start) follows changes
 * made through the API: new folders, changed schedules, disabled or deleted ones.
 */
export class FolderScheduler {
  readonly #jobs = new Map<number, { pattern: string; cron: Cron }>();
  #sync: Cron | null = null;

  constructor(private readonly deps: FolderDeps) {}

  start(syncPattern = '*/5 * * * * *'): this {
    this.sync();
    this.#sync ??= new Cron(syncPattern, { unref: true, protect: true }, () => this.sync());
    return this;
  }

  stop(): void {
    this.#sync?.stop();
    this.#sync = null;
    for (const job of this.#jobs.values()) job.cron.stop();
    this.#jobs.clear();
  }

  sync(): void {
    let folders: ImportFolder[];
    try {
      folders = this.deps.stores.imports.folders.allEnabled();
    } catch (err) {
      this.deps.log?.(`folder imports: cannot read the folder list: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const wanted = new Map(folders.map((f) => [f.id, f]));
    for (const [id, job] of this.#jobs) {
      if (wanted.get(id)?.schedule !== job.pattern) {
        job.cron.stop();
        this.#jobs.delete(id);
      }
    }
    for (const f of folders) {
      if (this.#jobs.has(f.id)) continue;
      try {
        const cron = new Cron(f.schedule, { unref: true, protect: true }, () => this.#fire(f.tenantId, f.id));
        this.#jobs.set(f.id, { pattern: f.schedule, cron });
      } catch (err) {
        this.deps.log?.(`folder import ${f.id} (${f.name}): schedule "${f.schedule}" is not valid: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  #fire(tenantId: number, id: number): void {
    try {
      const folder = this.deps.stores.imports.folders.get(tenantId, id);
      if (folder.enabled) runFolderImport(this.deps, folder, null);
    } catch (err) {
      this.deps.log?.(`folder import ${id} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
