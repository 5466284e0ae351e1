import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { auditAs, changes, conflict, invalid, notFound } from './registry.js';

// Scheduled export jobs per tenant (M13): which saved format, which meters, when (croner
// pattern on the utility's wall clock), the cut-off and where the file goes. Every change is
// audited in its transaction; the runs live in job_run under the kind `export:<id>`.

export type Cutoff = 'run' | 'midnight';
export type Target = 'folder' | 'email';

export interface ExportJobInput {
  name: string;
  formatId: number;
  /** null: all meters of the utility. */
  groupId: number | null;
  cron: string;
  cutoff: Cutoff;
  target: Target;
  /** target folder: relative to <DATA_DIR>/exports/. */
  folder: string | null;
  /** target email: the addresses. */
  recipients: string[];
  enabled: boolean;
}

export interface ExportJob extends ExportJobInput {
  id: number;
  tenantId: number;
  formatName: string;
  /** null when the group was deleted after the job was saved (the run then fails naming it). */
  groupName: string | null;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: number;
  tenantId: number;
  name: string;
  formatId: number;
  formatName: string;
  groupId: number | null;
  groupName: string | null;
  cron: string;
  cutoff: Cutoff;
  target: Target;
  folder: string | null;
  recipients: string | null;
  enabled: number;
  createdAt: number;
  updatedAt: number;
}

const SELECT = `
  select j.id, j.tenant_id as tenantId, j.name, j.format_id as formatId, f.name as formatName, j.group_id as groupId,
         g.name as groupName, j.cron, j.cutoff, j.target, j.folder, j.recipients, j.enabled,
         j.created_at as createdAt, j.updated_at as updatedAt
    from export_job j join export_format f on f.id = j.format_id left join meter_group g on g.id = j.group_id`;

function toJob(r: Row): ExportJob {
  return { ...r, recipients: r.recipients ? (JSON.parse(r.recipients) as string[]) : [], enabled: r.enabled === 1 };
}

/** The run-history kind of a job in job_run. */
export const exportJobKind = (id: number) => `export:${id}`;

export class ExportJobStore {
  constructor(private readonly db: Db) {}

  list(tenantId: number): ExportJob[] {
    return (this.db.prepare(`${SELECT} where j.tenant_id = ? order by j.name, j.id`).all(tenantId) as Row[]).map(toJob);
  }

  /** Every utility's jobs, for the scheduler. */
  all(): ExportJob[] {
    return (this.db.prepare(`${SELECT} order by j.id`).all() as Row[]).map(toJob);
  }

  get(tenantId: number, id: number): ExportJob {
    const r = this.db.prepare(`${SELECT} where j.tenant_id = ? and j.id = ?`).get(tenantId, id) as Row | undefined;
    if (!r) throw notFound('Export job', id);
    return toJob(r);
  }

  create(actor: Actor, input: ExportJobInput, now: number): ExportJob {
    return this.db.transaction(() => {
      this.#check(actor.tenantId, input, null);
      const { id } = this.db
        .prepare(
          `insert into export_job (tenant_id, name, format_id, group_id, cron, cutoff, target, folder, recipients, enabled, created_by, created_at, updated_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`
        )
        .get(actor.tenantId, ...columns(input), actor.userId, now, now) as { id: number };
      const job = this.get(actor.tenantId, id);
      auditAs(this.db, actor, now, 'export-job.created', { jobId: id, ...summary(job) });
      return job;
    })();
  }

  update(actor: Actor, id: number, patch: Partial<ExportJobInput>, now: number): ExportJob {
    return this.db.transaction(() => {
      const before = this.get(actor.tenantId, id);
      const next: ExportJobInput = { ...before, ...patch };
      if (next.target === 'folder') next.recipients = [];
      else next.folder = null;
      this.#check(actor.tenantId, next, id);
      this.db
        .prepare(
          `update export_job set name = ?, format_id = ?, group_id = ?, cron = ?, cutoff = ?, target = ?, folder = ?, recipients = ?, enabled = ?,
             updated_at = ? where id = ?`
        )
        .run(...columns(next), now, id);
      const after = this.get(actor.tenantId, id);
      auditAs(this.db, actor, now, 'export-job.changed', { jobId: id, name: after.name, changes: changes(summary(before), summary(after)) });
      return after;
    })();
  }

  delete(actor: Actor, id: number, now: number): void {
    this.db.transaction(() => {
      const job = this.get(actor.tenantId, id);
      this.db.prepare('delete from export_job where id = ?').run(id);
      this.db.prepare('delete from job_run where tenant_id = ? and kind = ?').run(actor.tenantId, exportJobKind(id));
      auditAs(this.db, actor, now, 'export-job.deleted', { jobId: id, name: job.name });
    })();
  }


  #check(tenantId: number, input: ExportJobInput, self: number | null): void {
    const other = this.db.prepare('select id from export_job where tenant_id = ? and name = ?').get(tenantId, input.name) as { id: number } | undefined;
    if (other && other.id !== self) throw conflict(`name: an export job named "${input.name}" already exists (job ${other.id}).`);
    if (!this.db.prepare('select 1 from export_format where tenant_id = ? and id = ?').get(tenantId, input.formatId)) {
      throw invalid('formatId', `no saved export format ${input.formatId}`);
    }
    if (input.groupId !== null && !this.db.prepare('select 1 from meter_group where tenant_id = ? and id = ?').get(tenantId, input.groupId)) {
      throw invalid('groupId', `no group ${input.groupId}`);
    }
  }
}

function columns(j: ExportJobInput) {
  return [
    j.name,
    j.formatId,
    j.groupId,
    j.cron,
    j.cutoff,
    j.target,
    j.target === 'folder' ? j.folder : null,
    j.target === 'email' ? JSON.stringify(j.recipients) : null,
    j.enabled ? 1 : 0
  ] as const;
}

/** What the audit keeps of a job. */
function summary(j: ExportJob) {
  return {
    name: j.name,
    format: j.formatName,
    group: j.groupName ?? (j.groupId === null ? 'all meters' : `group ${j.groupId}`),
    cron: j.cron,
    cutoff: j.cutoff,
    target: j.target,
    folder: j.folder,
    recipients: j.recipients.join(', '),
    enabled: j.enabled
  };
}
