import { Hono } from 'hono';
import { z } from 'zod';
import { actorOf } from '../auth/principal.js';
import type { AppEnv } from '../context.js';
import { runThinning, THINNING } from '../jobs/thinning.js';
import { MailError, mailerFor } from '../mail.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { parseJson, rejectField } from '../validate.js';
import { paging, parseQuery } from './params.js';

// Per-utility settings (thinning, M18) and the jobs that act on them.

const Thinning = z
  .object({
    keepAllDays: z.number({ error: 'expected a number of days' }).int('expected whole days').min(1).max(36_500).optional(),
    keepDailyYears: z.number({ error: 'expected a number of years' }).int('expected whole years').min(1).max(100).optional(),
    runAt: z
      .string({ error: 'expected a time of day such as 03:00' })
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day such as 03:00 (24-hour clock)')
      .optional()
  })
  .strict();

const TestMail = z.object({ to: z.email({ error: 'expected an e-mail address' }) }).strict();

const RunsQuery = z.object({ kind: z.string().max(50).optional(), ...paging }).strict();

export const settings = new Hono<AppEnv>()
  .get('/thinning', requirePermission('settings.manage'), (c) => {
    const { stores } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    return c.json({ thinning: stores.settings.thinning(tenantId), lastRun: stores.jobs.last(tenantId, THINNING) });
  })
  .put('/thinning', requirePermission('settings.manage'), async (c) => {
    const body = await parseJson(c, Thinning);
    const { stores, now } = c.var.deps;
    const p = c.var.principal!;
    const next = { ...stores.settings.thinning(p.tenantId) };
    if (body.keepAllDays !== undefined) next.keepAllDays = body.keepAllDays;
    if (body.keepDailyYears !== undefined) next.keepDailyYears = body.keepDailyYears;
    if (body.runAt !== undefined) next.runAt = body.runAt;
    if (next.keepDailyYears * 365 < next.keepAllDays) {
      rejectField('keepDailyYears', `must cover at least keepAllDays (${next.keepAllDays} days)`);
    }
    const saved = stores.settings.setThinning(actorOf(p, c.req.header('user-agent') ?? null), next, now());
    return c.json({ thinning: saved });
  })
  .get('/mail', requirePermission('settings.manage'), (c) => {
    const mailer = mailerFor(c.var.deps.env);
    return c.json({ configured: mailer.configured, server: mailer.server, from: mailer.from });
  })
  .post('/mail/test', requirePermission('settings.manage'), async (c) => {
    const { to } = await parseJson(c, TestMail);
    const mailer = mailerFor(c.var.deps.env);
    try {
      const sent = await mailer.send({
        to: [to],
        subject: 'Readout: test message',
        text: `This message was sent by Readout (${c.var.principal!.tenantName}) to check that mail reaches you.\n`
      });
      return c.json({ ok: true, messageId: sent.messageId, accepted: sent.accepted });
    } catch (err) {
      if (err instanceof MailError) return c.json({ error: err.message, reason: err.reason }, err.reason === 'not-configured' ? 409 : 502);
      throw err;
    }
  });

export const jobs = new Hono<AppEnv>()
  .post('/thinning/run', requirePermission('settings.manage'), (c) => {
    const { db, stores, now } = c.var.deps;
    const p = c.var.principal!;
    const result = runThinning(
      { db, readings: stores.readings, settings: stores.settings, jobs: stores.jobs },
      p.tenantId,
      actorOf(p, c.req.header('user-agent') ?? null),
      now()
    );
    return c.json(result);
  })
  .get('/runs', requirePermission('settings.manage'), (c) => {
    const q = parseQuery(c, RunsQuery);
    const runs = c.var.deps.stores.jobs.list(c.var.principal!.tenantId, q);
    return c.json({ runs, limit: q.limit, offset: q.offset });
  });

describeRoute(
  {
    method: 'get',
    path: '/api/settings/thinning',
    tag: 'Settings',
    summary: 'How long readings and raw frames are kept',
    permission: 'settings.manage',
    response: '{thinning: {keepAllDays, keepDailyYears, runAt}, lastRun}'
  },
  {
    method: 'put',
    path: '/api/settings/thinning',
    tag: 'Settings',
    summary: 'Change how long readings and raw frames are kept',
    description:
      'All readings for keepAllDays (default 396, 13 months), then the last reading of each day up to keepDailyYears (default 5), ' +
      'nothing older. The daily run starts after runAt on the utility\'s clock (default 03:00). Fields left out keep their value.',
    permission: 'settings.manage',
    body: Thinning,
    response: '{thinning}'
  },
  {
    method: 'get',
    path: '/api/settings/mail',
    tag: 'Settings',
    summary: 'Whether outgoing mail is set up (SMTP_URL), the server and the sender',
    permission: 'settings.manage',
    response: '{configured, server: "host:port" | null, from}'
  },
  {
    method: 'post',
    path: '/api/settings/mail/test',
    tag: 'Settings',
    summary: 'Send a test message',
    permission: 'settings.manage',
    body: TestMail,
    response: '{ok, messageId, accepted}; 409 when mail is not set up, 502 with {error, reason} when the mail server fails'
  },
  {
    method: 'post',
    path: '/api/jobs/thinning/run',
    tag: 'Settings',
    summary: 'Run thinning now',
    permission: 'settings.manage',
    response: '{runId, keepAllDays, keepDailyYears, keepAllFrom, keepDailyFrom, days, readingsDeleted, framesDeleted}'
  },
  {
    method: 'get',
    path: '/api/jobs/runs',
    tag: 'Settings',
    summary: 'Runs of jobs, newest first',
    permission: 'settings.manage',
    query: RunsQuery,
    response: '{runs: [{id, kind, startedAt, finishedAt, status, message, result}], limit, offset}'
  }
);
