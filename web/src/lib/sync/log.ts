// What Send/Receive did, run by run (the last 20, in IndexedDB `meta`), and the frames the server
// refused, so the screen can show what went each way and when, also after a reload.

import type { ReadoutDb } from '$lib/db';

export const LOG_META = 'sync.log';
export const PROBLEMS_META = 'sync.problems';
const MAX_RUNS = 20;
const MAX_PROBLEMS = 200;

export interface SentFrames {
  /** Telegrams in the outbox when sending started. */
  waiting: number;
  /** Stored by the server now (whatever their decode status). */
  fresh: number;
  /** The server held them already (an earlier run whose answer was lost, or a gateway heard them too). */
  duplicate: number;
  /** The server refused them (a clientId reused for other bytes); see the problems. */
  rejected: number;
  /** Frames the server cannot ever take (length, time before 2000): out of the outbox, kept here. */
  unsendable: number;
  /** Left in the outbox for later: received "in the future" by a clock that is off. */
  heldBack: number;
  /** The server's words for the first frame held back. */
  heldBackReason?: string;
  /** Of `fresh`, by the server's answer: decoded, no-key, unknown-meter, … */
  byStatus: Record<string, number>;
  batches: number;
}

export interface SyncRun {
  startedAt: number;
  finishedAt: number;
  outcome: 'done' | 'failed' | 'cancelled';
  /** What went wrong, for a person: "The server cannot be reached. …". */
  error?: string;
  sent: SentFrames;
  /** Reading entries settled because their frames reached the server. */
  readings: number;
  exchanges: { sent: number; rejected: number } | null;
  received: { meters: number; keys: number; formats: number; groups: number; badKeys: number } | null;
}

export interface SyncProblem {
  at: number;
  frameId: number;
  clientId: string;
  meterKey?: string;
  /** The server's words, or ours for a frame it cannot take. */
  reason: string;
}

export function emptySent(): SentFrames {
  return { waiting: 0, fresh: 0, duplicate: 0, rejected: 0, unsendable: 0, heldBack: 0, byStatus: {}, batches: 0 };
}

/** Newest first. */
export async function syncLog(db: ReadoutDb): Promise<SyncRun[]> {
  return ((await db.meta.get(LOG_META))?.value as SyncRun[] | undefined) ?? [];
}

export async function appendRun(db: ReadoutDb, run: SyncRun): Promise<SyncRun[]> {
  return db.transaction('rw', db.meta, async () => {
    const runs = [run, ...(await syncLog(db))].slice(0, MAX_RUNS);
    await db.meta.put({ key: LOG_META, value: runs });
    return runs;
  });
}

/** Newest first. */
export async function syncProblems(db: ReadoutDb): Promise<SyncProblem[]> {
  return ((await db.meta.get(PROBLEMS_META))?.value as SyncProblem[] | undefined) ?? [];
}

/** Adds problems; call inside a transaction that includes `meta` to keep them with the outbox change. */
export async function addProblems(db: ReadoutDb, problems: readonly SyncProblem[]): Promise<void> {
  if (problems.length === 0) return;
  const all = [...[...problems].reverse(), ...(await syncProblems(db))].slice(0, MAX_PROBLEMS);
  await db.meta.put({ key: PROBLEMS_META, value: all });
}
