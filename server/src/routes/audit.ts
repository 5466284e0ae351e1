import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { decodeCursor } from '../store/audit.js';
import { parseQuery } from './params.js';

// The audit trail (M19), read-only: there is no route that changes or removes an entry.

const instant = z
  .string()
  .transform((s, ctx) => {
    const ms = /^-?\d+$/.test(s) ? Number(s) : Date.parse(s);
    if (!Number.isSafeInteger(ms) || !/^-?\d+$|^\d{4}-\d\d-\d\d/.test(s)) {
      ctx.addIssue({ code: 'custom', message: `expected UTC milliseconds or an ISO 8601 date/time, got "${s.slice(0, 40)}"` });
      return z.NEVER;
    }
    return ms;
  });

const Query = z
  .object({
    from: instant.optional(),
    to: instant.optional(),
    userId: z.coerce.number({ error: 'expected a number' }).int('expected a whole number').positive('expected a positive number').optional(),
    /** An exact type ('auth.sign-in'), or a prefix ending in '.' or '*' ('auth.', 'user.pass*'). */
    event: z.string().min(1, 'expected an event type').max(100, 'at most 100 characters').optional(),
    limit: z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(1).max(500).default(100),
    cursor: z
      .string()
      .transform((s, ctx) => decodeCursor(s) ?? (ctx.addIssue({ code: 'custom', message: 'expected the nextCursor of a previous page' }), z.NEVER))
      .optional()
  })
  .strict();

export const auditLog = new Hono<AppEnv>().get('/', requirePermission('audit.read'), (c) => {
  const q = parseQuery(c, Query);
  const prefix = q.event !== undefined && (q.event.endsWith('.') || q.event.endsWith('*'));
  const event = prefix ? q.event!.replace(/\*$/, '') : q.event;
  const page = c.var.deps.stores.audit.query(c.var.principal!.tenantId, {
    from: q.from,
    to: q.to,
    userId: q.userId,
    event: event === '' ? undefined : event,
    prefix,
    limit: q.limit,
    cursor: q.cursor
  });
  return c.json(page);
});

describeRoute({
  method: 'get',
  path: '/api/audit',
  tag: 'Audit',
  summary: 'The audit trail of your utility, newest first',
  description:
    'Filter by period (from inclusive, to exclusive), user and event type: an exact type ("auth.sign-in") or a prefix ending in . or * ' +
    '("auth.", "user.pass*"). Page with the nextCursor of the previous page. Entries cannot be changed or removed.',
  permission: 'audit.read',
  query: Query,
  response: '{entries: [{id, at, event, userId, userLogin, actor, device, details}], nextCursor}'
});
