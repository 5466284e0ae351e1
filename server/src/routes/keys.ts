import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { parseMeterKey } from '../store/keys.js';
import { invalid } from '../store/registry.js';
import { parseJson } from '../validate.js';
import { actor } from './customers.js';
import { idParam } from './params.js';
import { decodeWaiting } from './waiting.js';

// A meter's key (M17), mounted under /api/meters. Setting needs keys.write and never answers
// with the key; reading it in clear needs keys.read and writes a 'key.read' audit entry.

const SetKey = z.object({ key: z.string({ error: 'expected 32 hex digits' }).max(100, 'expected 32 hex digits') }).strict();

export const meterKeys = new Hono<AppEnv>()
  .get('/:id/key', requirePermission('keys.read'), (c) => {
    const { stores, now } = c.var.deps;
    return c.json(stores.keys.read(actor(c), idParam(c), now()));
  })
  .put('/:id/key', requirePermission('keys.write'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, SetKey);
    const parsed = parseMeterKey(body.key);
    if (!parsed.ok) throw invalid('key', parsed.message);
    const { stores, now } = c.var.deps;
    const result = stores.keys.set(actor(c), id, parsed.key, now());
    return c.json({ ...result, redecoded: decodeWaiting(stores, c.var.principal!.tenantId, { keys: [id] }, now()) });
  })
  .delete('/:id/key', requirePermission('keys.write'), (c) => {
    const id = idParam(c);
    const { stores, now } = c.var.deps;
    stores.keys.delete(actor(c), id, now());
    decodeWaiting(stores, c.var.principal!.tenantId, { keys: [id] }, now()); // the key leaves the ingest's key ring
    return c.json({ ok: true });
  });

describeRoute(
  {
    method: 'get',
    path: '/api/meters/:id/key',
    tag: 'Key vault',
    summary: 'Read a meter\'s AES key in clear',
    description: 'Writes a "key.read" audit entry in the same transaction. 404 when the meter has no key.',
    permission: 'keys.read',
    response: '{meterId, manufacturer, serial, key (32 hex digits)}'
  },
  {
    method: 'put',
    path: '/api/meters/:id/key',
    tag: 'Key vault',
    summary: 'Set or replace a meter\'s AES key',
    description:
      'key: 32 hex digits; spaces, - and : between them are allowed. Stored encrypted; never answered, logged or quoted in errors. ' +
      'Frames of the meter that waited for a key are decoded at once.',
    permission: 'keys.write',
    body: SetKey,
    response: '{meterId, replaced, redecoded: {frames, decoded, waiting}}'
  },
  {
    method: 'delete',
    path: '/api/meters/:id/key',
    tag: 'Key vault',
    summary: 'Delete a meter\'s key',
    permission: 'keys.write',
    response: '{ok: true}; 404 when the meter has no key'
  }
);
