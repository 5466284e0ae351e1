import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { MailError, mailerFor } from '../mail.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { consumerReport } from '../report/consumer-report.js';
import { auditAs } from '../store/registry.js';
import { parseJson } from '../validate.js';
import { actor } from './customers.js';
import { instant } from './metering-points.js';
import { idParam } from './params.js';
import { rangeOf } from './readings.js';

// The consumer report by e-mail (M2): office staff answer a billing question by sending the
// consumer their consumption as a table, a chart and a CSV file. Mounted at /api.

export const MAX_RECIPIENTS = 10;

const EmailReport = z
  .object({
    recipients: z
      .array(z.email({ error: 'expected an e-mail address such as name@example.com' }), { error: 'expected a list of e-mail addresses' })
      .min(1, 'give at least one e-mail address')
      .max(MAX_RECIPIENTS, `at most ${MAX_RECIPIENTS} recipients`),
    from: instant,
    to: instant.optional(),
    resolution: z.enum(['hour', 'day', 'month', 'year'], { error: 'expected hour, day, month or year' }),
    register: z.enum(['energy', 'volume'], { error: 'expected energy or volume' }).optional()
  })
  .strict();

export const consumerReports = new Hono<AppEnv>().post('/metering-points/:id/report/email', requirePermission('export'), async (c) => {
  const id = idParam(c);
  const body = await parseJson(c, EmailReport);
  const { stores, now, env, db } = c.var.deps;
  const p = c.var.principal!;
  const { from, to } = rangeOf(body, now());
  const consumption = stores.readings.consumption(p.tenantId, id, from, to, body.resolution, body.register);
  if (!consumption) throw new HTTPException(404, { message: `No metering point ${id}.` });
  const point = stores.meteringPoints.get(p.tenantId, id);
  const customer = point.customer ? stores.customers.find(p.tenantId, point.customer.id) : undefined;
  const meters = consumption.installations
    .map((i) => ({ ...stores.meters.get(p.tenantId, i.meterId), from: i.from, to: i.to }))
    .sort((a, b) => b.from - a.from);
  const report = consumerReport(
    { customer: customer ? { name: customer.name, number: customer.number } : null, point, meters, utility: p.tenantName },
    consumption,
    from,
    to
  );
  try {
    const sent = await mailerFor(env).send({
      to: body.recipients,
      subject: report.subject,
      text: report.text,
      html: report.html,
      attachments: [{ filename: report.filename, content: report.csv, contentType: 'text/csv; charset=utf-8' }]
    });
    // the report holds personal data leaving the system: who sent what to whom (M19)
    auditAs(db, actor(c), now(), 'report.emailed', {
      meteringPointId: id,
      recipients: body.recipients,
      from,
      to,
      resolution: consumption.resolution,
      register: consumption.register,
      messageId: sent.messageId
    });
    return c.json({ ok: true, messageId: sent.messageId, accepted: sent.accepted, rejected: sent.rejected, subject: report.subject });
  } catch (err) {
    if (err instanceof MailError) return c.json({ error: err.message, reason: err.reason }, err.reason === 'not-configured' ? 409 : 502);
    throw err;
  }
});

describeRoute({
  method: 'post',
  path: '/api/metering-points/:id/report/email',
  tag: 'Readings',
  summary: 'E-mail a consumer report of a metering point',
  description:
    'Consumption per bucket from `from` to `to` (default now) as an HTML table with an inline chart, as plain text, and as a CSV ' +
    'attachment of the same rows; audited as report.emailed. 409 when mail is not set up (SMTP_URL), 502 when the mail server ' +
    'cannot be reached or refuses the message (reason: connection, authentication, rejected).',
  permission: 'export',
  body: EmailReport,
  response: '{ok: true, messageId, accepted: [], rejected: [], subject}; {error, reason} with 409 or 502'
});
