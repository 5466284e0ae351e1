// What Send/Receive still has to push: raw frames (queued when they are stored) and readings
// (queued when they are made). An entry is removed only after the server confirmed it.

import type { OutboxRow, ReadoutDb } from './index';

export async function enqueue(db: ReadoutDb, kind: OutboxRow['kind'], refs: readonly number[], queuedAt: number): Promise<void> {
  if (refs.length === 0) return;
  await db.outbox.bulkAdd(refs.map((ref) => ({ kind, ref, queuedAt })));
}

/** The oldest entries of one kind, for one upload. */
export function nextBatch(db: ReadoutDb, kind: OutboxRow['kind'], limit: number): Promise<OutboxRow[]> {
  return db.outbox.where('kind').equals(kind).limit(limit).sortBy('id');
}

/** Called with the ids the server confirmed. */
export async function confirmSent(db: ReadoutDb, ids: readonly number[]): Promise<void> {
  await db.outbox.bulkDelete(ids as number[]);
}

export async function outboxCounts(db: ReadoutDb): Promise<Record<OutboxRow['kind'], number>> {
  const [frames, readings, exchanges] = await Promise.all([
    db.outbox.where('kind').equals('frames').count(),
    db.outbox.where('kind').equals('readings').count(),
    db.outbox.where('kind').equals('exchanges').count()
  ]);
  return { frames, readings, exchanges };
}
