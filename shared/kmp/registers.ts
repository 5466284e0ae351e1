// KMP register catalogue for MULTICAL 30x/40x/60x/80x heat meters (protocols.md §5.5).
// Ids and meanings: Kamstrup doc 5512-447 §5.2/§5.3 (MULTICAL 601/801), confirmed in use on
// MULTICAL 402/403 by PyKMP, ESPHome and MeterLogger. Which register each model has is NOT
// published per model: `models` says where a register is documented or seen, and `basis` how
// sure that is. GetRegister silently leaves out ids a meter does not know (§5.3), so asking for
// a register on the wrong model costs nothing but a shorter answer.

export type MulticalModel = '302' | '303' | '402' | '403' | '601' | '602' | '603' | '801' | '803';

export const MULTICAL_MODELS: readonly MulticalModel[] = ['302', '303', '402', '403', '601', '602', '603', '801', '803'];

export type RegisterQuantity =
  | 'energy'
  | 'volume'
  | 'mass'
  | 'duration'
  | 'temperature'
  | 'temperature difference'
  | 'pressure'
  | 'volume flow'
  | 'power'
  | 'info code'
  | 'counter'
  | 'date'
  | 'clock'
  | 'date-time'
  | 'identifier'
  | 'configuration'
  | 'pulse value';

export interface KmpRegister {
  id: number;
  /** Short name as on the meter's display or in the document: "E1", "V1", "t1". */
  key: string;
  name: string;
  quantity: RegisterQuantity;
  models: readonly MulticalModel[];
  /**
   * 'document': listed in Kamstrup doc 5512-447 (for MULTICAL 601/801 only; see registerBasis).
   * 'open-source': not in that document, seen in PyKMP/ESPHome/wmbusmeters (§5.5).
   */
  basis: 'document' | 'open-source';
}

const ALL: readonly MulticalModel[] = MULTICAL_MODELS;
const M40_80: readonly MulticalModel[] = ['402', '403', '601', '602', '603', '801', '803'];
const M60_80: readonly MulticalModel[] = ['601', '602', '603', '801', '803'];
/** Analog inputs P1/P2: MULTICAL 603/803 (issue 9, R7) and in the 601/801 document. */
const ANALOG: readonly MulticalModel[] = ['601', '603', '801', '803'];
const M801: readonly MulticalModel[] = ['801'];

function reg(
  id: number,
  key: string,
  name: string,
  quantity: RegisterQuantity,
  models: readonly MulticalModel[],
  basis: KmpRegister['basis'] = 'document'
): KmpRegister {
  return { id, key, name, quantity, models, basis };
}

/** Every register of §5.5, by id. */
export const KMP_REGISTERS: readonly KmpRegister[] = [
  // Energies (the 30x have E1 heat and E3 cooling only [?])
  reg(60, 'E1', 'heat energy', 'energy', ALL),
  reg(94, 'E2', 'control energy', 'energy', M40_80),
  reg(63, 'E3', 'cooling energy', 'energy', ALL),
  reg(61, 'E4', 'flow (inlet) energy', 'energy', M40_80),
  reg(62, 'E5', 'return energy', 'energy', M40_80),
  reg(95, 'E6', 'tap water energy', 'energy', M40_80),
  reg(96, 'E7', 'heat energy Y', 'energy', M40_80),
  reg(97, 'E8', 'm³ × t1', 'energy', M40_80),
  reg(110, 'E9', 'm³ × t2', 'energy', M40_80),
  reg(266, 'E1HR', 'heat energy, high resolution', 'energy', ['402', '403'], 'open-source'), // PyKMP (used on 40x)
  reg(155, 'HIGHRES', 'high-resolution energy (test)', 'energy', M60_80),
  // Tariffs
  reg(64, 'TA2', 'tariff register 2', 'energy', M40_80),
  reg(65, 'TA3', 'tariff register 3', 'energy', M40_80),
  reg(66, 'TL2', 'tariff limit 2', 'configuration', M40_80),
  reg(67, 'TL3', 'tariff limit 3', 'configuration', M40_80),
  // Volumes, masses, pulse inputs
  reg(68, 'V1', 'volume V1', 'volume', ALL),
  reg(69, 'V2', 'volume V2', 'volume', M40_80),
  reg(72, 'M1', 'mass M1', 'mass', M60_80),
  reg(73, 'M2', 'mass M2', 'mass', M60_80),
  reg(84, 'VA', 'pulse input A', 'volume', M40_80),
  reg(85, 'VB', 'pulse input B', 'volume', M40_80),
  reg(234, 'VA-L/IMP', 'litres per pulse, input A', 'pulse value', M40_80),
  reg(235, 'VB-L/IMP', 'litres per pulse, input B', 'pulse value', M40_80),
  reg(114, 'VA-NO', 'meter number for input A', 'identifier', M40_80),
  reg(104, 'VB-NO', 'meter number for input B', 'identifier', M40_80),
  // Hour counters
  reg(1004, 'HR', 'operating hour counter', 'duration', ALL),
  reg(175, 'ERRHR', 'error hour counter', 'duration', ALL),
  // Temperatures, pressures, flows, power
  reg(86, 't1', 'flow temperature', 'temperature', ALL),
  reg(87, 't2', 'return temperature', 'temperature', ALL),
  reg(88, 't3', 'temperature t3', 'temperature', M40_80),
  reg(122, 't4', 'temperature t4', 'temperature', M60_80),
  reg(89, 't1-t2', 'temperature difference t1 − t2', 'temperature difference', ALL),
  reg(91, 'P1', 'pressure in flow (analog input P1)', 'pressure', ANALOG),
  reg(92, 'P2', 'pressure in return (analog input P2)', 'pressure', ANALOG),
  reg(74, 'FLOW1', 'actual flow V1', 'volume flow', ALL),
  reg(75, 'FLOW2', 'actual flow V2', 'volume flow', M40_80),
  reg(80, 'POWER1', 'actual power (V1, t1, t2)', 'power', ALL),
  // Peak and average values
  reg(123, 'MAXFLOW1DATE/Y', 'date of max. flow this year', 'date', M60_80),
  reg(124, 'MAXFLOW1/Y', 'max. flow this year', 'volume flow', M60_80),
  reg(125, 'MINFLOW1DATE/Y', 'date of min. flow this year', 'date', M60_80),
  reg(126, 'MINFLOW1/Y', 'min. flow this year', 'volume flow', M60_80),
  reg(127, 'MAXPOWER1DATE/Y', 'date of max. power this year', 'date', M60_80),
  reg(128, 'MAXPOWER1/Y', 'max. power this year', 'power', M60_80),
  reg(129, 'MINPOWER1DATE/Y', 'date of min. power this year', 'date', M60_80),
  reg(130, 'MINPOWER1/Y', 'min. power this year', 'power', M60_80),
  reg(138, 'MAXFLOW1DATE/M', 'date of max. flow this month', 'date', M60_80),
  reg(139, 'MAXFLOW1/M', 'max. flow this month', 'volume flow', M60_80),
  reg(140, 'MINFLOW1DATE/M', 'date of min. flow this month', 'date', M60_80),
  reg(141, 'MINFLOW1/M', 'min. flow this month', 'volume flow', M60_80),
  reg(142, 'MAXPOWER1DATE/M', 'date of max. power this month', 'date', M60_80),
  reg(143, 'MAXPOWER1/M', 'max. power this month', 'power', M60_80),
  reg(144, 'MINPOWER1DATE/M', 'date of min. power this month', 'date', M60_80),
  reg(145, 'MINPOWER1/M', 'min. power this month', 'power', M60_80),
  reg(146, 'AVRT1/Y', 'year-to-date average t1', 'temperature', M60_80),
  reg(147, 'AVRT2/Y', 'year-to-date average t2', 'temperature', M60_80),
  reg(149, 'AVRT1/M', 'month-to-date average t1', 'temperature', M60_80),
  reg(150, 'AVRT2/M', 'month-to-date average t2', 'temperature', M60_80),
  // Info code
  reg(99, 'INFO', 'info code (current)', 'info code', ALL),
  reg(113, 'INFOEVENT', 'info event counter', 'counter', M40_80),
  // Clock, identity, configuration
  reg(1002, 'CLOCK', 'current time (hhmmss)', 'clock', ALL),
  reg(1003, 'DATE', 'current date (YYMMDD)', 'date', ALL),
  reg(348, 'DATETIME', 'date and time', 'date-time', ['402', '403', '602', '603'], 'open-source'), // wmbusmeters: 40x/60x
  reg(98, 'XDAY', 'target (billing) date', 'date', M40_80),
  reg(1001, 'SERIALNO', 'serial number', 'identifier', ALL),
  reg(112, 'METERNO2', 'customer number, 8 most significant digits', 'identifier', ALL),
  reg(1010, 'METERNO1', 'customer number, 8 least significant digits', 'identifier', ALL),
  reg(152, 'PROGNO', 'program number ABCCCCCC', 'configuration', ALL),
  reg(153, 'CONFIGNO1', 'configuration number DDDEE', 'configuration', ALL),
  reg(168, 'CONFIGNO2', 'configuration number FFGGMN', 'configuration', ALL),
  reg(1005, 'METERTYPE', 'software edition', 'identifier', ALL),
  reg(154, 'CHECKSUM1', 'software check sum', 'identifier', ALL),
  reg(157, 'TOPMODULEID', 'top module id', 'identifier', M60_80),
  reg(158, 'BASEMODULEID', 'base module id', 'identifier', M40_80),
  // MULTICAL 801 extras (doc §5.3)
  reg(171, 'BASEMODULEID2', 'base module 2 id', 'identifier', M801),
  reg(172, 'EXTMODULEID', 'external base module id', 'identifier', M801),
  reg(184, 'MBUSPRI1', 'M-Bus primary address, module 1', 'configuration', M801),
  reg(185, 'MBUSSEC1', 'M-Bus secondary address, module 1', 'configuration', M801),
  reg(218, 'MBUSPRI2', 'M-Bus primary address, module 2', 'configuration', M801),
  reg(219, 'MBUSSEC2', 'M-Bus secondary address, module 2', 'configuration', M801),
  reg(220, 'MBUSPRIEXT', 'M-Bus primary address, external module', 'configuration', M801),
  reg(221, 'MBUSSECEXT', 'M-Bus secondary address, external module', 'configuration', M801)
];

const BY_ID = new Map(KMP_REGISTERS.map((r) => [r.id, r]));

/** The catalogue entry of a register id, or undefined for an id we do not know. */
export function registerById(id: number): KmpRegister | undefined {
  return BY_ID.get(id);
}

/** The registers documented or seen for `model`, in catalogue order. */
export function registersFor(model: MulticalModel): KmpRegister[] {
  return KMP_REGISTERS.filter((r) => r.models.includes(model));
}

/**
 * How sure it is that `model` has register `r`: 'document' only for MULTICAL 601/801 (doc
 * 5512-447), 'open-source' for the registers seen in open-source readers, 'assumed' for every
 * other listed pairing ([?] not in the public KMP document; confirm on a meter), null when
 * `model` is not listed.
 */
export function registerBasis(r: KmpRegister, model: MulticalModel): 'document' | 'open-source' | 'assumed' | null {
  if (!r.models.includes(model)) return null; // not listed for that model at all
  if (r.basis === 'open-source') return 'open-source';
  return model === '601' || model === '801' ? 'document' : 'assumed';
}

/** Register ids in groups of at most 8, one GetRegister request each (§5.1: bundle to save battery). */
export function registerBatches(ids: readonly number[]): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < ids.length; i += 8) out.push(ids.slice(i, i + 8));
  return out;
}
