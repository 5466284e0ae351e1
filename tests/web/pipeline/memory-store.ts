// The pipeline's store in memory (tests/web/db/dexie.test.ts runs the Dexie one): the same contract as
// dexiePipelineStore, plus a log of calls so tests can check that raw frames are stored first.
import type { FrameRow, FrameStatus, OutboxRow, ReadingRow, RouteMeterRow } from '../../../web/src/lib/db/index';
import type { NewFrame } from '../../../web/src/lib/db/frames';
import type { Outcome, PipelineStore } from '../../../web/src/lib/db/pipeline';
import type { ReadMark } from '../../../web/src/lib/db/route';

export class MemoryStore implements PipelineStore {
  frames: FrameRow[] = [];
  readings: ReadingRow[] = [];
  outbox: OutboxRow[] = [];
  route = new Map<string, RouteMeterRow>();
  log: string[] = [];
  failAppends = 0;

  constructor(route: RouteMeterRow[] = []) {
    for (const r of route) this.route.set(r.meterKey, { ...r });
  }

  async appendFrames(frames: readonly NewFrame[], at: number): Promise<number[]> {
    await Promise.resolve();
    if (this.failAppends > 0) {
      this.failAppends--;
      throw new Error('QuotaExceededError (simulated)');
    }
    const ids = frames.map((f) => {
      const id = this.frames.length + 1;
      this.frames.push({ ...f, raw: f.raw.slice(), id, status: 'new' });
      this.outbox.push({ id: this.outbox.length + 1, kind: 'frames', ref: id, queuedAt: at });
      return id;
    });
    this.log.push(`append ${ids.join(',')}`);
    return ids;
  }

  async framesWithStatus(status: FrameStatus, limit = Infinity): Promise<FrameRow[]> {
    return this.frames.filter((f) => f.status === status).slice(0, limit);
  }

  async routeMeters(): Promise<RouteMeterRow[]> {
    return [...this.route.values()];
  }

  async commit(outcomes: readonly Outcome[], at: number): Promise<ReadMark[]> {
    await Promise.resolve();
    for (const { change } of outcomes) {
      const f = this.frames[change.id - 1];
      const { id: _id, ...rest } = change;
      Object.assign(f, rest);
    }
    for (const o of outcomes) {
      if (!o.reading) continue;
      const id = this.readings.length + 1;
      this.readings.push({ ...o.reading, id });
      this.outbox.push({ id: this.outbox.length + 1, kind: 'readings', ref: id, queuedAt: at });
    }
    const fresh: ReadMark[] = [];
    for (const o of outcomes) {
      const row = o.mark && this.route.get(o.mark.meterKey);
      if (!o.mark || !row || row.readAt !== null) continue;
      row.readAt = o.mark.at;
      row.frameId = o.mark.frameId;
      fresh.push(o.mark);
    }
    this.log.push(`commit ${outcomes.map((o) => o.change.id).join(',')}`);
    return fresh;
  }
}
