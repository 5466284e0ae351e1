// What the receive pipeline (state/reading.svelte.ts) needs of the store, and the Dexie
// implementation. Tests run the pipeline on an in-memory implementation of the same interface.

import type { FrameRow, FrameStatus, ReadingRow, ReadoutDb, RouteMeterRow } from './index';
import { appendFrames, framesWithStatus, setFrameStatus, type FrameStatusChange, type NewFrame } from './frames';
import { addReadings } from './readings';
import { markRead, routeMeters, type ReadMark } from './route';

/** One frame's decode outcome, written together with the others of its batch. */
export interface Outcome {
  change: FrameStatusChange;
  reading: Omit<ReadingRow, 'id'> | null;
  /** Set when the frame's meter is on the route and a reading was made. */
  mark: ReadMark | null;
}

export interface PipelineStore {
  /** Stores raw frames (status 'new') and queues them for upload; ids in input order. */
  appendFrames(frames: readonly NewFrame[], at: number): Promise<number[]>;
  framesWithStatus(status: FrameStatus, limit?: number): Promise<FrameRow[]>;
  routeMeters(): Promise<RouteMeterRow[]>;
  /**
   * In one transaction: frame statuses, readings (queued for upload) and read marks.
   * Returns the marks that were new.
   */
  commit(outcomes: readonly Outcome[], at: number): Promise<ReadMark[]>;
}

export function dexiePipelineStore(db: ReadoutDb): PipelineStore {
  return {
    appendFrames: (frames, at) => appendFrames(db, frames, at),
    // a wired frame is stored already decoded (wired.ts); this guard keeps one that is not out of the radio decoder
    framesWithStatus: async (status, limit) => (await framesWithStatus(db, status, limit)).filter((f) => f.link !== 'mbus'),
    routeMeters: () => routeMeters(db),
    commit: (outcomes, at) =>
      db.transaction('rw', [db.frames, db.readings, db.outbox, db.route], async () => {
        await setFrameStatus(db, outcomes.map((o) => o.change));
        const readings = outcomes.flatMap((o) => (o.reading ? [o.reading] : []));
        const ids = await addReadings(db, readings);
        if (ids.length > 0) await db.outbox.bulkAdd(ids.map((ref) => ({ kind: 'readings' as const, ref, queuedAt: at })));
        return markRead(db, outcomes.flatMap((o) => (o.mark ? [o.mark] : [])));
      })
  };
}
