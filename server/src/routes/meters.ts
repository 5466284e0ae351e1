import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { METER_SORTS, READING_MODES } from '../store/meters.js';
import { parseJson } from '../validate.js';
import { actor } from './customers.js';
import { meterKeys } from './keys.js';
import { instant, positiveId } from './metering-points.js';
import { idParam, paging, parseQuery, queryFlag } from './params.js';
import { decodeWaiting } from './waiting.js';

// Meters (M1, M3, M4): list and search that stay fast at 100,000 meters (a trigram index and
// sort-key table kept by triggers, 002-core.sql), detail with installation history, and
// installing a meter at a metering point (M12).

const byte = z.number({ error: 'expected a number' }).int('expected a whole number').min(0).max(255).nullable().optional();
const text = (max: number) => z.string({ error: 'expected text' }).trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

export const MeterFields = {
  manufacturer: z
    .string({ error: 'expected a 3-letter manufacturer code such as KAM' })
    .trim()
    .regex(/^[A-Za-z]{3}$/, 'expected a 3-letter manufacturer code such as KAM')
    .transform((s) => s.toUpperCase()),
  serial: z
    .string({ error: 'expected the serial number (meter id)' })
    .trim()
    .regex(/^[0-9A-Za-z._-]{1,32}$/, 'expected 1-32 letters, digits or . _ -'),
  version: byte,
  deviceType: byte,
  medium: text(30).nullable().optional(),
  model: text(100).nullable().optional(),
  driver: text(64).nullable().optional(),
  readingMode: z.enum(READING_MODES, { error: `expected one of ${READING_MODES.join(', ')}` }).optional(),
  intervalS: z.number({ error: 'expected a number' }).int('expected a whole number').positive().max(31_622_400).nullable().optional()
};
const NewMeter = z.object(MeterFields).strict();
const Change = z
  .object({ ...MeterFields, manufacturer: MeterFields.manufacturer.optional(), serial: MeterFields.serial.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' });
const ListQuery = z
  .object({
    q: z.string().max(200, 'at most 200 characters').optional(),
    sort: z.enum(METER_SORTS, { error: `expected one of ${METER_SORTS.join(', ')}` }).optional(),
    desc: queryFlag.optional(),
    group: z
      .union([z.literal('ungrouped'), z.literal('last-imported'), z.coerce.number().int().positive()], {
        error: 'expected a group id, "ungrouped" or "last-imported"'
      })
      .optional(),
    key: z.enum(['present', 'missing'], { error: 'expected present or missing' }).optional(),
    ...paging
  })
  .strict();
const IdsQuery = ListQuery.omit({ limit: true, offset: true });
const DeleteQuery = z.object({ force: queryFlag.optional() }).strict();
const Install = z.object({ meteringPointId: positiveId, from: instant }).strict();
const Uninstall = z.object({ at: instant }).strict();

// Search as you type: every keystroke asks for the list again, and a broad query costs 100+ ms at
// 100,000 meters, so queued keystrokes would add up. A client that sends `X-Latest-Only: <id of
// its list>` gets only its newest request of each offset run; the older ones, which it has
// aborted already, get 204 and cost nothing. One turn of the event loop lets every request that
// waited behind a slow one be read first.
const newestRequest = new Map<string, number>();
let requestCount = 0;

async function superseded(c: Context<AppEnv>, offset: number): Promise<boolean> {
  const channel = c.req.header('x-latest-only');
  if (!channel) return false;
  const key = `${c.var.principal!.tenantId}:${c.var.principal!.name}:${channel.slice(0, 64)}:${offset}`;
  const mine = ++requestCount;
  newestRequest.set(key, mine);
  await new Promise((resolve) => setImmediate(resolve));
  const newest = newestRequest.get(key) === mine;
  if (newest) newestRequest.delete(key);
  return !newest || c.req.raw.signal.aborted;
}

export const meters = new Hono<AppEnv>()
  .get('/', requirePermission('meters.read'), async (c) => {
    const query = parseQuery(c, ListQuery);
    if (await superseded(c, query.offset)) return c.body(null, 204);
    return c.json(c.var.deps.stores.meters.list(c.var.principal!.tenantId, query));
  })
  .get('/ids', requirePermission('meters.read'), (c) => {
    const ids = c.var.deps.stores.meters.ids(c.var.principal!.tenantId, parseQuery(c, IdsQuery));
    return c.json({ ids, total: ids.length });
  })
  .get('/:id', requirePermission('meters.read'), (c) => {
    return c.json({ meter: c.var.deps.stores.meters.detail(c.var.principal!.tenantId, idParam(c)) });
  })
  .post('/', requirePermission('meters.write'), async (c) => {
    const body = await parseJson(c, NewMeter);
    const { stores, now } = c.var.deps;
    const meter = stores.meters.create(actor(c), body, now());
    // frames heard before the meter existed ('unknown-meter') are decoded now
    const redecoded = decodeWaiting(stores, c.var.principal!.tenantId, { meters: [meter.id] }, now());
    return c.json({ meter, redecoded }, 201);
  })
  .patch('/:id', requirePermission('meters.write'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, Change);
    const { stores, now } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    const identity = (m: { manufacturer: string; serial: string } | undefined) => (m ? `${m.manufacturer} ${m.serial}` : '');
    const before = body.manufacturer !== undefined || body.serial !== undefined ? identity(stores.meters.find(tenantId, id)) : null;
    const meter = stores.meters.update(actor(c), id, body, now());
    if (before === null || before === identity(meter)) return c.json({ meter });
    // A new identity: the cached key ring holds the key under the old one (rebuilt on the next
    // frame), and frames waiting for a meter with the new identity belong to this one now.
    stores.ingest.forget(tenantId);
    return c.json({ meter, redecoded: decodeWaiting(stores, tenantId, { meters: [id] }, now()) });
  })
  .delete('/:id', requirePermission('meters.write'), (c) => {
    const id = idParam(c);
    const { force } = parseQuery(c, DeleteQuery);
    const { stores, now } = c.var.deps;
    stores.meters.delete(actor(c), id, force ?? false, now());
    return c.json({ ok: true });
  })
  .post('/:id/install', requirePermission('meters.write'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, Install);
    const { stores, now } = c.var.deps;
    return c.json({ meter: stores.meters.install(actor(c), id, body.meteringPointId, body.from, now()) });
  })
  .post('/:id/uninstall', requirePermission('meters.write'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, Uninstall);
    const { stores, now } = c.var.deps;
    return c.json({ meter: stores.meters.uninstall(actor(c), id, body.at, now()) });
  })
  .route('/', meterKeys);

const METER =
  '{id, manufacturer, serial, version, deviceType, medium, model, driver, readingMode, intervalS, hasKey, ' +
  'meteringPoint: {id, number, address, postalCode, city} | null, customer: {id, number, name} | null, lastReadingAt, ' +
  'latest: {at, register: energy|volume, value, unit: kWh|m3} | null, alarms: [{kind, severity, label, active}], createdAt, updatedAt}';

describeRoute(
  {
    method: 'get',
    path: '/api/meters',
    tag: 'Meters',
    summary: 'List and search meters',
    description:
      'q: words of 3 or more characters must each occur in the serial, manufacturer, model, medium, customer, metering point number or address; ' +
      'a word of 1-2 characters alone matches the start of the serial or postal code. ' +
      'group: a group id, "ungrouped", or "last-imported" (the meters of the newest import run that named meters); key: present or missing. ' +
      'sort: serial, customer, address, postalCode, customerNumber, type, lastReading (time of the newest reading) or reading (its billing ' +
      'register: energy in kWh, else volume in m3); meters without readings sort first ascending. latest is that register; alarms decode ' +
      'the newest reading\'s info code with the meter\'s driver into the vendor-neutral alarm kinds, most important first.',
    permission: 'meters.read',
    query: ListQuery,
    response:
      `{items: [${METER}], total, limit, offset}. With the header X-Latest-Only: <list id>, a request that a newer one with the same ` +
      'list id and offset overtook before it ran (search as you type), or whose client went away, gets 204 without a body.'
  },
  {
    method: 'get',
    path: '/api/meters/ids',
    tag: 'Meters',
    summary: 'The ids of all meters a list query matches',
    description: 'The same q, sort, desc, group and key as GET /api/meters, without paging: for acting on "all matching" meters.',
    permission: 'meters.read',
    query: IdsQuery,
    response: '{ids: [number], total}'
  },
  {
    method: 'get',
    path: '/api/meters/:id',
    tag: 'Meters',
    summary: 'One meter with installations, groups and whether it has a key',
    permission: 'meters.read',
    response: '{meter: {..., installations: [{id, meteringPointId, address, from, to}], groups: [{id, name}], key: {source, updatedAt} | null}}'
  },
  {
    method: 'post',
    path: '/api/meters',
    tag: 'Meters',
    summary: 'Create a meter',
    description: 'Frames already received from this meter ("unknown-meter") are decoded at once; redecoded counts them.',
    permission: 'meters.write',
    body: NewMeter,
    response: '{meter, redecoded: {frames, decoded, waiting}}; 409 when the manufacturer and serial exist already',
    status: 201
  },
  {
    method: 'patch',
    path: '/api/meters/:id',
    tag: 'Meters',
    summary: 'Change a meter',
    description: 'Only the fields given change. A new manufacturer or serial decodes the frames waiting for that identity.',
    permission: 'meters.write',
    body: Change,
    response: '{meter}, and redecoded: {frames, decoded, waiting} when the identity changed'
  },
  {
    method: 'delete',
    path: '/api/meters/:id',
    tag: 'Meters',
    summary: 'Delete a meter',
    description:
      '409 while it has installations, readings or raw frames, unless force=true: then its installations and readings go with it ' +
      'and its raw frames are kept, unlinked, for a later decode.',
    permission: 'meters.write',
    query: DeleteQuery,
    response: '{ok: true}'
  },
  {
    method: 'post',
    path: '/api/meters/:id/install',
    tag: 'Meters',
    summary: 'Install a meter at a metering point from a time on',
    permission: 'meters.write',
    body: Install,
    response: '{meter} with its installations; 409 when the meter or the point is taken then'
  },
  {
    method: 'post',
    path: '/api/meters/:id/uninstall',
    tag: 'Meters',
    summary: 'End a meter\'s current installation',
    permission: 'meters.write',
    body: Uninstall,
    response: '{meter} with its installations'
  }
);
