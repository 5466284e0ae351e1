import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { actorOf } from '../auth/principal.js';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { FRAME_STATUSES, WAITING_STATUSES, type FrameStatus } from '../store/frames.js';
import { parseJson } from '../validate.js';
import { idParam, paging, parseQuery } from './params.js';
import { queryInstant } from './readings.js';

// Raw frames and their decode status (readings.read), and decoding waiting frames again.

const statusEnum = z.enum(FRAME_STATUSES as [FrameStatus, ...FrameStatus[]], { error: `expected one of ${FRAME_STATUSES.join(', ')}` });

const ListQuery = z
  .object({
    status: statusEnum.optional(),
    meterId: z.coerce.number({ error: 'expected a meter id' }).int().positive().optional(),
    from: queryInstant.optional(),
    to: queryInstant.optional(),
    ...paging
  })
  .strict();

const Redecode = z
  .object({
    statuses: z
      .array(z.enum(WAITING_STATUSES as [FrameStatus, ...FrameStatus[]], { error: `expected one of ${WAITING_STATUSES.join(', ')}` }))
      .min(1)
      .optional(),
    meterIds: z.array(z.number().int().positive()).max(10_000).optional(),
    limit: z.number().int().min(1).max(100_000).default(10_000)
  })
  .strict();

export const frames = new Hono<AppEnv>()
  .get('/', requirePermission('readings.read'), (c) => {
    const q = parseQuery(c, ListQuery);
    const { stores } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    const page = stores.frames.list(tenantId, q);
    return c.json({ ...page, waiting: stores.frames.waitingCounts(tenantId), limit: q.limit, offset: q.offset });
  })
  .get('/:id', requirePermission('readings.read'), (c) => {
    const id = idParam(c);
    const f = c.var.deps.stores.frames.get(c.var.principal!.tenantId, id);
    if (!f) throw new HTTPException(404, { message: `No frame ${id}.` });
    return c.json({ frame: f });
  })
  .post('/redecode', requirePermission('settings.manage'), async (c) => {
    const body = await parseJson(c, Redecode);
    const { stores, now } = c.var.deps;
    const opts = { limit: body.limit, ...(body.statuses ? { statuses: body.statuses } : {}), ...(body.meterIds ? { meterIds: body.meterIds } : {}) };
    const counts = stores.ingest.redecode(actorOf(c.var.principal!, c.req.header('user-agent') ?? null), opts, now());
    return c.json(counts);
  });

describeRoute(
  {
    method: 'get',
    path: '/api/frames',
    tag: 'Ingest',
    summary: 'List raw frames, newest first',
    permission: 'readings.read',
    query: ListQuery,
    response: '{frames: [{id, link: wmbus|mbus|kmp, meterId, address, receivedAt, rssi, source, status, reason, decodedAt}], total, waiting (count per waiting status), limit, offset}'
  },
  {
    method: 'get',
    path: '/api/frames/:id',
    tag: 'Ingest',
    summary: 'One raw frame with its bytes and every reception',
    permission: 'readings.read',
    response: '{frame: {..., hex, receptions: [{source, receivedAt, rssi}]}}'
  },
  {
    method: 'post',
    path: '/api/frames/redecode',
    tag: 'Ingest',
    summary: 'Decode waiting frames again',
    description: 'Reloads the key ring and compact formats, then decodes frames waiting with the given statuses (default all waiting ones).',
    permission: 'settings.manage',
    body: Redecode,
    response: '{frames, decoded, waiting}'
  }
);
