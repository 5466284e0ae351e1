import { audit } from '../audit.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import type { JobStore } from '../store/jobs.js';
import type { ReadingStore } from '../store/readings.js';
import { SETTING_THINNING_STATE, type SettingStore } from '../store/settings.js';
import { bucketStart, nextBucket } from '../../../shared/consumption.js';

// Thinning (M18): all readings younger than keep-all days, then the last reading of each day
// (the utility's wall clock) up to keep-daily years, nothing older. Raw frames follow the same
// rule. One transaction per run with one job_run row and one audit entry carrying counts.
// Days already thinned are remembered (setting 'thinning-state'), so a daily run touches one day.

const DAY = 86_400_000;
export const THINNING = 'thinning';

export interface ThinningDeps {
  db: Db;
  readings: ReadingStore;
  settings: SettingStore;
  jobs: JobStore;
}

export interface ThinningResult {
  runId: number;
  keepAllDays: number;
  keepDailyYears: number;
  /** Everything from here on is kept. */
  keepAllFrom: number;
  /** From here to keepAllFrom, the last reading of each day; before it, nothing. */
  keepDailyFrom: number;
  days: number;
  readingsDeleted: number;
  framesDeleted: number;
}

/** Runs thinning for one tenant now. `actor` null: the scheduler. Throws (and records a failed run) on a database error. */
export function runThinning(deps: ThinningDeps, tenantId: number, actor: Actor | null, now: number): ThinningResult {
  const { db, readings, settings, jobs } = deps;
  const s = settings.thinning(tenantId);
  const tz = settings.timeZone(tenantId);
  const keepAllFrom = bucketStart(now - s.keepAllDays * DAY, 'day', tz);
  const keepDailyFrom = Math.min(keepAllFrom, bucketStart(now - Math.round(s.keepDailyYears * 365.2425 * DAY), 'day', tz));
  try {
    return db.transaction(() => {
      const old = readings.deleteBefore(tenantId, keepDailyFrom);
      const state = settings.get(tenantId, SETTING_THINNING_STATE) as { thinnedUntil?: number } | undefined;
      const earliest = typeof state?.thinnedUntil === 'number' ? state.thinnedUntil : readings.earliest(tenantId);
      let readingsDeleted = old.readings;
      let framesDeleted = old.frames;
      let days = 0;
      if (earliest !== null) {
        for (let day = bucketStart(Math.max(earliest, keepDailyFrom), 'day', tz); day < keepAllFrom; ) {
          const next = nextBucket(day, 'day', tz);
          const n = readings.keepLastOfDay(tenantId, day, next);
          readingsDeleted += n.readings;
          framesDeleted += n.frames;
          days++;
          day = next;
        }
      }
      settings.putInternal(tenantId, SETTING_THINNING_STATE, { thinnedUntil: Math.max(keepAllFrom, state?.thinnedUntil ?? 0) });
      const counts = {
        keepAllDays: s.keepAllDays,
        keepDailyYears: s.keepDailyYears,
        keepAllFrom,
        keepDailyFrom,
        days,
        readingsDeleted,
        framesDeleted
      };
      const runId = jobs.record(tenantId, THINNING, { startedAt: now, finishedAt: now, status: 'ok', result: counts });
      audit(db, now, {
        tenantId,
        event: 'readings.thinned',
        userId: actor?.userId ?? null,
        actor: actor?.name ?? 'scheduler',
        device: actor?.device ?? null,
        details: { runId, ...counts }
      });
      return { runId, ...counts };
    })();
  } catch (err) {
    jobs.record(tenantId, THINNING, {
      startedAt: now,
      finishedAt: now,
      status: 'failed',
      message: err instanceof Error ? err.message : String(err)
    });
    throw err;
  }
}

/** When today's run is due for a tenant: its local start of day plus the configured time. */
export function dueAt(runAt: string, now: number, timeZone: string): number {
  const [h, m] = runAt.split(':').map(Number);
  return bucketStart(now, 'day', timeZone) + (h * 60 + m) * 60_000;
}
