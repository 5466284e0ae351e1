import { afterEach, describe, expect, test } from 'vitest';
import { deliveriesOf } from '../../server/src/notify/deliveries';
import { Notifier } from '../../server/src/notify/notifier';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { makeTestServer, useTempDir, type TestServer } from './helpers';
import { addWaterMeter, closedUrl, ingest, INFO, settled, startGateway, type Gateway } from './notify-support';
import { apiClient } from './registry-client';

// Delivery of notifications (M9) when the far end fails: an SMS gateway answering 500, one where
// nothing listens, a mail server refusing the recipient, mail or SMS not set up. The log keeps
// status, attempts and the reason in words; retries wait NOTIFY_RETRY_MS (20 ms here), then
// twice that; rows still pending when the server stopped are sent when it starts again.

const tempDir = useTempDir();
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

const HOUR = 3_600_000;

/** A server with one leak rule to `+4511223344` and `ops@utility.example`, and one meter. */
async function setup(env: Record<string, string>, rule: Record<string, unknown> = {}, dir = tempDir()) {
  const server: TestServer = await makeTestServer(dir, { NOTIFY_RETRY_MS: '20', ...env });
  const call = apiClient(server);
  const admin = await server.as('administrator');
  const T = server.clock.now - HOUR;
  await addWaterMeter(server, admin, '62000001', 'Havnegade 7', T - 24 * HOUR);
  const body = { name: 'Leaks', kinds: ['leak'], phones: ['+4511223344'], emails: ['ops@utility.example'], bySms: true, byEmail: false, mode: 'immediate', ...rule };
  expect((await call(admin, 'POST', '/api/notifications/rules', body)).status).toBe(201);
  const notifier = new Notifier({ db: server.db, stores: server.stores, env: server.env, now: () => Date.now() });
  open.push({ close: () => server.close() }, { close: () => notifier.stop() });
  return { server, call, admin, T, notifier };
}

async function track<T extends { close(): unknown }>(x: Promise<T>): Promise<T> {
  const v = await x;
  open.push(v);
  return v;
}

describe('SMS gateway', () => {
  test('a gateway answering 500 is tried three times, then the message failed with its answer', async () => {
    const gateway: Gateway = await track(startGateway(500));
    const { server, admin, T, notifier } = await setup({ SMS_URL: gateway.url });
    notifier.start();
    await ingest(server, admin, T, [{ serial: '62000001', info: INFO.leak }]);
    const [d] = await settled(server);
    expect(d).toMatchObject({ channel: 'sms', recipient: '+4511223344', status: 'failed', attempts: 3 });
    expect(d.reason).toBe('SMS service answered 500 Internal Server Error: upstream operator unavailable.');
    expect(gateway.received).toHaveLength(3);
    // backoff: NOTIFY_RETRY_MS, then twice that
    expect(gateway.received[1].at - gateway.received[0].at).toBeGreaterThanOrEqual(20);
    expect(gateway.received[2].at - gateway.received[1].at).toBeGreaterThanOrEqual(40);
    expect(gateway.received[0].headers.authorization).toBeUndefined();
    expect(gateway.received.every((r) => r.body.to === '+4511223344' && r.body.text.length <= 160)).toBe(true);
  });

  test('a gateway where nothing listens: "connection to SMS service failed", three attempts', async () => {
    const url = await closedUrl();
    const { server, call, admin, T, notifier } = await setup({ SMS_URL: url });
    notifier.start();
    await ingest(server, admin, T, [{ serial: '62000001', info: INFO.leak }]);
    const [d] = await settled(server);
    expect(d).toMatchObject({ status: 'failed', attempts: 3 });
    expect(d.reason).toMatch(/^Connection to SMS service failed \(127\.0\.0\.1:\d+: ECONNREFUSED\)\.$/);
    // the test button says the same
    const test = await call(admin, 'POST', '/api/settings/sms/test', { to: '+4511223344' });
    expect(test.status).toBe(502);
    expect(test.json).toMatchObject({ reason: 'connection' });
    expect((await call(admin, 'GET', '/api/notifications/deliveries?status=failed')).json.items[0].reason).toBe(d.reason);
  });

  test('SMS settings show the host only, and the test SMS reaches the gateway', async () => {
    const gateway: Gateway = await track(startGateway(200));
    const { call, admin } = await setup({ SMS_URL: gateway.url.replace('http://', 'http://user:secret@') });
    const status = await call(admin, 'GET', '/api/settings/sms');
    expect(status.json).toEqual({ configured: true, host: new URL(gateway.url).host });
    expect(status.text).not.toContain('secret');
    const sent = await call(admin, 'POST', '/api/settings/sms/test', { to: '+45 11 22 33 44' });
    expect(sent.status).toBe(200);
    expect(gateway.received[0].body).toEqual({ to: '+4511223344', text: 'Readout test SMS from Demo Utility: SMS notifications reach this number.' });
    // credentials in SMS_URL go as HTTP Basic (RFC 7617), never in the status
    expect(gateway.received[0].headers.authorization).toBe(`Basic ${Buffer.from('user:secret').toString('base64')}`);
  });

  test('without SMS_URL: not configured, the message fails at once with the reason', async () => {
    const { server, call, admin, T, notifier } = await setup({});
    notifier.start();
    expect((await call(admin, 'GET', '/api/settings/sms')).json).toEqual({ configured: false, host: null });
    expect((await call(admin, 'POST', '/api/settings/sms/test', { to: '+4511223344' })).status).toBe(409);
    await ingest(server, admin, T, [{ serial: '62000001', info: INFO.leak }]);
    const [d] = await settled(server);
    expect(d).toMatchObject({ status: 'failed', attempts: 1, reason: 'SMS is not set up on this server: the operator sets SMS_URL (see the README).' });
  });
});

describe('e-mail', () => {
  test('a mail server refusing the recipient: failed at once, the refusal in the reason', async () => {
    const smtp: TestSmtp = await track(startSmtp({ reject: true }));
    const { server, admin, T, notifier } = await setup({ SMTP_URL: smtp.url }, { bySms: false, byEmail: true });
    notifier.start();
    await ingest(server, admin, T, [{ serial: '62000001', info: INFO.leak }]);
    const [d] = await settled(server);
    expect(d).toMatchObject({ channel: 'email', recipient: 'ops@utility.example', status: 'failed', attempts: 1 });
    expect(d.reason).toMatch(/^The mail server refused the recipient ops@utility\.example: .*550 mailbox ops@utility\.example unavailable/);
  });

  test('without SMTP_URL: "E-mail is not configured"', async () => {
    const { server, admin, T, notifier } = await setup({}, { bySms: false, byEmail: true });
    notifier.start();
    await ingest(server, admin, T, [{ serial: '62000001', info: INFO.leak }]);
    const [d] = await settled(server);
    expect(d).toMatchObject({ status: 'failed', attempts: 1, reason: 'E-mail is not configured: the operator sets SMTP_URL (see the README).' });
  });

  test('messages queued while no sender ran are sent when the server starts again', async () => {
    const smtp: TestSmtp = await track(startSmtp());
    const dir = tempDir();
    const first = await setup({ SMTP_URL: smtp.url }, { bySms: false, byEmail: true }, dir);
    // evaluated, but the sender of this server has stopped before sending
    first.notifier.stop();
    expect(first.notifier.readingsArrived(1, [1], first.T)).toBe(0); // no reading yet: nothing
    await ingest(first.server, first.admin, first.T, [{ serial: '62000001', info: INFO.leak }]);
    const meterId = (first.server.db.prepare("select id from meter where serial = '62000001'").get() as { id: number }).id;
    first.server.db.prepare('delete from notification_state').run();
    expect(first.notifier.readingsArrived(1, [meterId], first.T)).toBe(1);
    expect(deliveriesOf(first.server.db).list(1, { limit: 10, offset: 0 }).items[0]).toMatchObject({ status: 'queued', attempts: 0 });
    first.server.close();

    const again = await makeTestServer(dir, { SMTP_URL: smtp.url, NOTIFY_RETRY_MS: '20' });
    const notifier = new Notifier({ db: again.db, stores: again.stores, env: again.env, now: () => Date.now() }).start();
    open.push({ close: () => again.close() }, { close: () => notifier.stop() });
    const [d] = await settled(again);
    expect(d).toMatchObject({ status: 'sent', attempts: 1, channel: 'email' });
    const mail = await smtp.waitFor(1);
    expect(mail.text).toContain('Havnegade 7, 8000: meter KAM 62000001: Leak since');
  });
});
