// Readings made from stored frames: one row per decoded frame, linked to it by frameId, so a
// reading can always be rebuilt from its raw bytes (a better driver, a corrected key).

import type { ReadingRow, ReadoutDb } from './index';

export async function addReadings(db: ReadoutDb, rows: readonly Omit<ReadingRow, 'id'>[]): Promise<number[]> {
  if (rows.length === 0) return [];
  return (await db.readings.bulkAdd(rows as ReadingRow[], { allKeys: true })) as number[];
}

/** A meter's readings, oldest first. */
export function readingsOf(db: ReadoutDb, meterKey: string): Promise<ReadingRow[]> {
  return db.readings.where('[meterKey+at]').between([meterKey, -Infinity], [meterKey, Infinity]).toArray();
}

/** The newest reading of a meter, or undefined. */
export function latestReading(db: ReadoutDb, meterKey: string): Promise<ReadingRow | undefined> {
  return db.readings.where('[meterKey+at]').between([meterKey, -Infinity], [meterKey, Infinity]).last();
}
