import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

// A real SMTP server on a free local port for tests: every message it accepts is parsed
// (mailparser) and kept. `reject` makes it refuse recipients, to test delivery failures.

export interface TestSmtp {
  port: number;
  /** SMTP_URL for the server's environment. */
  url: string;
  messages: ParsedMail[];
  /** Resolves with the next message (or the n-th, counting from 1), waiting up to timeoutMs. */
  waitFor(count?: number, timeoutMs?: number): Promise<ParsedMail>;
  close(): Promise<void>;
}

export async function startSmtp(opts: { reject?: boolean } = {}): Promise<TestSmtp> {
  const messages: ParsedMail[] = [];
  const waiters: (() => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (opts.reject) callback(Object.assign(new Error(`550 mailbox ${address.address} unavailable`), { responseCode: 550 }));
      else callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          waiters.splice(0).forEach((w) => w());
          callback();
        })
        .catch(callback);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}?tls=off`,
    messages,
    async waitFor(count = messages.length + 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`no mail arrived within ${timeoutMs} ms (${messages.length} of ${count})`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return messages[count - 1];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  };
}
