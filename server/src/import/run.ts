// CSV import (M14): validate every row first, report each bad row by line number and field, then
// write in one transaction: nothing when any row is bad (all-or-nothing, the default), or the
// valid rows only when the caller chose 'valid-rows'. Upserts by natural key, so importing the
// same file again changes nothing. One audit entry per import, with counts.
import { HTTPException } from 'hono/http-exception';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import type { Stores } from '../store/index.js';
import { auditAs } from '../store/registry.js';
import { parseCsv, type Separator } from './csv.js';
import { cellNumber, cellText, FIELDS, meterInputOf, resolveMapping, type CellValue, type ImportKind } from './fields.js';
import { checkInstallations, writeInstallation } from './installations.js';

export interface CsvImportRequest {
  kind: ImportKind;
  separator: Separator;
  mapping?: Record<string, string | null>;
  mode: 'all-or-nothing' | 'valid-rows';
  dryRun: boolean;
  csv: string;
}

export interface RowError {
  line: number;
  /** The field (as mapped), or null for a problem with the whole row. */
  field: string | null;
  message: string;
}

export interface ImportReport {
  kind: ImportKind;
  mode: CsvImportRequest['mode'];
  dryRun: boolean;
  /** Data rows in the file (header not counted). */
  rows: number;
  valid: number;
  invalid: number;
  errors: RowError[];
  /** Errors beyond the first MAX_LISTED_ERRORS, counted but not listed. */
  moreErrors: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Meters installed at a metering point by this import. */
  installed: number;
  /** True when rows were written. */
  imported: boolean;
}

export const MAX_LISTED_ERRORS = 1000;

/**
 * Meters an import changed in a way waiting raw frames care about, filled once the import has
 * committed (empty after a dry run or a rolled-back import): the caller tells the ingest.
 */
export interface ImportEffects {
  /** Meters created. */
  meters: number[];
  /** Meters whose key was created or replaced. */
  keys: number[];
  /** Every meter created, changed, installed or given a new key: the run's "Last imported" meters. */
  changed: number[];
  /** Every rejected line, also beyond MAX_LISTED_ERRORS, for the import run's result page. */
  rejected: RowError[];
}

export const noEffects = (): ImportEffects => ({ meters: [], keys: [], changed: [], rejected: [] });

type Values = Record<string, CellValue | undefined>;
interface ParsedRow {
  line: number;
  values: Values;
  /** Resolved by the cross-checks: ids of existing records the row refers to. */
  ref: { customerId?: number | null; pointId?: number | null; meterId?: number };
}

function unprocessable(error: string, extra: Record<string, unknown>): HTTPException {
  return new HTTPException(422, {
    message: error,
    cause: { error, ...extra },
    res: new Response(JSON.stringify({ error, ...extra }), { status: 422, headers: { 'content-type': 'application/json' } })
  });
}

export function runCsvImport(db: Db, stores: Stores, actor: Actor, req: CsvImportRequest, now: number, effects?: ImportEffects): ImportReport {
  const parsed = parseCsv(req.csv, req.separator);
  if (!parsed.ok) {
    throw unprocessable(`csv: ${parsed.line !== null ? `line ${parsed.line}: ` : ''}${parsed.message}`, {
      fields: [{ field: 'csv', message: parsed.message }],
      line: parsed.line
    });
  }
  const { header, rows } = parsed.table;
  const mapping = resolveMapping(req.kind, header, req.mapping);
  if (!mapping.ok) {
    throw unprocessable(mapping.errors.map((e) => `${e.field}: ${e.message}`).join('; '), { fields: mapping.errors });
  }

  const errors: RowError[] = [];
  const badLines = new Set<number>();
  const fail = (line: number, field: string | null, message: string) => {
    errors.push({ line, field, message });
    badLines.add(line);
  };

  // 1. each cell on its own
  const specs = FIELDS[req.kind];
  const candidates: ParsedRow[] = [];
  for (const row of rows) {
    if (row.cells.length > header.length) {
      fail(row.line, null, `the line has ${row.cells.length} fields, the header has ${header.length} (check the separator and quotes)`);
      continue;
    }
    const values: Values = {};
    for (const [field, index] of mapping.columns) {
      const raw = (row.cells[index] ?? '').trim();
      if (raw === '') {
        if (specs[field]!.required) fail(row.line, field, 'required, but empty');
        else values[field] = null;
        continue;
      }
      const cell = specs[field]!.parse(raw);
      if (cell.ok) values[field] = cell.value;
      else fail(row.line, field, cell.message);
    }
    if (!badLines.has(row.line)) candidates.push({ line: row.line, values, ref: {} });
  }

  // 2. against the rest of the file and the database
  crossCheck(req.kind, candidates, stores, actor.tenantId, fail);
  const valid = candidates.filter((r) => !badLines.has(r.line));

  const report: ImportReport = {
    kind: req.kind,
    mode: req.mode,
    dryRun: req.dryRun,
    rows: rows.length,
    valid: valid.length,
    invalid: badLines.size,
    errors: [],
    moreErrors: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    installed: 0,
    imported: false
  };
  const finish = () => {
    errors.sort((a, b) => a.line - b.line);
    report.errors = errors.slice(0, MAX_LISTED_ERRORS);
    report.moreErrors = Math.max(0, errors.length - MAX_LISTED_ERRORS);
    report.invalid = badLines.size;
    report.valid = rows.length - badLines.size;
    if (effects) effects.rejected = errors;
    return report;
  };
  if (req.dryRun || !valid.length || (errors.length && req.mode === 'all-or-nothing')) return finish();

  // 3. write, one savepoint per row so an unexpected conflict becomes that row's error
  const touched = noEffects();
  const write = db.transaction(() => {
    for (const row of valid) {
      try {
        const t = db.transaction(() => writeRow(req.kind, row, stores, actor.tenantId, now, report))();
        if (t.meter !== undefined) touched.meters.push(t.meter);
        if (t.key !== undefined) touched.keys.push(t.key);
        if (t.changed !== undefined) touched.changed.push(t.changed);
      } catch (err) {
        if (!(err instanceof HTTPException)) throw err;
        fail(row.line, null, err.message);
      }
    }
    if (errors.length && req.mode === 'all-or-nothing') throw new RollBack();
    report.imported = true;
    auditAs(db, actor, now, 'import.csv', {
      kind: req.kind,
      mode: req.mode,
      rows: rows.length,
      imported: rows.length - badLines.size,
      skipped: badLines.size,
      created: report.created,
      updated: report.updated,
      unchanged: report.unchanged,
      installed: report.installed
    });
  });
  try {
    write();
    effects?.meters.push(...touched.meters);
    effects?.keys.push(...touched.keys);
    effects?.changed.push(...touched.changed);
  } catch (err) {
    if (!(err instanceof RollBack)) throw err;
    report.created = report.updated = report.unchanged = report.installed = 0;
  }
  return finish();
}

class RollBack extends Error {}

type Fail = (line: number, field: string | null, message: string) => void;

function crossCheck(kind: ImportKind, rows: ParsedRow[], stores: Stores, tenantId: number, fail: Fail): void {
  if (kind === 'installations') return checkInstallations(rows, stores, tenantId, fail);
  const seen = new Map<string, number>();
  const once = (row: ParsedRow, key: string, field: string, what: string) => {
    const first = seen.get(key);
    if (first !== undefined) {
      fail(row.line, field, `${what} also on line ${first}`);
      return false;
    }
    seen.set(key, row.line);
    return true;
  };
  for (const row of rows) {
    const v = row.values;
    switch (kind) {
      case 'customers':
        once(row, String(v.number), 'number', 'the same customer number is');
        break;
      case 'metering-points':
        once(row, String(v.number), 'number', 'the same metering point number is');
        if (typeof v.customerNumber === 'string') {
          const id = stores.customers.idByNumber(tenantId, v.customerNumber);
          if (id === undefined) fail(row.line, 'customerNumber', 'no customer has this number (import the customers first)');
          else row.ref.customerId = id;
        } else if (v.customerNumber === null) row.ref.customerId = null;
        break;
      case 'meters': {
        if (!once(row, `${v.manufacturer} ${v.serial}`, 'serial', 'the same meter (manufacturer and serial) is')) break;
        const meterId = stores.meters.idByIdentity(tenantId, String(v.manufacturer), String(v.serial));
        if (meterId !== undefined) row.ref.meterId = meterId;
        if (typeof v.meteringPointNumber !== 'string') break;
        const pointId = stores.meteringPoints.idByNumber(tenantId, v.meteringPointNumber);
        if (pointId === undefined) {
          fail(row.line, 'meteringPointNumber', 'no metering point has this number (import the metering points first)');
          break;
        }
        row.ref.pointId = pointId;
        if (!once(row, `point ${pointId}`, 'meteringPointNumber', 'a meter for the same metering point is')) break;
        const current = meterId === undefined ? null : stores.meters.currentPointOf(meterId);
        if (current !== null && current !== pointId) {
          fail(row.line, 'meteringPointNumber', 'the meter is installed at another metering point now; exchange it there instead');
          break;
        }
        const there = stores.meters.currentMeterAt(pointId);
        if (there !== null && there !== meterId) {
          fail(row.line, 'meteringPointNumber', `another meter (id ${there}) is installed at this metering point; exchange it instead`);
        }
        break;
      }
      case 'keys': {
        const serial = String(v.serial);
        let meterId: number | undefined;
        if (typeof v.manufacturer === 'string') {
          meterId = stores.meters.idByIdentity(tenantId, v.manufacturer, serial);
          if (meterId === undefined) fail(row.line, 'serial', `no meter ${v.manufacturer} with this serial`);
        } else {
          const ids = stores.meters.idsBySerial(tenantId, serial);
          if (!ids.length) fail(row.line, 'serial', 'no meter has this serial');
          else if (ids.length > 1) fail(row.line, 'serial', `${ids.length} meters have this serial; add a manufacturer column`);
          else meterId = ids[0];
        }
        if (meterId !== undefined && once(row, `meter ${meterId}`, 'serial', 'a key for the same meter is')) row.ref.meterId = meterId;
        break;
      }
    }
  }
}


/** Writes one row; answers the meter it created or whose key it changed. */
function writeRow(
  kind: ImportKind,
  row: ParsedRow,
  stores: Stores,
  tenantId: number,
  now: number,
  report: ImportReport
): { meter?: number; key?: number; changed?: number } {
  const v = row.values;
  let outcome: 'created' | 'updated' | 'unchanged';
  const touched: { meter?: number; key?: number; changed?: number } = {};
  switch (kind) {
    case 'customers':
      outcome = stores.customers.upsertByNumber(tenantId, { number: String(v.number), name: String(v.name), email: cellText(v.email), phone: cellText(v.phone) }, now);
      break;
    case 'metering-points':
      outcome = stores.meteringPoints.upsertByNumber(
        tenantId,
        {
          number: String(v.number),
          address: String(v.address),
          postalCode: cellText(v.postalCode),
          city: cellText(v.city),
          lat: cellNumber(v.lat),
          lon: cellNumber(v.lon),
          customerId: row.ref.customerId
        },
        now
      );
      break;
    case 'meters': {
      const r = stores.meters.upsert(
        tenantId,
        meterInputOf(v),
        now
      );
      outcome = r.outcome;
      if (outcome === 'created') touched.meter = r.id;
      if (typeof row.ref.pointId === 'number') {
        const from = typeof v.installedFrom === 'number' ? v.installedFrom : now;
        if (stores.meters.ensureInstalled(tenantId, r.id, row.ref.pointId, from)) {
          report.installed++;
          if (outcome === 'unchanged') outcome = 'updated';
        }
      }
      if (outcome !== 'unchanged') touched.changed = r.id;
      break;
    }
    case 'installations': {
      const r = writeInstallation(row, stores, tenantId, now);
      outcome = r.outcome;
      if (outcome === 'created') touched.meter = r.meterId;
      if (outcome !== 'unchanged') touched.changed = r.meterId;
      if (r.installed) report.installed++;
      break;
    }
    case 'keys':
      outcome = stores.keys.put(tenantId, row.ref.meterId!, v.key as Uint8Array, 'csv', now);
      if (outcome !== 'unchanged') touched.key = touched.changed = row.ref.meterId!;
      break;
  }
  report[outcome]++;
  return touched;
}
