import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { isPermission, NOT_GRANTABLE, type Permission } from '../auth/permissions.js';
import { actorOf } from '../auth/principal.js';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { parseJson } from '../validate.js';
import { idParam, paging, parseQuery, queryFlag } from './params.js';

// API tokens (M16) for other systems: scoped to a subset of what their creator may do,
// revocable, optionally expiring. The secret is shown once, in the answer to POST.

const instant = z.union(
  [z.number().int('expected whole milliseconds').positive(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))],
  { error: 'expected UTC milliseconds or an ISO 8601 time such as 2027-01-31T00:00:00Z' }
);

const NewToken = z
  .object({
    name: z.string({ error: 'expected a name' }).trim().min(1, 'enter a name').max(100, 'at most 100 characters'),
    scopes: z.array(z.string().max(100), { error: 'expected a list of permission names' }).min(1, 'give at least one permission').max(100),
    expiresAt: instant.nullable().optional()
  })
  .strict();

const ListQuery = z.object({ includeRevoked: queryFlag.optional(), ...paging }).strict();

function unprocessable(message: string): never {
  throw new HTTPException(422, { message });
}

export const tokens = new Hono<AppEnv>()
  .get('/', requirePermission('tokens.manage'), (c) => {
    const q = parseQuery(c, ListQuery);
    const { stores, now } = c.var.deps;
    const page = stores.tokens.list(c.var.principal!.tenantId, { includeRevoked: q.includeRevoked ?? true, limit: q.limit, offset: q.offset }, now());
    return c.json({ ...page, limit: q.limit, offset: q.offset });
  })
  .post('/', requirePermission('tokens.manage'), async (c) => {
    const body = await parseJson(c, NewToken);
    const p = c.var.principal!;
    const { stores, now } = c.var.deps;
    const at = now();
    const unknown = body.scopes.filter((s) => !isPermission(s));
    if (unknown.length) unprocessable(`scopes: unknown ${unknown.map((s) => `"${s.slice(0, 40)}"`).join(', ')}`);
    const scopes = body.scopes as Permission[];
    const locked = scopes.filter((s) => NOT_GRANTABLE.has(s));
    if (locked.length) unprocessable(`scopes: ${locked.join(', ')} cannot be given to an API token`);
    const beyond = scopes.filter((s) => !p.permissions.has(s));
    if (beyond.length) unprocessable(`scopes: ${beyond.join(', ')} — a token may only do what you may do yourself`);
    const expiresAt = body.expiresAt ?? null;
    if (expiresAt !== null && expiresAt <= at) unprocessable('expiresAt: must be in the future');
    const made = stores.tokens.create(actorOf(p, c.req.header('user-agent') ?? null), { name: body.name, scopes, expiresAt }, at);
    return c.json({ token: made.token, secret: made.secret, note: 'Copy the secret now: it is not shown again.' }, 201);
  })
  .delete('/:id', requirePermission('tokens.manage'), (c) => {
    const p = c.var.principal!;
    const { stores, now } = c.var.deps;
    const token = stores.tokens.revoke(actorOf(p, c.req.header('user-agent') ?? null), idParam(c), now());
    if (!token) throw new HTTPException(404, { message: 'No such API token.' });
    return c.json({ token });
  });

const TOKEN = '{id, name, scopes, createdBy: {id, login}, createdAt, expiresAt, revokedAt, lastUsedAt, status: active | expired | revoked}';

describeRoute(
  {
    method: 'get',
    path: '/api/tokens',
    tag: 'API tokens',
    summary: 'List the API tokens of your utility',
    description: 'Revoked tokens are listed too unless includeRevoked=false. Never the secret.',
    permission: 'tokens.manage',
    query: ListQuery,
    response: `{tokens: [${TOKEN}], total, limit, offset}`
  },
  {
    method: 'post',
    path: '/api/tokens',
    tag: 'API tokens',
    summary: 'Create an API token for another system',
    description:
      'scopes: permission names, at most what you may do yourself. The secret (rdt_…) is answered once and stored only as a hash; ' +
      'send it as "Authorization: Bearer rdt_…".',
    permission: 'tokens.manage',
    body: NewToken,
    response: `{token: ${TOKEN}, secret, note}`,
    status: 201
  },
  { method: 'delete', path: '/api/tokens/:id', tag: 'API tokens', summary: 'Revoke an API token', permission: 'tokens.manage', response: `{token}` }
);
