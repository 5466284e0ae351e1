import { Cron } from 'croner';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { SEPARATORS } from '../import/csv.js';
import { IMPORT_KINDS } from '../import/fields.js';
import { runFolderImport } from '../jobs/import-folder.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { parseJson } from '../validate.js';
import { actor } from './customers.js';
import { idParam, parseQuery } from './params.js';

// Saved column mappings and watched folders of the imports (M14). A folder's path is relative
// to <DATA_DIR>/imports: absolute paths and ".." are refused so an import can never read
// elsewhere on the server.

const kind = z.enum(IMPORT_KINDS, { error: `expected one of ${IMPORT_KINDS.join(', ')}` });
const separator = z.enum(SEPARATORS, { error: 'expected one of , ; | or a tab' }).default(',');
const name = z.string({ error: 'expected a name' }).trim().min(1, 'enter a name').max(100, 'at most 100 characters');

const MappingBody = z
  .object({
    name,
    kind,
    separator,
    mapping: z.record(z.string().max(200, 'column names have at most 200 characters'), z.string().max(64).nullable(), { error: 'expected {column: field}' })
  })
  .strict();

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/;
/** The one thing wrong with a folder path (the first found), or null. */
function pathProblem(p: string): string | null {
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.includes('\\')) return 'expected a folder below the imports folder, not an absolute path';
  const parts = p.split('/');
  if (parts.includes('..')) return 'must not contain ".."';
  if (!parts.every((s) => SEGMENT.test(s))) return 'each part: letters, digits, . _ - or spaces, starting with a letter or digit';
  if (['done', 'failed'].includes(parts.at(-1)!)) return 'done and failed are where imported files go; choose another name';
  return null;
}
const folderPath = z
  .string({ error: 'expected a folder below the imports folder' })
  .trim()
  .min(1, 'enter a folder such as "billing/customers"')
  .max(200, 'at most 200 characters')
  .superRefine((p, ctx) => {
    const why = pathProblem(p);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  });

const schedule = z
  .string({ error: 'expected a cron pattern' })
  .trim()
  .refine((p) => {
    try {
      new Cron(p, { paused: true }).stop();
      return p.split(/\s+/).length >= 5;
    } catch {
      return false;
    }
  }, 'expected a cron pattern such as "0 */15 * * * *" or "*/30 * * * *" (optional seconds first)');

const FolderBody = z
  .object({
    name,
    path: folderPath,
    kind,
    separator,
    mappingId: z.number({ error: 'expected the id of a saved mapping or null' }).int().positive().nullable().default(null),
    mode: z.enum(['all-or-nothing', 'valid-rows'], { error: 'expected all-or-nothing or valid-rows' }).default('all-or-nothing'),
    schedule,
    enabled: z.boolean({ error: 'expected true or false' }).default(true)
  })
  .strict();

const KindQuery = z.object({ kind: kind.optional() }).strict();

const needKeys = (c: { var: AppEnv['Variables'] }, k: string) => {
  if (k === 'keys' && !c.var.principal!.permissions.has('keys.write')) {
    throw new HTTPException(403, { message: 'Your role may not do this (importing keys needs "keys.write").' });
  }
};

export const importConfig = new Hono<AppEnv>()
  .get('/mappings', requirePermission('import'), (c) => {
    const { kind } = parseQuery(c, KindQuery);
    return c.json({ items: c.var.deps.stores.imports.mappings.list(c.var.principal!.tenantId, kind) });
  })
  .post('/mappings', requirePermission('import'), async (c) => {
    const body = await parseJson(c, MappingBody);
    return c.json({ mapping: c.var.deps.stores.imports.mappings.create(actor(c), body, c.var.deps.now()) }, 201);
  })
  .put('/mappings/:id', requirePermission('import'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, MappingBody);
    return c.json({ mapping: c.var.deps.stores.imports.mappings.update(actor(c), id, body, c.var.deps.now()) });
  })
  .delete('/mappings/:id', requirePermission('import'), (c) => {
    c.var.deps.stores.imports.mappings.delete(actor(c), idParam(c), c.var.deps.now());
    return c.body(null, 204);
  })
  .get('/folders', requirePermission('import'), (c) => {
    const { stores } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    const items = stores.imports.folders.list(tenantId).map((f) => ({ ...f, lastRun: stores.imports.lastOfFolder(tenantId, f.id) }));
    return c.json({ items, root: stores.imports.root });
  })
  .post('/folders', requirePermission('import'), async (c) => {
    const body = await parseJson(c, FolderBody);
    needKeys(c, body.kind);
    return c.json({ folder: c.var.deps.stores.imports.folders.create(actor(c), body, c.var.deps.now()) }, 201);
  })
  .put('/folders/:id', requirePermission('import'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, FolderBody);
    needKeys(c, body.kind);
    return c.json({ folder: c.var.deps.stores.imports.folders.update(actor(c), id, body, c.var.deps.now()) });
  })
  .delete('/folders/:id', requirePermission('import'), (c) => {
    c.var.deps.stores.imports.folders.delete(actor(c), idParam(c), c.var.deps.now());
    return c.body(null, 204);
  })
  .post('/folders/:id/run', requirePermission('import'), (c) => {
    const { db, stores, now } = c.var.deps;
    const folder = stores.imports.folders.get(c.var.principal!.tenantId, idParam(c));
    needKeys(c, folder.kind);
    return c.json({ files: runFolderImport({ db, stores, now }, folder, actor(c)) });
  });

const MAPPING = '{id, name, kind, separator, mapping: {column: field | null}, createdAt, updatedAt}';
const FOLDER = '{id, name, path, location, kind, separator, mappingId, mode, schedule, enabled, createdBy, createdAt, updatedAt}';
describeRoute(
  { method: 'get', path: '/api/imports/mappings', tag: 'Imports', summary: 'Saved column mappings', permission: 'import', query: KindQuery, response: `{items: [${MAPPING}]}` },
  {
    method: 'post',
    path: '/api/imports/mappings',
    tag: 'Imports',
    summary: 'Save a column mapping under a name',
    description: 'Names are unique per utility (409). Audited.',
    permission: 'import',
    body: MappingBody,
    status: 201,
    response: `{mapping: ${MAPPING}}`
  },
  { method: 'put', path: '/api/imports/mappings/:id', tag: 'Imports', summary: 'Change a saved mapping', permission: 'import', body: MappingBody, response: `{mapping: ${MAPPING}}` },
  {
    method: 'delete',
    path: '/api/imports/mappings/:id',
    tag: 'Imports',
    summary: 'Delete a saved mapping',
    description: '409 while a folder import uses it.',
    permission: 'import',
    status: 204,
    response: 'nothing'
  },
  {
    method: 'get',
    path: '/api/imports/folders',
    tag: 'Imports',
    summary: 'Watched import folders with their last run',
    permission: 'import',
    response: `{items: [${FOLDER} + lastRun], root: the imports folder on the server}`
  },
  {
    method: 'post',
    path: '/api/imports/folders',
    tag: 'Imports',
    summary: 'Watch a folder for files to import',
    description:
      'path is relative to <DATA_DIR>/imports (no absolute path, no ".."); the folder is created with done/ and failed/. schedule is a croner pattern ' +
      '(5 fields, or 6 with seconds first). On each run every file in the folder is imported and moved to done/ or failed/; a file with the same ' +
      'SHA-256 as an imported one is only moved. Files named .part or .tmp are left until renamed. Keys also need keys.write. Audited.',
    permission: 'import',
    body: FolderBody,
    status: 201,
    response: `{folder: ${FOLDER}}`
  },
  { method: 'put', path: '/api/imports/folders/:id', tag: 'Imports', summary: 'Change a folder import', permission: 'import', body: FolderBody, response: `{folder: ${FOLDER}}` },
  {
    method: 'delete',
    path: '/api/imports/folders/:id',
    tag: 'Imports',
    summary: 'Stop watching a folder',
    description: 'The files and the run history stay. Audited.',
    permission: 'import',
    status: 204,
    response: 'nothing'
  },
  {
    method: 'post',
    path: '/api/imports/folders/:id/run',
    tag: 'Imports',
    summary: 'Import the waiting files of a folder now',
    permission: 'import',
    response: '{files: [{file, runId, status, movedTo, message}]}'
  }
);
