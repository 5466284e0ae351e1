import type { Env } from '../env.js';

// Outgoing SMS (M9) through the HTTP gateway the operator names in SMS_URL: one POST per message
// with the JSON {"to": "+4512345678", "text": "…"} and, when SMS_TOKEN is set, the header
// "Authorization: Bearer <token>" (else HTTP Basic when the URL names user:password). Any 2xx answer counts as accepted. Failures become an SmsError
// with a sentence for the delivery log and whether trying again can help.

/** An SMS is one GSM 03.38 segment of 160 characters; longer texts are cut by us, not the gateway. */
export const SMS_MAX_CHARS = 160;

export type SmsFailure = 'not-configured' | 'connection' | 'rejected' | 'server';

export class SmsError extends Error {
  constructor(
    message: string,
    readonly reason: SmsFailure
  ) {
    super(message);
  }

  /** Worth another attempt: the service was unreachable or failed, not our request. */
  get retryable(): boolean {
    return this.reason === 'connection' || this.reason === 'server';
  }
}

export interface SmsSender {
  readonly configured: boolean;
  /** "host:port" of the gateway (no path, no credentials), for the Manager's status line. */
  readonly host: string | null;
  send(to: string, text: string): Promise<void>;
}

const TIMEOUT_MS = 15_000;

export function smsSenderFor(env: Pick<Env, 'SMS_URL' | 'SMS_TOKEN'>): SmsSender {
  const url = env.SMS_URL;
  if (!url) {
    return {
      configured: false,
      host: null,
      send: () => Promise.reject(new SmsError('SMS is not set up on this server: the operator sets SMS_URL (see the README).', 'not-configured'))
    };
  }
  const target = new URL(url);
  const host = target.host;
  // user:password in the URL go as HTTP Basic (RFC 7617); fetch refuses URLs that carry them
  const basic = target.username ? Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64') : null;
  target.username = '';
  target.password = '';
  const auth = env.SMS_TOKEN ? `Bearer ${env.SMS_TOKEN}` : basic ? `Basic ${basic}` : null;
  return {
    configured: true,
    host,
    async send(to, text) {
      let res: Response;
      try {
        res = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
          body: JSON.stringify({ to, text: text.slice(0, SMS_MAX_CHARS) }),
          signal: AbortSignal.timeout(TIMEOUT_MS)
        });
      } catch (err) {
        throw new SmsError(`Connection to SMS service failed (${host}: ${causeOf(err)}).`, 'connection');
      }
      if (res.ok) {
        await res.body?.cancel();
        return;
      }
      const answer = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 200);
      const words = `SMS service answered ${res.status}${res.statusText ? ' ' + res.statusText : ''}${answer ? `: ${answer}` : ''}.`;
      // 408 and 429 pass with time; other 4xx mean the gateway will not take this message as it is
      const later = res.status >= 500 || res.status === 408 || res.status === 429;
      throw new SmsError(words, later ? 'server' : 'rejected');
    }
  };
}

/** "ECONNREFUSED", "timed out" … from fetch's wrapped error. */
function causeOf(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
