// Import a Kamstrup KEM/KEM2 key file (M17): meters that do not exist yet are created (model
// and driver from MeterName/ShortName), every key goes into the vault. Same modes as the CSV
// import; one audit entry with counts, never a key.
import { HTTPException } from 'hono/http-exception';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import type { Stores } from '../store/index.js';
import { auditAs } from '../store/registry.js';
import { decryptKem } from './kem.js';
import { noEffects, type ImportEffects } from './run.js';

export interface KemImportRequest {
  file: Uint8Array;
  password: string;
  mode: 'all-or-nothing' | 'valid-rows';
  dryRun: boolean;
}

export interface KemImportReport {
  format: 'kem' | 'kem2';
  mode: KemImportRequest['mode'];
  dryRun: boolean;
  meters: number;
  valid: number;
  invalid: number;
  /** Per meter in file order (1-based), with its serial when readable; never the key. */
  errors: { index: number; serial: string | null; message: string }[];
  metersCreated: number;
  keysCreated: number;
  keysUpdated: number;
  keysUnchanged: number;
  imported: boolean;
}

export function runKemImport(
  db: Db,
  stores: Stores,
  actor: Actor,
  req: KemImportRequest,
  opts: { mayCreateMeters: boolean; now: number },
  effects?: ImportEffects
): KemImportReport {
  const result = decryptKem(req.file, req.password);
  if (!result.ok) {
    const field = result.reason === 'wrong-password' || result.reason === 'password-too-long' ? 'password' : 'file';
    const body = { error: result.message, reason: result.reason, fields: [{ field, message: result.message }] };
    throw new HTTPException(422, {
      message: result.message,
      cause: body,
      res: new Response(JSON.stringify(body), {
        status: 422,
        headers: { 'content-type': 'application/json' }
      })
    });
  }
  const errors: KemImportReport['errors'] = [];
  const seen = new Map<string, number>();
  const good = result.meters.filter((m) => {
    if (m.problem) {
      errors.push({ index: m.index, serial: m.serial || null, message: m.problem });
      return false;
    }
    const id = `${m.manufacturer} ${m.serial}`;
    const first = seen.get(id);
    if (first !== undefined) {
      errors.push({ index: m.index, serial: m.serial, message: `serial: the same meter is also meter ${first} in the file` });
      return false;
    }
    seen.set(id, m.index);
    return true;
  });
  const report: KemImportReport = {
    format: result.format,
    mode: req.mode,
    dryRun: req.dryRun,
    meters: result.meters.length,
    valid: good.length,
    invalid: result.meters.length - good.length,
    errors,
    metersCreated: 0,
    keysCreated: 0,
    keysUpdated: 0,
    keysUnchanged: 0,
    imported: false
  };
  const missing = good.filter((m) => stores.meters.idByIdentity(actor.tenantId, m.manufacturer, m.serial) === undefined);
  if (missing.length && !opts.mayCreateMeters && !req.dryRun) {
    throw new HTTPException(403, {
      message: `${missing.length} meter(s) of the file do not exist yet; creating them needs the "import" permission.`
    });
  }
  if (req.dryRun) {
    report.metersCreated = missing.length;
    return report;
  }
  if (!good.length || (errors.length && req.mode === 'all-or-nothing')) return report;
  const { now } = opts;
  const touched = noEffects();
  db.transaction(() => {
    for (const m of good) {
      let id = stores.meters.idByIdentity(actor.tenantId, m.manufacturer, m.serial);
      if (id === undefined) {
        id = stores.meters.insert(
          actor.tenantId,
          { manufacturer: m.manufacturer, serial: m.serial, model: m.model?.slice(0, 100) ?? null, driver: m.driver, medium: m.medium },
          now
        );
        report.metersCreated++;
        touched.meters.push(id);
      }
      const outcome = stores.keys.put(actor.tenantId, id, m.key!, 'kem', now);
      if (outcome !== 'unchanged') touched.keys.push(id);
      if (outcome !== 'unchanged' || touched.meters.at(-1) === id) touched.changed.push(id);
      if (outcome === 'created') report.keysCreated++;
      else if (outcome === 'updated') report.keysUpdated++;
      else report.keysUnchanged++;
    }
    report.imported = true;
    auditAs(db, actor, now, 'import.kem', {
      format: result.format,
      mode: req.mode,
      meters: result.meters.length,
      skipped: report.invalid,
      metersCreated: report.metersCreated,
      keysCreated: report.keysCreated,
      keysUpdated: report.keysUpdated,
      keysUnchanged: report.keysUnchanged
    });
  })();
  effects?.meters.push(...touched.meters);
  effects?.keys.push(...touched.keys);
  effects?.changed.push(...touched.changed);
  return report;
}
