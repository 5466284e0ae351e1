import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { toHex } from '../../../shared/bytes/hex.js';
import { actorOf, type Principal } from '../auth/principal.js';
import type { AppEnv } from '../context.js';
import { MAX_BATCH } from '../ingest/ingest.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { MAX_ROUTE_GROUPS, type SyncOutcome } from '../store/sync.js';
import { parseJson, rejectField } from '../validate.js';
import { instant, kmpMeter, requireKmpMeter } from './ingest.js';
import { positiveId } from './metering-points.js';
import { idParam, parseQuery } from './params.js';

// The field app's Send/Receive (issue 5, R1/B1), called with the device's own token
// ("Authorization: Bearer rdd_…"; an authorised device has meters.read, readings.read, ingest).
//  Receive: GET /api/sync/route — the meters of the device's route, their keys, the compact formats.
//  Send:    POST /api/sync/frames — raw frames by client id, idempotent and resumable.
//  Status:  GET /api/sync/status — what the server holds from this device, and when.
// Administrators assign a route (groups) with POST /api/devices/:id/route.

const MAX_ROUTE_PAGE = 10_000;
const DEFAULT_ROUTE_PAGE = 5_000;
/** A little over MAX_BATCH frames of 255 bytes as hex with their fields and client ids. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Receivers' clocks drift; a frame from further in the future than this is refused. */
const MAX_FUTURE_MS = 24 * 3_600_000;

export const uuid = z
  .string({ error: 'expected a UUID' })
  .regex(/^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/, 'expected a UUID such as 0b6c1f4e-8a51-4a8e-9d43-2f1f8a7c9e10')
  .transform((s) => s.toLowerCase());

const RouteQuery = z
  .object({
    cursor: z.coerce.number({ error: 'expected a meter id' }).int('expected a meter id').positive('expected a meter id').optional(),
    limit: z.coerce
      .number({ error: 'expected a number' })
      .int('expected a whole number')
      .min(1)
      .max(MAX_ROUTE_PAGE, `at most ${MAX_ROUTE_PAGE} meters per page`)
      .default(DEFAULT_ROUTE_PAGE)
  })
  .strict();

const SyncFrameSchema = z
  .object({
    clientId: uuid,
    hex: z
      .string({ error: 'expected the frame as hex text' })
      .max(1024, 'expected at most 1024 hex digits (512 bytes)')
      .regex(/^(?:[0-9A-Fa-f]{2})+$/, 'expected an even number of hex digits (0-9, A-F), from the L field, without spaces'),
    receivedAt: instant,
    rssi: z.number({ error: 'expected dBm as a number' }).int('expected whole dBm').min(-200).max(50).nullable().optional(),
    source: z.string({ error: 'expected the receiver name' }).trim().min(1, 'name the receiver or leave it out').max(60, 'at most 60 characters').optional(),
    // 'mbus': a wired RSP_UD long frame read through a level converter; 'kmp': a Kamstrup KMP answer
    // read through an optical head, with `meter` (ingest.ts IncomingFrame.link, .meter)
    link: z
      .enum(['wmbus', 'mbus', 'kmp'], {
        error: "expected 'wmbus' (radio telegram from the L field), 'mbus' (wired long frame from 68) or 'kmp' (KMP answer from 40, with meter)"
      })
      .optional(),
    meter: kmpMeter.optional()
  })
  .strict()
  .superRefine(requireKmpMeter);

const SendBatch = z
  .object({
    batchId: uuid,
    frames: z
      .array(SyncFrameSchema, { error: 'expected a list of frames' })
      .min(1, 'send at least one frame')
      .max(MAX_BATCH, `expected at most ${MAX_BATCH} frames per batch`)
  })
  .strict();

const SetRoute = z
  .object({
    groupIds: z
      .array(positiveId, { error: 'expected a list of group ids' })
      .max(MAX_ROUTE_GROUPS, `at most ${MAX_ROUTE_GROUPS} groups`)
  })
  .strict();

const tooLarge = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: (c) => c.json({ error: `The request body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB: send at most ${MAX_BATCH} frames per batch.` }, 413)
});

/** The calling field device; a person or API token with the permission gets 400 (these routes are the device's own). */
export function callingDevice(c: Context<AppEnv>): Principal & { refId: number } {
  const p = c.var.principal!;
  if (p.kind !== 'device' || p.refId === null) {
    throw new HTTPException(400, { message: 'Only a field device syncs: call with the device\'s own token, "Authorization: Bearer rdd_…".' });
  }
  return p as Principal & { refId: number };
}

export const NOT_AUTHORISED = 'This device is not authorised yet: ask an administrator to authorise it.';

export const sync = new Hono<AppEnv>()
  .get('/route', requirePermission('meters.read'), (c) => {
    const p = callingDevice(c);
    const q = parseQuery(c, RouteQuery);
    const { stores, now } = c.var.deps;
    const at = now();
    const page = stores.sync.routePage(actorOf(p, null), p.refId, { after: q.cursor ?? 0, limit: q.limit }, at);
    if (!page) throw new HTTPException(403, { message: NOT_AUTHORISED });
    c.header('cache-control', 'no-store');
    return c.json({
      groups: page.groups,
      meters: page.meters,
      keys: page.keys.map((k) => ({ meterId: k.meterId, manufacturer: k.manufacturer, serial: k.serial, key: toHex(k.key) })),
      compactFormats: page.compactFormats,
      total: page.total,
      next: page.next,
      generatedAt: at
    });
  })
  .post('/frames', requirePermission('ingest'), tooLarge, async (c) => {
    const p = callingDevice(c);
    const body = await parseJson(c, SendBatch);
    const { stores, now } = c.var.deps;
    const at = now();
    const seen = new Map<string, number>();
    const source = `device ${p.refId}`;
    const frames = body.frames.map((f, i) => {
      const earlier = seen.get(f.clientId);
      if (earlier !== undefined) rejectField(`frames.${i}.clientId`, `the same clientId as frames.${earlier}: give each frame its own`);
      seen.set(f.clientId, i);
      if (f.receivedAt > at + MAX_FUTURE_MS) rejectField(`frames.${i}.receivedAt`, 'more than a day in the future: check the device clock');
      return {
        clientId: f.clientId,
        bytes: Buffer.from(f.hex, 'hex'),
        receivedAt: f.receivedAt,
        rssi: f.rssi ?? null,
        // the device is the receiver: it cannot speak for a gateway (gateways may be shared with other utilities)
        source: f.source ? `${source}/${f.source}` : source,
        link: f.link ?? 'wmbus',
        ...(f.meter ? { meter: f.meter } : {})
      };
    });
    const device = stores.devices.get(p.tenantId, p.refId);
    if (device?.status !== 'authorised') throw new HTTPException(403, { message: NOT_AUTHORISED });
    const results = stores.sync.sendFrames(actorOf(p, device.name), p.refId, body.batchId, frames, at);
    const counts: Partial<Record<SyncOutcome, number>> = {};
    for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
    return c.json({ batchId: body.batchId, receivedAt: at, counts, results });
  })
  .get('/status', requirePermission('ingest'), (c) => {
    const p = callingDevice(c);
    const { stores, now } = c.var.deps;
    c.header('cache-control', 'no-store');
    return c.json({ ...stores.sync.status(p.tenantId, p.refId), at: now() });
  });

/** Mounted at /api/devices next to routes/devices.ts: an administrator assigns a device's route. */
export const deviceRoute = new Hono<AppEnv>()
  .get('/:id/route', requirePermission('devices.manage'), (c) => {
    const id = idParam(c);
    const { stores } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    return c.json({ groups: stores.sync.routeGroups(tenantId, id), meters: stores.sync.routeMeterCount(tenantId, id) });
  })
  .post('/:id/route', requirePermission('devices.manage'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, SetRoute);
    const { stores, now } = c.var.deps;
    return c.json(stores.sync.setRoute(actorOf(c.var.principal!, c.req.header('user-agent') ?? null), id, body.groupIds, now()));
  });

export const DEVICE_TOKEN = 'Called with the device\'s own token, "Authorization: Bearer rdd_…"; a person or API token gets 400. ';

describeRoute(
  {
    method: 'get',
    path: '/api/sync/route',
    tag: 'Field sync',
    summary: 'Receive: this device\'s route, the keys of its meters and the compact formats',
    description:
      DEVICE_TOKEN +
      'An authorised device only (403 while pending, 401 once revoked). The route is the meters of the groups an administrator ' +
      `assigned (POST /api/devices/{id}/route), by meter id, up to ${MAX_ROUTE_PAGE} per page (default ${DEFAULT_ROUTE_PAGE}): ` +
      'pass `next` as `cursor` until it is null. Keys are only those of meters on the route (hex, AES-128); ' +
      'each call writes one audit entry key.sent-to-device naming the meters whose keys were sent, never a key. ' +
      'Answered with Cache-Control: no-store.',
    permission: 'meters.read',
    query: RouteQuery,
    response:
      '{groups: [{id, name}], meters: [{id, manufacturer, serial, version, deviceType, medium, model, lat, lon, address, postalCode, city, ' +
      'groupIds}], keys: [{meterId, manufacturer, serial, key (hex)}], compactFormats: {version: 1, formats: [{signature, format, source}]}, ' +
      'total (meters on the route), next (cursor or null), generatedAt}'
  },
  {
    method: 'post',
    path: '/api/sync/frames',
    tag: 'Field sync',
    summary: 'Send: raw frames the device received, idempotent by client id',
    description:
      DEVICE_TOKEN +
      `Up to ${MAX_BATCH} frames per batch, each with the app's own clientId (UUID). Stored and decoded in one transaction with ` +
      'the raw-frame ingest (the same as POST /api/ingest/frames); the source is recorded as "device <id>[/<source>]". ' +
      'A frame is a radio telegram from its L field unless `link` is "mbus": a wired RSP_UD long frame (from 68) read through a level ' +
      'converter; the telegrams of one multi-telegram read share receivedAt and make one reading. "kmp": a Kamstrup KMP answer (from 40) ' +
      'read through an optical head, with `meter` ("KAM <serial from GetSerialNo>", required): a register answer makes a reading at ' +
      'receivedAt, a logger answer one reading per record at its own time. ' +
      'A clientId the server already holds answers "duplicate" with `first` (when, in which batch, what it became) and changes nothing, ' +
      'so a batch retried after a lost connection, whole or in part, stores only what is missing. A clientId reused for other bytes ' +
      'answers "rejected". The server decodes the raw frames itself with its key vault: readings the device decoded are not ' +
      'trusted as data and are not accepted here (sending them for comparison may come later).',
    permission: 'ingest',
    body: SendBatch,
    response:
      '{batchId, receivedAt, counts per status, results: [{clientId, status: decoded | duplicate | no-key | unknown-format | ' +
      'unknown-meter | failed | rejected, frameId, meter, meterId, reason, first: {batchId, at, status}}] in input order}'
  },
  {
    method: 'get',
    path: '/api/sync/status',
    tag: 'Field sync',
    summary: 'What the server holds from this device, and when it last sent and received',
    description: DEVICE_TOKEN + 'For the app\'s Send/Receive screen.',
    permission: 'ingest',
    response:
      '{device: {id, name, status, lastSeenAt}, receive: {at, meters, keys} | null, send: {lastAt, lastBatch: {batchId, firstAt, lastAt, ' +
      'frames, attempts} | null, frames, byArrival: {status: count}, byStatus: {status now (removed after thinning): count}}, at}'
  },
  {
    method: 'get',
    path: '/api/devices/:id/route',
    tag: 'Field devices',
    summary: 'The groups on a device\'s route',
    permission: 'devices.manage',
    response: '{groups: [{id, name, meters}], meters (distinct meters on the route)}'
  },
  {
    method: 'post',
    path: '/api/devices/:id/route',
    tag: 'Field devices',
    summary: 'Set a device\'s route: the groups whose meters (and keys) it receives',
    description:
      'Replaces the route; an empty list clears it. Every group must be your utility\'s (404 otherwise, nothing changed); ' +
      '409 for a revoked device. Audited as device.route-set.',
    permission: 'devices.manage',
    body: SetRoute,
    response: '{groups: [{id, name, meters}], meters}'
  }
);
