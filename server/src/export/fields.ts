// The catalogue of export variables (M13): what a billing file's column can hold. A plain table:
// one entry per variable with its label, group, value type and how it gets its value from one
// export row. Registers come in the canonical integer units of the reading table (J, mL, mL/h,
// W, 0.01 °C: server/src/ingest/columns.ts) and leave here in the unit the column asks for.

import type { ReadingColumns } from '../ingest/columns.js';

/** One meter's line in an export: who and where it is at the cut-off, and its billing reading. */
export interface ExportRow {
  meter: { id: number; manufacturer: string; serial: string; medium: string | null; model: string | null };
  /** The installation at the cut-off (or the meter's last one before it); null when never installed by then. */
  point: { number: string | null; address: string; postalCode: string | null; city: string | null } | null;
  customer: { number: string | null; name: string } | null;
  /** The billing reading, raw integer columns; null when the meter has no reading at or before the cut-off. */
  reading: ({ at: number } & Omit<ReadingColumns, 'extra'>) | null;
  /** The volume was interpolated between the readings around the cut-off (water meters, on request). */
  estimated: boolean;
  cutoff: number;
}

export type FieldGroup = 'meter' | 'customer' | 'metering point' | 'reading' | 'info';
/** text: as is; number: a decimal in a unit; integer: a whole number; instant: UTC ms, shown in a date format. */
export type FieldType = 'text' | 'number' | 'integer' | 'instant';

export interface UnitChoice {
  /** Divisor from the stored integer to this unit. */
  divisor: number;
  /** Decimals when the column does not say. */
  decimals: number;
}

export interface ExportField {
  id: string;
  label: string;
  group: FieldGroup;
  type: FieldType;
  /** number fields: the units a column may choose, the first is the default. */
  units?: Record<string, UnitChoice>;
  /** The raw value: text, a stored integer (number fields, before the unit), an integer or an instant. */
  get(row: ExportRow): string | number | null;
}

const r = (k: keyof NonNullable<ExportRow['reading']>) => (row: ExportRow) => row.reading?.[k] ?? null;

const ENERGY: Record<string, UnitChoice> = {
  kWh: { divisor: 3.6e6, decimals: 0 },
  MWh: { divisor: 3.6e9, decimals: 3 },
  GJ: { divisor: 1e9, decimals: 3 },
  MJ: { divisor: 1e6, decimals: 0 },
  Wh: { divisor: 3600, decimals: 0 }
};
const VOLUME: Record<string, UnitChoice> = { m3: { divisor: 1e6, decimals: 3 }, l: { divisor: 1e3, decimals: 0 } };
const FLOW: Record<string, UnitChoice> = { 'm3/h': { divisor: 1e6, decimals: 3 }, 'l/h': { divisor: 1e3, decimals: 0 } };
const POWER: Record<string, UnitChoice> = { kW: { divisor: 1e3, decimals: 1 }, W: { divisor: 1, decimals: 0 }, MW: { divisor: 1e6, decimals: 3 } };
const CELSIUS: Record<string, UnitChoice> = { '°C': { divisor: 100, decimals: 2 } };

export const EXPORT_FIELDS: readonly ExportField[] = [
  { id: 'meter.id', label: 'Meter id (Readout)', group: 'meter', type: 'integer', get: (x) => x.meter.id },
  { id: 'meter.identity', label: 'Meter (manufacturer and serial)', group: 'meter', type: 'text', get: (x) => `${x.meter.manufacturer} ${x.meter.serial}` },
  { id: 'meter.serial', label: 'Meter serial number', group: 'meter', type: 'text', get: (x) => x.meter.serial },
  { id: 'meter.manufacturer', label: 'Manufacturer code', group: 'meter', type: 'text', get: (x) => x.meter.manufacturer },
  { id: 'meter.medium', label: 'Medium', group: 'meter', type: 'text', get: (x) => x.meter.medium },
  { id: 'meter.model', label: 'Meter model', group: 'meter', type: 'text', get: (x) => x.meter.model },
  { id: 'customer.number', label: 'Customer number', group: 'customer', type: 'text', get: (x) => x.customer?.number ?? null },
  { id: 'customer.name', label: 'Customer name', group: 'customer', type: 'text', get: (x) => x.customer?.name ?? null },
  { id: 'point.number', label: 'Metering point number', group: 'metering point', type: 'text', get: (x) => x.point?.number ?? null },
  { id: 'point.address', label: 'Address', group: 'metering point', type: 'text', get: (x) => x.point?.address ?? null },
  { id: 'point.postalCode', label: 'Postal code', group: 'metering point', type: 'text', get: (x) => x.point?.postalCode ?? null },
  { id: 'point.city', label: 'City', group: 'metering point', type: 'text', get: (x) => x.point?.city ?? null },
  { id: 'reading.at', label: 'Reading time', group: 'reading', type: 'instant', get: (x) => x.reading?.at ?? null },
  { id: 'cutoff', label: 'Cut-off time', group: 'reading', type: 'instant', get: (x) => x.cutoff },
  { id: 'reading.energy', label: 'Energy', group: 'reading', type: 'number', units: ENERGY, get: r('energy') },
  { id: 'reading.volume', label: 'Volume', group: 'reading', type: 'number', units: VOLUME, get: r('volume') },
  { id: 'reading.flow', label: 'Flow', group: 'reading', type: 'number', units: FLOW, get: r('flow') },
  { id: 'reading.power', label: 'Power', group: 'reading', type: 'number', units: POWER, get: r('power') },
  { id: 'reading.tFlow', label: 'Flow temperature', group: 'reading', type: 'number', units: CELSIUS, get: r('tFlow') },
  { id: 'reading.tReturn', label: 'Return temperature', group: 'reading', type: 'number', units: CELSIUS, get: r('tReturn') },
  {
    id: 'reading.tDiff',
    label: 'Temperature difference',
    group: 'reading',
    type: 'number',
    units: CELSIUS,
    get: (x) => (x.reading?.tFlow != null && x.reading.tReturn != null ? x.reading.tFlow - x.reading.tReturn : null)
  },
  { id: 'info.code', label: 'Info code', group: 'info', type: 'integer', get: r('info') },
  {
    id: 'info.hex',
    label: 'Info code (hexadecimal)',
    group: 'info',
    type: 'text',
    get: (x) => (x.reading?.info != null ? x.reading.info.toString(16).toUpperCase().padStart(2, '0') : null)
  },
  { id: 'estimated', label: 'Estimated (1) or read (0)', group: 'info', type: 'integer', get: (x) => (x.estimated ? 1 : 0) },
  {
    id: 'reading.status',
    label: 'Value status (read, estimated or missing)',
    group: 'info',
    type: 'text',
    get: (x) => (x.reading === null ? 'missing' : x.estimated ? 'estimated' : 'read')
  }
];

const BY_ID = new Map(EXPORT_FIELDS.map((f) => [f.id, f]));

export function exportField(id: string): ExportField | undefined {
  return BY_ID.get(id);
}

/** The catalogue as the API gives it (no functions). */
export function fieldCatalogue() {
  return EXPORT_FIELDS.map((f) => ({
    id: f.id,
    label: f.label,
    group: f.group,
    type: f.type,
    ...(f.units ? { units: Object.keys(f.units), defaultDecimals: Object.fromEntries(Object.entries(f.units).map(([u, c]) => [u, c.decimals])) } : {})
  }));
}
