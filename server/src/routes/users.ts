import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { audit } from '../audit.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { actorOf } from '../auth/principal.js';
import { SESSION_COOKIE } from '../auth/sessions.js';
import { beginAttempt, clientAddress, isThrottled, throttledMessage } from '../auth/throttle.js';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { ConflictError, type UserInfo } from '../store/users.js';
import { parseJson } from '../validate.js';
import { idParam, paging, parseQuery, queryFlag } from './params.js';

// People (M20, M21): administrators list, create, change and disable them; everyone changes
// their own password. No deletion: audit entries refer to people.

const login = z
  .string({ error: 'expected a user name' })
  .trim()
  .regex(/^[a-z0-9._@-]{3,64}$/i, 'expected 3-64 letters, digits or . _ @ -');
const displayName = z.string({ error: 'expected a name' }).trim().min(1, 'enter a name').max(100, 'at most 100 characters');
const role = z.enum(['user', 'superuser', 'administrator'], { error: 'expected user, superuser or administrator' });
const password = z.string({ error: 'expected a password' }).min(10, 'at least 10 characters').max(1000, 'at most 1000 characters');

const ListQuery = z.object({ q: z.string().max(100, 'at most 100 characters').optional(), role: role.optional(), includeDisabled: queryFlag.optional(), ...paging }).strict();
const NewUser = z.object({ login, displayName, role, password }).strict();
const Change = z
  .object({ displayName: displayName.optional(), role: role.optional() })
  .strict()
  .refine((v) => v.displayName !== undefined || v.role !== undefined, { message: 'give displayName and/or role' });
const OwnPassword = z
  .object({ currentPassword: z.string({ error: 'enter your current password' }).min(1, 'enter your current password').max(1000), newPassword: password })
  .strict()
  .refine((v) => v.currentPassword !== v.newPassword, { path: ['newPassword'], message: 'must differ from the current password' });
const ResetPassword = z.object({ password }).strict();

const NOT_FOUND = 'No such user.';

function found(user: UserInfo | null): UserInfo {
  if (!user) throw new HTTPException(404, { message: NOT_FOUND });
  return user;
}

/** A store refusal (last administrator, login taken) as 409 with its message. */
function conflicts<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ConflictError) throw new HTTPException(409, { message: err.message });
    throw err;
  }
}

const actor = (c: Context<AppEnv>) => actorOf(c.var.principal!, c.req.header('user-agent') ?? null);

export const users = new Hono<AppEnv>()
  // Public by name (tests/server/routes.test.ts): any person signed in with a session changes
  // their own password; their other sessions end.
  .post('/me/password', async (c) => {
    const user = c.var.user;
    if (!user) return c.json({ error: 'Sign in with your user name and password first.' }, 401);
    const body = await parseJson(c, OwnPassword);
    const { db, env, stores, now } = c.var.deps;
    const stored = stores.users.passwordHash(user.tenantId, user.id);
    if (!stored) return c.json({ error: 'Sign in first.' }, 401);
    // a stolen session must not become a way to guess the password: same limits as sign-in
    const attempt = beginAttempt(db, user.login, clientAddress(c, env.TRUST_PROXY), now());
    if (isThrottled(attempt)) {
      c.header('retry-after', String(attempt.retryAfterS));
      return c.json({ error: throttledMessage(attempt), retryAfterS: attempt.retryAfterS }, 429);
    }
    if (!(await verifyPassword(stored, body.currentPassword))) {
      audit(db, now(), {
        tenantId: user.tenantId,
        event: 'user.password-change-failed',
        userId: user.id,
        actor: user.login,
        device: c.req.header('user-agent') ?? null,
        details: { reason: 'wrong current password' }
      });
      return c.json({ error: 'currentPassword: this is not your current password', fields: [{ field: 'currentPassword', message: 'this is not your current password' }] }, 422);
    }
    attempt.succeeded();
    const hash = await hashPassword(body.newPassword);
    stores.users.setPassword(actor(c), user.id, hash, now(), getCookie(c, SESSION_COOKIE) ?? null);
    return c.json({ ok: true });
  })
  .get('/', requirePermission('users.manage'), (c) => {
    const q = parseQuery(c, ListQuery);
    const { users, total } = c.var.deps.stores.users.list(c.var.principal!.tenantId, q);
    return c.json({ users, total, limit: q.limit, offset: q.offset });
  })
  .get('/:id', requirePermission('users.manage'), (c) => {
    return c.json({ user: found(c.var.deps.stores.users.get(c.var.principal!.tenantId, idParam(c))) });
  })
  .post('/', requirePermission('users.manage'), async (c) => {
    const body = await parseJson(c, NewUser);
    const passwordHash = await hashPassword(body.password);
    const { stores, now } = c.var.deps;
    const user = conflicts(() => stores.users.create(actor(c), { login: body.login, displayName: body.displayName, role: body.role, passwordHash }, now()));
    return c.json({ user }, 201);
  })
  .patch('/:id', requirePermission('users.manage'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, Change);
    const { stores, now } = c.var.deps;
    return c.json({ user: found(conflicts(() => stores.users.update(actor(c), id, body, now()))) });
  })
  .post('/:id/disable', requirePermission('users.manage'), (c) => {
    const { stores, now } = c.var.deps;
    const id = idParam(c);
    // disabling ends the caller's own sessions at once: nobody could then undo a slip
    if (id === c.var.principal!.userId) {
      throw new HTTPException(409, { message: 'You cannot disable your own login: ask another administrator to do it.' });
    }
    return c.json({ user: found(conflicts(() => stores.users.disable(actor(c), id, now()))) });
  })
  .post('/:id/enable', requirePermission('users.manage'), (c) => {
    const { stores, now } = c.var.deps;
    return c.json({ user: found(stores.users.enable(actor(c), idParam(c), now())) });
  })
  // An administrator sets a new password for someone who lost theirs; all their sessions end.
  .post('/:id/password', requirePermission('users.manage'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, ResetPassword);
    const { stores, now } = c.var.deps;
    found(stores.users.get(c.var.principal!.tenantId, id));
    const hash = await hashPassword(body.password);
    const keep = c.var.principal!.userId === id ? (getCookie(c, SESSION_COOKIE) ?? null) : null;
    found(stores.users.setPassword(actor(c), id, hash, now(), keep));
    return c.json({ ok: true });
  });

const USER = '{id, login, displayName, role, createdAt, disabledAt}';
const LISTED_USER = '{id, login, displayName, role, createdAt, disabledAt, lastSignInAt}';

describeRoute(
  {
    method: 'post',
    path: '/api/users/me/password',
    tag: 'Users',
    summary: 'Change your own password',
    description: 'Needs a session of the person (401 otherwise). Throttled like sign-in; your other sessions end.',
    permission: null,
    body: OwnPassword,
    response: '{ok: true}; 422 naming currentPassword when it is wrong'
  },
  {
    method: 'get',
    path: '/api/users',
    tag: 'Users',
    summary: 'List the people of your utility',
    description:
      'q matches part of the login or name, taken literally. Disabled people are left out unless includeDisabled=true. ' +
      'lastSignInAt: the latest successful sign-in (from the audit log), or null.',
    permission: 'users.manage',
    query: ListQuery,
    response: `{users: [${LISTED_USER}], total, limit, offset}`
  },
  { method: 'get', path: '/api/users/:id', tag: 'Users', summary: 'One person', permission: 'users.manage', response: `{user: ${USER}}` },
  {
    method: 'post',
    path: '/api/users',
    tag: 'Users',
    summary: 'Create a personal login',
    description: 'The password is stored as an argon2id hash.',
    permission: 'users.manage',
    body: NewUser,
    response: '{user}; 409 when the login is taken',
    status: 201
  },
  {
    method: 'patch',
    path: '/api/users/:id',
    tag: 'Users',
    summary: 'Change a person\'s name or role',
    description: 'The last administrator cannot lose the role (409).',
    permission: 'users.manage',
    body: Change,
    response: '{user}'
  },
  {
    method: 'post',
    path: '/api/users/:id/disable',
    tag: 'Users',
    summary: 'Disable a login; its sessions end',
    description: 'There is no deletion: audit entries refer to people. Neither your own login nor the last administrator can be disabled (409).',
    permission: 'users.manage',
    response: '{user}'
  },
  { method: 'post', path: '/api/users/:id/enable', tag: 'Users', summary: 'Enable a disabled login again', permission: 'users.manage', response: '{user}' },
  {
    method: 'post',
    path: '/api/users/:id/password',
    tag: 'Users',
    summary: 'Set a new password for someone who lost theirs',
    description: 'All their sessions end.',
    permission: 'users.manage',
    body: ResetPassword,
    response: '{ok: true}'
  }
);
