import type { Db } from '../db/connection.js';

// Runs of scheduled and ad hoc jobs (table job_run). A run row is written when the work
// finishes, in the same transaction as the work and its audit entry; a failed run gets its
// own row afterwards with the error message.

export interface JobRun {
  id: number;
  kind: string;
  startedAt: number;
  finishedAt: number | null;
  status: 'running' | 'ok' | 'failed';
  message: string | null;
  /** Counts and parameters of the run (never data). */
  result: Record<string, unknown> | null;
}

interface RunRow {
  id: number;
  kind: string;
  startedAt: number;
  finishedAt: number | null;
  status: JobRun['status'];
  message: string | null;
  result: string | null;
}

export class JobStore {
  readonly #insert;
  readonly #last;
  readonly #list;

  constructor(db: Db) {
    this.#insert = db.prepare(
      `insert into job_run (tenant_id, kind, started_at, finished_at, status, message, result)
       values (?, ?, ?, ?, ?, ?, ?) returning id`
    );
    this.#last = db.prepare(
      `select id, kind, started_at as startedAt, finished_at as finishedAt, status, message, result
         from job_run where tenant_id = ? and kind = ? and status = ? order by started_at desc, id desc limit 1`
    );
    this.#list = db.prepare(
      `select id, kind, started_at as startedAt, finished_at as finishedAt, status, message, result
         from job_run where tenant_id = ? and (? is null or kind = ?) order by started_at desc, id desc limit ? offset ?`
    );
  }

  /** Record a finished run; call inside the transaction of the work. */
  record(
    tenantId: number,
    kind: string,
    run: { startedAt: number; finishedAt: number; status: 'ok' | 'failed'; message?: string | null; result?: Record<string, unknown> | null }
  ): number {
    const row = this.#insert.get(
      tenantId,
      kind,
      run.startedAt,
      run.finishedAt,
      run.status,
      run.message?.slice(0, 1000) ?? null,
      run.result ? JSON.stringify(run.result) : null
    ) as { id: number };
    return row.id;
  }

  /** The latest run of a kind with this status, or null. */
  last(tenantId: number, kind: string, status: JobRun['status'] = 'ok'): JobRun | null {
    const r = this.#last.get(tenantId, kind, status) as RunRow | undefined;
    return r ? toRun(r) : null;
  }

  list(tenantId: number, opts: { kind?: string; limit: number; offset: number }): JobRun[] {
    const kind = opts.kind ?? null;
    return (this.#list.all(tenantId, kind, kind, opts.limit, opts.offset) as RunRow[]).map(toRun);
  }
}

function toRun(r: RunRow): JobRun {
  return { ...r, result: r.result ? (JSON.parse(r.result) as Record<string, unknown>) : null };
}
