import { Cron } from 'croner';
import { closeSync, linkSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { extname, join } from 'node:path';
import { bucketStart } from '../../../shared/consumption.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import type { Env } from '../env.js';
import { exportFile, fileBytes, selectionSummary } from '../export/file.js';
import { mailerFor } from '../mail.js';
import { resolveDataDir } from '../paths.js';
import { exportJobKind, type ExportJob } from '../store/export-jobs.js';
import type { Stores } from '../store/index.js';
import type { JobRun } from '../store/jobs.js';
import { auditAs } from '../store/registry.js';

// Scheduled billing exports (M13): one croner instance per enabled job, on the utility's time
// zone, `protect` so a slow run is never overlapped by the next. A run renders the file from the
// saved format and writes it to its folder (never overwriting: -2, -3 …) or mails it; either way
// it leaves a row in job_run (kind export:<id>) with status and message, and delivered files an
// audit entry.

export interface ExportJobDeps {
  db: Db;
  stores: Stores;
  env: Env;
  now: () => number;
  log?: (line: string) => void;
}

/** The folder every job's target folder lives under. */
export function exportsRoot(env: Pick<Env, 'DATA_DIR'>): string {
  return join(resolveDataDir(env.DATA_DIR), 'exports');
}

/** When a pattern next fires on the utility's wall clock; null for a disabled job. */
export function nextRunAt(job: Pick<ExportJob, 'cron' | 'enabled'>, timeZone: string, from: number): number | null {
  if (!job.enabled) return null;
  const next = new Cron(job.cron, { timezone: timeZone, paused: true }).nextRun(new Date(from));
  return next ? next.getTime() : null;
}

const running = new WeakMap<Db, Set<number>>();

export class JobBusyError extends Error {}

/** Runs one job now (its schedule or "run now"); the run is recorded whatever happens. */
export async function runExportJob(deps: ExportJobDeps, tenantId: number, jobId: number, by: Actor | null): Promise<JobRun> {
  const { db, stores, now } = deps;
  const job = stores.exportJobs.get(tenantId, jobId);
  let busy = running.get(db);
  if (!busy) running.set(db, (busy = new Set()));
  if (busy.has(job.id)) throw new JobBusyError(`Export job "${job.name}" is running already.`);
  busy.add(job.id);
  const startedAt = now();
  const kind = exportJobKind(job.id);
  const who: Actor = by ?? { tenantId, userId: null, name: `export job "${job.name}"`, device: null };
  try {
    const result = await deliver(deps, job, startedAt);
    const finishedAt = now();
    const run = { startedAt, finishedAt, status: 'ok' as const, message: result.message, result: result.run };
    const id = db.transaction(() => {
      auditAs(db, who, finishedAt, 'export.job-run', { jobId: job.id, job: job.name, trigger: by ? 'manual' : 'schedule', ...result.audit });
      return stores.jobs.record(tenantId, kind, run);
    })();
    return { id, kind, ...run };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.log?.(`export job ${job.id} ("${job.name}") of tenant ${tenantId} failed: ${message}`);
    const run = { startedAt, finishedAt: now(), status: 'failed' as const, message: message.slice(0, 1000), result: { trigger: by ? 'manual' : 'schedule' } };
    return { id: stores.jobs.record(tenantId, kind, run), kind, ...run };
  } finally {
    busy.delete(job.id);
  }
}

async function deliver(deps: ExportJobDeps, job: ExportJob, startedAt: number) {
  const { db, stores, env } = deps;
  const timeZone = stores.readings.timeZone(job.tenantId);
  const saved = stores.exportFormats.get(job.tenantId, job.formatId);
  const at = job.cutoff === 'midnight' ? bucketStart(startedAt, 'day', timeZone) : startedAt;
  const selection = job.groupId === null ? ({ kind: 'all' } as const) : ({ kind: 'group', groupId: job.groupId } as const);
  const file = exportFile(db, { tenantId: job.tenantId, timeZone, format: saved.format, formatName: saved.name, selection, at });
  const checked = file.check();
  if (checked.errors.length) {
    const more = checked.errors.length > 1 ? ` (and ${checked.errors.length - 1} more)` : '';
    throw new Error(`The file does not fit the format "${saved.name}": ${checked.errors[0].message}${more}.`);
  }
  let fileName = file.fileName;
  let where: string;
  if (job.target === 'folder') {
    const dir = join(exportsRoot(env), job.folder ?? '');
    mkdirSync(dir, { recursive: true });
    fileName = writeNew(dir, file.fileName, file.chunks());
    where = `exports/${job.folder}/${fileName}`;
  } else {
    const content = fileBytes(file);
    const mail = await mailerFor(env).send({
      to: job.recipients,
      subject: `Readout export "${job.name}": ${fileName}`,
      text: `The scheduled export "${job.name}" (format "${saved.name}") at the cut-off ${new Date(at).toISOString()}: ${checked.rows} meters, file ${fileName} attached.\n`,
      attachments: [{ filename: fileName, content, contentType: file.contentType }]
    });
    if (!mail.accepted.length) throw new Error(`The mail server refused ${mail.rejected.join(', ') || 'every recipient'}.`);
    // delivered to some: the run counts (the file left), and says who did not get it
    where = mail.accepted.join(', ') + (mail.rejected.length ? ` (refused: ${mail.rejected.join(', ')})` : '');
  }
  const run = { rows: checked.rows, estimated: checked.estimated, bytes: checked.bytes, fileName, at };
  return {
    message: `${checked.rows} rows${checked.estimated ? ` (${checked.estimated} estimated)` : ''} to ${where}`,
    run: { ...run, target: job.target },
    audit: { ...run, formatId: saved.id, formatName: saved.name, selection: selectionSummary(selection), target: job.target, to: where }
  };
}

/**
 * Writes the pieces to a new file in dir: first a hidden partial file, then a hard link under the
 * first free name (link fails when the name exists, so an earlier file is never overwritten and
 * a billing system watching the folder never sees half a file). Returns the name used.
 */
function writeNew(dir: string, name: string, pieces: Iterable<string>): string {
  const partial = join(dir, `.${name}.${process.pid}.${Date.now()}.partial`);
  const fd = openSync(partial, 'wx');
  try {
    for (const p of pieces) if (p) writeSync(fd, p, null, 'utf8');
  } finally {
    closeSync(fd);
  }
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  try {
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? name : `${stem}-${n}${ext}`;
      try {
        linkSync(partial, join(dir, candidate));
        return candidate;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  } finally {
    unlinkSync(partial);
  }
}

/** The croner instances of every enabled job; sync() after any change to jobs or time zones. */
export class ExportJobSchedule {
  readonly #crons = new Map<number, { key: string; cron: Cron }>();

  constructor(private readonly deps: ExportJobDeps) {}

  start(): this {
    schedules.set(this.deps.db, this);
    this.sync();
    return this;
  }

  sync(): void {
    const { stores, log } = this.deps;
    const seen = new Set<number>();
    for (const job of stores.exportJobs.all()) {
      if (!job.enabled) continue;
      const timeZone = stores.readings.timeZone(job.tenantId);
      const key = `${job.cron}\n${timeZone}`;
      seen.add(job.id);
      const known = this.#crons.get(job.id);
      if (known?.key === key) continue;
      known?.cron.stop();
      try {
        const cron = new Cron(job.cron, { timezone: timeZone, protect: true, unref: true, name: `export-${job.id}` }, async () => {
          try {
            await runExportJob(this.deps, job.tenantId, job.id, null);
          } catch (err) {
            log?.(`export job ${job.id}: ${err instanceof Error ? err.message : String(err)}`);
          }
        });
        this.#crons.set(job.id, { key, cron });
      } catch (err) {
        this.#crons.delete(job.id);
        log?.(`export job ${job.id} not scheduled: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    for (const [id, { cron }] of this.#crons) {
      if (seen.has(id)) continue;
      cron.stop();
      this.#crons.delete(id);
    }
  }

  stop(): void {
    for (const { cron } of this.#crons.values()) cron.stop();
    this.#crons.clear();
    if (schedules.get(this.deps.db) === this) schedules.delete(this.deps.db);
  }
}

const schedules = new WeakMap<Db, ExportJobSchedule>();

/** Called by the routes after a job changed: the running server reschedules (no-op without one, as in API tests). */
export function exportJobsChanged(db: Db): void {
  schedules.get(db)?.sync();
}
