import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { auditAs, notFound } from '../store/registry.js';

// Comments on report rows (migration 011): one note per meter and report ("antenna moved
// 3 Nov"), with who wrote it last and when. Each change is audited in its own transaction.

export type CommentedReport = 'performance';

export interface ReportComment {
  meterId: number;
  text: string;
  author: string;
  createdAt: number;
  updatedAt: number;
}

const COLUMNS = 'meter_id as meterId, text, author, created_at as createdAt, updated_at as updatedAt';

/** The tenant's comments on a report, by meter id. */
export function reportComments(db: Db, tenantId: number, report: CommentedReport): Map<number, ReportComment> {
  const rows = db.prepare(`select ${COLUMNS} from report_comment where tenant_id = ? and report = ?`).all(tenantId, report) as ReportComment[];
  return new Map(rows.map((r) => [r.meterId, r]));
}

export function reportComment(db: Db, tenantId: number, report: CommentedReport, meterId: number): ReportComment | null {
  return (
    (db.prepare(`select ${COLUMNS} from report_comment where tenant_id = ? and report = ? and meter_id = ?`).get(tenantId, report, meterId) as
      | ReportComment
      | undefined) ?? null
  );
}

/** Creates or replaces the comment; 404 for a meter that is not the tenant's. */
export function putReportComment(db: Db, actor: Actor, report: CommentedReport, meterId: number, text: string, now: number): ReportComment {
  return db.transaction(() => {
    if (!db.prepare('select 1 from meter where tenant_id = ? and id = ?').get(actor.tenantId, meterId)) throw notFound('Meter', meterId);
    const before = reportComment(db, actor.tenantId, report, meterId);
    db.prepare(
      `insert into report_comment (meter_id, report, tenant_id, text, author, user_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (meter_id, report) do update set text = excluded.text, author = excluded.author, user_id = excluded.user_id, updated_at = excluded.updated_at`
    ).run(meterId, report, actor.tenantId, text, actor.name, actor.userId, now, now);
    auditAs(db, actor, now, before ? 'report.comment.changed' : 'report.comment.created', {
      report,
      meterId,
      ...(before ? { before: before.text } : {}),
      text
    });
    return reportComment(db, actor.tenantId, report, meterId)!;
  })();
}

/** Removes the comment; false when there was none. */
export function deleteReportComment(db: Db, actor: Actor, report: CommentedReport, meterId: number, now: number): boolean {
  return db.transaction(() => {
    const before = reportComment(db, actor.tenantId, report, meterId);
    if (!before) return false;
    db.prepare('delete from report_comment where tenant_id = ? and report = ? and meter_id = ?').run(actor.tenantId, report, meterId);
    auditAs(db, actor, now, 'report.comment.deleted', { report, meterId, text: before.text });
    return true;
  })();
}
