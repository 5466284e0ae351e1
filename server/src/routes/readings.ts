import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { idParam, parseQuery } from './params.js';
import type { Resolution } from '../../../shared/consumption.js';

// Readings of a meter (series, latest) and consumption of a metering point. Mounted at /api.

/** A time in a query string: UTC milliseconds or ISO 8601. */
export const queryInstant = z.union(
  [z.string().regex(/^\d{1,15}$/).transform(Number), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))],
  { error: 'expected UTC milliseconds or an ISO 8601 time such as 2027-01-31T00:00:00Z' }
);

const resolution = z.enum(['hour', 'day', 'month', 'year'], { error: 'expected hour, day, month or year' });

const SeriesQuery = z.object({ from: queryInstant.optional(), to: queryInstant.optional(), resolution: resolution.default('day') }).strict();
const ConsumptionQuery = SeriesQuery.extend({
  register: z.enum(['energy', 'volume'], { error: 'expected energy or volume' }).optional()
}).strict();

const DAY = 86_400_000;
/** Default span before `to` per resolution. */
const DEFAULT_SPAN: Record<Resolution, number> = { hour: 7 * DAY, day: 31 * DAY, month: 396 * DAY, year: 5 * 366 * DAY };
/** Upper bound on buckets in one answer (13 months of hours is about 9,500). */
const MAX_BUCKETS = 20_000;
const APPROX_SIZE: Record<Resolution, number> = { hour: 3_600_000, day: DAY, month: 28 * DAY, year: 365 * DAY };

function unprocessable(field: string, message: string): never {
  throw new HTTPException(422, {
    res: new Response(JSON.stringify({ error: `${field}: ${message}`, fields: [{ field, message }] }), {
      status: 422,
      headers: { 'content-type': 'application/json' }
    })
  });
}

/** from/to with defaults, checked: to after from, not too many buckets. */
export function rangeOf(q: { from?: number; to?: number; resolution: Resolution }, now: number): { from: number; to: number } {
  const to = q.to ?? now;
  const from = q.from ?? to - DEFAULT_SPAN[q.resolution];
  if (!(to > from)) unprocessable('to', 'expected a time after from');
  if ((to - from) / APPROX_SIZE[q.resolution] > MAX_BUCKETS) {
    unprocessable('from', `the range holds more than ${MAX_BUCKETS} ${q.resolution} buckets: choose a shorter range or a coarser resolution`);
  }
  return { from, to };
}

export const readings = new Hono<AppEnv>()
  .get('/meters/:id/readings', requirePermission('readings.read'), (c) => {
    const id = idParam(c);
    const q = parseQuery(c, SeriesQuery);
    const { stores, now } = c.var.deps;
    const { from, to } = rangeOf(q, now());
    const s = stores.readings.series(c.var.principal!.tenantId, id, from, to, q.resolution);
    if (!s) throw new HTTPException(404, { message: `No meter ${id}.` });
    return c.json(s);
  })
  .get('/meters/:id/latest', requirePermission('readings.read'), (c) => {
    const id = idParam(c);
    const r = c.var.deps.stores.readings.latest(c.var.principal!.tenantId, id);
    if (r === undefined) throw new HTTPException(404, { message: `No meter ${id}.` });
    return c.json({ reading: r });
  })
  .get('/metering-points/:id/consumption', requirePermission('readings.read'), (c) => {
    const id = idParam(c);
    const q = parseQuery(c, ConsumptionQuery);
    const { stores, now } = c.var.deps;
    const { from, to } = rangeOf(q, now());
    const r = stores.readings.consumption(c.var.principal!.tenantId, id, from, to, q.resolution, q.register);
    if (!r) throw new HTTPException(404, { message: `No metering point ${id}.` });
    return c.json(r);
  });

describeRoute(
  {
    method: 'get',
    path: '/api/meters/:id/readings',
    tag: 'Readings',
    summary: 'Readings of a meter per hour, day, month or year',
    description:
      'The last value per bucket and register, buckets on the utility\'s wall clock. Columnar, ready for a chart: ' +
      'at[i] is the start of a bucket that has readings, values.energy[i] its last energy. Default range: the last 7 days (hour), ' +
      '31 days (day), 13 months (month), 5 years (year).',
    permission: 'readings.read',
    query: SeriesQuery,
    response: '{meterId, resolution, timeZone, from, to, units: {energy: kWh, volume: m3, flow: m3/h, power: kW, tFlow: °C, tReturn: °C}, at: [], last: [], values: {energy: [], ...}}'
  },
  {
    method: 'get',
    path: '/api/meters/:id/latest',
    tag: 'Readings',
    summary: 'The newest reading of a meter',
    permission: 'readings.read',
    response: '{reading: {meterId, at, values, units, extra} | null}'
  },
  {
    method: 'get',
    path: '/api/metering-points/:id/consumption',
    tag: 'Readings',
    summary: 'Consumption of a metering point per bucket',
    description:
      'Differences of the register within each installation; a register that wraps near its top is a rollover, a meter exchange ' +
      'starts the new meter from its first reading. Buckets that hold an exchange, a rollover or a reset say so; ' +
      'info lists the non-zero status words (info codes) read in a bucket, per meter, and is left out when there are none.',
    permission: 'readings.read',
    query: ConsumptionQuery,
    response: '{meteringPointId, register, unit, resolution, timeZone, installations, buckets: [{from, to, value, exchange, rollover, reset, info?: [{meterId, code}]}], total}'
  }
);
