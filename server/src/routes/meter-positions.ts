import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import type { PositionGroup } from '../store/meter-positions.js';
import { parseQuery } from './params.js';

// The Manager map's data (M1): every placed meter of a group in one compact answer, so the
// browser clusters 100,000 points without paging through the meter list.

const Query = z
  .object({
    group: z
      .string()
      .regex(/^(?:[1-9]\d{0,14}|ungrouped|last-imported)$/, 'expected a group id, "ungrouped" or "last-imported"')
      .transform((v): PositionGroup => (v === 'ungrouped' || v === 'last-imported' ? v : Number(v)))
      .optional()
  })
  .strict();

export const meterPositions = new Hono<AppEnv>().get('/', requirePermission('meters.read'), (c) => {
  const { group } = parseQuery(c, Query);
  return c.json(c.var.deps.stores.meterPositions.list(c.var.principal!.tenantId, group ?? null));
});

describeRoute({
  method: 'get',
  path: '/api/meter-positions',
  tag: 'Meters',
  summary: 'Positions of the meters, for the map',
  description:
    'Every meter with a current metering point that has lat/lon, as parallel arrays ordered by meter id. ' +
    'group: a group id, "ungrouped" (meters in no group) or "last-imported" (the meters of the newest import that created or changed meters); ' +
    'omitted: all meters. Coordinates are rounded to 6 decimals (about 0.1 m). 404 for a group that is not yours.',
  permission: 'meters.read',
  query: Query,
  response: '{ids: number[], lon: number[], lat: number[], kamstrup: (0|1)[] (KAM or KAW), alarm: (0|1)[] (newest reading has a non-zero info code)}'
});
