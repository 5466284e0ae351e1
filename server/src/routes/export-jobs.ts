import { Cron } from 'croner';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { exportJobsChanged, JobBusyError, nextRunAt, runExportJob } from '../jobs/export-jobs.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { exportJobKind, type ExportJob } from '../store/export-jobs.js';
import { unprocessable } from '../validate.js';
import { actor } from './customers.js';
import { positiveId } from './metering-points.js';
import { idParam, paging, parseQuery } from './params.js';

// Scheduled export jobs (M13), mounted under /api/exports/jobs by routes/exports.ts. Changing a
// job needs "settings.manage" (it decides where billing data goes); listing, the history and
// "run now" need "export".

export const cron = z
  .string({ error: 'expected a cron pattern' })
  .trim()
  .min(1, 'enter a cron pattern')
  .max(100, 'at most 100 characters')
  .superRefine((p, ctx) => {
    const fields = p.split(/\s+/).length;
    if (fields < 5 || fields > 6) {
      ctx.addIssue({ code: 'custom', message: `expected 5 fields (minute hour day month weekday) or 6 (seconds first), got ${fields}` });
      return;
    }
    try {
      new Cron(p, { paused: true });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `not a valid cron pattern: ${err instanceof Error ? err.message : String(err)}` });
    }
  });

/** A folder under <DATA_DIR>/exports/: relative, plain names, never `..`. */
const folder = z
  .string({ error: 'expected a folder name' })
  .trim()
  .min(1, 'enter a folder under the exports folder')
  .max(200, 'at most 200 characters')
  .superRefine((f, ctx) => {
    if (/^([/\\]|[a-z]:)/i.test(f)) ctx.addIssue({ code: 'custom', message: 'an absolute path is not allowed: give a folder under <DATA_DIR>/exports/, e.g. billing/heat' });
    else if (f.split(/[/\\]/).some((s) => s === '..')) ctx.addIssue({ code: 'custom', message: '".." is not allowed: the folder must stay under <DATA_DIR>/exports/' });
    else if (f.includes('\\')) ctx.addIssue({ code: 'custom', message: 'use / between folder names' });
    else if (!f.split('/').every((s) => /^[\p{L}\p{N}_-][\p{L}\p{N} ._-]*$/u.test(s))) {
      ctx.addIssue({ code: 'custom', message: 'folder names may hold letters, digits, space, . _ - and must not start with a dot or be empty' });
    }
  });

const JobFields = {
  name: z.string({ error: 'expected a name' }).trim().min(1, 'enter a name').max(100, 'at most 100 characters'),
  formatId: positiveId,
  groupId: positiveId.nullable(),
  cron,
  cutoff: z.enum(['run', 'midnight'], { error: 'expected run (the time of the run) or midnight (the last midnight)' }),
  target: z.enum(['folder', 'email'], { error: 'expected folder or email' }),
  folder: folder.nullable(),
  recipients: z.array(z.email({ error: 'expected an e-mail address' }), { error: 'expected a list of e-mail addresses' }).max(20, 'at most 20 recipients'),
  enabled: z.boolean({ error: 'expected true or false' })
};

const JobInput = z
  .object({ ...JobFields, groupId: JobFields.groupId.default(null), folder: JobFields.folder.default(null), recipients: JobFields.recipients.default([]), enabled: JobFields.enabled.default(true) })
  .strict()
  .superRefine((j, ctx) => {
    if (j.target === 'folder' && !j.folder) ctx.addIssue({ code: 'custom', path: ['folder'], message: 'a folder job needs a folder under <DATA_DIR>/exports/' });
    if (j.target === 'email' && !j.recipients.length) ctx.addIssue({ code: 'custom', path: ['recipients'], message: 'an e-mail job needs at least one recipient' });
  });
const JobPatch = z.object(JobFields).partial().strict();

function validate(body: unknown): z.output<typeof JobInput> {
  const r = JobInput.safeParse(body);
  if (!r.success) unprocessable(r.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })));
  return r.data;
}

async function readBody(c: { req: { json(): Promise<unknown> } }): Promise<Record<string, unknown>> {
  try {
    const b = await c.req.json();
    if (b && typeof b === 'object' && !Array.isArray(b)) return b as Record<string, unknown>;
  } catch {
    throw new HTTPException(400, { message: 'The request body is not valid JSON.' });
  }
  throw new HTTPException(400, { message: 'The request body must be a JSON object.' });
}

const RunsQuery = z.object(paging).strict();

export const exportJobRoutes = new Hono<AppEnv>()
  .get('/', requirePermission('export'), (c) => {
    const { stores, now } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    const timeZone = stores.readings.timeZone(tenantId);
    const at = now();
    const jobs = stores.exportJobs.list(tenantId).map((j) => withStatus(c.var.deps.stores, j, timeZone, at));
    return c.json({ jobs, timeZone });
  })
  .get('/:id', requirePermission('export'), (c) => {
    const { stores, now } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    const job = stores.exportJobs.get(tenantId, idParam(c));
    return c.json({ job: withStatus(stores, job, stores.readings.timeZone(tenantId), now()) });
  })
  .post('/', requirePermission('settings.manage'), async (c) => {
    const input = validate(await readBody(c));
    const { stores, now, db } = c.var.deps;
    const job = stores.exportJobs.create(actor(c), input, now());
    exportJobsChanged(db);
    return c.json({ job: withStatus(stores, job, stores.readings.timeZone(job.tenantId), now()) }, 201);
  })
  .patch('/:id', requirePermission('settings.manage'), async (c) => {
    const id = idParam(c);
    const body = await readBody(c);
    const patch = JobPatch.safeParse(body);
    if (!patch.success) unprocessable(patch.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })));
    const { stores, now, db } = c.var.deps;
    const before = stores.exportJobs.get(c.var.principal!.tenantId, id);
    const { name, formatId, groupId, cron: pattern, cutoff, target, folder: dir, recipients, enabled } = before;
    const merged = validate({ name, formatId, groupId, cron: pattern, cutoff, target, folder: dir, recipients, enabled, ...patch.data });
    const job = stores.exportJobs.update(actor(c), id, merged, now());
    exportJobsChanged(db);
    return c.json({ job: withStatus(stores, job, stores.readings.timeZone(job.tenantId), now()) });
  })
  .delete('/:id', requirePermission('settings.manage'), (c) => {
    const { stores, now, db } = c.var.deps;
    stores.exportJobs.delete(actor(c), idParam(c), now());
    exportJobsChanged(db);
    return c.json({ ok: true });
  })
  .post('/:id/run', requirePermission('export'), async (c) => {
    const id = idParam(c);
    const tenantId = c.var.principal!.tenantId;
    c.var.deps.stores.exportJobs.get(tenantId, id); // 404 before anything runs
    try {
      const run = await runExportJob(c.var.deps, tenantId, id, actor(c));
      return c.json({ run });
    } catch (err) {
      if (err instanceof JobBusyError) throw new HTTPException(409, { message: err.message });
      throw err;
    }
  })
  .get('/:id/runs', requirePermission('export'), (c) => {
    const id = idParam(c);
    const q = parseQuery(c, RunsQuery);
    const { stores } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    stores.exportJobs.get(tenantId, id);
    return c.json({ runs: stores.jobs.list(tenantId, { kind: exportJobKind(id), limit: q.limit, offset: q.offset }) });
  });

function withStatus(stores: AppEnv['Variables']['deps']['stores'], job: ExportJob, timeZone: string, at: number) {
  const [last] = stores.jobs.list(job.tenantId, { kind: exportJobKind(job.id), limit: 1, offset: 0 });
  return { ...job, nextRunAt: nextRunAt(job, timeZone, at), lastRun: last ?? null };
}

const JOB =
  '{id, name, formatId, formatName, groupId, groupName, cron, cutoff, target, folder, recipients, enabled, nextRunAt, lastRun: {startedAt, finishedAt, status, message, result} | null, createdAt, updatedAt}';

describeRoute(
  { method: 'get', path: '/api/exports/jobs', tag: 'Exports', summary: 'Scheduled export jobs with next run and last status', permission: 'export', response: `{jobs: [${JOB}], timeZone}` },
  { method: 'get', path: '/api/exports/jobs/:id', tag: 'Exports', summary: 'One scheduled export job', permission: 'export', response: `{job: ${JOB}}` },
  {
    method: 'post',
    path: '/api/exports/jobs',
    tag: 'Exports',
    summary: 'Schedule an export',
    description:
      'A saved format for a group (or all meters, groupId null) on a croner pattern in the utility time zone (6 fields: seconds first). ' +
      'Cut-off "run" is the time of the run, "midnight" the last midnight. Target "folder" writes under <DATA_DIR>/exports/<folder>/ ' +
      '(never overwriting: -2, -3 …); "email" sends the file as an attachment through SMTP_URL.',
    permission: 'settings.manage',
    body: JobInput,
    response: `{job: ${JOB}}; 409 when the name is taken`,
    status: 201
  },
  { method: 'patch', path: '/api/exports/jobs/:id', tag: 'Exports', summary: 'Change, enable or disable an export job', permission: 'settings.manage', body: JobPatch, response: `{job: ${JOB}}` },
  { method: 'delete', path: '/api/exports/jobs/:id', tag: 'Exports', summary: 'Delete an export job and its run history', permission: 'settings.manage', response: '{ok: true}' },
  {
    method: 'post',
    path: '/api/exports/jobs/:id/run',
    tag: 'Exports',
    summary: 'Run an export job now',
    description: 'Waits for the run; a failed delivery is a run with status failed and the reason, not an HTTP error. 409 while the job is running.',
    permission: 'export',
    response: '{run: {id, kind, startedAt, finishedAt, status: ok|failed, message, result: {rows, estimated, bytes, fileName, at, target}}}'
  },
  {
    method: 'get',
    path: '/api/exports/jobs/:id/runs',
    tag: 'Exports',
    summary: 'The run history of an export job, newest first',
    permission: 'export',
    query: RunsQuery,
    response: '{runs: [{id, kind, startedAt, finishedAt, status, message, result}]}'
  }
);
