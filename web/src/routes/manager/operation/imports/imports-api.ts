import { failureText, request } from '$lib/api/client';
import type { Separator } from '$server/import/csv';
import type { KemImportReport } from '$server/import/kem-import';
import type { ImportReport, RowError } from '$server/import/run';
import type { RunDetail, RunStatus, RunSummary } from '$server/store/imports';
import type { Page } from '$server/store/registry';

// The Manager's calls about imports (server/src/routes/imports.ts, import-runs.ts,
// import-config.ts) and the small pieces of CSV reading the page does before anything is sent:
// the header line, the separator, a mapping guessed from the column names.
// Wire types are the server's own ($server, types only).

export type { Page, RowError, RunDetail, RunStatus, RunSummary, Separator };

export type CsvKind = 'installations' | 'customers' | 'metering-points' | 'meters' | 'keys';
export type Kind = CsvKind | 'kem';
export type Mode = 'all-or-nothing' | 'valid-rows';

export const KIND_LABEL: Record<Kind, string> = {
  installations: 'Customers, metering points and meters',
  customers: 'Customers',
  'metering-points': 'Metering points',
  meters: 'Meters',
  keys: 'Meter keys (CSV)',
  kem: 'Kamstrup key file (KEM)'
};
export const SEPARATOR_LABEL: Record<Separator, string> = { ',': 'Comma ( , )', ';': 'Semicolon ( ; )', '\t': 'Tab', '|': 'Bar ( | )' };
export const STATUS_LABEL: Record<RunStatus, string> = { ok: 'OK', partial: 'Partly imported', failed: 'Failed' };

/** How the mapping table names the server's fields (the value sent stays the field name). */
export const FIELD_LABEL: Record<string, string> = {
  number: 'Number',
  name: 'Name',
  email: 'E-mail',
  phone: 'Phone',
  address: 'Address',
  postalCode: 'Postal code',
  city: 'City',
  lat: 'Latitude',
  lon: 'Longitude',
  customerNumber: 'Customer number',
  customerName: 'Customer name',
  meteringPointNumber: 'Metering point number',
  manufacturer: 'Manufacturer (3 letters)',
  serial: 'Serial number',
  version: 'Version',
  deviceType: 'Device type',
  medium: 'Medium',
  model: 'Model',
  driver: 'Driver',
  readingMode: 'Reading mode',
  intervalS: 'Reading interval (s)',
  installedFrom: 'Installed from (date)',
  key: 'AES key (32 hex digits)'
};

export interface FieldInfo {
  name: string;
  required: boolean;
}
export interface Fields {
  kinds: Record<CsvKind, FieldInfo[]>;
  maxCsvBytes: number;
  maxKemBytes: number;
}

/** What the server adds to a report: the run it recorded (null for a dry run). */
interface Recorded {
  runId: number | null;
  status: RunStatus | null;
}
/** The answer of a CSV import or its dry run (also inside a 422 for all-or-nothing). */
export type CsvReport = ImportReport & Recorded;
export type KemReport = KemImportReport & Recorded;

export interface SavedMapping {
  id: number;
  name: string;
  kind: CsvKind;
  separator: Separator;
  mapping: Record<string, string | null>;
}

export interface FolderInput {
  name: string;
  path: string;
  kind: CsvKind;
  separator: Separator;
  mappingId: number | null;
  mode: Mode;
  schedule: string;
  enabled: boolean;
}

export interface Folder extends FolderInput {
  id: number;
  location: string;
  lastRun: RunSummary | null;
}

export interface FileResult {
  file: string;
  runId: number;
  status: RunStatus;
  movedTo: string;
  message: string | null;
}

export const getFields = () => request<Fields>('GET', '/imports/fields');
export const listMappings = async (kind?: CsvKind) =>
  (await request<{ items: SavedMapping[] }>('GET', `/imports/mappings${kind ? `?kind=${kind}` : ''}`)).items;
export const saveMapping = (m: Omit<SavedMapping, 'id'>, id?: number) =>
  id === undefined ? request<{ mapping: SavedMapping }>('POST', '/imports/mappings', m) : request<{ mapping: SavedMapping }>('PUT', `/imports/mappings/${id}`, m);

export interface CsvRequest {
  kind: CsvKind;
  separator: Separator;
  mapping: Record<string, string | null>;
  mode: Mode;
  dryRun: boolean;
  fileName: string;
  csv: string;
}
export const importCsv = (body: CsvRequest) => request<CsvReport>('POST', '/imports/csv', body);
export const importKem = (body: { file: string; password: string; mode: Mode; dryRun: boolean; fileName: string }) =>
  request<KemReport>('POST', '/imports/kem', body);

export const listRuns = (offset: number, limit: number) => request<Page<RunSummary>>('GET', `/imports/runs?limit=${limit}&offset=${offset}`);
export const getRun = async (id: number, offset: number, limit: number, q: string) =>
  (await request<{ run: RunDetail }>('GET', `/imports/runs/${id}?limit=${limit}&offset=${offset}${q ? `&q=${encodeURIComponent(q)}` : ''}`)).run;

export const listFolders = () => request<{ items: Folder[]; root: string }>('GET', '/imports/folders');
export const saveFolder = (f: FolderInput, id?: number) =>
  id === undefined ? request<{ folder: Folder }>('POST', '/imports/folders', f) : request<{ folder: Folder }>('PUT', `/imports/folders/${id}`, f);
export const deleteFolder = (id: number) => request<null>('DELETE', `/imports/folders/${id}`);
export const runFolder = async (id: number) => (await request<{ files: FileResult[] }>('POST', `/imports/folders/${id}/run`)).files;

export const explain = (e: unknown): string => failureText(e, 'Your role may not import: ask an administrator for the "import" permission.');

const SEPARATORS: Separator[] = [';', ',', '\t', '|'];

/** The cells of the first line, with quotes as RFC 4180 writes them. */
export function headerOf(text: string, separator: Separator): string[] {
  const body = text.replace(/^\uFEFF/, '');
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quoted) {
      if (ch === '"' && body[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === separator) (cells.push(cell.trim()), (cell = ''));
    else if (ch === '\n' || ch === '\r') break;
    else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

/** The separator that splits the header line into the most columns (ties: ; before ,). */
export function detectSeparator(text: string): Separator {
  let best: Separator = ',';
  let most = 1;
  for (const s of SEPARATORS) {
    const n = headerOf(text, s).length;
    if (n > most) (best = s), (most = n);
  }
  return best;
}

const norm = (s: string) => s.toLowerCase().replace(/[\s_-]/g, '');

/** Each column → the field named like it, or null (the server matches names the same way). */
export function guessMapping(header: string[], fields: FieldInfo[]): Record<string, string | null> {
  const used = new Set<string>();
  return Object.fromEntries(
    header.map((h) => {
      const f = fields.find((f) => !used.has(f.name) && norm(f.name) === norm(h));
      if (f) used.add(f.name);
      return [h, f?.name ?? null];
    })
  );
}

/** The saved mapping that knows the most of these columns (all of its own); the newest of equals. */
export function bestSaved(header: string[], saved: SavedMapping[]): SavedMapping | null {
  let best: SavedMapping | null = null;
  let score = 0;
  for (const m of saved) {
    const mapped = Object.entries(m.mapping).filter(([, f]) => f);
    if (!mapped.length || !mapped.every(([c]) => header.includes(c))) continue;
    if (mapped.length > score || (mapped.length === score && best && m.id > best.id)) (best = m), (score = mapped.length);
  }
  return best;
}

/** "14 Mar 2026, 10:32" in the browser's zone. */
export function when(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

/** One CSV field, quoted when needed (RFC 4180). */
export const csvCell = (v: string | number | null) => {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
