// A meter exchange as the fitter enters it (M12): the units a register value may carry, parsing
// what was typed, and the checks the server makes too (server/src/routes/sync-exchanges.ts,
// store/sync-exchanges.ts), so a mistake is shown on the doorstep, not after Send/Receive.

import type { ExchangeRow, ReadingRow } from '$lib/db';

export type Register = 'energy' | 'volume';

/** Units the server converts for each register (server/src/ingest/columns.ts SCALE); the first ones are offered for typing. */
export const UNITS: Record<Register, readonly string[]> = {
  energy: ['kWh', 'MWh', 'GJ', 'MJ', 'Wh', 'J'],
  volume: ['m3', 'l']
};
/** What a display usually shows: offered in the unit picker. */
export const TYPED_UNITS = ['kWh', 'MWh', 'GJ', 'm3'] as const;

export function registerOf(unit: string): Register | null {
  if (UNITS.energy.includes(unit)) return 'energy';
  if (UNITS.volume.includes(unit)) return 'volume';
  return null;
}

/** "m3" → "m³" for people; the data keeps "m3". */
export function unitText(unit: string): string {
  return unit === 'm3' ? 'm³' : unit;
}

/** The number as a meter display shows it, with the device's locale separators. */
export function valueText(value: number, unit: string): string {
  return `${value.toLocaleString(undefined, { maximumFractionDigits: 6 })} ${unitText(unit)}`;
}

/**
 * A register value typed by hand: digits with one decimal point or comma ("1234,567"), no signs,
 * no thousands separators (a display shows none, and "1.234" would be ambiguous).
 */
export function parseValue(text: string): { value: number } | { error: string } {
  const t = text.trim();
  if (t === '') return { error: 'Type the value shown on the display.' };
  if (t.startsWith('-')) return { error: 'A meter register is never negative.' };
  if (!/^\d+([.,]\d+)?$/.test(t)) return { error: 'Type digits only, with one decimal point or comma (e.g. 1234.567).' };
  const value = Number(t.replace(',', '.'));
  if (!Number.isFinite(value) || t.replace(/\D/g, '').length > 15) return { error: 'That is more digits than a meter display has.' };
  return { value };
}

/** The old meter's register value in its latest radio reading: its primary field, else energy or volume. */
export function radioValue(r: ReadingRow): { value: number; unit: string; register: Register } | null {
  const names = [r.primary, 'energy', 'total', 'volume'].filter((n): n is string => !!n);
  for (const name of names) {
    const f = r.fields[name] as { value?: unknown; unit?: unknown } | undefined;
    if (!f || typeof f.value !== 'number' || !Number.isFinite(f.value) || f.value < 0 || typeof f.unit !== 'string') continue;
    const register = registerOf(f.unit);
    if (register) return { value: f.value, unit: f.unit, register };
  }
  return null;
}

/** What the field app queues: an ExchangeRow before it has an id, a client id and a status. */
export type ExchangeDraft = Pick<ExchangeRow, 'meterKey' | 'meterId' | 'address' | 'at' | 'newMeter' | 'note'> & {
  final: Omit<ExchangeRow['final'], 'register'>;
  start: Omit<ExchangeRow['start'], 'register'>;
};

export interface DraftProblem {
  /** As the server names it: "final.value", "newMeter.serial", "at". */
  field: string;
  message: string;
}

/** A device clock a little ahead is tolerated by the server (1 hour); we ask for no more than a few minutes. */
const FUTURE_SLACK_MS = 5 * 60_000;

/** Everything wrong with a draft, field by field; empty when it can be queued. */
export function checkDraft(d: ExchangeDraft, old: { manufacturer: string; serial: string }, now: number): DraftProblem[] {
  const out: DraftProblem[] = [];
  const finalRegister = registerOf(d.final.unit);
  if (!finalRegister) out.push({ field: 'final.unit', message: `Choose the unit of the display: ${TYPED_UNITS.map(unitText).join(', ')}.` });
  if (!(Number.isFinite(d.final.value) && d.final.value >= 0)) out.push({ field: 'final.value', message: 'Give the old meter\'s final value (0 or more).' });
  const startRegister = registerOf(d.start.unit);
  if (!startRegister) out.push({ field: 'start.unit', message: 'Choose the unit of the new meter\'s display.' });
  else if (finalRegister && startRegister !== finalRegister) {
    out.push({ field: 'start.unit', message: `The new meter must count ${finalRegister} like the old one: use ${UNITS[finalRegister].slice(0, 3).map(unitText).join(', ')}.` });
  }
  if (!(Number.isFinite(d.start.value) && d.start.value >= 0)) out.push({ field: 'start.value', message: 'Give the new meter\'s start value (0 or more).' });
  if (!/^[A-Z]{3}$/.test(d.newMeter.manufacturer)) out.push({ field: 'newMeter.manufacturer', message: 'Three letters, as printed on the meter (e.g. KAM).' });
  if (!/^\d{8}$/.test(d.newMeter.serial)) out.push({ field: 'newMeter.serial', message: 'The 8 digits printed on the new meter.' });
  else if (d.newMeter.serial === old.serial && d.newMeter.manufacturer === old.manufacturer.toUpperCase()) {
    out.push({ field: 'newMeter.serial', message: 'That is the old meter\'s serial: give the one on the new meter.' });
  }
  if (!Number.isFinite(d.at)) out.push({ field: 'at', message: 'Give the time of the exchange.' });
  else if (d.at > now + FUTURE_SLACK_MS) out.push({ field: 'at', message: 'The exchange cannot be in the future.' });
  else if (d.final.source === 'radio' && d.final.readAt !== undefined && d.at < d.final.readAt) {
    out.push({ field: 'at', message: `The radio reading is from ${new Date(d.final.readAt).toLocaleString()}: the exchange cannot be before it.` });
  }
  if (d.note !== undefined && d.note.length > 500) out.push({ field: 'note', message: 'At most 500 characters.' });
  return out;
}

/** The row's fields from a checked draft (registers from the units). */
export function rowFields(d: ExchangeDraft): Pick<ExchangeRow, 'meterKey' | 'meterId' | 'address' | 'at' | 'final' | 'newMeter' | 'start' | 'note'> {
  const register = registerOf(d.final.unit)!;
  const note = d.note?.trim();
  return {
    meterKey: d.meterKey,
    meterId: d.meterId,
    ...(d.address ? { address: d.address } : {}),
    at: Math.round(d.at),
    final: { ...d.final, register },
    newMeter: { manufacturer: d.newMeter.manufacturer.toUpperCase(), serial: d.newMeter.serial },
    start: { ...d.start, register: registerOf(d.start.unit) ?? register },
    ...(note ? { note } : {})
  };
}
