import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { SEPARATORS } from '../import/csv.js';
import { IMPORT_KINDS } from '../import/fields.js';
import { MAX_CSV_CHARS, MAX_KEM_BYTES } from '../import/limits.js';
import { recordedCsvImport, recordedKemImport, type RunContext } from '../import/record.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { parseJson } from '../validate.js';
import { actor } from './customers.js';
import { importConfig } from './import-config.js';
import { importRuns } from './import-runs.js';
import { decodeWaiting } from './waiting.js';

// Imports (M14, M17): CSV files of customers, metering points, meters or keys with a column
// mapping, and Kamstrup KEM/KEM2 key files. Reports name each bad row by line number.

export { MAX_CSV_CHARS };
// JSON escaping can double the size of the text (quotes, line ends), so the body may be larger
const tooLarge = (what: string) =>
  bodyLimit({
    maxSize: 2 * MAX_CSV_CHARS + 64 * 1024,
    onError: (c) => c.json({ error: `The request is too large: ${what}` }, 413)
  });

const mode = z.enum(['all-or-nothing', 'valid-rows'], { error: 'expected all-or-nothing or valid-rows' }).default('all-or-nothing');
const CsvImport = z
  .object({
    kind: z.enum(IMPORT_KINDS, { error: `expected one of ${IMPORT_KINDS.join(', ')}` }),
    separator: z.enum(SEPARATORS, { error: 'expected one of , ; | or a tab' }).default(','),
    mapping: z
      .record(z.string().max(200, 'column names have at most 200 characters'), z.string().max(64).nullable(), { error: 'expected {column: field}' })
      .optional(),
    mode,
    mappingId: z.number({ error: 'expected the id of a saved mapping' }).int().positive().optional(),
    fileName: z.string().max(255, 'at most 255 characters').optional(),
    dryRun: z.boolean({ error: 'expected true or false' }).default(false),
    csv: z.string({ error: 'expected the CSV file as text' }).min(1, 'the file is empty')
  })
  .strict();
const KemImport = z
  .object({
    file: z.string({ error: 'expected the file as base64 text' }).min(1, 'the file is empty'),
    password: z.string({ error: 'expected the password of the key file' }).min(1, 'enter the password of the key file').max(200),
    fileName: z.string().max(255, 'at most 255 characters').optional(),
    mode,
    dryRun: z.boolean({ error: 'expected true or false' }).default(false)
  })
  .strict();

export const imports = new Hono<AppEnv>()
  .post('/csv', requirePermission('import'), tooLarge(`a CSV import takes at most ${MAX_CSV_CHARS / 1024 / 1024} MB`), async (c) => {
    const body = await parseJson(c, CsvImport);
    if (body.csv.length > MAX_CSV_CHARS) {
      throw new HTTPException(413, { message: `csv: the file is larger than ${MAX_CSV_CHARS / 1024 / 1024} MB; split it into smaller files` });
    }
    if (body.kind === 'keys' && !c.var.principal!.permissions.has('keys.write')) {
      throw new HTTPException(403, { message: 'Your role may not do this (importing keys needs "keys.write").' });
    }
    const { db, stores, now } = c.var.deps;
    let mapping = body.mapping;
    if (body.mappingId !== undefined) {
      const saved = stores.imports.mappings.get(c.var.principal!.tenantId, body.mappingId);
      if (saved.kind !== body.kind) throw new HTTPException(422, { message: `mappingId: mapping "${saved.name}" is for ${saved.kind}, not ${body.kind}` });
      mapping ??= saved.mapping;
    }
    const ctx = runContext(c, body.fileName ?? 'upload.csv');
    const { report, runId, status, effects } = recordedCsvImport(db, stores, ctx, { ...body, mapping });
    if (report.invalid && report.mode === 'all-or-nothing' && !report.dryRun) {
      const first = report.errors[0];
      const error =
        `${report.invalid} of ${report.rows} rows have errors; nothing was imported` +
        (first ? ` (line ${first.line}${first.field ? `, ${first.field}` : ''}: ${first.message})` : '') +
        '. Fix the file, or import only the valid rows with mode "valid-rows".';
      return c.json({ error, ...report, runId, status }, 422);
    }
    // keys and meters that waiting frames waited for: decode those frames now
    return c.json({ ...report, runId, status, redecoded: decodeWaiting(stores, c.var.principal!.tenantId, effects, now()) });
  })
  .post('/kem', requirePermission('keys.write'), tooLarge(`a key file takes at most ${MAX_KEM_BYTES / 1024 / 1024} MB`), async (c) => {
    const body = await parseJson(c, KemImport);
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(body.file)) {
      throw new HTTPException(422, { message: 'file: expected the file as base64 text' });
    }
    const file = Buffer.from(body.file, 'base64');
    if (file.length > MAX_KEM_BYTES) throw new HTTPException(413, { message: `file: a key file takes at most ${MAX_KEM_BYTES / 1024 / 1024} MB` });
    const { db, stores, now } = c.var.deps;
    const p = c.var.principal!;
    const { report, runId, status, effects } = recordedKemImport(
      db,
      stores,
      runContext(c, body.fileName ?? 'keys.kem'),
      { file, password: body.password, mode: body.mode, dryRun: body.dryRun },
      { mayCreateMeters: p.permissions.has('import') }
    );
    if (report.invalid && report.mode === 'all-or-nothing' && !report.dryRun) {
      return c.json(
        {
          error: `${report.invalid} of ${report.meters} meters in the file cannot be imported; nothing was imported. Import the valid ones with mode "valid-rows".`,
          ...report,
          runId,
          status
        },
        422
      );
    }
    return c.json({ ...report, runId, status, redecoded: decodeWaiting(stores, p.tenantId, effects, now()) });
  })
  .route('/', importRuns)
  .route('/', importConfig);

function runContext(c: Context<AppEnv>, source: string): RunContext {
  return { actor: actor(c), trigger: 'manual', source, now: c.var.deps.now(), clock: c.var.deps.now };
}

describeRoute(
  {
    method: 'post',
    path: '/api/imports/csv',
    tag: 'Imports',
    summary: 'Import customers, metering points, meters, installations or keys from a CSV file',
    description:
      'The file as text with its separator and a mapping {column: field} (columns named like the fields need none; GET /api/imports/fields ' +
      'lists them). Kind installations takes one line per metering point with its customer and meter. Every row is ' +
      'checked first; with mode all-or-nothing (the default) a file with any bad row imports nothing (422 with the report), with ' +
      'valid-rows the valid rows are imported. dryRun checks only. Rows are matched by their natural key, so importing the same file ' +
      `again changes nothing. Importing keys also needs keys.write. At most ${MAX_CSV_CHARS / 1024 / 1024} MB. mappingId names a saved ` +
      'mapping (used when no mapping is given). Every import that is not a dry run leaves an import run (runId, status ok|partial|failed), ' +
      'also when the file is refused as a whole.',
    permission: 'import',
    body: CsvImport,
    response:
      '{kind, mode, dryRun, rows, valid, invalid, errors: [{line, field, message}], moreErrors, created, updated, unchanged, installed, imported, runId, status, ' +
      'redecoded: {frames, decoded, waiting}}'
  },
  {
    method: 'post',
    path: '/api/imports/kem',
    tag: 'Imports',
    summary: 'Import a Kamstrup KEM or KEM2 key file',
    description:
      'The file as base64 with its password. Meters that do not exist yet are created (that needs the import permission too); every key ' +
      `goes into the vault. Same modes as the CSV import. At most ${MAX_KEM_BYTES / 1024 / 1024} MB. The answer never holds a key.`,
    permission: 'keys.write',
    body: KemImport,
    response:
      '{format: kem | kem2, mode, dryRun, meters, valid, invalid, errors: [{index, serial, message}], metersCreated, keysCreated, keysUpdated, ' +
      'keysUnchanged, imported, runId, status, redecoded: {frames, decoded, waiting}}'
  }
);
