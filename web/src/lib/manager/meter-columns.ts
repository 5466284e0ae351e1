import type { ListMeter, SortKey } from './meters-api';

// The meter list's columns (M4): what each shows, which sort its header button sets, and its
// width. Which are hidden is the user's choice, kept in localStorage per browser.

export interface Column {
  key: string;
  label: string;
  sort: SortKey;
  /** CSS grid track, in em of the row's font size. */
  width: string;
  /** The track's minimum in em: the rows' min-width is their sum (a horizontal scroll below it). */
  min: number;
  text: (m: ListMeter) => string;
  numeric?: boolean;
}

const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });
// an energy register past 10,000 kWh reads in whole kWh, as on the meter's display: it fits the column
const whole = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const reading = (l: NonNullable<ListMeter['latest']>) =>
  `${(l.unit === 'kWh' && l.value >= 10_000 ? whole : number).format(l.value)} ${l.unit === 'm3' ? 'm³' : l.unit}`;
// 24-hour clock: fits the column in every locale (no AM/PM)
const time = new Intl.DateTimeFormat(undefined, { year: '2-digit', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

const MEDIUM: Record<string, string> = { heat: 'Heat', water: 'Water', cooling: 'Cooling', electricity: 'Electricity', gas: 'Gas' };

export const COLUMNS: readonly Column[] = [
  { key: 'customer', label: 'Customer', sort: 'customer', width: 'minmax(5em, 1.4fr)', min: 5, text: (m) => m.customer?.name ?? '' },
  { key: 'address', label: 'Address', sort: 'address', width: 'minmax(7em, 1.5fr)', min: 7, text: (m) => m.meteringPoint?.address ?? '' },
  { key: 'postalCode', label: 'Postal code', sort: 'postalCode', width: '4.5em', min: 4.5, text: (m) => m.meteringPoint?.postalCode ?? '' },
  { key: 'customerNumber', label: 'Customer no.', sort: 'customerNumber', width: '5.5em', min: 5.5, text: (m) => m.customer?.number ?? '' },
  {
    key: 'type',
    label: 'Meter type',
    sort: 'type',
    width: 'minmax(4em, 1fr)',
    min: 4,
    text: (m) => [m.medium ? (MEDIUM[m.medium] ?? m.medium) : '', m.model ?? ''].filter(Boolean).join(' · ')
  },
  { key: 'serial', label: 'Serial', sort: 'serial', width: '8.75em', min: 8.75, text: (m) => `${m.manufacturer} ${m.serial}` },
  {
    key: 'reading',
    label: 'Latest reading',
    sort: 'reading',
    width: '8.5em',
    min: 8.5,
    numeric: true,
    text: (m) => (m.latest ? reading(m.latest) : '')
  },
  { key: 'lastReading', label: 'Reading time', sort: 'lastReading', width: '9.25em', min: 9.25, text: (m) => (m.latest ? time.format(m.latest.at) : '') }
];

const STORAGE_KEY = 'readout.manager.meters.hidden-columns';

export function loadHidden(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string' && COLUMNS.some((c) => c.key === k)) : [];
  } catch {
    return []; // storage blocked or garbled: every column shows
  }
}

export function saveHidden(hidden: string[]): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(hidden));
  } catch {
    // private mode or quota: the choice lasts for this page only
  }
}
