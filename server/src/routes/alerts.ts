import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { ALERT_PERIODS, localDate } from '../alerts/periods.js';
import { csvDocument, csvHeaders, localIso, REPORT_METER_CSV_HEADER, reportMeterCsvFields } from '../report/scope.js';
import { ALERT_STATES, MAX_ALERTS_PER_CALL, type ConsumptionAlert } from '../store/consumption-alerts.js';
import { invalid } from '../store/registry.js';
import { parseJson } from '../validate.js';
import { actor } from './customers.js';
import { positiveId } from './metering-points.js';
import { idParam, paging, parseQuery } from './params.js';

// Consumption alerts (M10): list and CSV, bulk set for meters or a group (≤ 5,000), reset,
// disarm, arm and delete in bulk, and one meter's alerts. Mounted at /api.

const group = z.union([z.literal('ungrouped'), z.literal('last-imported'), z.coerce.number().int().positive()], {
  error: 'expected a group id, "ungrouped" or "last-imported"'
});
const period = z.enum(ALERT_PERIODS, { error: 'expected day, week or month' });
const date = z
  .string({ error: 'expected a date like 2026-11-01' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like 2026-11-01')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'no such date');

const ListQuery = z
  .object({
    state: z.enum(ALERT_STATES, { error: 'expected armed, exceeded or disarmed' }).optional(),
    period: period.optional(),
    group: group.optional(),
    format: z.enum(['json', 'csv'], { error: 'expected json or csv' }).optional(),
    ...paging
  })
  .strict();

const SetAlerts = z
  .object({
    meterIds: z.array(positiveId, { error: 'expected a list of meter ids' }).min(1, 'give at least one meter id').optional(),
    group: z.union([z.literal('all'), z.literal('ungrouped'), z.literal('last-imported'), positiveId], {
      error: 'expected a group id, "all", "ungrouped" or "last-imported"'
    }).optional(),
    period,
    limit: z.number({ error: 'expected a number' }).min(0, 'expected 0 or more').max(1e9, 'at most 1,000,000,000'),
    validFrom: date.optional(),
    validTo: date.nullable().optional()
  })
  .strict();

const Ids = z
  .object({
    ids: z
      .array(positiveId, { error: 'expected a list of alert ids' })
      .min(1, 'give at least one alert id')
      .max(MAX_ALERTS_PER_CALL, `at most ${MAX_ALERTS_PER_CALL} alerts per call`)
  })
  .strict();

const CSV_HEADER = [...REPORT_METER_CSV_HEADER, 'period', 'limit', 'unit', 'consumption', 'period_start', 'state', 'since', 'exceeded_value', 'exceeded_at', 'valid_from', 'valid_to'];

function csvRow(a: ConsumptionAlert, zone: string): string[] {
  return [
    ...reportMeterCsvFields(a),
    a.period,
    String(a.limit),
    a.unit,
    a.value === null ? '' : String(a.value),
    a.periodStart === null ? '' : localIso(a.periodStart, zone),
    a.state,
    localIso(a.stateAt, zone),
    a.exceeded ? String(a.exceeded.value) : '',
    a.exceeded ? localIso(a.exceeded.at, zone) : '',
    a.validFrom,
    a.validTo ?? ''
  ];
}

const change = (action: 'reset' | 'arm' | 'disarm' | 'delete') => async (c: Context<AppEnv>) => {
  const { ids } = await parseJson(c, Ids);
  const { stores, now } = c.var.deps;
  return c.json(stores.consumptionAlerts.change(actor(c), action, ids, now()));
};

export const alerts = new Hono<AppEnv>()
  .get('/alerts', requirePermission('meters.read'), (c) => {
    const { format, limit, offset, ...query } = parseQuery(c, ListQuery);
    const { stores, now } = c.var.deps;
    const p = c.var.principal!;
    if (format === 'csv') {
      if (!p.permissions.has('export')) throw new HTTPException(403, { message: 'Your role may not do this (needs "export").' });
      const zone = stores.readings.timeZone(p.tenantId);
      const rows = stores.consumptionAlerts.all(p.tenantId, query, now());
      const name = `consumption-alerts-${localIso(now(), zone).slice(0, 10)}.csv`;
      return c.body(csvDocument(CSV_HEADER, rows.map((r) => csvRow(r, zone))), 200, csvHeaders(name));
    }
    return c.json(stores.consumptionAlerts.list(p.tenantId, { ...query, limit, offset }, now()));
  })
  .put('/alerts', requirePermission('alerts.write'), async (c) => {
    const body = await parseJson(c, SetAlerts);
    const { stores, now } = c.var.deps;
    const a = actor(c);
    if ((body.meterIds === undefined) === (body.group === undefined)) throw invalid('meterIds', 'give either meterIds or group');
    const meterIds = body.meterIds ?? stores.consumptionAlerts.meterIdsOf(a.tenantId, body.group!);
    const field = body.meterIds ? 'meterIds' : 'group';
    if (meterIds.length === 0) throw invalid(field, 'no meters in this group');
    if (meterIds.length > MAX_ALERTS_PER_CALL) {
      throw invalid(field, `${meterIds.length.toLocaleString('en')} meters: at most ${MAX_ALERTS_PER_CALL.toLocaleString('en')} per call`);
    }
    const zone = stores.readings.timeZone(a.tenantId);
    const validFrom = body.validFrom ?? localDate(now(), zone);
    const result = stores.consumptionAlerts.set(
      a,
      { meterIds, period: body.period, limit: body.limit, validFrom, validTo: body.validTo ?? null },
      now(),
      body.group !== undefined ? { group: body.group } : undefined
    );
    return c.json(result);
  })
  .post('/alerts/reset', requirePermission('alerts.write'), change('reset'))
  .post('/alerts/disarm', requirePermission('alerts.write'), change('disarm'))
  .post('/alerts/arm', requirePermission('alerts.write'), change('arm'))
  .delete('/alerts', requirePermission('alerts.write'), change('delete'))
  .get('/meters/:id/alert', requirePermission('meters.read'), (c) => {
    const id = idParam(c);
    const { stores, now } = c.var.deps;
    const alerts = stores.consumptionAlerts.forMeter(c.var.principal!.tenantId, id, now());
    if (!alerts) throw new HTTPException(404, { message: `No meter ${id}.` });
    return c.json({ alerts });
  });

const ALERT =
  '{id, meterId, manufacturer, serial, model, medium, meteringPointId, address, postalCode, customer, customerNumber, period, register, ' +
  'unit, limit, validFrom, validTo, validity: not-yet|valid|ended, state: armed|exceeded|disarmed, stateAt, countsFrom, periodStart, ' +
  'periodEnd, value, evaluatedAt, exceeded: {at, value, periodStart, periodEnd} | null}';

describeRoute(
  {
    method: 'get',
    path: '/api/alerts',
    tag: 'Alerts',
    summary: 'Consumption alerts (M10), exceeded first',
    description:
      'Filtered by state, period and group; exceeded alerts first (newest first), then by serial. value is the consumption of the ' +
      'current period at the last evaluation, in unit (kWh or m3). format=csv: every matching alert as an RFC 4180 file (needs export too).',
    permission: 'meters.read',
    query: ListQuery,
    response: `{items: [${ALERT}], total, limit, offset}, or text/csv`
  },
  {
    method: 'put',
    path: '/api/alerts',
    tag: 'Alerts',
    summary: 'Set a consumption limit for meters or a group (≤ 5,000)',
    description:
      'One alert per meter and period (day, ISO week from Monday, calendar month of the utility): setting it again replaces it and ' +
      'arms it (replaced says how many). limit is in the meter unit: kWh for energy meters, m3 for volume meters. validFrom defaults ' +
      `to today; validTo null is open-ended. 422 above ${MAX_ALERTS_PER_CALL} meters. Evaluated at once; audited as alerts.set.`,
    permission: 'alerts.write',
    body: SetAlerts,
    response: '{set, replaced, units: {kWh, m3}, exceeded}'
  },
  ...(
    [
      ['post', '/api/alerts/reset', 'Reset exceeded alerts', 'Armed again, counting from now to the end of the current period; audited as alerts.reset.'],
      ['post', '/api/alerts/disarm', 'Disarm (pause) alerts', 'Not evaluated until armed again; audited as alerts.disarmed.'],
      ['post', '/api/alerts/arm', 'Re-arm disarmed alerts', 'Counting from now to the end of the current period; audited as alerts.armed.'],
      ['delete', '/api/alerts', 'Delete alerts', 'Audited as alerts.deleted.']
    ] as const
  ).map(([method, path, summary, description]) => ({
    method,
    path,
    tag: 'Alerts',
    summary,
    description: `${description} At most ${MAX_ALERTS_PER_CALL} ids per call.`,
    permission: 'alerts.write' as const,
    body: Ids,
    response: '{changed}'
  })),
  {
    method: 'get',
    path: '/api/meters/:id/alert',
    tag: 'Alerts',
    summary: "A meter's consumption alerts",
    permission: 'meters.read',
    response: `{alerts: [${ALERT}]}`
  }
);
