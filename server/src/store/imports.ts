import { join } from 'node:path';
import type { Db } from '../db/connection.js';
import { ImportFolderStore, ImportMappingStore } from './import-config.js';
import { notFound, type Page, type Paging } from './registry.js';
import { lastImportRun } from './meters.js';


// Import runs (M14, table import_run of 006 with folder and file hash from 009): one row per
// CSV or key-file import, written by import/record.ts in the same transaction as the import's
// effects, with every rejected line; import_run_meter holds the meters it created or changed
// (the group panel's "Last imported"). Saved mappings and watched folders: import-config.ts.

export type RunStatus = 'ok' | 'partial' | 'failed';

export interface RejectedLine {
  /** Line of the CSV file (1-based), or the meter's position in a key file. */
  line: number;
  field: string | null;
  message: string;
}

export interface NewRun {
  kind: string;
  source: string;
  trigger: 'manual' | 'scheduled';
  userId: number | null;
  startedAt: number;
  finishedAt: number;
  status: RunStatus;
  summary: Record<string, number>;
  rejected: RejectedLine[];
  message: string | null;
  folderId?: number | null;
  sha256?: string | null;
}

export interface RunSummary {
  id: number;
  kind: string;
  source: string;
  trigger: 'manual' | 'scheduled';
  user: string | null;
  folderId: number | null;
  startedAt: number;
  finishedAt: number | null;
  status: RunStatus;
  summary: Record<string, number>;
  rejectedCount: number;
  meters: number;
  message: string | null;
}

export interface RunDetail extends RunSummary {
  /** The page of rejected lines asked for (filtered by q). */
  rejected: Page<RejectedLine>;
}

interface Row {
  id: number;
  kind: string;
  source: string;
  trigger: 'manual' | 'scheduled';
  user: string | null;
  folderId: number | null;
  startedAt: number;
  finishedAt: number | null;
  status: RunStatus;
  summary: string | null;
  rejectedCount: number;
  meters: number;
  message: string | null;
}

const SELECT = `select r.id, r.kind, r.source, r.trigger, u.login as user, r.folder_id as folderId, r.started_at as startedAt,
    r.finished_at as finishedAt, r.status, r.summary, coalesce(json_array_length(r.rejected), 0) as rejectedCount,
    (select count(*) from import_run_meter m where m.run_id = r.id) as meters, r.message
  from import_run r left join app_user u on u.id = r.user_id`;

const toSummary = (r: Row): RunSummary => ({ ...r, summary: r.summary ? (JSON.parse(r.summary) as Record<string, number>) : {} });

export class ImportStore {
  readonly mappings: ImportMappingStore;
  readonly folders: ImportFolderStore;
  /** <DATA_DIR>/imports: every watched folder lies below it. */
  readonly root: string;

  constructor(
    private readonly db: Db,
    dataDir: string
  ) {
    this.root = join(dataDir, 'imports');
    this.mappings = new ImportMappingStore(db);
    this.folders = new ImportFolderStore(db, this.root);
  }

  /** Call inside the transaction of the import itself. */
  record(tenantId: number, run: NewRun, meterIds: readonly number[]): number {
    const { id } = this.db
      .prepare(
        `insert into import_run (tenant_id, kind, source, trigger, user_id, started_at, finished_at, status, summary, rejected, message, folder_id, sha256)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`
      )
      .get(
        tenantId,
        run.kind,
        run.source.slice(0, 500),
        run.trigger,
        run.userId,
        run.startedAt,
        run.finishedAt,
        run.status,
        JSON.stringify(run.summary),
        JSON.stringify(run.rejected),
        run.message?.slice(0, 2000) ?? null,
        run.folderId ?? null,
        run.sha256 ?? null
      ) as { id: number };
    const link = this.db.prepare('insert or ignore into import_run_meter (run_id, meter_id) values (?, ?)');
    for (const meterId of meterIds) link.run(id, meterId);
    return id;
  }

  list(tenantId: number, paging: Paging, folderId?: number): Page<RunSummary> {
    const where = folderId === undefined ? 'r.tenant_id = ?' : 'r.tenant_id = ? and r.folder_id = ?';
    const args = folderId === undefined ? [tenantId] : [tenantId, folderId];
    const total = (this.db.prepare(`select count(*) as n from import_run r where ${where}`).get(...args) as { n: number }).n;
    const items = (
      this.db.prepare(`${SELECT} where ${where} order by r.started_at desc, r.id desc limit ? offset ?`).all(...args, paging.limit, paging.offset) as Row[]
    ).map(toSummary);
    return { items, total, ...paging };
  }

  /** A run with one page of its rejected lines; q filters them by line number, field or reason. */
  get(tenantId: number, id: number, paging: Paging, q?: string): RunDetail {
    const r = this.db.prepare(`${SELECT} where r.tenant_id = ? and r.id = ?`).get(tenantId, id) as Row | undefined;
    if (!r) throw notFound('Import run', id);
    const raw = this.db.prepare('select rejected from import_run where id = ?').pluck().get(id) as string | null;
    let lines = raw ? (JSON.parse(raw) as RejectedLine[]) : [];
    const needle = q?.trim().toLowerCase();
    if (needle) {
      lines = lines.filter((l) => String(l.line) === needle || (l.field ?? '').toLowerCase().includes(needle) || l.message.toLowerCase().includes(needle));
    }
    const items = lines.slice(paging.offset, paging.offset + paging.limit);
    return { ...toSummary(r), rejected: { items, total: lines.length, ...paging } };
  }

  /** The run that imported a file with this SHA-256 before (ok or partial), if any. */
  importedBefore(tenantId: number, sha256: string): number | undefined {
    return this.db
      .prepare(`select id from import_run where tenant_id = ? and sha256 = ? and status in ('ok', 'partial') order by id limit 1`)
      .pluck()
      .get(tenantId, sha256) as number | undefined;
  }

  /**
   * The group panel's "Last imported" (M3): the meters of the newest import run that created or
   * changed any, with that run's id (null when no import has touched a meter yet).
   */
  lastImported(tenantId: number): { runId: number | null; meterIds: number[] } {
    const runId = lastImportRun(this.db, tenantId)?.id;
    if (runId === undefined) return { runId: null, meterIds: [] };
    const meterIds = this.db.prepare('select meter_id from import_run_meter where run_id = ? order by meter_id').pluck().all(runId) as number[];
    return { runId, meterIds };
  }

  /** The latest run of each folder, for the folder list. */
  lastOfFolder(tenantId: number, folderId: number): RunSummary | null {
    const r = this.db
      .prepare(`${SELECT} where r.tenant_id = ? and r.folder_id = ? order by r.started_at desc, r.id desc limit 1`)
      .get(tenantId, folderId) as Row | undefined;
    return r ? toSummary(r) : null;
  }
}
