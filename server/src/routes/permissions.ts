import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { isPermission, NOT_GRANTABLE, PERMISSIONS, type Permission } from '../auth/permissions.js';
import { actorOf } from '../auth/principal.js';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { parseJson } from '../validate.js';

// The permission matrix (M20): what 'user' and 'superuser' may do in this utility. An
// administrator may do everything. A change applies at once, also to sessions already open.

const Body = z
  .object({ permissions: z.array(z.string({ error: 'expected permission names' }).max(100), { error: 'expected a list of permission names' }).max(100) })
  .strict();

function unprocessable(message: string): never {
  throw new HTTPException(422, { message });
}

export const permissions = new Hono<AppEnv>()
  .get('/', requirePermission('users.manage'), (c) => {
    const matrix = c.var.deps.stores.permissions.matrix(c.var.principal!.tenantId);
    return c.json({
      permissions: PERMISSIONS.map((name) => ({ name, grantable: !NOT_GRANTABLE.has(name) })),
      roles: { ...matrix, administrator: [...PERMISSIONS] }
    });
  })
  .put('/:role', requirePermission('permissions.manage'), async (c) => {
    const role = c.req.param('role');
    if (role === 'administrator') unprocessable('role: an administrator may do everything; only user and superuser can be changed.');
    if (role !== 'user' && role !== 'superuser') unprocessable(`role: expected user or superuser, got "${role.slice(0, 40)}"`);
    const body = await parseJson(c, Body);
    const unknown = body.permissions.filter((p) => !isPermission(p));
    if (unknown.length) unprocessable(`permissions: unknown ${unknown.map((p) => `"${p.slice(0, 40)}"`).join(', ')}`);
    const list = body.permissions as Permission[];
    const locked = list.filter((p) => NOT_GRANTABLE.has(p));
    if (locked.length) unprocessable(`permissions: ${locked.join(', ')} cannot be given to the role ${role}; they stay with administrators.`);
    const { stores, now } = c.var.deps;
    const matrix = stores.permissions.setRole(actorOf(c.var.principal!, c.req.header('user-agent') ?? null), role, list, now());
    return c.json({ role, permissions: matrix[role] });
  });

describeRoute(
  {
    method: 'get',
    path: '/api/permissions',
    tag: 'Users',
    summary: 'The permission matrix of your utility',
    permission: 'users.manage',
    response: '{permissions: [{name, grantable}], roles: {user: [], superuser: [], administrator: [all]}}'
  },
  {
    method: 'put',
    path: '/api/permissions/:role',
    tag: 'Users',
    summary: 'Set what the role user or superuser may do',
    description: 'Applies at once, also to open sessions. Some permissions stay with administrators (grantable: false).',
    permission: 'permissions.manage',
    params: z.object({ role: z.enum(['user', 'superuser']) }),
    body: Body,
    response: '{role, permissions}'
  }
);
