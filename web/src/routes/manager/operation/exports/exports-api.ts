import { ApiError, request } from '$lib/api/client';

// The Manager's calls for billing exports (server/src/routes/exports.ts and export-jobs.ts) and
// their wire types. Reading and running need "export"; saving formats and jobs "settings.manage".

export type FieldType = 'text' | 'number' | 'integer' | 'instant';
export interface Field {
  id: string;
  label: string;
  group: 'meter' | 'customer' | 'metering point' | 'reading' | 'info';
  type: FieldType;
  units?: string[];
  defaultDecimals?: Record<string, number>;
}

export const DATE_FORMATS = ['iso', 'YYYY-MM-DD', 'DD-MM-YYYY', 'DD.MM.YYYY HH:mm'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];
export const DATE_FORMAT_LABEL: Record<DateFormat, string> = {
  iso: 'ISO 8601 in UTC (2027-01-01T00:00:00Z)',
  'YYYY-MM-DD': 'YYYY-MM-DD (2027-01-01)',
  'DD-MM-YYYY': 'DD-MM-YYYY (01-01-2027)',
  'DD.MM.YYYY HH:mm': 'DD.MM.YYYY HH:mm (01.01.2027 00:00)'
};

export interface Column {
  field: string;
  header?: string;
  unit?: string;
  decimals?: number;
  dateFormat?: DateFormat;
  width?: number;
  align?: 'left' | 'right';
  pad?: string;
}

export interface Format {
  kind: 'delimited' | 'fixed';
  separator: ',' | ';' | '\t' | '|';
  quote: 'needed' | 'always' | 'never';
  header: boolean;
  decimalMark: '.' | ',';
  dateFormat: DateFormat;
  lineEnd: 'CRLF' | 'LF';
  bom: boolean;
  interpolate: boolean;
  maxGapDays?: number;
  columns: Column[];
}

export interface FormatSummary {
  id: number;
  name: string;
  createdAt: number;
  updatedAt: number;
}
export interface SavedFormat extends FormatSummary {
  format: Format;
}

export type Selection = { kind: 'all' } | { kind: 'group'; groupId: number };

export interface Preview {
  text: string;
  rows: number;
  meters: number;
  estimated: number;
  errors: { row: number; column: number; field: string; message: string }[];
}

export interface Group {
  id: number;
  name: string;
  meters: number;
}

export interface JobRun {
  id: number;
  startedAt: number;
  finishedAt: number | null;
  status: 'running' | 'ok' | 'failed';
  message: string | null;
  result: { rows?: number; estimated?: number; bytes?: number; fileName?: string; at?: number; trigger?: string } | null;
}

export interface JobInput {
  name: string;
  formatId: number;
  groupId: number | null;
  cron: string;
  cutoff: 'run' | 'midnight';
  target: 'folder' | 'email';
  folder: string | null;
  recipients: string[];
  enabled: boolean;
}

export interface Job extends JobInput {
  id: number;
  formatName: string;
  groupName: string | null;
  nextRunAt: number | null;
  lastRun: JobRun | null;
}

export const listFields = async () => (await request<{ fields: Field[] }>('GET', '/exports/fields')).fields;
export const listFormats = async () => (await request<{ formats: FormatSummary[] }>('GET', '/exports/formats')).formats;
export const getFormat = async (id: number) => (await request<{ format: SavedFormat }>('GET', `/exports/formats/${id}`)).format;
export const createFormat = async (name: string, format: Format) => (await request<{ format: SavedFormat }>('POST', '/exports/formats', { name, format })).format;
export const changeFormat = async (id: number, patch: { name?: string; format?: Format }) =>
  (await request<{ format: SavedFormat }>('PATCH', `/exports/formats/${id}`, patch)).format;
export const deleteFormat = (id: number) => request('DELETE', `/exports/formats/${id}`);
export const listGroups = async () => (await request<{ groups: Group[] }>('GET', '/groups')).groups;

export function preview(format: Format, selection: Selection, at: number, signal: AbortSignal): Promise<Preview> {
  return request<Preview>('POST', '/exports/preview', { format, selection, at, limit: 10 }, { signal });
}

/** The whole file of an ad hoc run, with the name the server gives it. */
export async function download(body: { format?: Format; formatId?: number; selection: Selection; at: number }): Promise<{ blob: Blob; fileName: string; rows: number }> {
  let res: Response;
  try {
    res = await fetch('/api/exports/run', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch {
    throw new ApiError('offline', 'The server cannot be reached. Check the network connection.');
  }
  if (!res.ok) {
    const data = (await res.json().catch(() => null)) as { error?: string } | null;
    const reason = res.status === 403 ? 'forbidden' : res.status === 422 || res.status === 400 ? 'invalid' : res.status === 404 ? 'not-found' : 'server';
    throw new ApiError(reason, data?.error ?? `The server answered ${res.status}.`, res.status, data);
  }
  const disposition = res.headers.get('content-disposition') ?? '';
  const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'export.csv';
  return { blob: await res.blob(), fileName, rows: Number(res.headers.get('x-export-rows') ?? 0) };
}

export const listJobs = async () => (await request<{ jobs: Job[]; timeZone: string }>('GET', '/exports/jobs'));
export const createJob = async (job: JobInput) => (await request<{ job: Job }>('POST', '/exports/jobs', job)).job;
export const changeJob = async (id: number, patch: Partial<JobInput>) => (await request<{ job: Job }>('PATCH', `/exports/jobs/${id}`, patch)).job;
export const deleteJob = (id: number) => request('DELETE', `/exports/jobs/${id}`);
export const runJob = async (id: number) => (await request<{ run: JobRun }>('POST', `/exports/jobs/${id}/run`)).run;
export const jobRuns = async (id: number) => (await request<{ runs: JobRun[] }>('GET', `/exports/jobs/${id}/runs?limit=20`)).runs;

/** The 422 answer's messages by field ("columns.2.width" → "…"). */
export function fieldErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (e instanceof ApiError && e.body && typeof e.body === 'object' && 'fields' in e.body) {
    for (const f of (e.body as { fields: { field: string; message: string }[] }).fields) out[f.field] ??= f.message;
  }
  return out;
}

export const NEW_FORMAT: Format = {
  kind: 'delimited',
  separator: ';',
  quote: 'needed',
  header: true,
  decimalMark: ',',
  dateFormat: 'YYYY-MM-DD',
  lineEnd: 'CRLF',
  bom: false,
  interpolate: false,
  columns: []
};
