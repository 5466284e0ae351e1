import { createHash } from 'node:crypto';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import { isPermission, NOT_GRANTABLE } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import { findSessionUser, SESSION_COOKIE } from '../auth/sessions.js';
import type { AppEnv } from '../context.js';

export const TOKEN_PREFIX = 'rdt_';
export const DEVICE_PREFIX = 'rdd_';

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * Sets c.var.principal from, in this order: `Authorization: Bearer rdt_…` (API token),
 * `Authorization: Bearer rdd_…` (field device), or the session cookie. A presented token that
 * is unknown, expired or revoked is a 401 at once, never a fall-back to the cookie.
 */
export const principal = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const { db, now, stores } = c.var.deps;
    const at = now();
    const auth = c.req.header('authorization');
    let p: Principal | null = null;
    if (auth) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      if (!m) throw new HTTPException(401, { message: 'Authorization header: expected "Bearer <token>".' });
      const secret = m[1];
      if (secret.startsWith(TOKEN_PREFIX)) {
        const t = db
          .prepare(
            `select k.id, k.tenant_id as tenantId, t.name as tenantName, k.name, k.scopes, k.created_by as userId,
                    k.expires_at as expiresAt, k.revoked_at as revokedAt
               from api_token k join tenant t on t.id = k.tenant_id where k.token_hash = ?`
          )
          .get(secretHash(secret)) as
          | { id: number; tenantId: number; tenantName: string; name: string; scopes: string; userId: number | null; expiresAt: number | null; revokedAt: number | null }
          | undefined;
        if (!t || t.revokedAt !== null || (t.expiresAt !== null && t.expiresAt <= at)) {
          throw new HTTPException(401, { message: 'The API token is unknown, expired or revoked.' });
        }
        db.prepare('update api_token set last_used_at = ? where id = ?').run(at, t.id);
        const scopes = JSON.parse(t.scopes) as string[];
        p = {
          kind: 'token',
          tenantId: t.tenantId,
          tenantName: t.tenantName,
          userId: t.userId,
          name: `token ${t.name}`,
          role: null,
          refId: t.id,
          // scopes were checked when the token was made; unknown names (an older version's) grant nothing
          permissions: new Set(scopes.filter(isPermission).filter((s) => !NOT_GRANTABLE.has(s)))
        };
      } else if (secret.startsWith(DEVICE_PREFIX)) {
        const d = db
          .prepare(
            `select d.id, d.tenant_id as tenantId, t.name as tenantName, d.name, d.registered_by as userId,
                    d.authorised_at as authorisedAt, d.revoked_at as revokedAt
               from device d join tenant t on t.id = d.tenant_id where d.token_hash = ?`
          )
          .get(secretHash(secret)) as
          | { id: number; tenantId: number; tenantName: string; name: string; userId: number | null; authorisedAt: number | null; revokedAt: number | null }
          | undefined;
        if (!d || d.revokedAt !== null) throw new HTTPException(401, { message: 'This device is unknown or was revoked.' });
        db.prepare('update device set last_seen_at = ? where id = ?').run(at, d.id);
        p = {
          kind: 'device',
          tenantId: d.tenantId,
          tenantName: d.tenantName,
          userId: d.userId,
          name: `device ${d.name}`,
          role: null,
          refId: d.id,
          // a registered device may only ask for its own status until an administrator authorises it
          permissions: d.authorisedAt === null ? new Set() : new Set(['ingest', 'meters.read', 'readings.read'])
        };
      } else {
        throw new HTTPException(401, { message: 'The token is not a Readout API or device token.' });
      }
    } else {
      const token = getCookie(c, SESSION_COOKIE);
      const user = token ? findSessionUser(db, token, at) : null;
      c.set('user', user);
      if (user) {
        p = {
          kind: 'user',
          tenantId: user.tenantId,
          tenantName: user.tenantName,
          userId: user.id,
          name: user.login,
          role: user.role,
          refId: null,
          permissions: stores.permissions.permissionsOf(user.tenantId, user.role)
        };
      }
    }
    if (auth) c.set('user', null);
    c.set('principal', p);
    await next();
  });
