// What the simulated MULTICAL 603 has: its registers (ids and units from protocols.md §5.5 and
// the §5.4 unit table; every register NoB 4, Kamstrup doc §4.4.2, as commands.ts's putRegister
// assumes; exponents are sim choices in the style of a 603 configured for kWh and m³) and its
// loggers. model.ts gives them values over time.

import { loggerFor } from '../loggers.js';
import type { LoggerKind } from '../loggers.js';

/** How the meter sends one register (§5.4): unit code, value bytes, decimal exponent. */
export interface SimRegisterSpec {
  id: number;
  name: string;
  unit: number;
  nob: number;
  exponent: number;
}

/** A register value at one instant: the integer the meter sends, × 10^exponent. */
export interface SimRegisterValue extends SimRegisterSpec {
  mantissa: number;
}

const spec = (id: number, name: string, unit: number, nob: number, exponent: number): SimRegisterSpec => ({ id, name, unit, nob, exponent });

/** Registers the simulated 603 answers (GetRegister omits all others, §5.3). Units from §5.4. */
export const SIM_603_REGISTERS: readonly SimRegisterSpec[] = [
  spec(60, 'E1 heat energy', 0x02, 4, 0), // kWh
  spec(63, 'E3 cooling energy', 0x02, 4, 0),
  spec(97, 'E8 m³·t1', 0x2b, 4, 0),
  spec(110, 'E9 m³·t2', 0x2b, 4, 0),
  spec(64, 'TA2 tariff register 2', 0x02, 4, 0),
  spec(65, 'TA3 tariff register 3', 0x02, 4, 0),
  spec(66, 'TL2 tariff limit 2', 0x16, 4, -1), // kW, 0.1
  spec(67, 'TL3 tariff limit 3', 0x16, 4, -1),
  spec(68, 'V1 volume', 0x28, 4, -2), // m³, 0.01
  spec(69, 'V2 volume (return, leak surveillance)', 0x28, 4, -2),
  spec(84, 'VA pulse input A', 0x28, 4, -3),
  spec(85, 'VB pulse input B', 0x28, 4, -3),
  spec(1004, 'operating hour counter', 0x2e, 4, 0),
  spec(175, 'error hour counter', 0x2e, 4, 0),
  spec(86, 't1 flow temperature', 0x25, 4, -2),
  spec(87, 't2 return temperature', 0x25, 4, -2),
  spec(89, 't1−t2', 0x26, 4, -2),
  spec(74, 'flow V1', 0x29, 4, 0), // l/h
  spec(80, 'power', 0x16, 4, -1), // kW, 0.1
  spec(99, 'info code', 0x33, 4, 0),
  spec(113, 'info event counter', 0x33, 4, 0),
  spec(91, 'P1 pressure (analog input)', 0x34, 4, -2), // bar, 0.01
  spec(92, 'P2 pressure (analog input)', 0x34, 4, -2),
  spec(98, 'target date', 0x32, 4, 0), // mm:dd
  spec(1001, 'serial number', 0x33, 4, 0),
  spec(1002, 'current time', 0x2f, 4, 0), // hhmmss
  spec(1003, 'current date', 0x30, 4, 0), // yymmdd
  spec(112, 'customer number (high 8 digits)', 0x33, 4, 0),
  spec(1010, 'customer number (low 8 digits)', 0x33, 4, 0),
  spec(152, 'program number', 0x33, 4, 0),
  spec(1005, 'software edition', 0x33, 4, 0),
];

/** Registers PutRegister may change (sim choice: configuration only, never a billing counter). */
export const SIM_WRITABLE = new Set([66, 67, 98, 112, 1010]);

export interface SimLogSpec {
  kind: LoggerKind;
  lid: number;
  /** Records kept; older ones are overwritten. */
  capacity: number;
  /** Registers each record holds. */
  registers: readonly number[];
}

const COUNTERS = [1003, 60, 63, 97, 110, 64, 65, 68, 69, 84, 85, 1004, 175, 99];

/**
 * The sim's loggers. LIDs and depths come from kmp-proto's configuration for a 603
 * (loggers.ts: 01 = interval/hour log is in protocols.md §5.6; the others are [?] not in the
 * public KMP document, confirm on a meter); `lids` overrides them. Each log holds a superset of
 * the registers loggers.ts asks for, so a client's request is answered whole.
 */
export function simLogs(lids?: Partial<Record<LoggerKind, number>>): SimLogSpec[] {
  const log = (kind: LoggerKind, registers: readonly number[]): SimLogSpec => {
    const c = loggerFor('603', kind);
    return { kind, lid: lids?.[kind] ?? c.lid, capacity: c.depth, registers };
  };
  return [
    log('hourly', [1003, 1002, 60, 63, 68, 69, 97, 110, 99, 1004]),
    log('daily', COUNTERS),
    log('monthly', COUNTERS),
    log('yearly', COUNTERS),
    log('info', [1003, 1002, 99]),
  ];
}

const two = (n: number): number => n % 100;

/** yymmdd and hhmmss as the decimal numbers the date/clock units carry (§5.4). */
export function dateNumber(ms: number): number {
  const d = new Date(ms);
  return two(d.getUTCFullYear()) * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}
export function timeNumber(ms: number): number {
  const d = new Date(ms);
  return d.getUTCHours() * 10000 + d.getUTCMinutes() * 100 + d.getUTCSeconds();
}
