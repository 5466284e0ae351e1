import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { parseJson } from '../validate.js';
import { actor } from './customers.js';
import { idParam, paging, parseQuery, queryFlag } from './params.js';

// Metering points (M1): address, position and customer; the meter exchange (M12) lives here
// because it happens at a point.

const text = (max: number) => z.string({ error: 'expected text' }).trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);
export const positiveId = z.number({ error: 'expected a number' }).int('expected a whole number').positive('expected a positive id');
/** An instant: ms since the epoch, or an ISO 8601 date-time with offset. */
export const instant = z.union(
  [
    z.number().int().min(0).max(8.64e15),
    z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time with zone, e.g. 2026-03-01T00:00:00Z' }).transform((s) => Date.parse(s))
  ],
  { error: 'expected ms since 1970 or an ISO 8601 time with zone' }
);

export const PointFields = {
  number: text(64).nullable().optional(),
  address: text(300),
  postalCode: text(20).nullable().optional(),
  city: text(100).nullable().optional(),
  lat: z.number({ error: 'expected a number' }).min(-90).max(90).nullable().optional(),
  lon: z.number({ error: 'expected a number' }).min(-180).max(180).nullable().optional(),
  customerId: positiveId.nullable().optional()
};
const NewPoint = z.object(PointFields).strict();
const Change = z
  .object({ ...PointFields, address: PointFields.address.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' });
const ListQuery = z
  .object({
    q: z.string().max(100, 'at most 100 characters').optional(),
    customerId: z.coerce.number({ error: 'expected a number' }).int().positive().optional(),
    sort: z.enum(['address', 'number', 'postalCode']).optional(),
    ...paging
  })
  .strict();
const DeleteQuery = z.object({ force: queryFlag.optional() }).strict();
/** A register value read at an exchange, in kWh (energy) or m3 (volume). */
const typedReading = z
  .object({
    register: z.enum(['energy', 'volume'], { error: 'expected energy or volume' }),
    value: z.number({ error: 'expected the register value as a number' }).min(0, 'expected 0 or more').max(1e9, 'at most 1,000,000,000: too large for a meter register')
  })
  .strict();
const Exchange = z
  .object({
    oldMeterId: positiveId,
    newMeterId: positiveId,
    at: instant,
    final: typedReading.optional(),
    start: typedReading.optional(),
    joinGroups: z.boolean({ error: 'expected true or false' }).optional()
  })
  .strict()
  .refine((x) => !x.final || !x.start || x.final.register === x.start.register, {
    path: ['start', 'register'],
    message: 'expected the register of the final reading (consumption continues on one register)'
  });

export const meteringPoints = new Hono<AppEnv>()
  .get('/', requirePermission('meters.read'), (c) => {
    return c.json(c.var.deps.stores.meteringPoints.list(c.var.principal!.tenantId, parseQuery(c, ListQuery)));
  })
  .get('/:id', requirePermission('meters.read'), (c) => {
    return c.json({ meteringPoint: c.var.deps.stores.meteringPoints.detail(c.var.principal!.tenantId, idParam(c)) });
  })
  .post('/', requirePermission('meters.write'), async (c) => {
    const body = await parseJson(c, NewPoint);
    const { stores, now } = c.var.deps;
    return c.json({ meteringPoint: stores.meteringPoints.create(actor(c), body, now()) }, 201);
  })
  .patch('/:id', requirePermission('meters.write'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, Change);
    const { stores, now } = c.var.deps;
    return c.json({ meteringPoint: stores.meteringPoints.update(actor(c), id, body, now()) });
  })
  .delete('/:id', requirePermission('meters.write'), (c) => {
    const id = idParam(c);
    const { force } = parseQuery(c, DeleteQuery);
    const { stores, now } = c.var.deps;
    stores.meteringPoints.delete(actor(c), id, force ?? false, now());
    return c.json({ ok: true });
  })
  // M12: the old meter's installation ends and the new one's begins at `at`, in one transaction
  .post('/:id/exchange', requirePermission('meters.write'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, Exchange);
    const { stores, now, db } = c.var.deps;
    // the exchange and the readings taken at it, in one transaction (as the field app's, store/sync-exchanges.ts)
    db.transaction(() => {
      const typed = { ...(body.final ? { final: body.final } : {}), ...(body.start ? { start: body.start } : {}) };
      stores.meters.exchange(actor(c), id, body.oldMeterId, body.newMeterId, body.at, now(), body.final || body.start ? { via: 'manager', ...typed } : {});
      if (body.final) stores.readings.putTyped(body.oldMeterId, body.at, body.final.register, body.final.value, { source: 'manager-exchange', exchange: 'final' });
      if (body.start) stores.readings.putTyped(body.newMeterId, body.at, body.start.register, body.start.value, { source: 'manager-exchange', exchange: 'start' });
      // the new meter takes the old one's place in its groups (routes, reports), as in a field exchange
      if (body.joinGroups) {
        for (const g of stores.meters.detail(c.var.principal!.tenantId, body.oldMeterId).groups) stores.groups.addMembers(actor(c), g.id, [body.newMeterId], now());
      }
    })();
    return c.json({ meteringPoint: stores.meteringPoints.detail(c.var.principal!.tenantId, id) });
  });

const POINT = '{id, number, address, postalCode, city, lat, lon, customer: {id, number, name} | null, meter: {id, manufacturer, serial, installedAt} | null, createdAt, updatedAt}';

describeRoute(
  {
    method: 'get',
    path: '/api/metering-points',
    tag: 'Metering points',
    summary: 'List and search metering points',
    description: 'q matches part of the address, number, postal code, city or customer name, taken literally.',
    permission: 'meters.read',
    query: ListQuery,
    response: `{items: [${POINT}], total, limit, offset}`
  },
  {
    method: 'get',
    path: '/api/metering-points/:id',
    tag: 'Metering points',
    summary: 'One metering point with its installation history',
    permission: 'meters.read',
    response: '{meteringPoint: {..., installations: [{id, meterId, manufacturer, serial, from, to}]}}'
  },
  {
    method: 'post',
    path: '/api/metering-points',
    tag: 'Metering points',
    summary: 'Create a metering point',
    permission: 'meters.write',
    body: NewPoint,
    response: '{meteringPoint}; 409 when the number is taken',
    status: 201
  },
  {
    method: 'patch',
    path: '/api/metering-points/:id',
    tag: 'Metering points',
    summary: 'Change a metering point',
    description: 'Only the fields given change; null clears an optional field.',
    permission: 'meters.write',
    body: Change,
    response: '{meteringPoint}'
  },
  {
    method: 'delete',
    path: '/api/metering-points/:id',
    tag: 'Metering points',
    summary: 'Delete a metering point',
    description: '409 while it has installations, unless force=true (its installation history goes with it).',
    permission: 'meters.write',
    query: DeleteQuery,
    response: '{ok: true}'
  },
  {
    method: 'post',
    path: '/api/metering-points/:id/exchange',
    tag: 'Metering points',
    summary: 'Exchange the meter at a metering point',
    description:
      'The old meter\'s installation ends and the new one\'s begins at `at`, in one transaction; consumption continues across it. ' +
      'Optional final (old meter) and start (new meter) register values in kWh or m3 are stored as readings at `at`, marked manager-exchange; ' +
      'joinGroups: the new meter joins the old one\'s groups.',
    permission: 'meters.write',
    body: Exchange,
    response: '{meteringPoint} with its installation history'
  }
);
