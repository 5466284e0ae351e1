import { failureText, request } from '$lib/api/client';
import type { MeteringPoint } from '$server/store/metering-points';
import type { ValveProfile } from '$shared/mbus/valve';
import type { MbusAddressing, MbusDevice, MbusMay, MbusRun, MbusRunState, MbusSystem, MbusSystemInput, MbusTransport, ValveState } from '$server/store/mbus';

// The Manager's calls for wired M-Bus systems (issue 8, contracts.md §C, server/src/routes/mbus.ts);
// the wire types are the server's own ($server, types only).

export type { MbusAddressing, MbusDevice, MbusRun, MbusSystem, MbusTransport, ValveState };
/** What the signed-in person may do here (write, disconnect, settings): the pages show only those buttons. */
export type May = MbusMay;
export type MbusBaud = MbusSystem['baud'];
export type RunState = MbusRunState;
/** What the form sends; `enabled` pauses the scheduled reads (a new system is enabled). */
export type SystemInput = MbusSystemInput;

export type Point = MeteringPoint;
export type { ValveProfile };

export const BAUDS: readonly MbusBaud[] = [300, 2400, 9600];

export const listSystems = () => request<{ systems: MbusSystem[]; may: May }>('GET', '/mbus/systems');
export const getSystem = (id: number, signal?: AbortSignal) =>
  request<{ system: MbusSystem; devices: MbusDevice[]; may: May }>('GET', `/mbus/systems/${id}`, undefined, { signal });
export const createSystem = (input: SystemInput) => request<{ system: MbusSystem }>('POST', '/mbus/systems', input);
export const changeSystem = (id: number, patch: Partial<SystemInput>) =>
  request<{ system: MbusSystem }>('PATCH', `/mbus/systems/${id}`, patch);
export const deleteSystem = (id: number) => request<null>('DELETE', `/mbus/systems/${id}`);

export const startScan = (id: number, body: { mode: MbusAddressing; from?: number; to?: number }) =>
  request<{ run: MbusRun }>('POST', `/mbus/systems/${id}/scan`, body);
export const startRead = (id: number, deviceIds?: number[]) =>
  request<{ run: MbusRun }>('POST', `/mbus/systems/${id}/read`, deviceIds ? { deviceIds } : {});
export const getRun = (id: number, signal?: AbortSignal) => request<{ run: MbusRun }>('GET', `/mbus/runs/${id}`, undefined, { signal });
export const cancelRun = (id: number) => request<{ run: MbusRun }>('POST', `/mbus/runs/${id}/cancel`);

export const attachDevice = (id: number, meteringPointId: number) =>
  request<{ device: MbusDevice }>('POST', `/mbus/devices/${id}/attach`, { meteringPointId });
/** Without `profileId` the server uses the profile the device's valve is known by. */
export const switchValve = (id: number, action: 'open' | 'close', profileId?: string) =>
  request<{ device: MbusDevice }>('POST', `/mbus/devices/${id}/valve`, profileId ? { action, profileId } : { action });
/** GENERIC_DIGITAL_OUTPUT.id of shared/mbus/valve.ts, written out so the page does not load zod for one string. */
export const GENERIC_PROFILE_ID = 'en13757-digital-output';
export const listValveProfiles = () => request<{ profiles: ValveProfile[] }>('GET', '/mbus/valve-profiles');
/** Adds or replaces a configured profile; a 422 names each bad field (open.data, state.mask, …). */
export const putValveProfile = (profile: ValveProfile) =>
  request<{ profile: ValveProfile }>('PUT', `/mbus/valve-profiles/${encodeURIComponent(profile.id)}`, profile);
/** 409 with the server's sentence while a meter's valve is known by the profile. */
export const deleteValveProfile = (id: string) => request<null>('DELETE', `/mbus/valve-profiles/${encodeURIComponent(id)}`);

export const findPoints = (q: string, signal?: AbortSignal) =>
  request<{ items: Point[]; total: number }>('GET', `/metering-points?q=${encodeURIComponent(q)}&limit=20`, undefined, { signal });

export const FORBIDDEN = 'Your role may not change M-Bus systems: ask an administrator for the permission "Change meters".';
export const FORBIDDEN_SETTINGS = 'Your role may not configure valve profiles: ask an administrator for the permission "Settings and jobs".';
export const FORBIDDEN_VALVE = 'Your role may not open or close valves: ask an administrator for the permission "Open and close valves".';
export const explain = (e: unknown, forbidden = FORBIDDEN) => failureText(e, forbidden);
