import { ApiError, failureText, request } from '$lib/api/client';

// The start page's short status, each figure from an existing list call (a total with limit=1 is
// one indexed count on the server). A figure the person's role may not see is left out, not
// shown as an error: a user without devices.manage has no devices to authorise.

export type Figure<T> = { state: 'loading' } | { state: 'ok'; value: T } | { state: 'hidden' } | { state: 'failed'; error: string };

export interface LastEntry {
  at: number;
  event: string;
  who: string | null;
}

interface AuditAnswer {
  entries: { at: number; event: string; userLogin: string | null; actor: string | null }[];
}

async function figure<T>(load: () => Promise<T>): Promise<Figure<T>> {
  try {
    return { state: 'ok', value: await load() };
  } catch (e) {
    if (e instanceof ApiError && e.reason === 'forbidden') return { state: 'hidden' };
    return { state: 'failed', error: failureText(e, '') };
  }
}

const total = (path: string) => figure(async () => (await request<{ total: number }>('GET', path)).total);

/** The newest audit entry of an event family ("import.", "export."), or null when there is none. */
const latest = (family: string) =>
  figure(async (): Promise<LastEntry | null> => {
    const { entries } = await request<AuditAnswer>('GET', `/audit?event=${encodeURIComponent(family)}&limit=1`);
    const e = entries[0];
    return e ? { at: e.at, event: e.event, who: e.userLogin ?? e.actor } : null;
  });

export const loadMeters = () => total('/meters?limit=1');
export const loadWithoutKey = () => total('/meters?key=missing&limit=1');
export const loadWaitingDevices = () => total('/devices?status=pending&limit=1');
export const loadLastImport = () => latest('import.');
export const loadLastExport = () => latest('export.');
