import { Hono } from 'hono';
import { z } from 'zod';
import { ALARM_KINDS, type AlarmKind } from '../../../shared/model/alarm.js';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { deliveriesOf, DELIVERY_STATUSES } from '../notify/deliveries.js';
import { notificationRulesChanged } from '../notify/notifier.js';
import { rulesOf } from '../notify/rules.js';
import { SmsError, smsSenderFor } from '../notify/sms.js';
import { describeRoute } from '../openapi.js';
import { parseJson } from '../validate.js';
import { actor } from './customers.js';
import { idParam, paging, parseQuery } from './params.js';

// Notification rules and their delivery log (M9), mounted under /api/notifications; the SMS
// gateway's status and test under /api/settings/sms beside /api/settings/mail. All of it needs
// "settings.manage": rules decide who outside the office hears about alarms.

const KIND_IDS = Object.keys(ALARM_KINDS) as [AlarmKind, ...AlarmKind[]];
/** E.164: "+", country code, subscriber number, at most 15 digits (ITU-T E.164 §6). */
const PHONE = /^\+[1-9]\d{6,14}$/;

const phone = z
  .string({ error: 'expected a phone number' })
  .transform((s) => s.replace(/[\s()-]/g, ''))
  .refine((s) => PHONE.test(s), 'expected a phone number in international form, such as +4512345678');

const RuleFields = {
  name: z.string({ error: 'expected text' }).trim().min(1, 'must not be empty').max(100, 'at most 100 characters'),
  kinds: z.array(z.enum(KIND_IDS, { error: `expected alarm kinds (${KIND_IDS.join(', ')})` })).max(KIND_IDS.length),
  minSeverity: z.enum(['critical', 'warning', 'info'], { error: 'expected critical, warning or info' }).nullable(),
  groupIds: z.array(z.number({ error: 'expected group ids' }).int().positive()).max(100, 'at most 100 groups'),
  emails: z.array(z.email({ error: 'expected e-mail addresses' }).max(200)).max(50, 'at most 50 addresses'),
  phones: z.array(phone).max(50, 'at most 50 phone numbers'),
  byEmail: z.boolean({ error: 'expected true or false' }),
  bySms: z.boolean({ error: 'expected true or false' }),
  mode: z.enum(['immediate', 'daily'], { error: 'expected immediate or daily' }),
  dailyAt: z
    .string({ error: 'expected a time of day such as 07:30' })
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day such as 07:30 (24-hour clock)')
    .nullable(),
  enabled: z.boolean({ error: 'expected true or false' })
};

const RuleInput = z
  .object({
    ...RuleFields,
    kinds: RuleFields.kinds.default([]),
    minSeverity: RuleFields.minSeverity.default(null),
    groupIds: RuleFields.groupIds.default([]),
    emails: RuleFields.emails.default([]),
    phones: RuleFields.phones.default([]),
    byEmail: RuleFields.byEmail.default(false),
    bySms: RuleFields.bySms.default(false),
    dailyAt: RuleFields.dailyAt.default(null),
    enabled: RuleFields.enabled.default(true)
  })
  .strict();
const RulePatch = z
  .object(RuleFields)
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' });

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date such as 2026-11-26');
const DeliveryQuery = z
  .object({
    status: z.enum(DELIVERY_STATUSES, { error: `expected ${DELIVERY_STATUSES.join(', ')}` }).optional(),
    rule: z.coerce.number({ error: 'expected a rule id' }).int().positive('expected a rule id').optional(),
    from: date.optional(),
    to: date.optional(),
    ...paging
  })
  .strict();

const TestSms = z.object({ to: phone }).strict();

export const notifications = new Hono<AppEnv>()
  .get('/rules', requirePermission('settings.manage'), (c) => {
    const { db, stores } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    return c.json({ rules: rulesOf(db).list(tenantId), timeZone: stores.settings.timeZone(tenantId) });
  })
  .get('/rules/:id', requirePermission('settings.manage'), (c) => {
    return c.json({ rule: rulesOf(c.var.deps.db).get(c.var.principal!.tenantId, idParam(c)) });
  })
  .post('/rules', requirePermission('settings.manage'), async (c) => {
    const body = await parseJson(c, RuleInput);
    const { db, now } = c.var.deps;
    const rule = rulesOf(db).create(actor(c), body, now());
    notificationRulesChanged(db);
    return c.json({ rule }, 201);
  })
  .patch('/rules/:id', requirePermission('settings.manage'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, RulePatch);
    const { db, now } = c.var.deps;
    const rule = rulesOf(db).update(actor(c), id, body, now());
    notificationRulesChanged(db);
    return c.json({ rule });
  })
  .delete('/rules/:id', requirePermission('settings.manage'), (c) => {
    const { db, now } = c.var.deps;
    rulesOf(db).delete(actor(c), idParam(c), now());
    notificationRulesChanged(db);
    return c.json({ ok: true });
  })
  .get('/deliveries', requirePermission('settings.manage'), (c) => {
    const q = parseQuery(c, DeliveryQuery);
    const { db, stores } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    const range = q.from || q.to ? stores.readingDays.interval(tenantId, q.from ?? q.to!, q.to ?? q.from!) : null;
    const page = deliveriesOf(db).list(tenantId, {
      status: q.status,
      rule: q.rule,
      from: q.from ? range!.from : undefined,
      to: q.to ? range!.to : undefined,
      limit: q.limit,
      offset: q.offset
    });
    return c.json(page);
  });

export const smsSettings = new Hono<AppEnv>()
  .get('/sms', requirePermission('settings.manage'), (c) => {
    const sms = smsSenderFor(c.var.deps.env);
    return c.json({ configured: sms.configured, host: sms.host });
  })
  .post('/sms/test', requirePermission('settings.manage'), async (c) => {
    const { to } = await parseJson(c, TestSms);
    try {
      await smsSenderFor(c.var.deps.env).send(to, `Readout test SMS from ${c.var.principal!.tenantName}: SMS notifications reach this number.`);
      return c.json({ ok: true, to });
    } catch (err) {
      if (err instanceof SmsError) return c.json({ error: err.message, reason: err.reason }, err.reason === 'not-configured' ? 409 : 502);
      throw err;
    }
  });

const RULE =
  '{id, name, kinds, minSeverity, allMeters, groupIds, groups: [{id, name}], emails, phones, byEmail, bySms, mode: immediate|daily, dailyAt, enabled, createdAt, updatedAt}';

describeRoute(
  { method: 'get', path: '/api/notifications/rules', tag: 'Notifications', summary: 'Notification rules', permission: 'settings.manage', response: `{rules: [${RULE}], timeZone}` },
  { method: 'get', path: '/api/notifications/rules/:id', tag: 'Notifications', summary: 'One notification rule', permission: 'settings.manage', response: `{rule: ${RULE}}` },
  {
    method: 'post',
    path: '/api/notifications/rules',
    tag: 'Notifications',
    summary: 'Create a notification rule',
    description:
      'Alarms of the listed kinds (all kinds when empty) at minSeverity or worse (any when null; at least one of the two), for the meters of ' +
      'groupIds (all meters when empty), by e-mail and/or SMS (E.164 numbers). Mode "immediate" sends one message per ingest batch for alarms ' +
      'the rule had not seen active; "daily" a summary of active alarms at dailyAt on the utility clock. Audited.',
    permission: 'settings.manage',
    body: RuleInput,
    response: `{rule: ${RULE}}; 409 when the name is taken`,
    status: 201
  },
  { method: 'patch', path: '/api/notifications/rules/:id', tag: 'Notifications', summary: 'Change, enable or disable a rule', permission: 'settings.manage', body: RulePatch, response: `{rule: ${RULE}}` },
  { method: 'delete', path: '/api/notifications/rules/:id', tag: 'Notifications', summary: 'Delete a rule (its log rows stay)', permission: 'settings.manage', response: '{ok: true}' },
  {
    method: 'get',
    path: '/api/notifications/deliveries',
    tag: 'Notifications',
    summary: 'The delivery log, newest first',
    description: 'One row per message and recipient; from/to are calendar dates on the utility clock (to included).',
    permission: 'settings.manage',
    query: DeliveryQuery,
    response: '{items: [{id, ruleId, ruleName, channel: email|sms, recipient, subject, body, meters, status: queued|sent|retrying|failed, attempts, reason, createdAt, nextAt, sentAt, updatedAt}], total, limit, offset}'
  },
  { method: 'get', path: '/api/settings/sms', tag: 'Settings', summary: 'Whether the SMS gateway is set up (SMS_URL) and its host', permission: 'settings.manage', response: '{configured, host}' },
  {
    method: 'post',
    path: '/api/settings/sms/test',
    tag: 'Settings',
    summary: 'Send a test SMS',
    permission: 'settings.manage',
    body: TestSms,
    response: '{ok, to}; 409 when SMS is not set up, 502 with {error, reason} when the gateway fails'
  }
);
