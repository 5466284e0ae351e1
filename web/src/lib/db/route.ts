// The route: the meters this device is to read, with a read mark per meter and the progress the
// screen shows (read / total, per group). The pause flag survives a reload.

import type { ReadoutDb, RouteMeterRow } from './index';
import { meterKeyOf } from './index';

const PAUSED = 'route.paused';

/** A meter of the route as the server sends it. */
export type RouteMeter = Omit<RouteMeterRow, 'meterKey' | 'readAt' | 'frameId'>;

export interface Count {
  read: number;
  total: number;
}

export interface Progress extends Count {
  groups: Record<string, Count>;
}

/** A meter is read once: the first frame that made a reading of it. */
export interface ReadMark {
  meterKey: string;
  at: number;
  frameId: number;
}

export function toRouteRow(m: RouteMeter): RouteMeterRow {
  return { ...m, meterKey: meterKeyOf({ manufacturer: m.manufacturer, id: m.serial }), readAt: null, frameId: null };
}

export function progressOf(meters: Iterable<Pick<RouteMeterRow, 'group' | 'readAt'>>): Progress {
  const p: Progress = { read: 0, total: 0, groups: {} };
  for (const m of meters) {
    const g = (p.groups[m.group] ??= { read: 0, total: 0 });
    p.total++;
    g.total++;
    if (m.readAt !== null) {
      p.read++;
      g.read++;
    }
  }
  return p;
}

/**
 * Replaces the route with the server's list. Meters that stay keep their read marks (a
 * Send/Receive during the day must not reset the progress).
 */
export async function replaceRoute(db: ReadoutDb, meters: readonly RouteMeter[]): Promise<void> {
  await db.transaction('rw', db.route, async () => {
    const old = new Map((await db.route.toArray()).map((r) => [r.meterKey, r]));
    const rows = meters.map((m) => {
      const row = toRouteRow(m);
      const was = old.get(row.meterKey);
      return was ? { ...row, readAt: was.readAt, frameId: was.frameId } : row;
    });
    await db.route.clear();
    await db.route.bulkPut(rows);
  });
}

export function routeMeters(db: ReadoutDb): Promise<RouteMeterRow[]> {
  return db.route.toArray();
}

/** Marks meters read; returns the marks that were new (meters read for the first time). */
export async function markRead(db: ReadoutDb, marks: readonly ReadMark[]): Promise<ReadMark[]> {
  if (marks.length === 0) return [];
  return db.transaction('rw', db.route, async () => {
    const rows = await db.route.bulkGet(marks.map((m) => m.meterKey));
    const fresh: ReadMark[] = [];
    const seen = new Set<string>();
    marks.forEach((m, i) => {
      const row = rows[i];
      if (!row || row.readAt !== null || seen.has(m.meterKey)) return;
      seen.add(m.meterKey);
      fresh.push(m);
    });
    await db.route.bulkUpdate(fresh.map((m) => ({ key: m.meterKey, changes: { readAt: m.at, frameId: m.frameId } })));
    return fresh;
  });
}

/** Clears every read mark (a new round on the same route). */
export async function resetReads(db: ReadoutDb): Promise<void> {
  await db.route.toCollection().modify({ readAt: null, frameId: null });
}

export async function isPaused(db: ReadoutDb): Promise<boolean> {
  return (await db.meta.get(PAUSED))?.value === true;
}

export async function setPaused(db: ReadoutDb, paused: boolean): Promise<void> {
  await db.meta.put({ key: PAUSED, value: paused });
}
