import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { actorOf } from '../auth/principal.js';
import type { AppEnv } from '../context.js';
import { MAX_BATCH, type FrameOutcome, type IncomingFrame } from '../ingest/ingest.js';
import { KMP_METER } from '../ingest/kmp.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { parseJson, rejectField } from '../validate.js';
import { idParam } from './params.js';

// POST /api/ingest/frames (R3, R4): raw telegrams from gateways, meters and field devices.
// Gateways: the names frames arrive under, and the other utilities a gateway forwards for.

/** A little over 10,000 frames of 255 bytes as hex with their fields. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Receivers' clocks drift; a frame from further in the future than this is refused. */
const MAX_FUTURE_MS = 24 * 3_600_000;

/** The meter a KMP answer came from (it does not name itself): "KAM 12345678". */
export const kmpMeter = z
  .string({ error: 'expected the meter as text such as "KAM 12345678"' })
  .regex(KMP_METER, 'expected the manufacturer code and the serial from GetSerialNo, such as "KAM 12345678"')
  .refine((s) => Number(s.slice(4)) <= 0xffffffff, 'expected a serial of at most 4294967295 (GetSerialNo is a 32-bit number)');

/** `meter` is required with link kmp and refused with the other links (their frames name their meter). */
export function requireKmpMeter(f: { link?: string; meter?: string }, ctx: z.RefinementCtx): void {
  if (f.link === 'kmp' && f.meter === undefined) {
    ctx.addIssue({ code: 'custom', path: ['meter'], message: 'required for link kmp: a KMP answer does not name its meter; send "KAM <serial from GetSerialNo>"' });
  } else if (f.link !== 'kmp' && f.meter !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['meter'], message: 'only for link kmp: a wireless or wired frame names its meter itself' });
  }
}

export const instant = z.union(
  [
    z.number().int('expected whole milliseconds').min(946_684_800_000, 'expected a time after 2000-01-01'),
    z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))
  ],
  { error: 'expected UTC milliseconds or an ISO 8601 time such as 2027-01-31T12:00:00Z' }
);

const IncomingFrameSchema = z
  .object({
    hex: z
      .string({ error: 'expected the frame as hex text' })
      .max(1024, 'expected at most 1024 hex digits (512 bytes)')
      .regex(/^(?:[0-9A-Fa-f]{2})+$/, 'expected an even number of hex digits (0-9, A-F), from the L field, without spaces'),
    receivedAt: instant,
    source: z.string({ error: 'expected the gateway or device name' }).trim().min(1, 'name the gateway or device').max(100, 'at most 100 characters'),
    rssi: z.number({ error: 'expected dBm as a number' }).int('expected whole dBm').min(-200).max(50).nullable().optional(),
    link: z
      .enum(['wmbus', 'mbus', 'kmp'], {
        error: 'expected wmbus (a wireless telegram from its L field), mbus (a wired RSP_UD long frame, 68 L L 68 …) or kmp (a Kamstrup KMP answer, 40 … 0D)'
      })
      .optional(),
    meter: kmpMeter.optional()
  })
  .strict()
  .superRefine(requireKmpMeter);

export const IngestBatch = z
  .object({
    frames: z
      .array(IncomingFrameSchema, { error: 'expected a list of frames' })
      .min(1, 'send at least one frame')
      .max(MAX_BATCH, `expected at most ${MAX_BATCH} frames per batch`)
  })
  .strict();

const NewGateway = z.object({ name: z.string({ error: 'expected a name' }).trim().min(1, 'enter a name').max(100, 'at most 100 characters') }).strict();
const Shares = z
  .object({ tenants: z.array(z.string().trim().min(1).max(200), { error: 'expected a list of utility names' }).max(100) })
  .strict();

const tooLarge = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: (c) => c.json({ error: `The request body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB: send at most ${MAX_BATCH} frames per batch.` }, 413)
});

export const ingest = new Hono<AppEnv>().post('/frames', requirePermission('ingest'), tooLarge, async (c) => {
  const body = await parseJson(c, IngestBatch);
  const { stores, now } = c.var.deps;
  const at = now();
  const frames: IncomingFrame[] = body.frames.map((f, i) => {
    if (f.receivedAt > at + MAX_FUTURE_MS) rejectField(`frames.${i}.receivedAt`, 'more than a day in the future: check the receiver clock');
    return { bytes: Buffer.from(f.hex, 'hex'), receivedAt: f.receivedAt, source: f.source, rssi: f.rssi ?? null, ...(f.link ? { link: f.link } : {}), ...(f.meter ? { meter: f.meter } : {}) };
  });
  const results = stores.ingest.ingest(actorOf(c.var.principal!, c.req.header('user-agent') ?? null), frames, at);
  const counts: Partial<Record<FrameOutcome, number>> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return c.json({ counts, results });
});

export const gateways = new Hono<AppEnv>()
  .get('/', requirePermission('settings.manage'), (c) => c.json({ gateways: c.var.deps.stores.frames.gateways(c.var.principal!.tenantId) }))
  .post('/', requirePermission('settings.manage'), async (c) => {
    const body = await parseJson(c, NewGateway);
    const { stores, now } = c.var.deps;
    try {
      const g = stores.frames.createGateway(actorOf(c.var.principal!, c.req.header('user-agent') ?? null), body.name, now());
      return c.json({ gateway: g }, 201);
    } catch (err) {
      if (err instanceof RangeError) rejectField('name', `a gateway "${body.name}" exists already`);
      throw err;
    }
  })
  .put('/:id/shares', requirePermission('settings.manage'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, Shares);
    const { stores, now } = c.var.deps;
    try {
      const g = stores.frames.shareGateway(actorOf(c.var.principal!, c.req.header('user-agent') ?? null), id, body.tenants, now());
      if (!g) throw new HTTPException(404, { message: `No gateway ${id}.` });
      return c.json({ gateway: g });
    } catch (err) {
      if (err instanceof RangeError) rejectField('tenants', err.message.replace(/^tenants: /, ''));
      throw err;
    }
  });

describeRoute(
  {
    method: 'post',
    path: '/api/ingest/frames',
    tag: 'Ingest',
    summary: 'Send raw wireless M-Bus telegrams',
    description:
      `Up to ${MAX_BATCH} frames per batch, stored raw first, then merged (the same telegram from several receivers within ±10 minutes ` +
      'is one frame with several receptions; the best RSSI wins) and decoded with the key vault. One transaction per batch; ' +
      'posting the same batch again stores nothing new and answers "duplicate" for each frame. ' +
      'link "mbus": a wired RSP_UD (EN 13757-2 long frame with a CI 72 header); the telegrams of one multi-telegram read, sent with ' +
      'the same source and receivedAt, make one reading. ' +
      'link "kmp": one Kamstrup KMP answer from the optical eye (40 … 0D, with its CRC) and `meter` ("KAM 12345678", required: a KMP ' +
      'answer does not name its meter); a GetRegister answer makes a reading at receivedAt, a logger answer one reading per record at the ' +
      'record\'s own date and time (the meter\'s clock read in the utility\'s time zone), merged with what is stored at that instant. ' +
      'Default "wmbus".',
    permission: 'ingest',
    body: IngestBatch,
    response:
      'counts per status and one result per frame in input order: {index, status: decoded | duplicate | no-key | unknown-format | ' +
      'unknown-meter | failed, frameId, meter, meterId, reason}'
  },
  { method: 'get', path: '/api/gateways', tag: 'Ingest', summary: 'List the gateways of your utility', permission: 'settings.manage', response: '{gateways: [{id, name, createdAt, sharedWith}]}' },
  {
    method: 'post',
    path: '/api/gateways',
    tag: 'Ingest',
    summary: 'Register a gateway name',
    permission: 'settings.manage',
    body: NewGateway,
    response: '{gateway}',
    status: 201
  },
  {
    method: 'put',
    path: '/api/gateways/:id/shares',
    tag: 'Ingest',
    summary: 'Set the other utilities a gateway forwards for',
    description: 'A frame from a shared gateway is stored for the utility that has the meter; no utility sees another\'s frames.',
    permission: 'settings.manage',
    body: Shares,
    response: '{gateway}'
  }
);
