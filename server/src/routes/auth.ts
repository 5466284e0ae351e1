import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { audit } from '../audit.js';
import { dummyHash, verifyPassword } from '../auth/password.js';
import { createSession, deleteSession, deleteUserSessions, SESSION_COOKIE, type SessionUser } from '../auth/sessions.js';
import { beginAttempt, clientAddress, isThrottled, lockedBy, throttledMessage } from '../auth/throttle.js';
import type { AppEnv } from '../context.js';
import { describeRoute } from '../openapi.js';
import { parseJson } from '../validate.js';

const Login = z.object({
  login: z.string({ error: 'enter your user name' }).trim().min(1, 'enter your user name').max(200),
  password: z.string({ error: 'enter your password' }).min(1, 'enter your password').max(1000)
}).strict();

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
    // Throttling first, before the password is looked at (auth/throttle.ts).
    const attempt = beginAttempt(db, body.login, clientAddress(c, env.TRUST_PROXY), now());
    if (isThrottled(attempt)) {
      c.header('retry-after', String(attempt.retryAfterS));
      return c.json({ error: throttledMessage(attempt), retryAfterS: attempt.retryAfterS }, 429);
    }
    const row = db
      .prepare(
        `select u.id, u.tenant_id as tenantId, t.name as tenantName, t.time_zone as timeZone, u.login, u.display_name as displayName,
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
        details: {
          reason: !row ? 'unknown login' : row.disabledAt !== null ? 'account disabled' : 'wrong password',
          ...(lockedBy(attempt) ? { lockedOut: lockedBy(attempt) } : {})
        }
      });
      return c.json({ error: WRONG }, 401);
    }
    attempt.succeeded();
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
  // Public by name (tests/server/routes.test.ts): any signed-in person may end their own sessions.
  .post('/logout-everywhere', (c) => {
    const user = c.var.user;
    if (!user) return c.json({ error: 'Sign in first.' }, 401);
    const { db, now } = c.var.deps;
    const ended = db.transaction(() => {
      const n = deleteUserSessions(db, user.id);
      audit(db, now(), {
        tenantId: user.tenantId,
        event: 'auth.sign-out-everywhere',
        userId: user.id,
        actor: user.login,
        device: c.req.header('user-agent') ?? null,
        details: { sessionsEnded: n }
      });
      return n;
    })();
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ ok: true, sessionsEnded: ended });
  })
  .get('/me', (c) => {
    const user = c.var.user;
    if (!user) return c.json({ error: 'Not signed in.' }, 401);
    return c.json({ user });
  });

describeRoute(
  {
    method: 'post',
    path: '/api/auth/login',
    tag: 'Sign-in',
    summary: 'Sign in with user name and password',
    description:
      'Sets the session cookie (httpOnly, SameSite=Strict, Secure behind https). Wrong user name or password answer 401 with the same ' +
      'message; repeated failures per login and per address are throttled (429 with Retry-After). Every attempt is audited.',
    permission: null,
    body: Login,
    response: '{user: {id, tenantId, tenantName, timeZone, login, displayName, role}} and the session cookie'
  },
  {
    method: 'post',
    path: '/api/auth/logout',
    tag: 'Sign-in',
    summary: 'Sign out: end this session',
    permission: null,
    response: '{ok: true}; the session cookie is cleared'
  },
  {
    method: 'post',
    path: '/api/auth/logout-everywhere',
    tag: 'Sign-in',
    summary: 'Sign out everywhere: end all of your sessions',
    description: 'Needs a session (401 without one).',
    permission: null,
    response: '{ok: true, sessionsEnded}'
  },
  {
    method: 'get',
    path: '/api/auth/me',
    tag: 'Sign-in',
    summary: 'The person signed in with this session',
    permission: null,
    response: '{user: {id, tenantId, tenantName, timeZone, login, displayName, role}}, or 401 without a session'
  }
);
