import type { Reading, ReadingField, Unit } from '../../../shared/model/reading.js';
import { INFO_FIELDS } from '../../../shared/drivers/meter-status.js';

// A driver's Reading → one row of the reading table: the common registers as integers in fixed
// small units (exact for what meters send, compact on disk), everything else in `extra` as JSON
// in the driver's units. Fields that another column or the frame already holds are left out.

export interface ReadingColumns {
  energy: number | null; //   J
  volume: number | null; //   mL
  flow: number | null; //     mL/h
  power: number | null; //    W
  tFlow: number | null; //    0.01 °C
  tReturn: number | null; //  0.01 °C
  info: number | null; //     the status word as the meter sends it
  extra: string | null; //    JSON object
}

type Column = Exclude<keyof ReadingColumns, 'extra'>;

/** Factor from a field's unit to the column's unit; undefined: that unit cannot go in the column. */
export const SCALE: Record<Column, Partial<Record<Unit, number>>> = {
  energy: { J: 1, MJ: 1e6, GJ: 1e9, Wh: 3600, kWh: 3.6e6, MWh: 3.6e9 },
  volume: { m3: 1e6, l: 1e3 },
  flow: { 'm3/h': 1e6, 'l/h': 1e3 },
  power: { W: 1, kW: 1e3, MW: 1e6 },
  tFlow: { '°C': 100 },
  tReturn: { '°C': 100 },
  info: { '': 1 }
};

/** Which driver fields go in which column, first present wins (drivers name the same thing alike). */
const FIELDS: Record<Column, readonly string[]> = {
  energy: ['energy'],
  volume: ['volume', 'total'],
  flow: ['flow'],
  power: ['power'],
  tFlow: ['flowTemperature'],
  tReturn: ['returnTemperature'],
  info: INFO_FIELDS
};

const COLUMNS = Object.keys(FIELDS) as Column[];

/** Not stored in `extra`: derivable (t1 − t2), the meter's identity, or its clock (the frame has the time). */
const SKIPPED = new Set(['temperatureDifference', 'fabricationNumber', 'meterDate']);

/** Canonical units of the columns as the API gives them: kWh, m3, m3/h, kW, °C. */
export const COLUMN_UNITS = { energy: 'kWh', volume: 'm3', flow: 'm3/h', power: 'kW', tFlow: '°C', tReturn: '°C', info: '' } as const;

/** Divisor from a column's stored integer to its canonical unit. */
export const COLUMN_DIVISOR: Record<Column, number> = {
  energy: 3.6e6,
  volume: 1e6,
  flow: 1e6,
  power: 1e3,
  tFlow: 100,
  tReturn: 100,
  info: 1
};

function scaled(f: ReadingField | undefined, column: Column): number | null | undefined {
  if (f === undefined || typeof f.value !== 'number') return undefined;
  const k = SCALE[column][f.unit];
  if (k === undefined) return undefined;
  const v = Math.round(f.value * k);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** The row for a reading; `tplStatus` is the TPL status byte, kept in `extra` when not 0. */
export function readingColumns(reading: Reading, tplStatus: number | null): ReadingColumns {
  const out: ReadingColumns = { energy: null, volume: null, flow: null, power: null, tFlow: null, tReturn: null, info: null, extra: null };
  const used: string[] = [];
  for (const column of COLUMNS) {
    for (const name of FIELDS[column]) {
      const v = scaled(reading.fields[name], column);
      if (v === undefined || v === null) continue;
      out[column] = v;
      used.push(name);
      break;
    }
  }
  let extra: Record<string, number | string> | null = null;
  for (const name in reading.fields) {
    const value = reading.fields[name]!.value;
    if (value === null || used.includes(name) || SKIPPED.has(name)) continue;
    (extra ??= {})[name] = value;
  }
  if (tplStatus) (extra ??= {}).tplStatus = tplStatus;
  if (extra) out.extra = JSON.stringify(extra);
  return out;
}
