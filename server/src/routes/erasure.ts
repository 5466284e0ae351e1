import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { actorOf } from '../auth/principal.js';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { parseJson, rejectField } from '../validate.js';
import { instant } from './ingest.js';
import { idParam, parseQuery } from './params.js';
import { queryInstant } from './readings.js';

// GDPR erasure (M21): a former resident's readings at a metering point for a period, and their
// raw frames, with a typed confirmation. The audit entry records the point, the range and the
// counts, never the data. Mounted at /api.

const EraseReadings = z
  .object({
    from: instant,
    to: instant,
    confirm: z.string({ error: "expected the metering point's address, typed to confirm" }).max(500)
  })
  .strict();

const PreviewQuery = z.object({ from: queryInstant, to: queryInstant }).strict();

const normalise = (s: string) => s.trim().replace(/\s+/g, ' ').toLocaleLowerCase('en');

export const erasure = new Hono<AppEnv>()
  // what an erasure would delete, so the person sees the counts before typing the confirmation
  .get('/metering-points/:id/erasure-preview', requirePermission('readings.erase'), (c) => {
    const id = idParam(c);
    const q = parseQuery(c, PreviewQuery);
    if (!(q.to > q.from)) rejectField('to', 'expected a time after from');
    const { stores } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    const address = stores.readings.pointAddress(tenantId, id);
    const counts = address === undefined ? null : stores.readings.countErasable(tenantId, id, q.from, q.to);
    if (!counts) throw new HTTPException(404, { message: `No metering point ${id}.` });
    return c.json({ ...counts, address });
  })
  .post('/metering-points/:id/erase-readings', requirePermission('readings.erase'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, EraseReadings);
    const { stores, now } = c.var.deps;
    const p = c.var.principal!;
    const address = stores.readings.pointAddress(p.tenantId, id);
    if (address === undefined) throw new HTTPException(404, { message: `No metering point ${id}.` });
    if (!(body.to > body.from)) rejectField('to', 'expected a time after from');
    if (normalise(body.confirm) !== normalise(address)) {
      rejectField('confirm', "type the metering point's address exactly as it is shown to confirm the erasure");
    }
    const result = stores.readings.erasePoint(actorOf(p, c.req.header('user-agent') ?? null), id, body.from, body.to, now());
    if (!result) throw new HTTPException(404, { message: `No metering point ${id}.` });
    return c.json(result);
  });

describeRoute({
  method: 'get',
  path: '/api/metering-points/:id/erasure-preview',
  tag: 'Readings',
  summary: 'What an erasure of a period would delete, counted (deletes nothing)',
  description: 'The same selection as POST /api/metering-points/:id/erase-readings: readings and raw frames in [from, to) of the meters installed at the point then.',
  permission: 'readings.erase',
  query: PreviewQuery,
  response: '{meteringPointId, address, from, to, meters, readings, frames}'
});

describeRoute({
  method: 'post',
  path: '/api/metering-points/:id/erase-readings',
  tag: 'Readings',
  summary: "Erase a metering point's readings for a period (GDPR)",
  description:
    'Deletes the readings in [from, to) of whichever meters were installed at the point then, and their raw frames, in one ' +
    "transaction. `confirm` must be the point's address. The audit entry records the point, the range and the counts.",
  permission: 'readings.erase',
  body: EraseReadings,
  response: '{meteringPointId, from, to, meters, readings, frames}: what was deleted, counted'
});
