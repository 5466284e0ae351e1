import nodemailer, { type Transporter } from 'nodemailer';
import type { Env } from './env.js';

// Outgoing mail (consumer reports M2, scheduled exports M13, notifications M9) through the SMTP
// server the operator names in SMTP_URL. The password lives in the environment, never in the
// database. Failures become a MailError with a sentence office staff can act on.

export interface OutgoingMail {
  to: string[];
  subject: string;
  text: string;
  html?: string;
  attachments?: { filename: string; content: string | Buffer; contentType?: string }[];
}

export interface MailResult {
  messageId: string;
  accepted: string[];
  rejected: string[];
}

export type MailFailure = 'not-configured' | 'connection' | 'authentication' | 'rejected';

export class MailError extends Error {
  constructor(
    message: string,
    readonly reason: MailFailure
  ) {
    super(message);
  }
}

export interface Mailer {
  /** Whether SMTP_URL is set. */
  readonly configured: boolean;
  /** "host:port" without credentials, for the Manager's status line; null when not configured. */
  readonly server: string | null;
  readonly from: string;
  send(mail: OutgoingMail): Promise<MailResult>;
}

const mailers = new Map<string, Mailer>();

/** The mailer for this environment (one transport per SMTP_URL and sender). */
export function mailerFor(env: Pick<Env, 'SMTP_URL' | 'MAIL_FROM'>): Mailer {
  const id = `${env.SMTP_URL ?? ''}\n${env.MAIL_FROM}`;
  let mailer = mailers.get(id);
  if (!mailer) {
    mailer = createMailer(env.SMTP_URL, env.MAIL_FROM);
    mailers.set(id, mailer);
  }
  return mailer;
}

function createMailer(url: string | undefined, from: string): Mailer {
  if (!url) {
    return {
      configured: false,
      server: null,
      from,
      send: () =>
        Promise.reject(new MailError('Mail is not set up on this server: the operator sets SMTP_URL (see the README).', 'not-configured'))
    };
  }
  const parsed = new URL(url);
  const secure = parsed.protocol === 'smtps:';
  const port = Number(parsed.port || (secure ? 465 : 587));
  const server = `${parsed.hostname}:${port}`;
  const transport: Transporter = nodemailer.createTransport({
    host: parsed.hostname,
    port,
    secure,
    auth: parsed.username ? { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // a local relay without a certificate (tests, an office relay) is named with ?tls=insecure
    tls: parsed.searchParams.get('tls') === 'insecure' ? { rejectUnauthorized: false } : undefined,
    ignoreTLS: parsed.searchParams.get('tls') === 'off'
  });
  return {
    configured: true,
    server,
    from,
    async send(mail) {
      if (!mail.to.length) throw new MailError('No recipient: give at least one e-mail address.', 'rejected');
      try {
        const info = await transport.sendMail({ from, ...mail });
        return {
          messageId: String(info.messageId),
          accepted: (info.accepted ?? []).map(String),
          rejected: (info.rejected ?? []).map(String)
        };
      } catch (err) {
        throw explain(err, server);
      }
    }
  };
}

/** nodemailer's error codes → the reason and a sentence for the Manager. */
function explain(err: unknown, server: string): MailError {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  const detail = e.response ?? e.message ?? String(err);
  if (e.code === 'EAUTH') return new MailError(`The mail server ${server} refused the user name or password (${detail}).`, 'authentication');
  if (e.code === 'ECONNECTION' || e.code === 'ETIMEDOUT' || e.code === 'ESOCKET' || e.code === 'EDNS' || e.code === 'ECONNREFUSED') {
    return new MailError(`Could not reach the mail server ${server}: ${e.message ?? detail}.`, 'connection');
  }
  return new MailError(`The mail server ${server} did not accept the message: ${detail}.`, 'rejected');
}
