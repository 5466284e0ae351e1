import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { FIELDS, IMPORT_KINDS } from '../import/fields.js';
import { MAX_CSV_CHARS, MAX_KEM_BYTES } from '../import/limits.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { idParam, paging, parseQuery } from './params.js';

// The history of imports (M14) and their result pages: summary counts and every rejected line
// (paged and searchable: a bad file can reject many thousand lines). Also what each kind's
// column mapping may map to, for the Manager's mapping table.

const RunList = z.object({ ...paging, folderId: z.coerce.number({ error: 'expected a folder import id' }).int().positive().optional() }).strict();
// all rejected lines of an ordinary file in one answer; a file with thousands of bad lines is paged
const RunLines = z
  .object({
    limit: z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(1).max(5000).default(1000),
    offset: paging.offset,
    q: z.string().max(200).optional()
  })
  .strict();

export const importRuns = new Hono<AppEnv>()
  .get('/fields', requirePermission('import'), (c) =>
    c.json({
      kinds: Object.fromEntries(IMPORT_KINDS.map((k) => [k, Object.entries(FIELDS[k]).map(([name, spec]) => ({ name, required: spec.required }))])),
      maxCsvBytes: MAX_CSV_CHARS,
      maxKemBytes: MAX_KEM_BYTES
    })
  )
  .get('/runs', requirePermission('import'), (c) => {
    const { folderId, ...page } = parseQuery(c, RunList);
    return c.json(c.var.deps.stores.imports.list(c.var.principal!.tenantId, page, folderId));
  })
  .get('/runs/:id', requirePermission('import'), (c) => {
    const id = idParam(c);
    const { q, ...page } = parseQuery(c, RunLines);
    return c.json({ run: c.var.deps.stores.imports.get(c.var.principal!.tenantId, id, page, q) });
  });

describeRoute(
  {
    method: 'get',
    path: '/api/imports/fields',
    tag: 'Imports',
    summary: 'The fields each CSV import kind can map columns to',
    permission: 'import',
    response: '{kinds: {customers|metering-points|meters|keys: [{name, required}]}, maxCsvBytes, maxKemBytes}'
  },
  {
    method: 'get',
    path: '/api/imports/runs',
    tag: 'Imports',
    summary: 'The history of imports, newest first',
    description: 'Every import that was not a dry run, by upload or from a watched folder; folderId limits it to one folder import.',
    permission: 'import',
    query: RunList,
    response:
      '{items: [{id, kind, source, trigger: manual|scheduled, user, folderId, startedAt, finishedAt, status: ok|partial|failed, summary, rejectedCount, meters, message}], total, limit, offset}'
  },
  {
    method: 'get',
    path: '/api/imports/runs/:id',
    tag: 'Imports',
    summary: 'One import run with its rejected lines',
    description: 'The rejected lines are paged (limit default 1000, at most 5000; rejected.total says how many) and filtered by q (a line number, or text in the field or reason).',
    permission: 'import',
    query: RunLines,
    response: '{run: {id, kind, source, trigger, user, folderId, startedAt, finishedAt, status, summary, rejectedCount, meters, message, rejected: {items: [{line, field, message}], total, limit, offset}}}'
  }
);
