import { afterEach, describe, expect, it } from 'vitest';
import { mailerFor, MailError } from '../../server/src/mail';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { makeTestServer, request, useTempDir } from './helpers';

const tempDir = useTempDir();
const servers: TestSmtp[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
async function smtp(opts: { reject?: boolean } = {}) {
  const s = await startSmtp(opts);
  servers.push(s);
  return s;
}

describe('outgoing mail', () => {
  it('delivers a message with an attachment to a real SMTP server', async () => {
    const s = await smtp();
    const mailer = mailerFor({ SMTP_URL: s.url, MAIL_FROM: 'Readout <meters@utility.example>' });
    const sent = await mailer.send({
      to: ['office@utility.example'],
      subject: 'Readings for billing',
      text: 'See the file.',
      attachments: [{ filename: 'billing.csv', content: 'serial;energy\n71234567;12,345\n', contentType: 'text/csv' }]
    });
    expect(sent.accepted).toEqual(['office@utility.example']);
    const mail = await s.waitFor(1);
    expect(mail.subject).toBe('Readings for billing');
    expect(mail.from?.value[0]).toMatchObject({ name: 'Readout', address: 'meters@utility.example' });
    expect(mail.attachments[0].filename).toBe('billing.csv');
    expect(mail.attachments[0].content.toString('utf8')).toBe('serial;energy\n71234567;12,345\n');
  });

  it('says clearly when mail is not set up, the server is unreachable or refuses the recipient', async () => {
    await expect(mailerFor({ SMTP_URL: undefined, MAIL_FROM: 'x <x@y.z>' }).send({ to: ['a@b.c'], subject: 's', text: 't' })).rejects.toMatchObject({
      reason: 'not-configured'
    });
    const s = await smtp();
    const port = s.port;
    await s.close();
    servers.splice(0);
    const gone = mailerFor({ SMTP_URL: `smtp://127.0.0.1:${port}?tls=off`, MAIL_FROM: 'x <x@y.z>' });
    const err = await gone.send({ to: ['a@b.c'], subject: 's', text: 't' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailError);
    expect((err as MailError).reason).toBe('connection');
    expect((err as MailError).message).toContain(`127.0.0.1:${port}`);
    const refusing = await smtp({ reject: true });
    const refused = await mailerFor({ SMTP_URL: refusing.url, MAIL_FROM: 'x <x@y.z>' })
      .send({ to: ['nobody@utility.example'], subject: 's', text: 't' })
      .catch((e: unknown) => e);
    expect((refused as MailError).reason).toBe('rejected');
    expect((refused as MailError).message).toContain('nobody@utility.example');
  });

  it('shows the mail status and sends a test message from the settings API', async () => {
    const s = await smtp();
    const server = await makeTestServer(tempDir(), { SMTP_URL: s.url, MAIL_FROM: 'Readout <meters@utility.example>' });
    try {
      const admin = await server.signIn('admin');
      const status = await request(server, 'GET', '/api/settings/mail', { cookie: admin });
      expect(await status.json()).toEqual({ configured: true, server: `127.0.0.1:${s.port}`, from: 'Readout <meters@utility.example>' });
      const bad = await request(server, 'POST', '/api/settings/mail/test', { cookie: admin, body: { to: 'not an address' } });
      expect(bad.status).toBe(422);
      const ok = await request(server, 'POST', '/api/settings/mail/test', { cookie: admin, body: { to: 'office@utility.example' } });
      expect(ok.status).toBe(200);
      expect((await s.waitFor(1)).to).toMatchObject({ text: 'office@utility.example' });
      const reader = await server.as('user');
      expect((await request(server, 'GET', '/api/settings/mail', { cookie: reader })).status).toBe(403);
    } finally {
      server.close();
    }
  });

  it('answers 409 from the test endpoint when SMTP_URL is not set', async () => {
    const server = await makeTestServer(tempDir());
    try {
      const admin = await server.signIn('admin');
      const res = await request(server, 'POST', '/api/settings/mail/test', { cookie: admin, body: { to: 'office@utility.example' } });
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: string }).error).toContain('SMTP_URL');
    } finally {
      server.close();
    }
  });
});
