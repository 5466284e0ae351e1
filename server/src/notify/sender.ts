import type { Db } from '../db/connection.js';
import type { Env } from '../env.js';
import { MailError, mailerFor } from '../mail.js';
import { deliveriesOf, type Delivery } from './deliveries.js';
import { SmsError, smsSenderFor } from './sms.js';

// Sends queued notifications, outside any ingest transaction: one attempt per due row, the
// outcome written back at once. A failure that may pass (connection, a 5xx answer) is retried
// after NOTIFY_RETRY_MS, then twice that, up to MAX_ATTEMPTS; one that will not (mail not set up,
// a refused recipient, a 4xx answer) fails at once. A timer waits for the next due row.

export interface SenderDeps {
  db: Db;
  env: Env;
  now: () => number;
  log?: (line: string) => void;
}

const BATCH = 20;

export class DeliverySender {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(private readonly deps: SenderDeps) {}

  /** Sends what is due now and schedules the rest; safe to call any time (calls coalesce). */
  kick(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#run().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        void this.kick();
      } else this.#schedule();
    });
    return this.#running;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #run(): Promise<void> {
    const store = deliveriesOf(this.deps.db);
    for (;;) {
      if (this.#stopped || !this.deps.db.open) return;
      const due = store.due(this.deps.now(), BATCH);
      if (!due.length) return;
      for (const d of due) {
        if (this.#stopped) return;
        await this.#attempt(d);
      }
    }
  }

  async #attempt(d: Delivery): Promise<void> {
    const { db, env, now, log } = this.deps;
    const store = deliveriesOf(db);
    try {
      if (d.channel === 'email') {
        const result = await mailerFor(env).send({ to: [d.recipient], subject: d.subject, text: d.body });
        if (!result.accepted.length) throw new MailError(`The mail server refused the recipient ${d.recipient}.`, 'rejected');
      } else {
        await smsSenderFor(env).send(d.recipient, d.body);
      }
      if (!db.open) return;
      store.sent(d.id, now());
    } catch (err) {
      if (!db.open) return;
      const { reason, retryable } = explain(err, d);
      const delay = env.NOTIFY_RETRY_MS * 2 ** d.attempts;
      const status = store.failed(d.id, reason, retryable, delay, now());
      log?.(`notification ${d.id} (${d.channel} to ${d.recipient}, rule "${d.ruleName}") ${status}: ${reason}`);
    }
  }

  #schedule(): void {
    if (this.#stopped || !this.deps.db.open) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const next = deliveriesOf(this.deps.db).nextDue();
    if (next === null) return;
    // the clock may be a test's; never wait less than a tick nor more than a minute between looks
    const wait = Math.min(Math.max(next - this.deps.now(), 5), 60_000);
    this.#timer = setTimeout(() => void this.kick(), wait);
    this.#timer.unref();
  }
}

/** The reason in words for the log, and whether another attempt can help. */
function explain(err: unknown, d: Delivery): { reason: string; retryable: boolean } {
  if (err instanceof SmsError) return { reason: err.message, retryable: err.retryable };
  if (err instanceof MailError) {
    if (err.reason === 'not-configured') return { reason: 'E-mail is not configured: the operator sets SMTP_URL (see the README).', retryable: false };
    if (err.reason === 'rejected' && /\b5\d\d\b/.test(err.message)) {
      return { reason: `The mail server refused the recipient ${d.recipient}: ${err.message}`, retryable: false };
    }
    return { reason: err.message, retryable: err.reason !== 'rejected' || /\b4\d\d\b/.test(err.message) };
  }
  return { reason: err instanceof Error ? err.message : String(err), retryable: true };
}
