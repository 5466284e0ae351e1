import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { actorOf } from '../auth/principal.js';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { parseJson, rejectField } from '../validate.js';
import { instant } from './ingest.js';
import { idParam } from './params.js';

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

const normalise = (s: string) => s.trim().replace(/\s+/g, ' ').toLocaleLowerCase('en');

export const erasure = new Hono<AppEnv>().post('/metering-points/:id/erase-readings', requirePermission('readings.erase'), async (c) => {
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
