import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { ExportFormat } from '../export/format.js';
import { auditAs, conflict, notFound } from './registry.js';

// Saved export formats per tenant (M13): a name and the designer's definition. Every change is
// audited with the format's name; the definition is checked again on the way out so a format
// saved before a field was renamed fails with a clear message instead of a broken file.

export interface SavedFormat {
  id: number;
  name: string;
  format: ExportFormat;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: number;
  name: string;
  definition: string;
  createdAt: number;
  updatedAt: number;
}

const SELECT = 'select id, name, definition, created_at as createdAt, updated_at as updatedAt from export_format';

function toFormat(r: Row): SavedFormat {
  const parsed = ExportFormat.safeParse(JSON.parse(r.definition));
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw conflict(`Export format "${r.name}" (${r.id}) no longer fits this version: ${why}. Open it in the designer and save it again.`);
  }
  return { id: r.id, name: r.name, format: parsed.data, createdAt: r.createdAt, updatedAt: r.updatedAt };
}

export class ExportFormatStore {
  constructor(private readonly db: Db) {}

  /** Names and times only: a list need not parse every definition. */
  list(tenantId: number): { id: number; name: string; createdAt: number; updatedAt: number }[] {
    return this.db
      .prepare('select id, name, created_at as createdAt, updated_at as updatedAt from export_format where tenant_id = ? order by name, id')
      .all(tenantId) as { id: number; name: string; createdAt: number; updatedAt: number }[];
  }

  get(tenantId: number, id: number): SavedFormat {
    const r = this.db.prepare(`${SELECT} where tenant_id = ? and id = ?`).get(tenantId, id) as Row | undefined;
    if (!r) throw notFound('Export format', id);
    return toFormat(r);
  }

  create(actor: Actor, name: string, format: ExportFormat, now: number): SavedFormat {
    return this.db.transaction(() => {
      this.#checkNameFree(actor.tenantId, name, null);
      const { id } = this.db
        .prepare(
          'insert into export_format (tenant_id, name, definition, created_by, created_at, updated_at) values (?, ?, ?, ?, ?, ?) returning id'
        )
        .get(actor.tenantId, name, JSON.stringify(format), actor.userId, now, now) as { id: number };
      auditAs(this.db, actor, now, 'export-format.created', { formatId: id, name, columns: format.columns.length, kind: format.kind });
      return this.get(actor.tenantId, id);
    })();
  }

  update(actor: Actor, id: number, patch: { name?: string; format?: ExportFormat }, now: number): SavedFormat {
    return this.db.transaction(() => {
      const before = this.db.prepare(`${SELECT} where tenant_id = ? and id = ?`).get(actor.tenantId, id) as Row | undefined;
      if (!before) throw notFound('Export format', id);
      const name = patch.name ?? before.name;
      if (name !== before.name) this.#checkNameFree(actor.tenantId, name, id);
      const definition = patch.format ? JSON.stringify(patch.format) : before.definition;
      this.db.prepare('update export_format set name = ?, definition = ?, updated_at = ? where id = ?').run(name, definition, now, id);
      auditAs(this.db, actor, now, 'export-format.changed', {
        formatId: id,
        name,
        ...(name !== before.name ? { renamedFrom: before.name } : {}),
        definitionChanged: definition !== before.definition
      });
      return this.get(actor.tenantId, id);
    })();
  }

  delete(actor: Actor, id: number, now: number): void {
    this.db.transaction(() => {
      const r = this.db.prepare('select name from export_format where tenant_id = ? and id = ?').get(actor.tenantId, id) as
        | { name: string }
        | undefined;
      if (!r) throw notFound('Export format', id);
      const jobs = this.db.prepare('select name from export_job where format_id = ? order by name').pluck().all(id) as string[];
      if (jobs.length) throw conflict(`Export format "${r.name}" is used by the export job${jobs.length > 1 ? 's' : ''} ${jobs.map((j) => `"${j}"`).join(', ')}: change or delete ${jobs.length > 1 ? 'them' : 'it'} first.`);
      this.db.prepare('delete from export_format where id = ?').run(id);
      auditAs(this.db, actor, now, 'export-format.deleted', { formatId: id, name: r.name });
    })();
  }

  /** Audits a download (architecture.md decision 7: every export leaves an audit entry). */
  downloaded(actor: Actor, now: number, details: Record<string, unknown>): void {
    auditAs(this.db, actor, now, 'export.downloaded', details);
  }

  #checkNameFree(tenantId: number, name: string, self: number | null): void {
    const other = this.db.prepare('select id from export_format where tenant_id = ? and name = ?').get(tenantId, name) as { id: number } | undefined;
    if (other && other.id !== self) throw conflict(`name: an export format named "${name}" already exists (format ${other.id}).`);
  }
}
