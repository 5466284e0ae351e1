import { Cron } from 'croner';
import type { Db } from '../db/connection.js';
import type { Stores } from '../store/index.js';
import { existingMbusRunner, mbusRunner, RunBusyError } from './runner.js';

// Scheduled reads of M-Bus systems (issue 8): each enabled system with a schedule (a croner
// pattern on the utility's clock) reads its devices when the pattern fires. A system still busy
// with a run skips that turn (logged). The routes call mbusSystemsChanged() after a change.

export interface MbusScheduleDeps {
  db: Db;
  stores: Stores;
  now: () => number;
  log?: (line: string) => void;
}

const schedules = new WeakMap<Db, MbusSchedule>();

export class MbusSchedule {
  readonly #crons = new Map<number, { key: string; cron: Cron }>();

  constructor(private readonly deps: MbusScheduleDeps) {}

  start(): this {
    schedules.set(this.deps.db, this);
    // runs a stopped server left 'running' (a runner of this process fails them itself when made)
    if (!existingMbusRunner(this.deps.db)) this.deps.stores.mbus.failInterrupted(this.deps.now());
    this.sync();
    return this;
  }

  /** Starts, changes and stops the crons to match the systems now. */
  sync(): void {
    const { stores, log } = this.deps;
    const seen = new Set<number>();
    for (const s of stores.mbus.scheduled()) {
      const timeZone = stores.settings.timeZone(s.tenantId);
      const key = `${s.schedule}\n${timeZone}`;
      seen.add(s.id);
      const known = this.#crons.get(s.id);
      if (known?.key === key) continue;
      known?.cron.stop();
      try {
        const cron = new Cron(s.schedule, { timezone: timeZone, protect: true, unref: true, name: `mbus-${s.id}` }, () => {
          this.fire(s.tenantId, s.id);
        });
        this.#crons.set(s.id, { key, cron });
      } catch (err) {
        this.#crons.delete(s.id);
        log?.(`M-Bus system ${s.id}: schedule "${s.schedule}" is not valid: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    for (const [id, { cron }] of this.#crons) {
      if (seen.has(id)) continue;
      cron.stop();
      this.#crons.delete(id);
    }
  }

  /** One scheduled read (the cron's callback; tests call it directly). Returns the run id, or null when skipped. */
  fire(tenantId: number, systemId: number): number | null {
    const { db, stores, now, log } = this.deps;
    try {
      return mbusRunner({ db, stores, now, log }).read(null, systemId, tenantId).id;
    } catch (err) {
      if (err instanceof RunBusyError) log?.(`M-Bus system ${systemId}: scheduled read skipped: ${err.message}`);
      else log?.(`M-Bus system ${systemId}: scheduled read failed to start: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }

  /** Systems with a running cron, for tests. */
  get scheduledIds(): number[] {
    return [...this.#crons.keys()].sort((a, b) => a - b);
  }

  stop(): void {
    for (const { cron } of this.#crons.values()) cron.stop();
    this.#crons.clear();
    if (schedules.get(this.deps.db) === this) schedules.delete(this.deps.db);
  }
}

/** Called by the routes after a system changed: the running server reschedules (no-op without one). */
export function mbusSystemsChanged(db: Db): void {
  schedules.get(db)?.sync();
}
