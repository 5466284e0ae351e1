import { Cron } from 'croner';
import type { Db } from '../db/connection.js';
import type { Env } from '../env.js';
import { ExportJobSchedule } from './export-jobs.js';
import type { Stores } from '../store/index.js';
import { dueAt, runThinning, THINNING } from './thinning.js';
import { FolderScheduler } from './import-folder.js';
import { Notifier } from '../notify/notifier.js';
import { MbusSchedule } from '../mbus/schedule.js';
import { existingMbusRunner } from '../mbus/runner.js';

// The job scheduler (croner): every 15 minutes it looks for work that is due. Thinning runs once
// a day per utility, after the time of day its settings give (on its wall clock); a run missed
// while the server was down happens at the next tick. Time comes from `now`, so tests drive
// tick() with a moved clock instead of waiting.

export interface SchedulerDeps {
  db: Db;
  stores: Stores;
  now: () => number;
  log?: (line: string) => void;
  /** Given by the server: scheduled exports (M13) need the data folder and mail settings. */
  env?: Env;
}

export class Scheduler {
  #cron: Cron | null = null;
  #running = false;
  #exports: ExportJobSchedule | null = null;
  #folders: FolderScheduler | null = null;
  #notifier: Notifier | null = null;
  #mbus: MbusSchedule | null = null;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Starts ticking (croner pattern, default every 15 minutes); the timer does not keep the process alive. */
  start(pattern = '*/15 * * * *'): this {
    this.#cron ??= new Cron(pattern, { unref: true, protect: true }, () => {
      this.tick();
    });
    if (this.deps.env) this.#exports ??= new ExportJobSchedule({ ...this.deps, env: this.deps.env }).start();
    this.#folders ??= new FolderScheduler(this.deps).start(); // watched import folders (M14), each on its own schedule
    if (this.deps.env) this.#notifier ??= new Notifier({ ...this.deps, env: this.deps.env }).start(); // alarm notifications (M9)
    this.#mbus ??= new MbusSchedule(this.deps).start(); // scheduled reads of wired M-Bus systems (issue 8)
    return this;
  }

  stop(): void {
    this.#cron?.stop();
    this.#cron = null;
    this.#exports?.stop();
    this.#exports = null;
    this.#folders?.stop();
    this.#folders = null;
    this.#notifier?.stop();
    this.#notifier = null;
    this.#mbus?.stop();
    this.#mbus = null;
    void existingMbusRunner(this.deps.db)?.stop(); // cancels runs on the cables (server shutdown)
  }

  /** Runs whatever is due now; returns the tenants thinned. Errors are logged, never thrown. */
  tick(): number[] {
    if (this.#running) return [];
    this.#running = true;
    this.#exports?.sync(); // picks up a utility's changed time zone
    this.#notifier?.sync();
    const done: number[] = [];
    try {
      const { db, stores, now, log } = this.deps;
      const at = now();
      const tenants = db.prepare('select id from tenant order by id').pluck().all() as number[];
      for (const tenantId of tenants) {
        const s = stores.settings.thinning(tenantId);
        const due = dueAt(s.runAt, at, stores.settings.timeZone(tenantId));
        if (at < due) continue;
        const ok = stores.jobs.last(tenantId, THINNING, 'ok');
        const failed = stores.jobs.last(tenantId, THINNING, 'failed');
        if ((ok && ok.startedAt >= due) || (failed && failed.startedAt >= due)) continue;
        try {
          runThinning({ db, readings: stores.readings, settings: stores.settings, jobs: stores.jobs }, tenantId, null, at);
          done.push(tenantId);
        } catch (err) {
          log?.(`thinning of tenant ${tenantId} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      for (const tenantId of tenants) {
        try {
          stores.consumptionAlerts.evaluate(tenantId, null, at); // consumption alerts (M10): new periods, validity
        } catch (err) {
          log?.(`consumption alerts of tenant ${tenantId} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    } finally {
      this.#running = false;
    }
    return done;
  }
}

/** Starts the scheduler for a running server (server.ts); stop() it on shutdown. */
export function startScheduler(deps: SchedulerDeps): Scheduler {
  return new Scheduler(deps).start();
}
