import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { audit } from '../audit.js';
import { dummyHash, verifyPassword } from '../auth/password.js';
import { createSession, deleteSession, type SessionUser } from '../auth/sessions.js';
import type { AppEnv } from '../context.js';
import { SESSION_COOKIE } from '../middleware/session.js';
import { parseJson } from '../validate.js';

const Login = z.object({
  login: z.string({ error: 'enter your user name' }).trim().min(1, 'enter your user name').max(200),
  password: z.string({ error: 'enter your password' }).min(1, 'enter your password').max(1000)
});

const WRONG = 'Wrong user name or password.';

function isHttps(url: string, forwardedProto: string | undefined, trustProxy: boolean): boolean {
  if (trustProxy && forwardedProto) return forwardedProto.split(',')[0].trim() === 'https';
  return url.startsWith('https:');
}

export const auth = new Hono<AppEnv>()
  .post('/login', async (c) => {
    const body = await parseJson(c, Login);
    const { db, env, now } = c.var.deps;
    const device = c.req.header('user-agent') ?? null;
    const row = db
      .prepare(
        `select u.id, u.tenant_id as tenantId, t.name as tenantName, u.login, u.display_name as displayName,
                u.role, u.password_hash as passwordHash, u.disabled_at as disabledAt
           from app_user u join tenant t on t.id = u.tenant_id where u.login = ?`
      )
      .get(body.login) as (SessionUser & { passwordHash: string; disabledAt: number | null }) | undefined;
    const good = await verifyPassword(row?.passwordHash ?? (await dummyHash()), body.password);
    const at = now();
    if (!row || !good || row.disabledAt !== null) {
      audit(db, at, {
        tenantId: row?.tenantId ?? null,
        event: 'auth.sign-in-failed',
        userId: row?.id ?? null,
        actor: body.login.slice(0, 200),
        device,
        details: { reason: !row ? 'unknown login' : row.disabledAt !== null ? 'account disabled' : 'wrong password' }
      });
      return c.json({ error: WRONG }, 401);
    }
    const token = db.transaction(() => {
      audit(db, at, { tenantId: row.tenantId, event: 'auth.sign-in', userId: row.id, actor: row.login, device });
      return createSession(db, row.id, at, env.SESSION_HOURS, device);
    })();
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c.req.url, c.req.header('x-forwarded-proto'), env.TRUST_PROXY),
      path: '/',
      maxAge: env.SESSION_HOURS * 3600
    });
    const { passwordHash: _h, disabledAt: _d, ...user } = row;
    return c.json({ user });
  })
  .post('/logout', (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    const { db, now } = c.var.deps;
    if (token) {
      const user = c.var.user;
      db.transaction(() => {
        deleteSession(db, token);
        if (user) audit(db, now(), { tenantId: user.tenantId, event: 'auth.sign-out', userId: user.id, actor: user.login });
      })();
    }
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ ok: true });
  })
  .get('/me', (c) => {
    const user = c.var.user;
    if (!user) return c.json({ error: 'Not signed in.' }, 401);
    return c.json({ user });
  });
