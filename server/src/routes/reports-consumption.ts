import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { CONSUMPTION_SORTS, consumerOf, consumptionReport, type ConsumptionQuery, type ConsumptionRow } from '../report/consumption.js';
import { checkDates, csvDocument, csvHeaders, reportScope } from '../report/scope.js';
import { unprocessable } from '../validate.js';
import { localIso } from '../report/scope.js';
import { paging, parseQuery, queryFlag } from './params.js';

// The consumption report (M6) over a group and an interval: rows per consumer as JSON pages or
// one CSV file, and the meter ids of the rows the filters keep (for "add the hits to a group").

const limitValue = z.coerce.number({ error: 'expected a number' }).refine(Number.isFinite, 'expected a number').optional();
const filters = {
  ...reportScope,
  min: limitValue,
  max: limitValue,
  zero: queryFlag.optional(),
  missing: queryFlag.optional(),
  unit: z.enum(['kWh', 'm3'], { error: 'expected kWh or m3' }).optional()
};
const ReportQuery = z
  .object({ ...filters, sort: z.enum(CONSUMPTION_SORTS, { error: `expected one of ${CONSUMPTION_SORTS.join(', ')}` }).optional(), desc: queryFlag.optional(), ...paging })
  .strict();
const { format: _format, ...idFilters } = filters;
const MeterIdsQuery = z.object(idFilters).strict();

/** The checks zod cannot make field by field: dates in order, a limit with its unit, min ≤ max. */
function checkFilters(q: { from: string; to: string; min?: number; max?: number; unit?: string }): void {
  checkDates(q.from, q.to);
  if ((q.min !== undefined || q.max !== undefined) && q.unit === undefined) {
    unprocessable([{ field: 'unit', message: 'choose kWh or m3 for a limit (values in kWh and m3 do not compare)' }]);
  }
  if (q.min !== undefined && q.max !== undefined && q.min > q.max) {
    unprocessable([{ field: 'max', message: `expected at least min (${q.min})` }]);
  }
}

const CSV_HEADER = [
  'metering_point_id', 'point_number', 'address', 'postal_code', 'city', 'customer_number', 'customer', 'consumer',
  'meters', 'meter_ids', 'from', 'to', 'consumption', 'unit', 'missing', 'rollover', 'exchange', 'reset'
];

export function consumptionCsv(rows: readonly ConsumptionRow[], from: number, to: number, timeZone: string): string {
  const from_ = localIso(from, timeZone);
  const to_ = localIso(to, timeZone);
  return csvDocument(
    CSV_HEADER,
    rows.map((r) => [
      r.meteringPointId === null ? '' : String(r.meteringPointId),
      r.pointNumber ?? '',
      r.address ?? '',
      r.postalCode ?? '',
      r.city ?? '',
      r.customerNumber ?? '',
      r.customer ?? '',
      consumerOf(r),
      r.meters.map((m) => `${m.manufacturer} ${m.serial}`).join('; '),
      r.meters.map((m) => String(m.meterId)).join('; '),
      from_,
      to_,
      r.value === null ? '' : String(r.value),
      r.unit,
      r.missing.join('; '),
      String(r.rollover),
      String(r.exchange),
      String(r.reset)
    ])
  );
}

export const consumptionReports = new Hono<AppEnv>()
  .get('/reports/consumption', requirePermission('readings.read'), (c) => {
    const { format, limit, offset, ...q } = parseQuery(c, ReportQuery);
    checkFilters(q);
    const principal = c.var.principal!;
    if (format === 'csv' && !principal.permissions.has('export')) {
      throw new HTTPException(403, { message: 'Your role may not do this (needs "export").' });
    }
    const { db, stores } = c.var.deps;
    const report = consumptionReport(db, stores.readingDays, principal.tenantId, q as ConsumptionQuery);
    if (format === 'csv') {
      return c.body(consumptionCsv(report.rows, report.start, report.end, report.timeZone), 200, csvHeaders(`consumption-${q.from}-${q.to}.csv`));
    }
    const { rows, ...rest } = report;
    return c.json({ ...rest, matched: rows.length, items: rows.slice(offset, offset + limit), limit, offset });
  })
  .get('/reports/consumption/meter-ids', requirePermission('readings.read'), (c) => {
    const q = parseQuery(c, MeterIdsQuery);
    checkFilters(q);
    const { db, stores } = c.var.deps;
    const report = consumptionReport(db, stores.readingDays, c.var.principal!.tenantId, q as ConsumptionQuery);
    return c.json({ meterIds: [...new Set(report.rows.map((r) => r.meterId))] });
  });

const FILTERS_TEXT =
  'group: a group id, "ungrouped" or "last-imported" (default: every meter); from/to: calendar dates of the utility, both ' +
  'included. Filters (all must hold): unit (kWh or m3), zero=true (exactly 0), min/max (at least/at most, in the unit, which ' +
  'a limit needs), missing=true (rows without a value).';

describeRoute(
  {
    method: 'get',
    path: '/api/reports/consumption',
    tag: 'Reports',
    summary: 'Consumption per consumer and in total over an interval (M6)',
    description:
      'One row per metering point with a meter of the scope installed during the interval (every meter installed there counts), ' +
      'and one per meter of the scope installed nowhere. Consumption is the register difference within each installation across ' +
      'rollovers and meter exchanges (shared/consumption.ts; the numbers of GET /api/metering-points/:id/consumption), in kWh for ' +
      'energy meters and m3 for volume meters. A missing reading before the start or in the interval leaves value null and says ' +
      `why in missing. ${FILTERS_TEXT} sort: ${CONSUMPTION_SORTS.join(', ')} (default: by metering point); desc reverses. ` +
      'totals.all over every row, totals.filtered over the kept rows, per unit. format=csv (needs the export permission too): ' +
      'every kept row, RFC 4180 UTF-8, times on the utility wall clock.',
    permission: 'readings.read',
    query: ReportQuery,
    response:
      '{from, to, timeZone, start, end, count, matched, totals: {all, filtered: {kWh: {value, rows, missing}, m3: {…}}}, items: ' +
      '[{key, meteringPointId, pointNumber, address, postalCode, city, customer, customerNumber, meters: [{meterId, manufacturer, ' +
      'serial, from, to}], meterId, unit, value, missing: [text], rollover, exchange, reset}], limit, offset}, or text/csv'
  },
  {
    method: 'get',
    path: '/api/reports/consumption/meter-ids',
    tag: 'Reports',
    summary: 'The meters of the consumption report rows the filters keep',
    description: `For "add the hits to a group": the meter at each kept row's point at the end of the interval. ${FILTERS_TEXT}`,
    permission: 'readings.read',
    query: MeterIdsQuery,
    response: '{meterIds: [number]}'
  }
);
