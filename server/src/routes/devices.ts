import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { toHex } from '../../../shared/bytes/hex.js';
import { audit } from '../audit.js';
import { actorOf } from '../auth/principal.js';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { parseJson } from '../validate.js';
import { idParam, paging, parseQuery } from './params.js';

// Field devices (architecture.md decision 5). A person signed in on a phone or tablet registers
// it and receives its secret once; the device asks GET /me until an administrator has
// authorised it. Until then its token grants nothing (middleware/principal.ts).

const Register = z.object({ name: z.string({ error: 'expected a name' }).trim().min(1, 'enter a name for this device').max(100, 'at most 100 characters') }).strict();
const ListQuery = z
  .object({ status: z.enum(['pending', 'authorised', 'revoked'], { error: 'expected pending, authorised or revoked' }).optional(), ...paging })
  .strict();

const MAX_KEYS_PER_CALL = 500; // ids travel in the URL; a longer route asks in several calls
const KeysQuery = z
  .object({
    meters: z
      .string({ error: 'expected meter ids, e.g. meters=1,2,3' })
      .regex(/^[1-9]\d{0,14}(,[1-9]\d{0,14})*$/, 'expected meter ids separated by commas, e.g. meters=1,2,3')
      .transform((s) => s.split(',').map(Number))
      .refine((ids) => ids.length <= MAX_KEYS_PER_CALL, `at most ${MAX_KEYS_PER_CALL} meters per call`)
  })
  .strict();

const NOT_FOUND = 'No such device.';

export const devices = new Hono<AppEnv>()
  // Public by name: the caller must be a person signed in with a session (not a token or device).
  .post('/register', async (c) => {
    const user = c.var.user;
    if (!user || c.var.principal?.kind !== 'user') {
      return c.json({ error: 'Sign in on this device with your user name and password, then register it.' }, 401);
    }
    const body = await parseJson(c, Register);
    const { stores, now } = c.var.deps;
    const userAgent = c.req.header('user-agent') ?? null;
    const made = stores.devices.register(actorOf(c.var.principal, userAgent), { name: body.name, userAgent }, now());
    return c.json({ device: made.device, secret: made.secret, note: 'Keep the secret on this device: it is not shown again.' }, 201);
  })
  // Public by name: a field device asks, with its own token, whether it has been authorised.
  .get('/me', (c) => {
    const p = c.var.principal;
    if (p?.kind !== 'device' || p.refId === null) {
      return c.json({ error: 'Present this device\'s token: "Authorization: Bearer rdd_…".' }, 401);
    }
    const device = c.var.deps.stores.devices.get(p.tenantId, p.refId);
    if (!device) return c.json({ error: NOT_FOUND }, 401);
    return c.json({ device });
  })
  // Public by name: an AUTHORISED field device fetches the keys of the meters on its route
  // (?meters=1,2,3, meter ids). Audited in the same transaction, naming the meters, never a key.
  .get('/me/keys', (c) => {
    const p = c.var.principal;
    if (!p) return c.json({ error: 'Present this device\'s token: "Authorization: Bearer rdd_…".' }, 401);
    if (p.kind !== 'device' || p.refId === null) return c.json({ error: 'Only an authorised field device receives meter keys.' }, 403);
    const q = parseQuery(c, KeysQuery);
    const { db, stores, now } = c.var.deps;
    const at = now();
    const result = db.transaction(() => {
      const device = stores.devices.get(p.tenantId, p.refId!);
      if (device?.status !== 'authorised') return null;
      const keys = stores.keys.keysForMeters(p.tenantId, q.meters);
      audit(db, at, {
        tenantId: p.tenantId,
        event: 'key.sent-to-device',
        userId: p.userId,
        actor: p.name,
        device: device.name,
        details: { deviceId: device.id, meterIds: keys.map((k) => k.meterId), requested: q.meters.length }
      });
      return keys;
    })();
    if (!result) return c.json({ error: 'This device is not authorised yet: ask an administrator to authorise it.' }, 403);
    const sent = new Set(result.map((k) => k.meterId));
    c.header('cache-control', 'no-store');
    return c.json({
      keys: result.map((k) => ({ meterId: k.meterId, manufacturer: k.manufacturer, serial: k.serial, key: toHex(k.key) })),
      // meters of another tenant, unknown ids and meters without a key all land here alike
      withoutKey: [...new Set(q.meters)].filter((id) => !sent.has(id))
    });
  })
  .get('/', requirePermission('devices.manage'), (c) => {
    const q = parseQuery(c, ListQuery);
    return c.json({ ...c.var.deps.stores.devices.list(c.var.principal!.tenantId, q), limit: q.limit, offset: q.offset });
  })
  .post('/:id/authorise', requirePermission('devices.manage'), (c) => {
    const { stores, now } = c.var.deps;
    const device = stores.devices.authorise(actorOf(c.var.principal!, c.req.header('user-agent') ?? null), idParam(c), now());
    if (!device) throw new HTTPException(404, { message: NOT_FOUND });
    if (device.status === 'revoked') {
      throw new HTTPException(409, { message: 'This device was revoked and cannot be authorised again; register it anew.' });
    }
    return c.json({ device });
  })
  .post('/:id/revoke', requirePermission('devices.manage'), (c) => {
    const { stores, now } = c.var.deps;
    const device = stores.devices.revoke(actorOf(c.var.principal!, c.req.header('user-agent') ?? null), idParam(c), now());
    if (!device) throw new HTTPException(404, { message: NOT_FOUND });
    return c.json({ device });
  });

const DEVICE =
  '{id, name, status: pending | authorised | revoked, userAgent, registeredAt, registeredBy: {id, login}, authorisedAt, authorisedBy, revokedAt, lastSeenAt}';

describeRoute(
  {
    method: 'post',
    path: '/api/devices/register',
    tag: 'Field devices',
    summary: 'Register this phone or tablet as a field device',
    description: 'Needs a person\'s session (401 otherwise). The device secret (rdd_…) is answered once; the device is pending until an administrator authorises it.',
    permission: null,
    body: Register,
    response: `{device: ${DEVICE}, secret, note}`,
    status: 201
  },
  {
    method: 'get',
    path: '/api/devices/me',
    tag: 'Field devices',
    summary: 'This device and whether it is authorised yet',
    description: 'Called with the device\'s own token, "Authorization: Bearer rdd_…" (401 otherwise).',
    permission: null,
    response: `{device: ${DEVICE}}`
  },
  {
    method: 'get',
    path: '/api/devices/me/keys',
    tag: 'Field devices',
    summary: 'Keys of the meters on this device\'s route',
    description:
      `An authorised device only (403 while pending or revoked), with its own token. Up to ${MAX_KEYS_PER_CALL} meter ids per call; ` +
      'audited as key.sent-to-device, naming the meters. Unknown ids, other utilities\' meters and meters without a key are all in withoutKey.',
    permission: null,
    query: KeysQuery,
    response: '{keys: [{meterId, manufacturer, serial, key (hex)}], withoutKey: [meter ids]}'
  },
  {
    method: 'get',
    path: '/api/devices',
    tag: 'Field devices',
    summary: 'List the field devices of your utility',
    permission: 'devices.manage',
    query: ListQuery,
    response: `{devices: [${DEVICE}], total, limit, offset}`
  },
  {
    method: 'post',
    path: '/api/devices/:id/authorise',
    tag: 'Field devices',
    summary: 'Authorise a pending device to receive keys',
    permission: 'devices.manage',
    response: '{device}; 409 for a revoked device'
  },
  {
    method: 'post',
    path: '/api/devices/:id/revoke',
    tag: 'Field devices',
    summary: 'Revoke a device: its token stops working',
    permission: 'devices.manage',
    response: '{device}'
  }
);
