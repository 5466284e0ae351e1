import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deliveriesOf } from '../../server/src/notify/deliveries';
import { Notifier } from '../../server/src/notify/notifier';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { makeTestServer, useTempDir, type TestServer } from './helpers';
import { addWaterMeter, ingest, INFO, settled, startGateway, type Gateway } from './notify-support';
import { apiClient } from './registry-client';

// Notification rules (M9) end to end inside the server: rules through the API (422s,
// permissions, audit), alarm onsets from real MULTICAL 21 telegrams ingested through
// /api/ingest/frames, e-mail to a real SMTP server, SMS to a local HTTP gateway, and a daily
// summary driven with a fixed clock. The utility's zone is Europe/Copenhagen (the default): in
// September 2026 CEST, UTC+2. The test clock starts at 1_790_000_000_000 = 2026-09-21 14:13:20 UTC.

const tempDir = useTempDir();
let server: TestServer;
let smtp: TestSmtp;
let gateway: Gateway;
let notifier: Notifier;
let call: ReturnType<typeof apiClient>;
let admin: string;
const HOUR = 3_600_000;
let T: number;
const meter: Record<string, number> = {};
let group: number;

const LEAK_RULE = { name: 'Leaks at once', kinds: ['leak', 'burst'], emails: ['ops@utility.example'], phones: ['+45 12 34 56 78'], byEmail: true, bySms: true, mode: 'immediate' };

beforeAll(async () => {
  smtp = await startSmtp();
  gateway = await startGateway(200);
  server = await makeTestServer(tempDir(), { SMTP_URL: smtp.url, SMS_URL: gateway.url, SMS_TOKEN: 'tok-123', NOTIFY_RETRY_MS: '20' });
  T = server.clock.now - 2 * HOUR;
  call = apiClient(server);
  admin = await server.as('administrator');
  meter.a = await addWaterMeter(server, admin, '61000001', 'Søndergade 1', T - 24 * HOUR);
  meter.b = await addWaterMeter(server, admin, '61000002', 'Vestergade 2', T - 24 * HOUR);
  meter.c = await addWaterMeter(server, admin, '61000003', 'Nørregade 3', T - 24 * HOUR);
  group = (await call(admin, 'POST', '/api/groups', { name: 'North' })).json.group.id;
  await call(admin, 'POST', `/api/groups/${group}/members`, { meterIds: [meter.c] });
  notifier = new Notifier({ db: server.db, stores: server.stores, env: server.env, now: () => Date.now() }).start();
});
afterAll(async () => {
  notifier.stop();
  server.close();
  await smtp.close();
  await gateway.close();
});

describe('rules', () => {
  test('a rule is created, listed, changed and deleted, each change audited with who and what', async () => {
    const created = await call(admin, 'POST', '/api/notifications/rules', { ...LEAK_RULE, name: 'Audit me' });
    expect(created.status).toBe(201);
    const rule = created.json.rule;
    expect(rule).toMatchObject({ name: 'Audit me', kinds: ['leak', 'burst'], phones: ['+4512345678'], allMeters: true, mode: 'immediate', enabled: true, dailyAt: null });
    const changed = await call(admin, 'PATCH', `/api/notifications/rules/${rule.id}`, { mode: 'daily', dailyAt: '07:30', groupIds: [group] });
    expect(changed.status).toBe(200);
    expect(changed.json.rule).toMatchObject({ mode: 'daily', dailyAt: '07:30', allMeters: false, groups: [{ id: group, name: 'North' }] });
    expect((await call(admin, 'GET', '/api/notifications/rules')).json.rules.map((r: { name: string }) => r.name)).toContain('Audit me');
    expect((await call(admin, 'DELETE', `/api/notifications/rules/${rule.id}`)).status).toBe(200);
    expect((await call(admin, 'GET', `/api/notifications/rules/${rule.id}`)).status).toBe(404);
    const audit = server.db
      .prepare("select event, actor, details from audit_entry where event like 'notification-rule.%' order by id")
      .all() as { event: string; actor: string; details: string }[];
    expect(audit.map((a) => a.event)).toEqual(['notification-rule.created', 'notification-rule.changed', 'notification-rule.deleted']);
    expect(audit[0].actor).toBe('administrator@demo-utility');
    expect(JSON.parse(audit[1].details).changes).toEqual({ groups: ['all meters', 'North'], mode: ['immediate', 'daily'], dailyAt: [null, '07:30'] });
  });

  test('bad rules are refused with 422 naming the field; nothing is stored', async () => {
    const bad: [unknown, string][] = [
      [{ ...LEAK_RULE, name: '' }, 'name'],
      [{ ...LEAK_RULE, kinds: ['flood'] }, 'kinds.0'],
      [{ ...LEAK_RULE, kinds: [], minSeverity: null }, 'kinds'],
      [{ ...LEAK_RULE, emails: ['not-an-address'] }, 'emails.0'],
      [{ ...LEAK_RULE, phones: ['12345678'] }, 'phones.0'],
      [{ ...LEAK_RULE, byEmail: false, bySms: false }, 'byEmail'],
      [{ ...LEAK_RULE, emails: [] }, 'emails'],
      [{ ...LEAK_RULE, mode: 'daily' }, 'dailyAt'],
      [{ ...LEAK_RULE, mode: 'daily', dailyAt: '24:00' }, 'dailyAt'],
      [{ ...LEAK_RULE, groupIds: [9999] }, 'groupIds'],
      [{ ...LEAK_RULE, colour: 'red' }, '']
    ];
    for (const [body, field] of bad) {
      const res = await call(admin, 'POST', '/api/notifications/rules', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      if (field) expect(res.json.fields.map((f: { field: string }) => f.field), JSON.stringify(body)).toContain(field);
    }
    expect(res422(await call(admin, 'GET', '/api/notifications/deliveries?status=lost'))).toBe('status');
    expect(res422(await call(admin, 'GET', '/api/notifications/deliveries?from=26.11.2026'))).toBe('from');
    expect((await call(admin, 'GET', '/api/notifications/rules')).json.rules).toEqual([]);
    expect((await call(admin, 'POST', '/api/settings/sms/test', { to: '555' })).status).toBe(422);
    // a change is checked against the whole rule: the rule is unchanged after each refusal
    const rule = (await call(admin, 'POST', '/api/notifications/rules', { ...LEAK_RULE, name: 'Kept' })).json.rule;
    expect(res422(await call(admin, 'PATCH', `/api/notifications/rules/${rule.id}`, {}))).toBe('');
    expect(res422(await call(admin, 'PATCH', `/api/notifications/rules/${rule.id}`, { byEmail: false, bySms: false }))).toBe('byEmail');
    expect(res422(await call(admin, 'PATCH', `/api/notifications/rules/${rule.id}`, { mode: 'daily' }))).toBe('dailyAt');
    expect(res422(await call(admin, 'PATCH', `/api/notifications/rules/${rule.id}`, { phones: [] }))).toBe('phones');
    expect(res422(await call(admin, 'PATCH', '/api/notifications/rules/abc', { enabled: false }))).toBe('id');
    expect((await call(admin, 'GET', `/api/notifications/rules/${rule.id}`)).json.rule).toEqual(rule);
    expect((await call(admin, 'POST', '/api/notifications/rules', { ...LEAK_RULE, name: 'Kept' })).status).toBe(409);
    expect((await call(admin, 'DELETE', `/api/notifications/rules/${rule.id}`)).status).toBe(200);
  });

  test('rules and the log need settings.manage; another utility sees none of them', async () => {
    const user = await server.as('user');
    const superuser = await server.as('superuser');
    for (const cookie of [user, superuser]) {
      expect((await call(cookie, 'GET', '/api/notifications/rules')).status).toBe(403);
      expect((await call(cookie, 'POST', '/api/notifications/rules', LEAK_RULE)).status).toBe(403);
      expect((await call(cookie, 'GET', '/api/notifications/deliveries')).status).toBe(403);
      expect((await call(cookie, 'GET', '/api/settings/sms')).status).toBe(403);
    }
    const created = (await call(admin, 'POST', '/api/notifications/rules', { ...LEAK_RULE, name: 'Private' })).json.rule;
    const other = await server.as('administrator', 'Other Utility');
    expect((await call(other, 'GET', '/api/notifications/rules')).json.rules).toEqual([]);
    expect((await call(other, 'PATCH', `/api/notifications/rules/${created.id}`, { enabled: false })).status).toBe(404);
    expect((await call(admin, 'DELETE', `/api/notifications/rules/${created.id}`)).status).toBe(200);
  });
});

const res422 = (r: { status: number; json: { fields: { field: string }[] } }) => (r.status === 422 ? r.json.fields[0].field : `status ${r.status}`);

describe('at once', () => {
  test('an alarm onset sends one message per rule and batch; the same alarm again does not; cleared and returned does', async () => {
    const rule = (await call(admin, 'POST', '/api/notifications/rules', LEAK_RULE)).json.rule;
    const north = (await call(admin, 'POST', '/api/notifications/rules', { name: 'North dry', kinds: ['dry'], groupIds: [group], emails: ['north@utility.example'], byEmail: true, mode: 'immediate' })).json.rule;
    const mailsBefore = smtp.messages.length;

    // meters a (leak) and b (burst) in one batch, c only dry (not the leak rule's kinds, but North's)
    await ingest(server, admin, T, [{ serial: '61000001', info: INFO.leak }, { serial: '61000002', info: INFO.burst }, { serial: '61000003', info: INFO.dry }]);
    let log = await settled(server);
    expect(log.map((d) => [d.ruleName, d.channel, d.recipient, d.status, d.attempts, d.meters]).sort()).toEqual([
      ['Leaks at once', 'email', 'ops@utility.example', 'sent', 1, 2],
      ['Leaks at once', 'sms', '+4512345678', 'sent', 1, 2],
      ['North dry', 'email', 'north@utility.example', 'sent', 1, 1]
    ]);
    await smtp.waitFor(mailsBefore + 2);
    const leakMail = smtp.messages.slice(mailsBefore).find((m) => m.subject?.includes('Leaks at once'))!;
    expect(leakMail.subject).toBe('Readout alarm: Leak, Burst at 2 meters (rule "Leaks at once")');
    expect(leakMail.to && 'text' in leakMail.to ? leakMail.to.text : '').toBe('ops@utility.example');
    const since = '2026-09-21 14:13'; // T = 12:13:20 UTC
    expect(leakMail.text).toContain(`- Søndergade 1, 8000: meter KAM 61000001: Leak since ${since}`);
    expect(leakMail.text).toContain(`- Vestergade 2, 8000: meter KAM 61000002: Burst since ${since}`);
    expect(leakMail.text).not.toContain('61000003');
    expect(gateway.received).toHaveLength(1);
    expect(gateway.received[0].headers.authorization).toBe('Bearer tok-123');
    expect(gateway.received[0].headers['content-type']).toBe('application/json');
    expect(gateway.received[0].body).toEqual({ to: '+4512345678', text: 'Readout: Leak at Søndergade 1, 8000 (KAM 61000001) +1 more meter. Rule Leaks at once' });
    const northMail = smtp.messages.slice(mailsBefore).find((m) => m.subject?.includes('North dry'))!;
    expect(northMail.text).toContain('Nørregade 3, 8000: meter KAM 61000003: Dry (no water in meter)');

    // the same alarms an hour later: nothing new
    await ingest(server, admin, T + HOUR, [{ serial: '61000001', info: INFO.leak }, { serial: '61000002', info: INFO.burst }, { serial: '61000003', info: INFO.dry }]);
    expect(await settled(server)).toHaveLength(3);

    // a's leak clears, b stays; then a's leak returns: one message for a alone
    await ingest(server, admin, T + 2 * HOUR - 60_000, [{ serial: '61000001', info: 0 }]);
    expect(await settled(server)).toHaveLength(3);
    await ingest(server, admin, T + 2 * HOUR, [{ serial: '61000001', info: INFO.leak }, { serial: '61000002', info: INFO.burst }]);
    log = await settled(server);
    expect(log).toHaveLength(5);
    const newest = log.filter((d) => d.channel === 'email' && d.ruleId === rule.id)[0];
    expect(newest).toMatchObject({ status: 'sent', meters: 1, subject: 'Readout alarm: Leak at 1 meter (rule "Leaks at once")' });
    const returned = '2026-09-21 16:13';
    expect(newest.body).toContain(`meter KAM 61000001: Leak since ${returned}`);
    expect(newest.body).not.toContain('61000002');
    expect(north.id).toBeGreaterThan(0);

    // a disabled rule says nothing
    await call(admin, 'PATCH', `/api/notifications/rules/${rule.id}`, { enabled: false });
    await ingest(server, admin, T + 2 * HOUR + 60_000, [{ serial: '61000001', info: 0 }]);
    await ingest(server, admin, T + 2 * HOUR + 120_000, [{ serial: '61000001', info: INFO.leak }]);
    expect(await settled(server)).toHaveLength(5);

    // the log through the API: newest first, filtered by rule and status, paged
    const page = await call(admin, 'GET', `/api/notifications/deliveries?rule=${north.id}&status=sent&limit=10`);
    expect(page.status).toBe(200);
    expect(page.json.total).toBe(1);
    expect(page.json.items[0]).toMatchObject({ ruleName: 'North dry', recipient: 'north@utility.example', status: 'sent', attempts: 1, reason: null });
    const all = (await call(admin, 'GET', '/api/notifications/deliveries?limit=2')).json;
    expect(all.total).toBe(5);
    expect(all.items[0].createdAt).toBeGreaterThanOrEqual(all.items[1].createdAt);
    const day = new Date(server.clock.now).toISOString().slice(0, 10);
    expect((await call(admin, 'GET', `/api/notifications/deliveries?from=${day}&to=${day}`)).json.total).toBe(5);
    expect((await call(admin, 'GET', '/api/notifications/deliveries?from=2020-01-01&to=2020-01-31')).json.total).toBe(0);
    await call(admin, 'DELETE', `/api/notifications/rules/${rule.id}`);
    await call(admin, 'DELETE', `/api/notifications/rules/${north.id}`);
    // deleting a rule keeps its log rows and their rule name
    expect(deliveriesOf(server.db).list(1, { limit: 10, offset: 0 }).items.every((d) => d.ruleId === null && d.ruleName)).toBe(true);
  });
});

describe('daily', () => {
  test('a daily rule mails a summary of the alarms active at its time, and nothing when none are', async () => {
    const rule = (await call(admin, 'POST', '/api/notifications/rules', { name: 'Morning', minSeverity: 'critical', emails: ['morning@utility.example'], byEmail: true, mode: 'daily', dailyAt: '07:30' })).json.rule;
    const next = notifier.nextRuns().get(rule.id)!;
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Copenhagen', hour: '2-digit', minute: '2-digit' }).format(next)).toBe('07:30');
    expect(next).toBeGreaterThan(Date.now());
    const before = deliveriesOf(server.db).list(1, { limit: 500, offset: 0 }).total;
    const at = Date.parse('2026-09-22T05:30:00Z'); // 07:30 CEST
    // active now: a leak (critical), b burst (critical), c dry (warning, below the rule's severity)
    expect(notifier.runDaily(1, rule.id, at)).toBe(1);
    const [summary] = (await settled(server)).filter((d) => d.ruleId === rule.id);
    expect(summary).toMatchObject({ status: 'sent', meters: 2, subject: 'Readout daily summary 2026-09-22: 2 meters with alarms (rule "Morning")' });
    expect(summary.body).toContain('Alarms active at 2 meters at 2026-09-22 07:30 (Europe/Copenhagen):');
    expect(summary.body).toContain('Søndergade 1, 8000: meter KAM 61000001: Leak since');
    expect(summary.body).toContain('Vestergade 2, 8000: meter KAM 61000002: Burst since');
    const mail = await smtp.waitFor(smtp.messages.length);
    expect(mail.subject).toBe(summary.subject);
    // all clear: no message
    await ingest(server, admin, T + 3 * HOUR, [{ serial: '61000001', info: 0 }, { serial: '61000002', info: 0 }]);
    expect(notifier.runDaily(1, rule.id, at + 24 * HOUR)).toBe(0);
    expect(deliveriesOf(server.db).list(1, { limit: 500, offset: 0 }).total).toBe(before + 1);
    // a disabled rule leaves the schedule
    await call(admin, 'PATCH', `/api/notifications/rules/${rule.id}`, { enabled: false });
    expect(notifier.nextRuns().has(rule.id)).toBe(false);
  });
});

describe('baseline', () => {
  test('alarms already standing when a rule is made are not news; one that begins afterwards is', async () => {
    // meter c has been dry since the at-once test; a and b are clear
    const rule = (await call(admin, 'POST', '/api/notifications/rules', { name: 'Dry', kinds: ['dry'], emails: ['dry@utility.example'], byEmail: true, mode: 'immediate' })).json.rule;
    const mine = async () => (await settled(server)).filter((d) => d.ruleId === rule.id);
    await ingest(server, admin, T + 4 * HOUR, [{ serial: '61000003', info: INFO.dry }]);
    expect(await mine()).toEqual([]);
    await ingest(server, admin, T + 5 * HOUR, [{ serial: '61000001', info: INFO.dry }, { serial: '61000003', info: INFO.dry }]);
    const sent = await mine();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ status: 'sent', meters: 1 });
    expect(sent[0].body).toContain('meter KAM 61000001: Dry (no water in meter)');
    expect(sent[0].body).not.toContain('61000003');
    // paused, the alarm clears and returns: enabled again, the rule starts from what stands then
    await call(admin, 'PATCH', `/api/notifications/rules/${rule.id}`, { enabled: false });
    await ingest(server, admin, T + 6 * HOUR, [{ serial: '61000002', info: INFO.dry }]);
    await call(admin, 'PATCH', `/api/notifications/rules/${rule.id}`, { enabled: true });
    await ingest(server, admin, T + 7 * HOUR, [{ serial: '61000002', info: INFO.dry }]);
    expect(await mine()).toHaveLength(1);
  });
});
