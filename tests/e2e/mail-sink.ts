// A real SMTP server for the end-to-end tests: playwright.config.ts starts it (globalSetup) before
// the app server, whose SMTP_URL points at it. Each accepted message is written as an .eml file
// to E2E_MAIL_DIR, so specs (another process) read what the app really sent with readMail().
import { simpleParser, type ParsedMail } from 'mailparser';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

export const E2E_SMTP_PORT = Number(process.env.E2E_SMTP_PORT ?? Number(process.env.E2E_PORT ?? 4173) + 1000);
export const E2E_MAIL_DIR = process.env.E2E_MAIL_DIR ?? join(process.env.E2E_DATA_DIR_ROOT ?? '/tmp', `readout-e2e-mail-${E2E_SMTP_PORT}`);

/** Starts the sink; returns its close function (Playwright calls it after the run). */
export async function startMailSink(dir = E2E_MAIL_DIR, port = E2E_SMTP_PORT): Promise<() => Promise<void>> {
  rmSync(dir, { recursive: true, force: true }); // mail of an earlier run is not this run's
  mkdirSync(dir, { recursive: true });
  let n = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        writeFileSync(join(dir, `${String(++n).padStart(5, '0')}-${Date.now()}.eml`), Buffer.concat(chunks));
        callback();
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Every message the sink holds, oldest first. */
export async function readMail(dir = E2E_MAIL_DIR): Promise<ParsedMail[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
  return Promise.all(files.map((f) => simpleParser(readFileSync(join(dir, f)))));
}

/** Waits until a message matching `test` arrives (polling the folder), up to timeoutMs. */
export async function waitForMail(test: (m: ParsedMail) => boolean, timeoutMs = 15_000, dir = E2E_MAIL_DIR): Promise<ParsedMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await readMail(dir)).find(test);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no matching mail arrived at the test SMTP server within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
