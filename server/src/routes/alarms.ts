import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { ALARM_SORTS, alarmHistory, currentAlarms, SINCE_LOOKBACK_DAYS, withSince, type AlarmRow } from '../store/alarms.js';
import { ALARM_KINDS, type AlarmKind } from '../../../shared/model/alarm.js';
import { idParam, paging, parseQuery, queryFlag } from './params.js';
import { csvField } from '../export/csv-field.js';
import { csvHeaders, localIso } from '../report/scope.js';

// Alarms across the utility (M8): current alarms of every meter, sortable by severity and time,
// filtered by group, severity and kind, as JSON or CSV; and one meter's alarm history summary.
// Mounted at /api (the history sits under /meters/:id beside readings.ts).

const KINDS = Object.keys(ALARM_KINDS) as [AlarmKind, ...AlarmKind[]];

const ListQuery = z
  .object({
    group: z
      .union([z.literal('ungrouped'), z.literal('last-imported'), z.coerce.number().int().positive()], {
        error: 'expected a group id, "ungrouped" or "last-imported"'
      })
      .optional(),
    severity: z.enum(['critical', 'warning', 'info'], { error: 'expected critical, warning or info' }).optional(),
    kind: z.enum(KINDS, { error: `expected an alarm kind such as leak, burst, dry, tamper or low-battery` }).optional(),
    sort: z.enum(ALARM_SORTS, { error: `expected one of ${ALARM_SORTS.join(', ')}` }).optional(),
    desc: queryFlag.optional(),
    format: z.enum(['json', 'csv'], { error: 'expected json or csv' }).optional(),
    ...paging
  })
  .strict();

const HistoryQuery = z
  .object({
    days: z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(1, 'at least 1').max(400, 'at most 400').default(30)
  })
  .strict();



const CSV_HEADER = 'meter_id,manufacturer,serial,model,address,postal_code,customer_number,customer,severity,alarms,since,at';

export function alarmsCsv(rows: AlarmRow[], timeZone: string): string {
  const lines = rows.map((r) =>
    [
      String(r.meterId),
      r.manufacturer,
      r.serial,
      r.model ?? '',
      r.address ?? '',
      r.postalCode ?? '',
      r.customerNumber ?? '',
      r.customer ?? '',
      r.worst,
      r.alarms.map((a) => a.label).join('; '),
      localIso(r.since, timeZone),
      localIso(r.at, timeZone)
    ]
      .map(csvField)
      .join(',')
  );
  // RFC 4180 §2: CRLF after every record
  return [CSV_HEADER, ...lines].map((l) => l + '\r\n').join('');
}

export const alarms = new Hono<AppEnv>()
  .get('/alarms', requirePermission('meters.read'), (c) => {
    const { format, limit, offset, ...query } = parseQuery(c, ListQuery);
    const { db, stores, now } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    const all = currentAlarms(db, tenantId, query);
    if (format === 'csv') {
      // a report's CSV is a download of data: it needs `export` as well (issue 7)
      if (!c.var.principal!.permissions.has('export')) throw new HTTPException(403, { message: 'Your role may not download data (needs "export").' });
      const timeZone = stores.readings.timeZone(tenantId);
      const name = `alarms-${localIso(now(), timeZone).slice(0, 10)}.csv`;
      return c.body(alarmsCsv(withSince(db, all), timeZone), 200, csvHeaders(name));
    }
    return c.json({ items: withSince(db, all.slice(offset, offset + limit)), total: all.length, limit, offset });
  })
  .get('/meters/:id/alarm-history', requirePermission('meters.read'), (c) => {
    const id = idParam(c);
    const { days } = parseQuery(c, HistoryQuery);
    const { db, stores, now } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    const h = alarmHistory(db, tenantId, id, days, stores.readings.timeZone(tenantId), now());
    if (!h) throw new HTTPException(404, { message: `No meter ${id}.` });
    return c.json(h);
  });

describeRoute(
  {
    method: 'get',
    path: '/api/alarms',
    tag: 'Alarms',
    summary: 'Current alarms across the utility (M8)',
    description:
      "Every meter whose newest reading's info code holds an active alarm, one row per meter, alarms in the vendor-neutral " +
      'taxonomy, most important first. sort=severity (default): worst severity, then newest reading; sort=time: newest reading ' +
      'first; desc=false reverses either. severity is a minimum (warning keeps critical and warning); kind keeps meters with that ' +
      `alarm. since: the first reading of the current unbroken run of readings with a non-zero info word, looking back at most ` +
      `${SINCE_LOOKBACK_DAYS} days (sinceCapped: true when the run may be longer). format=csv: every matching meter (no paging) ` +
      'as an RFC 4180 UTF-8 file, times on the utility wall clock; it needs the export permission as well (403 without).',
    permission: 'meters.read',
    query: ListQuery,
    response:
      '{items: [{meterId, manufacturer, serial, model, address, postalCode, customer, customerNumber, since, sinceCapped, at, info, ' +
      'alarms: [{kind, severity, label}], worst}], total, limit, offset}, or text/csv with content-disposition attachment'
  },
  {
    method: 'get',
    path: '/api/meters/:id/alarm-history',
    tag: 'Alarms',
    summary: 'How often a meter reported each alarm over the last days',
    description:
      'Days are the utility\'s calendar days (today included), so a DST change day counts once. Per alarm kind: the days on which ' +
      'a reading carried it as active, first and last time seen; daysWithReadings counts days with any reading. ' +
      'text: "Leak on 23 of the last 30 days. Readings on 28 of 30 days."',
    permission: 'meters.read',
    query: HistoryQuery,
    response: '{meterId, timeZone, days, from, to, daysWithReadings, kinds: [{kind, severity, label, days, firstAt, lastAt, text}], text}'
  }
);
