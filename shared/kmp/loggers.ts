// Data loggers of MULTICAL heat meters read with KMP A0..A3 (protocols.md §5.6).
//
// What is documented: log id (LID) 01 is the interval (hour) log of the MULTICAL 601 logger
// modules and MULTICAL 801 (Kamstrup doc 5512-447 §6.3, and its event status names only an
// "interval log" and an "RTC log"). Everything else below — the LIDs of the daily, monthly,
// yearly and info-code logs, their destination address on the integrated loggers of
// 40x/60x/80x, the registers each holds and their depth — is CONFIGURATION, not fact:
// [?] not in the public KMP document; confirm on a meter. The depths follow issue 9 (460 days,
// 36 months of a MULTICAL 603).

import { KMP } from './frame.js';
import { logAnswerLength } from './commands.js';
import type { KmpTime, LogRequest } from './commands.js';
import type { MulticalModel } from './registers.js';

export type LoggerKind = 'hourly' | 'daily' | 'monthly' | 'yearly' | 'info';

export interface KmpLogger {
  kind: LoggerKind;
  /** Log id sent as LID. */
  lid: number;
  /** Destination address the log answers at (§5.2: 3F meter, 7F top module, BF base module). */
  dst: number;
  /** Register ids to ask for, at most 8 (NRgs); the log leaves out those it does not hold. */
  registers: readonly number[];
  /** How many records the log keeps. */
  depth: number;
  /** 'document' only for LID 01 on MULTICAL 601/801; 'configuration' means [?] confirm on a meter. */
  basis: 'document' | 'configuration';
}

// Register ids (registers.ts): DATE 1003, CLOCK 1002, E1 60, E3 63, V1 68, V2 69, HR 1004,
// INFO 99, ERRHR 175, TA2 64, TA3 65.
const HOURLY = [1003, 1002, 60, 63, 68, 99] as const;
const DAILY = [1003, 60, 63, 68, 69, 1004, 99, 175] as const;
const MONTHLY = [1003, 60, 63, 68, 69, 64, 65, 99] as const;
const INFO = [1003, 1002, 99] as const;

function loggersOf(model: MulticalModel): readonly KmpLogger[] {
  // MULTICAL 601: loggers live in the top module (DST 7F); MULTICAL 801 logger: also 7F (§5.2).
  // The integrated loggers of the other models are assumed to answer at the meter address [?].
  const documented = model === '601' || model === '801';
  const dst = documented ? KMP.DST_LOGGER_TOP : KMP.DST_METER;
  return [
    { kind: 'hourly', lid: 0x01, dst, registers: HOURLY, depth: 1440, basis: documented ? 'document' : 'configuration' },
    { kind: 'daily', lid: 0x02, dst, registers: DAILY, depth: 460, basis: 'configuration' },
    { kind: 'monthly', lid: 0x03, dst, registers: MONTHLY, depth: 36, basis: 'configuration' },
    { kind: 'yearly', lid: 0x04, dst, registers: MONTHLY, depth: 20, basis: 'configuration' },
    { kind: 'info', lid: 0x05, dst, registers: INFO, depth: 50, basis: 'configuration' }
  ];
}

/** The loggers of each model. */
export const KMP_LOGGERS: Readonly<Record<MulticalModel, readonly KmpLogger[]>> = {
  '302': loggersOf('302'),
  '303': loggersOf('303'),
  '402': loggersOf('402'),
  '403': loggersOf('403'),
  '601': loggersOf('601'),
  '602': loggersOf('602'),
  '603': loggersOf('603'),
  '801': loggersOf('801'),
  '803': loggersOf('803')
};

export function loggerFor(model: MulticalModel, kind: LoggerKind): KmpLogger {
  const l = KMP_LOGGERS[model].find((x) => x.kind === kind);
  if (l === undefined) throw new RangeError(`kind: expected hourly, daily, monthly, yearly or info, got ${String(kind)}`);
  return l;
}

/**
 * Records per answer that fit in `maxL` bytes of application layer when each of `registers`
 * values is `nob` bytes (doc §6.3.1: 3 + 2m + 5n + 4mn + 5 for NoB 4); at least 1.
 */
export function recordsPerPage(registers: number, maxL: number, nob = 4): number {
  const nobs = new Array<number>(registers).fill(nob);
  let m = 1;
  while (m < 255 && logAnswerLength(m + 1, nobs) <= maxL) m++;
  return m;
}

/**
 * The first page of a read of `logger` from `from` towards now (A0, GetLogTimePresent);
 * continue with nextLogPage. `maxL` defaults to 0x80 (the doc's example and its 128-byte line).
 */
export function firstLogPage(logger: KmpLogger, from: KmpTime, maxL = 0x80): LogRequest {
  return {
    cid: 0xa0,
    lid: logger.lid,
    registers: logger.registers,
    records: recordsPerPage(logger.registers.length, maxL),
    maxL,
    time: from
  };
}
