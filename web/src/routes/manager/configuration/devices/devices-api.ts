import { failureText, request } from '$lib/api/client';
import type { PickableGroup } from '$lib/ui/GroupPicker.svelte';

// The Manager's calls about field devices (server/src/routes/devices.ts and the route of a
// device in server/src/routes/sync.ts). All need the devices.manage permission.

export type DeviceStatus = 'pending' | 'authorised' | 'revoked';

export interface Person {
  id: number;
  login: string;
}

export interface Device {
  id: number;
  name: string;
  status: DeviceStatus;
  userAgent: string | null;
  registeredAt: number;
  registeredBy: Person | null;
  authorisedAt: number | null;
  authorisedBy: Person | null;
  revokedAt: number | null;
  lastSeenAt: number | null;
}

export interface Route {
  groups: PickableGroup[];
  /** Meters on the route, each once however many of its groups hold it. */
  meters: number;
}

/** Waiting devices first: they are the ones someone is holding and waiting for. */
export const STATUS_ORDER: readonly DeviceStatus[] = ['pending', 'authorised', 'revoked'];
export const STATUS_LABEL: Record<DeviceStatus, string> = { pending: 'Waiting', authorised: 'Authorised', revoked: 'Revoked' };
/** The status badge's colour (app.css .pill). */
export const STATUS_TONE: Record<DeviceStatus, 'good' | 'warn' | 'bad'> = { pending: 'warn', authorised: 'good', revoked: 'bad' };

export async function countDevices(status: DeviceStatus): Promise<number> {
  return (await request<{ total: number }>('GET', `/devices?status=${status}&limit=1`)).total;
}

export async function listDevices(status: DeviceStatus, offset: number, limit: number): Promise<Device[]> {
  return (await request<{ devices: Device[] }>('GET', `/devices?status=${status}&limit=${limit}&offset=${offset}`)).devices;
}

export const getRoute = (id: number) => request<Route>('GET', `/devices/${id}/route`);
export const setRoute = (id: number, groupIds: number[]) => request<Route>('POST', `/devices/${id}/route`, { groupIds });
export const listGroups = async () => (await request<{ groups: PickableGroup[] }>('GET', '/groups')).groups;

/**
 * Authorises a waiting device with its route. The route is saved first (the server accepts a
 * route for a pending device): if that fails nothing is authorised, so a device never starts
 * receiving with an empty or half-chosen route.
 */
export async function authorise(id: number, groupIds: number[]): Promise<Route> {
  const route = await setRoute(id, groupIds);
  await request('POST', `/devices/${id}/authorise`);
  return route;
}

export const revoke = (id: number) => request<{ device: Device }>('POST', `/devices/${id}/revoke`);

/** One sentence for a failed call, naming what the person can do about it. */
export const explain = (e: unknown): string =>
  failureText(e, 'Your role may not manage field devices: ask an administrator.');

/** "14 Mar 2026, 10:32" in the browser's zone. */
export function when(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}
