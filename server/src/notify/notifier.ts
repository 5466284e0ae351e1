import { Cron } from 'croner';
import type { Db } from '../db/connection.js';
import type { Env } from '../env.js';
import type { Stores } from '../store/index.js';
import { evaluateReadings, queueDailySummary } from './evaluate.js';
import { rulesOf } from './rules.js';
import { DeliverySender } from './sender.js';

// Notifications (M9) in a running server: rules "at once" listen to the ingest (after each batch
// commits), rules "daily" get one croner instance each at HH:MM on the utility's clock (as the
// scheduled exports do, jobs/export-jobs.ts), and one sender works through the delivery queue,
// starting with whatever was pending when the server stopped.

export interface NotifierDeps {
  db: Db;
  stores: Stores;
  env: Env;
  now: () => number;
  log?: (line: string) => void;
}

/** A daily time "07:30" as a croner pattern (minute hour, every day). */
export const dailyPattern = (hhmm: string) => `${Number(hhmm.slice(3, 5))} ${Number(hhmm.slice(0, 2))} * * *`;

export class Notifier {
  readonly sender: DeliverySender;
  readonly #crons = new Map<number, { key: string; cron: Cron }>();
  #unsubscribe: (() => void) | null = null;

  constructor(private readonly deps: NotifierDeps) {
    this.sender = new DeliverySender(deps);
  }

  start(): this {
    notifiers.set(this.deps.db, this);
    this.#unsubscribe = this.deps.stores.ingest.onReadings((tenantId, meterIds, now) => this.readingsArrived(tenantId, meterIds, now));
    this.sync();
    void this.sender.kick();
    return this;
  }

  /** At-once rules for a committed batch; sending happens afterwards, asynchronously. */
  readingsArrived(tenantId: number, meterIds: readonly number[], now: number): number {
    try {
      const queued = evaluateReadings(this.deps.db, tenantId, meterIds, now, this.deps.stores.settings.timeZone(tenantId));
      if (queued) void this.sender.kick();
      return queued;
    } catch (err) {
      this.deps.log?.(`notifications for tenant ${tenantId} failed: ${err instanceof Error ? err.stack : String(err)}`);
      return 0;
    }
  }

  /** A daily rule's summary now (its schedule calls this; tests pass a fixed `now`). */
  runDaily(tenantId: number, ruleId: number, now = this.deps.now()): number {
    const rule = rulesOf(this.deps.db).get(tenantId, ruleId);
    if (!rule.enabled || rule.mode !== 'daily') return 0;
    const queued = queueDailySummary(this.deps.db, rule, now, this.deps.stores.settings.timeZone(tenantId));
    if (queued) void this.sender.kick();
    return queued;
  }

  /** Reschedules the daily rules; called after rule changes and by the scheduler's tick (time zones). */
  sync(): void {
    const { stores, log } = this.deps;
    const seen = new Set<number>();
    for (const rule of rulesOf(this.deps.db).enabled(undefined, 'daily')) {
      if (!rule.dailyAt) continue;
      const timeZone = stores.settings.timeZone(rule.tenantId);
      const key = `${rule.dailyAt}\n${timeZone}`;
      seen.add(rule.id);
      const known = this.#crons.get(rule.id);
      if (known?.key === key) continue;
      known?.cron.stop();
      const cron = new Cron(dailyPattern(rule.dailyAt), { timezone: timeZone, protect: true, unref: true, name: `notify-${rule.id}` }, () => {
        try {
          this.runDaily(rule.tenantId, rule.id);
        } catch (err) {
          log?.(`daily notification rule ${rule.id}: ${err instanceof Error ? err.message : String(err)}`);
        }
      });
      this.#crons.set(rule.id, { key, cron });
    }
    for (const [id, { cron }] of this.#crons) {
      if (seen.has(id)) continue;
      cron.stop();
      this.#crons.delete(id);
    }
  }

  /** When each daily rule fires next (for tests and the status line). */
  nextRuns(): Map<number, number | null> {
    return new Map([...this.#crons].map(([id, { cron }]) => [id, cron.nextRun()?.getTime() ?? null]));
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    for (const { cron } of this.#crons.values()) cron.stop();
    this.#crons.clear();
    this.sender.stop();
    if (notifiers.get(this.deps.db) === this) notifiers.delete(this.deps.db);
  }
}

const notifiers = new WeakMap<Db, Notifier>();

/** Called by the routes after a rule changed: the running notifier reschedules (no-op without one). */
export function notificationRulesChanged(db: Db): void {
  notifiers.get(db)?.sync();
}
