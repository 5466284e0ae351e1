import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { fieldCatalogue } from '../export/fields.js';
import { exportFile, selectionSummary } from '../export/file.js';
import { ExportFormat, render, type RenderError } from '../export/format.js';
import { exportRowsOf, type Selection } from '../export/rows.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { unprocessableError, parseJson } from '../validate.js';
import { actor } from './customers.js';
import { instant, positiveId } from './metering-points.js';
import { exportJobRoutes } from './export-jobs.js';
import { idParam } from './params.js';

// Billing exports (M13): the catalogue of variables, saved formats, a live preview and the
// download. Running an export needs "export"; saving formats changes what everyone's billing
// files look like (and what scheduled export jobs write), so it needs "settings.manage".

const name = z.string({ error: 'expected a name' }).trim().min(1, 'enter a name').max(100, 'at most 100 characters');
const NewFormat = z.object({ name, format: ExportFormat }).strict();
const ChangeFormat = z
  .object({ name: name.optional(), format: ExportFormat.optional() })
  .strict()
  .refine((v) => v.name !== undefined || v.format !== undefined, { message: 'give a name or a format to change' });

const SelectionSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('all') }).strict(),
    z.object({ kind: z.literal('group'), groupId: positiveId }).strict(),
    z
      .object({
        kind: z.literal('meters'),
        meterIds: z.array(positiveId, { error: 'expected a list of meter ids' }).min(1, 'give at least one meter id').max(100_000)
      })
      .strict()
  ],
  { error: 'expected {kind: "all"}, {kind: "group", groupId} or {kind: "meters", meterIds}' }
);

const which = {
  formatId: positiveId.optional(),
  format: ExportFormat.optional(),
  selection: SelectionSchema,
  at: instant
};
const oneFormat = (v: { formatId?: number; format?: unknown }) => (v.formatId === undefined) !== (v.format === undefined);
const oneFormatMessage = { message: 'give either formatId (a saved format) or format (a definition), not both', path: ['format'] };

const Preview = z
  .object({ ...which, limit: z.number({ error: 'expected a number' }).int('expected a whole number').min(1).max(20, 'at most 20').default(10) })
  .strict()
  .refine(oneFormat, oneFormatMessage);
const Run = z.object(which).strict().refine(oneFormat, oneFormatMessage);

/** The definition and name of the format a preview or run asks for. */
function formatOf(c: Context<AppEnv>, body: { formatId?: number; format?: ExportFormat }): { format: ExportFormat; id: number | null; name: string | null } {
  if (body.format) return { format: body.format, id: null, name: null };
  const saved = c.var.deps.stores.exportFormats.get(c.var.principal!.tenantId, body.formatId!);
  return { format: saved.format, id: saved.id, name: saved.name };
}

function build(c: Context<AppEnv>, format: ExportFormat, selection: Selection, at: number, limit?: number) {
  const { db, stores } = c.var.deps;
  const tenantId = c.var.principal!.tenantId;
  const timeZone = stores.readings.timeZone(tenantId);
  const source = exportRowsOf(db);
  const ids = source.meterIds(tenantId, selection);
  const rows = source.rows(tenantId, ids, at, timeZone, { interpolate: format.interpolate, maxGapDays: format.maxGapDays, limit });
  return { timeZone, meters: ids.length, rows, rendered: render(format, rows, { timeZone }) };
}

function refuse(all: RenderError[]): never {
  const errors = all.slice(0, 50);
  const more = all.length - errors.length;
  throw unprocessableError(
    errors.map((e) => ({ field: `${e.row === 0 ? 'header' : `rows.${e.row}`}.columns.${e.column}`, message: e.message })).concat(
      more > 0 ? [{ field: 'rows', message: `and ${more} more rows or columns that do not fit` }] : []
    )
  );
}

export const exportRoutes = new Hono<AppEnv>()
  .get('/fields', requirePermission('export'), (c) => c.json({ fields: fieldCatalogue() }))
  .get('/formats', requirePermission('export'), (c) => c.json({ formats: c.var.deps.stores.exportFormats.list(c.var.principal!.tenantId) }))
  .get('/formats/:id', requirePermission('export'), (c) => {
    return c.json({ format: c.var.deps.stores.exportFormats.get(c.var.principal!.tenantId, idParam(c)) });
  })
  .post('/formats', requirePermission('settings.manage'), async (c) => {
    const body = await parseJson(c, NewFormat);
    const { stores, now } = c.var.deps;
    return c.json({ format: stores.exportFormats.create(actor(c), body.name, body.format, now()) }, 201);
  })
  .patch('/formats/:id', requirePermission('settings.manage'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, ChangeFormat);
    const { stores, now } = c.var.deps;
    return c.json({ format: stores.exportFormats.update(actor(c), id, body, now()) });
  })
  .delete('/formats/:id', requirePermission('settings.manage'), (c) => {
    const { stores, now } = c.var.deps;
    stores.exportFormats.delete(actor(c), idParam(c), now());
    return c.json({ ok: true });
  })
  .post('/preview', requirePermission('export'), async (c) => {
    const body = await parseJson(c, Preview);
    const { format } = formatOf(c, body);
    const { meters, rendered, rows } = build(c, format, body.selection, body.at, body.limit);
    return c.json({
      text: rendered.text,
      rows: rendered.rows,
      meters,
      estimated: rows.filter((r) => r.estimated).length,
      errors: rendered.errors
    });
  })
  .post('/run', requirePermission('export'), async (c) => {
    const body = await parseJson(c, Run);
    const f = formatOf(c, body);
    const { stores, now, db } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    const file = exportFile(db, { tenantId, timeZone: stores.readings.timeZone(tenantId), format: f.format, formatName: f.name, selection: body.selection, at: body.at });
    const checked = file.check();
    if (checked.errors.length) refuse(checked.errors);
    // audited before the first byte leaves (architecture.md decision 7), even if the client stops reading
    stores.exportFormats.downloaded(actor(c), now(), {
      formatId: f.id,
      formatName: f.name,
      kind: f.format.kind,
      columns: f.format.columns.map((col) => col.field),
      selection: selectionSummary(body.selection),
      at: body.at,
      rows: checked.rows,
      estimated: checked.estimated,
      bytes: checked.bytes
    });
    const pieces = file.chunks();
    const encoder = new TextEncoder();
    // pulled one piece (1,000 meters) at a time: the file is never one string in memory
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = pieces.next();
        if (next.done) controller.close();
        else if (next.value !== '') controller.enqueue(encoder.encode(next.value));
      },
      cancel() {
        pieces.return(undefined);
      }
    });
    return c.body(stream, 200, {
      'content-type': file.contentType,
      'content-disposition': `attachment; filename="${file.fileName}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
      'cache-control': 'no-store',
      'x-export-rows': String(checked.rows)
    });
  })
  .route('/jobs', exportJobRoutes);

const FORMAT = '{id, name, format: {kind, separator, quote, header, decimalMark, dateFormat, lineEnd, bom, interpolate, maxGapDays?, columns}, createdAt, updatedAt}';

describeRoute(
  {
    method: 'get',
    path: '/api/exports/fields',
    tag: 'Exports',
    summary: 'The variables an export column can hold',
    description: 'Grouped by meter, customer, metering point, reading and info; number fields list the units a column may choose and their default decimals.',
    permission: 'export',
    response: '{fields: [{id, label, group, type: text|number|integer|instant, units?, defaultDecimals?}]}'
  },
  { method: 'get', path: '/api/exports/formats', tag: 'Exports', summary: 'Saved export formats', permission: 'export', response: '{formats: [{id, name, createdAt, updatedAt}]}' },
  { method: 'get', path: '/api/exports/formats/:id', tag: 'Exports', summary: 'One saved export format', permission: 'export', response: `{format: ${FORMAT}}` },
  {
    method: 'post',
    path: '/api/exports/formats',
    tag: 'Exports',
    summary: 'Save an export format',
    permission: 'settings.manage',
    body: NewFormat,
    response: '{format}; 409 when the name is taken',
    status: 201
  },
  {
    method: 'patch',
    path: '/api/exports/formats/:id',
    tag: 'Exports',
    summary: 'Rename or change a saved export format',
    permission: 'settings.manage',
    body: ChangeFormat,
    response: '{format}'
  },
  { method: 'delete', path: '/api/exports/formats/:id', tag: 'Exports', summary: 'Delete a saved export format', permission: 'settings.manage', response: '{ok: true}' },
  {
    method: 'post',
    path: '/api/exports/preview',
    tag: 'Exports',
    summary: 'The first lines of an export, for the designer',
    description: 'Up to 20 meters of the selection at the cut-off. Rows that do not fit the format are left out of the text and listed in errors.',
    permission: 'export',
    body: Preview,
    response: '{text, rows (lines written), meters (in the selection), estimated, errors: [{row, column, field, message}]}'
  },
  {
    method: 'post',
    path: '/api/exports/run',
    tag: 'Exports',
    summary: 'Download an export file',
    description:
      'Each selected meter with its billing reading: the last reading at or before the cut-off `at`. The file comes as an attachment; ' +
      'the download is audited (export.downloaded). 422 naming row and column when a value does not fit (never cut).',
    permission: 'export',
    body: Run,
    response: 'the file (text/csv or text/plain, UTF-8), streamed 1,000 meters at a time; content-disposition attachment; x-export-rows'
  }
);
