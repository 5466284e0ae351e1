import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import { findSessionUser } from '../auth/sessions.js';
import type { AppEnv } from '../context.js';

export const SESSION_COOKIE = 'readout_session';

/** Sets c.var.user from the session cookie (null when there is none or it expired). */
export const session = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    const { db, now } = c.var.deps;
    c.set('user', token ? findSessionUser(db, token, now()) : null);
    await next();
  });

/** 401 unless someone is signed in. Roles and the permission matrix come with the server core. */
export const requireUser = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (!c.var.user) throw new HTTPException(401, { message: 'Sign in first.' });
    await next();
  });
