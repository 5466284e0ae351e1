import { z } from 'zod';
import type { Db } from '../db/connection.js';
import { zoneOffsetMs } from '../../../shared/consumption.js';
import { csvField } from '../export/csv-field.js';
import { lastImportRun } from '../store/meters.js';
import { notFound } from '../store/registry.js';
import { unprocessable } from '../validate.js';

// What every report (M5-M8, B3) runs over: a group of meters (or all) and an interval of the
// utility's calendar dates; and how a report row names its meter. One definition for the heat,
// consumption, performance, network and alarm reports.

export type GroupScope = number | 'ungrouped' | 'last-imported' | undefined;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const date = z
  .string({ error: 'expected a date like 2026-10-31' })
  .regex(DATE, 'expected a date like 2026-10-31')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'no such date');

/** The longest interval a report runs over. */
export const MAX_REPORT_DAYS = 5 * 366;

/** Query fields of every report: spread into the report's own `.strict()` object. */
export const reportScope = {
  group: z
    .union([z.literal('ungrouped'), z.literal('last-imported'), z.coerce.number().int().positive()], {
      error: 'expected a group id, "ungrouped" or "last-imported"'
    })
    .optional(),
  from: date,
  to: date,
  format: z.enum(['json', 'csv'], { error: 'expected json or csv' }).optional()
};

/** 422 unless from ≤ to and the interval is at most MAX_REPORT_DAYS long. */
export function checkDates(from: string, to: string): void {
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
  if (days < 1) unprocessable([{ field: 'to', message: `expected a date on or after from (${from})` }]);
  if (days > MAX_REPORT_DAYS) unprocessable([{ field: 'to', message: `at most ${MAX_REPORT_DAYS} days from ${from}` }]);
}

/**
 * A condition on a meter id column (e.g. 'm.id') for the scope, with its arguments; throws 404
 * for a group that is not the tenant's. The caller adds its own tenant condition.
 */
export function groupCondition(db: Db, tenantId: number, group: GroupScope, column: string): { sql: string; args: unknown[] } {
  if (group === undefined) return { sql: '1', args: [] };
  if (group === 'ungrouped') return { sql: `${column} not in (select meter_id from group_member)`, args: [] };
  if (group === 'last-imported') {
    return { sql: `${column} in (select meter_id from import_run_meter where run_id = ?)`, args: [lastImportRun(db, tenantId)?.id ?? 0] };
  }
  if (!db.prepare('select 1 from meter_group where tenant_id = ? and id = ?').get(tenantId, group)) throw notFound('Group', group);
  return { sql: `${column} in (select meter_id from group_member where group_id = ?)`, args: [group] };
}

/** How a report row names its meter and where it is installed now. */
export interface ReportMeter {
  meterId: number;
  manufacturer: string;
  serial: string;
  model: string | null;
  medium: string | null;
  meteringPointId: number | null;
  address: string | null;
  postalCode: string | null;
  customer: string | null;
  customerNumber: string | null;
}

/**
 * Columns of ReportMeter for a query over `meter m` (joins listed in REPORT_METER_JOINS): its
 * current installation's point and customer.
 */
export const REPORT_METER_COLUMNS = `m.id as meterId, m.manufacturer, m.serial, m.model, m.medium, p.id as meteringPointId,
  p.address, p.postal_code as postalCode, c.name as customer, c.number as customerNumber`;
export const REPORT_METER_JOINS = `left join installation i on i.meter_id = m.id and i.to_at is null
  left join metering_point p on p.id = i.metering_point_id
  left join customer c on c.id = p.customer_id`;

/** The meters of the scope with their identity, in meter id order. */
export function scopeMeters(db: Db, tenantId: number, group: GroupScope): ReportMeter[] {
  const g = groupCondition(db, tenantId, group, 'm.id');
  return db
    .prepare(`select ${REPORT_METER_COLUMNS} from meter m ${REPORT_METER_JOINS} where m.tenant_id = ? and ${g.sql} order by m.id`)
    .all(tenantId, ...g.args) as ReportMeter[];
}

export const REPORT_METER_CSV_HEADER = ['meter_id', 'manufacturer', 'serial', 'model', 'address', 'postal_code', 'customer_number', 'customer'];

export function reportMeterCsvFields(m: ReportMeter): string[] {
  return [String(m.meterId), m.manufacturer, m.serial, m.model ?? '', m.address ?? '', m.postalCode ?? '', m.customerNumber ?? '', m.customer ?? ''];
}

/** An RFC 4180 document (CRLF after every record, §2) from a header and rows of plain fields. */
export function csvDocument(header: readonly string[], rows: Iterable<readonly string[]>): string {
  let out = header.map(csvField).join(',') + '\r\n';
  for (const r of rows) out += r.map(csvField).join(',') + '\r\n';
  return out;
}

/** Response headers of a CSV download named `name`. */
export function csvHeaders(name: string): Record<string, string> {
  return { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"` };
}

/** ISO 8601 on the utility's wall clock with its offset: "2026-03-29T03:00:00+02:00". */
export function localIso(at: number, timeZone: string): string {
  const off = zoneOffsetMs(timeZone, at);
  const abs = Math.abs(off) / 60_000;
  const sign = off < 0 ? '-' : '+';
  return `${new Date(at + off).toISOString().slice(0, 19)}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
