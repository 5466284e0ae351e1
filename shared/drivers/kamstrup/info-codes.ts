// Kamstrup info codes and status words mapped onto the alarm taxonomy (shared/model/alarm.ts).
// Bit meanings: protocols.md §4.5 and its sources (MULTICAL 403 technical description 5512-1689
// §7.7; MULTICAL 803 5512-2360 §7.8; MULTICAL 602 5512-931 §6.11.2; MULTICAL 21 5512-897 §11.4;
// wmbusmeters drivers/src/kamheat.xmq, kamwater.xmq, kampress.xmq). Which kind a bit becomes
// is our judgment where the comment says so.

import type { Alarm, AlarmDuration, AlarmKind, AlarmOptions } from '../../model/alarm.js';
import { makeAlarm } from '../../model/alarm.js';
import type { BitMeaning, StatusTable } from '../define.js';
import { bitTable } from '../define.js';

const open = 'open'; // "above measuring range / disconnected"
const short = 'short'; // "below measuring range / short-circuited"

// MULTICAL 403 (303/603 share the low 16 bits), protocols.md §4.5.1.
const HEAT_LOW_16: Readonly<Record<number, BitMeaning>> = {
  // "logged only": the meter reports that the supply was interrupted, not that it is off now.
  0: { flag: 'supply interrupted', kind: 'supply-voltage', active: false },
  1: { flag: 'low battery', kind: 'low-battery' },
  2: { flag: 'external alarm', kind: 'external-alarm' },
  3: { flag: 't1 above range', kind: 'sensor-error', where: 't1', detail: open },
  4: { flag: 't2 above range', kind: 'sensor-error', where: 't2', detail: open },
  5: { flag: 't1 below range', kind: 'sensor-error', where: 't1', detail: short },
  6: { flag: 't2 below range', kind: 'sensor-error', where: 't2', detail: short },
  7: { flag: 'invalid temperature difference', kind: 'temperature-difference' },
  8: { flag: 'V1 air', kind: 'air', where: 'V1', detail: 'air or weak signal' },
  9: { flag: 'V1 wrong flow direction', kind: 'reverse-flow', where: 'V1' },
  // bit 10 reserved
  11: { flag: 'V1 increased flow', kind: 'flow-over-limit', where: 'V1', detail: 'above qs for more than one hour' },
  12: { flag: 'input A leakage', kind: 'leak', where: 'input A' },
  13: { flag: 'input B leakage', kind: 'leak', where: 'input B' },
  14: { flag: 'input A external alarm', kind: 'external-alarm', where: 'input A' },
  15: { flag: 'input B external alarm', kind: 'external-alarm', where: 'input B' },
};

// MULTICAL 803 upper 16 bits, protocols.md §4.5.1 (wmbusmeters kamheat.xmq ERROR_FLAGS).
// Communication errors → hardware-error, wrong pulse figure → configuration-error: our judgment.
const HEAT_HIGH_16: Readonly<Record<number, BitMeaning>> = {
  16: { flag: 'V1 communication error', kind: 'hardware-error', where: 'V1', detail: 'communication error' },
  17: { flag: 'V1 wrong pulse figure', kind: 'configuration-error', where: 'V1', detail: 'wrong pulse figure' },
  18: { flag: 'input A2 leakage', kind: 'leak', where: 'input A2' },
  19: { flag: 'input B2 leakage', kind: 'leak', where: 'input B2' },
  20: { flag: 't3 above range', kind: 'sensor-error', where: 't3', detail: open },
  21: { flag: 't3 below range', kind: 'sensor-error', where: 't3', detail: short },
  22: { flag: 'V2 communication error', kind: 'hardware-error', where: 'V2', detail: 'communication error' },
  23: { flag: 'V2 wrong pulse figure', kind: 'configuration-error', where: 'V2', detail: 'wrong pulse figure' },
  24: { flag: 'V2 air', kind: 'air', where: 'V2' },
  25: { flag: 'V2 wrong flow direction', kind: 'reverse-flow', where: 'V2' },
  // bit 26 reserved
  27: { flag: 'V2 increased flow', kind: 'flow-over-limit', where: 'V2' },
  28: { flag: 'burst, water loss', kind: 'burst', where: 'V1/V2', detail: 'water loss' },
  29: { flag: 'burst, water penetration', kind: 'burst', where: 'V1/V2', detail: 'water penetration' },
  30: { flag: 'leakage, water loss', kind: 'leak', where: 'V1/V2', detail: 'water loss' },
  31: { flag: 'leakage, water penetration', kind: 'leak', where: 'V1/V2', detail: 'water penetration' },
};

/** `04 FF 22`: MULTICAL 403/603/803 info code, 32 bit (§4.5.1). */
export const kamstrupHeatInfo32: StatusTable = bitTable(
  'Kamstrup heat meter info code, 32 bit (04 FF 22)',
  'KAM info code',
  { ...HEAT_LOW_16, ...HEAT_HIGH_16 },
);

/**
 * MULTICAL 303/403/603 info code (`02 FF 22` 16 bit or `04 FF 22` 32 bit): the 403 bit table,
 * which 303 and 603 share (§4.5.1). Bits 16-31 are documented for the 803 only: here 'unknown'.
 */
export const kamstrupHeatInfo16: StatusTable = bitTable(
  'Kamstrup MULTICAL 303/403/603 info code (02 FF 22 / 04 FF 22)',
  'KAM info code',
  HEAT_LOW_16,
);

/**
 * `02 FD 17`: MULTICAL 602/402 "narrow" info code (§4.5.1, 5512-931 §6.11.2). Value 2 (bit 1) is
 * not listed by the source. "Outside range" does not say open or short.
 */
export const kamstrupHeatInfoNarrow: StatusTable = bitTable(
  'Kamstrup MULTICAL 602/402 info code (02 FD 17)',
  'KAM info code',
  {
    0: { flag: 'supply cut off', kind: 'supply-voltage' },
    2: { flag: 't2 outside range', kind: 'sensor-error', where: 't2', detail: 'out-of-range' },
    3: { flag: 't1 outside range', kind: 'sensor-error', where: 't1', detail: 'out-of-range' },
    4: { flag: 'V1 datacomm error', kind: 'hardware-error', where: 'V1', detail: 'communication error' },
    5: { flag: 't3 outside range', kind: 'sensor-error', where: 't3', detail: 'out-of-range' },
    6: { flag: 'leak in cold-water system', kind: 'leak', where: 'cold-water system' },
    7: { flag: 'V2 wrong pulse figure', kind: 'configuration-error', where: 'V2', detail: 'wrong pulse figure' },
    8: { flag: 'leak in heating system', kind: 'leak', where: 'heating system' },
    9: { flag: 'burst in heating system', kind: 'burst', where: 'heating system' },
    10: { flag: 'V2 datacomm error', kind: 'hardware-error', where: 'V2', detail: 'communication error' },
    11: { flag: 'V1 wrong pulse figure', kind: 'configuration-error', where: 'V1', detail: 'wrong pulse figure' },
    12: { flag: 'V1 air', kind: 'air', where: 'V1' },
    13: { flag: 'V2 air', kind: 'air', where: 'V2' },
    14: { flag: 'V1 wrong flow direction', kind: 'reverse-flow', where: 'V1' },
    15: { flag: 'V2 wrong flow direction', kind: 'reverse-flow', where: 'V2' },
  },
);

/**
 * Duration codes of the MULTICAL 21 / flowIQ 2101 info code, §4.5.2 (history over the last
 * 30 days). Code 3 "2-3 days" is taken literally (48-72 h), leaving 25-47 h uncovered as the source does.
 */
export const KAMSTRUP_WATER_DURATIONS: readonly (AlarmDuration | null)[] = [
  null,
  { minHours: 1, maxHours: 8, text: '1-8 hours' },
  { minHours: 9, maxHours: 24, text: '9-24 hours' },
  { minHours: 48, maxHours: 72, text: '2-3 days' },
  { minHours: 96, maxHours: 168, text: '4-7 days' },
  { minHours: 192, maxHours: 336, text: '8-14 days' },
  { minHours: 360, maxHours: 504, text: '15-21 days' },
  { minHours: 528, maxHours: 744, text: '22-31 days' },
];

const WATER_HISTORY_DAYS = 30;

const WATER_CONDITIONS: readonly { flag: string; kind: AlarmKind }[] = [
  { flag: 'dry', kind: 'dry' },
  { flag: 'reverse', kind: 'reverse-flow' },
  { flag: 'leak', kind: 'leak' },
  { flag: 'burst', kind: 'burst' },
];

/**
 * `02 FF 20`: MULTICAL 21 / flowIQ 2101 info code, 16 bit (§4.5.2): bits 0-3 dry, reverse, leak,
 * burst active now; bits 4-6, 7-9, 10-12, 13-15 their duration codes over the last 30 days.
 * One alarm per condition that is active or has a duration: `active` says which.
 */
export const kamstrupWaterInfo16: StatusTable = {
  name: 'Kamstrup MULTICAL 21 info code, 16 bit (02 FF 20)',
  decode(value) {
    const flags: string[] = [];
    const alarms: Alarm[] = [];
    WATER_CONDITIONS.forEach((c, i) => {
      const active = ((value >> i) & 1) === 1;
      const shift = 4 + 3 * i;
      const code = (value >> shift) & 7;
      if (active) flags.push(c.flag);
      if (!active && code === 0) return;
      const duration = KAMSTRUP_WATER_DURATIONS[code] ?? undefined;
      const source = code === 0 ? `KAM info code bit ${i}` : `KAM info code bit ${i}, bits ${shift}-${shift + 2} = ${code}`;
      const options: AlarmOptions = { active };
      if (duration !== undefined) options.duration = duration;
      if (!active) options.seenWithinDays = WATER_HISTORY_DAYS;
      alarms.push(makeAlarm(c.kind, source, options));
    });
    return { flags, alarms };
  },
};

/**
 * `04 FF 23`: flowIQ 2200 / KWM info code, 32 bit (§4.5.2, wmbusmeters kamwater.xmq): bits 0-7 and 9;
 * other bits are undocumented (§11 question 9) and come out as 'unknown'.
 */
export const kamstrupWaterInfo32: StatusTable = bitTable(
  'Kamstrup flowIQ 2200 / KWM info code, 32 bit (04 FF 23)',
  'KAM info code',
  {
    0: { flag: 'dry', kind: 'dry' },
    1: { flag: 'reverse', kind: 'reverse-flow' },
    2: { flag: 'leak', kind: 'leak' },
    3: { flag: 'burst', kind: 'burst' },
    4: { flag: 'tamper', kind: 'tamper' },
    5: { flag: 'low battery', kind: 'low-battery' },
    6: { flag: 'low ambient temperature', kind: 'low-ambient-temperature' },
    7: { flag: 'flow above Q4', kind: 'flow-over-limit', detail: 'above Q4' },
    9: { flag: 'no consumption', kind: 'no-consumption' },
  },
);

/**
 * `02 FD 17` of the Kamstrup pressure sensor (wmbusmeters drivers/src/kampress.xmq ERROR_FLAGS;
 * the bit meanings are that file's "info" texts). COMM_ERROR → hardware-error: our judgment.
 */
export const kamstrupPressureFlags: StatusTable = bitTable(
  'Kamstrup pressure sensor error flags (02 FD 17)',
  'KAM pressure flags',
  {
    0: { flag: 'drop', kind: 'pressure-drop', detail: 'unexpected drop against the average pressure' },
    1: { flag: 'surge', kind: 'pressure-surge', detail: 'unexpected increase against the average pressure' },
    2: { flag: 'high', kind: 'pressure-high', detail: 'average pressure reached the high limit (default 15 bar)' },
    3: { flag: 'low', kind: 'pressure-low', detail: 'average pressure reached the low limit (default 1.5 bar)' },
    4: { flag: 'transient', kind: 'pressure-unstable', detail: 'pressure changes quickly over short periods' },
    5: { flag: 'communication error', kind: 'hardware-error', detail: 'cannot measure or internal communication error' },
  },
);
