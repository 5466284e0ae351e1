import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import type { Permission } from '../auth/permissions.js';
import type { AppEnv } from '../context.js';

export type PermissionMiddleware = ReturnType<typeof createMiddleware<AppEnv>> & { permission: Permission };

/**
 * 401 without a principal, 403 without the permission. Every /api route except sign-in, health
 * and device registration carries exactly one of these; the route-walk test finds them by the
 * `permission` tag and calls each route with each role.
 */
export function requirePermission(permission: Permission): PermissionMiddleware {
  const mw = createMiddleware<AppEnv>(async (c, next) => {
    const p = c.var.principal;
    if (!p) throw new HTTPException(401, { message: 'Sign in first.' });
    if (!p.permissions.has(permission)) {
      throw new HTTPException(403, { message: `Your role may not do this (needs "${permission}").` });
    }
    await next();
  });
  return Object.assign(mw, { permission });
}
