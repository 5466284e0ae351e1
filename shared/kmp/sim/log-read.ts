// Which logger records a simulated meter puts in one answer to A0..A3 (protocols.md §5.6), before
// any bytes: start point per command, direction, NRcs, MaxL and the INFO bits. Sim choices where
// the public text leaves room are marked "sim:".

import { LOG_INFO } from '../commands.js';
import type { SimLogWindow } from './model.js';


export type LogStart =
  /** A0: from the first record at or after `timeMs`, towards the present. */
  | { cid: 0xa0; timeMs: number }
  /** A1: from the record after the last one read out (shared pointer), towards the present. */
  | { cid: 0xa1; afterIndex: number }
  /** A2: from the record with `recId` (inclusive), towards the present. */
  | { cid: 0xa2; recId: number }
  /** A3: from the last record at or before `timeMs`, `offset` records further back, towards the past. */
  | { cid: 0xa3; timeMs: number; offset: number };

export interface LogSelection {
  /** Record indices in answer order. */
  records: number[];
  info: number;
}

/**
 * Picks records for one answer. `fits(n)` says whether an answer with n records stays within
 * MaxL; `wanted` is NRcs. sim: NRcs 0 asks for nothing and gets an empty answer.
 */
export function selectRecords(w: SimLogWindow, start: LogStart, wanted: number, fits: (n: number) => boolean): LogSelection {
  if (w.count === 0) return { records: [], info: LOG_INFO.EMPTY };
  const newest = w.count - 1;
  let from: number;
  let step: 1 | -1 = 1;
  switch (start.cid) {
    case 0xa0: {
      from = w.first;
      while (from <= newest && w.timeOf(from) < start.timeMs) from++;
      // sim: a time before the oldest record starts at the oldest (the log is read "from then on")
      break;
    }
    case 0xa1:
      from = Math.max(w.first, start.afterIndex + 1);
      break;
    case 0xa2: {
      const delta = (start.recId - w.recIdOf(w.first)) & 0xffff;
      from = w.first + delta;
      break;
    }
    case 0xa3: {
      let last = -1;
      for (let r = newest; r >= w.first; r--) {
        if (w.timeOf(r) <= start.timeMs) {
          last = r;
          break;
        }
      }
      from = last < 0 ? -1 : last - start.offset;
      step = -1;
      break;
    }
  }
  if (from < w.first || from > newest) return { records: [], info: LOG_INFO.OUT_OF_RANGE };
  const records: number[] = [];
  let r = from;
  let info = 0;
  while (records.length < wanted && r >= w.first && r <= newest) {
    if (!fits(records.length + 1)) {
      info |= LOG_INFO.MAXL_REACHED;
      break;
    }
    records.push(r);
    r += step;
  }
  if (r < w.first || r > newest) info |= LOG_INFO.END_OF_LOG;
  return { records, info };
}
