import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { actorOf } from '../auth/principal.js';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { heatCsv, heatReport } from '../report/heat.js';
import { heatThresholds, setHeatThresholds, type HeatThresholds } from '../report/heat-settings.js';
import { heatTrend, networkCsv, networkReport } from '../report/network.js';
import { checkDates, csvHeaders, reportScope } from '../report/scope.js';
import { parseJson, rejectField } from '../validate.js';
import { parseQuery } from './params.js';

// Heat reports (M5) and heat-network analytics (B3): GET /api/reports/heat, /reports/network,
// /reports/network/trend, and the utility's thresholds at /reports/heat/settings. Mounted at /api.

const kelvin = (what: string) => z.coerce.number({ error: `expected ${what} in K` }).min(-100).max(200);
const celsius = z.coerce.number({ error: 'expected a temperature in °C' }).min(-50).max(200);
const perMWh = z.coerce.number({ error: 'expected m3 per MWh' }).positive('expected more than 0').max(10_000);

const HeatQuery = z
  .object({
    ...reportScope,
    good: kelvin('a ΔT').optional(),
    poor: kelvin('a ΔT').optional(),
    level: z.enum(['good', 'fair', 'poor'], { error: 'expected good, fair or poor' }).optional(),
    minDeltaT: kelvin('a ΔT').optional(),
    maxDeltaT: kelvin('a ΔT').optional()
  })
  .strict();

const NetworkQuery = z
  .object({ ...reportScope, poor: kelvin('a ΔT').optional(), returnMax: celsius.optional(), flowMax: perMWh.optional() })
  .strict();

const TrendQuery = z
  .object({
    meter: z.coerce.number({ error: 'expected a meter id' }).int('expected a meter id').positive('expected a meter id'),
    from: reportScope.from,
    to: reportScope.to,
    step: z.enum(['week', 'month'], { error: 'expected week or month' }).default('month')
  })
  .strict();

const Settings = z
  .object({ good: kelvin('a ΔT').optional(), poor: kelvin('a ΔT').optional(), returnMax: celsius.optional(), flowMax: perMWh.optional() })
  .strict();

function checkGoodPoor(t: { good: number; poor: number }): void {
  if (t.good < t.poor) rejectField('good', `expected at least poor (${t.poor} K)`);
}

/** CSV needs the export permission as well as the report's. */
function csvAllowed(c: { var: AppEnv['Variables'] }): void {
  if (!c.var.principal!.permissions.has('export')) throw new HTTPException(403, { message: 'Your role may not do this (needs "export").' });
}

export const heatReports = new Hono<AppEnv>()
  .get('/reports/heat/settings', requirePermission('readings.read'), (c) => {
    return c.json({ thresholds: heatThresholds(c.var.deps.stores.settings, c.var.principal!.tenantId) });
  })
  .put('/reports/heat/settings', requirePermission('settings.manage'), async (c) => {
    const body = await parseJson(c, Settings);
    const { db, stores, now } = c.var.deps;
    const p = c.var.principal!;
    const next: HeatThresholds = { ...heatThresholds(stores.settings, p.tenantId), ...body };
    checkGoodPoor(next);
    const saved = setHeatThresholds(db, stores.settings, actorOf(p, c.req.header('user-agent') ?? null), next, now());
    return c.json({ thresholds: saved });
  })
  .get('/reports/heat', requirePermission('readings.read'), (c) => {
    const { format, ...q } = parseQuery(c, HeatQuery);
    checkDates(q.from, q.to);
    const { db, stores } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    const saved = heatThresholds(stores.settings, tenantId);
    const t = { good: q.good ?? saved.good, poor: q.poor ?? saved.poor };
    checkGoodPoor(t);
    if (q.minDeltaT !== undefined && q.maxDeltaT !== undefined && q.minDeltaT > q.maxDeltaT) {
      rejectField('maxDeltaT', `expected at least minDeltaT (${q.minDeltaT} K)`);
    }
    if (format === 'csv') csvAllowed(c);
    const report = heatReport(db, stores.readingDays, tenantId, { ...q, ...t });
    if (format === 'csv') return c.body(heatCsv(report), 200, csvHeaders(`heat-${q.from}-${q.to}.csv`));
    return c.json(report);
  })
  .get('/reports/network', requirePermission('readings.read'), (c) => {
    const { format, ...q } = parseQuery(c, NetworkQuery);
    checkDates(q.from, q.to);
    const { db, stores } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    const saved = heatThresholds(stores.settings, tenantId);
    if (format === 'csv') csvAllowed(c);
    const report = networkReport(db, stores.readingDays, tenantId, {
      ...q,
      poor: q.poor ?? saved.poor,
      returnMax: q.returnMax ?? saved.returnMax,
      flowMax: q.flowMax ?? saved.flowMax
    });
    if (format === 'csv') return c.body(networkCsv(report), 200, csvHeaders(`heat-network-${q.from}-${q.to}.csv`));
    return c.json(report);
  })
  .get('/reports/network/trend', requirePermission('readings.read'), (c) => {
    const q = parseQuery(c, TrendQuery);
    checkDates(q.from, q.to);
    const { db, stores } = c.var.deps;
    const trend = heatTrend(db, stores.readingDays, c.var.principal!.tenantId, q.meter, q);
    if (!trend) throw new HTTPException(404, { message: `No meter ${q.meter}.` });
    return c.json(trend);
  });

describeRoute(
  {
    method: 'get',
    path: '/api/reports/heat/settings',
    tag: 'Reports',
    summary: 'The utility\'s thresholds for the heat reports',
    permission: 'readings.read',
    response: '{thresholds: {good, poor (ΔT in K), returnMax (°C), flowMax (m3/MWh)}}'
  },
  {
    method: 'put',
    path: '/api/reports/heat/settings',
    tag: 'Reports',
    summary: 'Change the thresholds of the heat reports',
    description: 'Fields left out keep their value; good must be at least poor. Audited as settings.changed.',
    permission: 'settings.manage',
    body: Settings,
    response: '{thresholds}'
  },
  {
    method: 'get',
    path: '/api/reports/heat',
    tag: 'Reports',
    summary: 'Cooling (ΔT), inlet and outlet temperature per heat meter over an interval',
    description:
      'Per heat or cooling meter with readings in the interval: energy and volume change between the last reading at or before ' +
      'the start (else the first inside) and the last before the end, volume-weighted mean t1 and t2 (Kamstrup E8/E9 registers, ' +
      'else flow-weighted, else the time average of the readings), ΔT (t2 − t1 for cooling meters, which are not rated) and a ' +
      'level against good/poor (saved thresholds unless given). level, minDeltaT and maxDeltaT filter the rows. format=csv needs ' +
      'the export permission too.',
    permission: 'readings.read',
    query: HeatQuery,
    response: '{from, to, timeZone, good, poor, rows: [{meterId, serial, …, energy, volume, t1, t2, deltaT, level, method}], summary}'
  },
  {
    method: 'get',
    path: '/api/reports/network',
    tag: 'Reports',
    summary: 'Heat installations ranked by poor cooling and excess flow, with high return temperatures flagged',
    description:
      'Heat meters with readings in the interval: ΔT, m3 per MWh, mean return temperature, flags against poor, flowMax and ' +
      'returnMax (saved thresholds unless given), a rank by ΔT (lowest first), by m3/MWh (highest first), and an overall rank ' +
      '(most flags first, then the mean of the two ranks). format=csv needs the export permission too.',
    permission: 'readings.read',
    query: NetworkQuery,
    response: '{from, to, timeZone, poor, returnMax, flowMax, rows: [{…, m3PerMWh, flags, rankDeltaT, rankFlow, score, rank}], summary}'
  },
  {
    method: 'get',
    path: '/api/reports/network/trend',
    tag: 'Reports',
    summary: 'ΔT, t1, t2 and m3/MWh of one installation per week or month',
    permission: 'readings.read',
    query: TrendQuery,
    response: '{meterId, step, points: [{from, to, energy, volume, t1, t2, deltaT, m3PerMWh, method}]}; 404 for another tenant\'s meter'
  }
);
