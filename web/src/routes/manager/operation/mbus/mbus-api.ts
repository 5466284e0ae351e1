import { failureText, request } from '$lib/api/client';
import type { MeteringPoint } from '$server/store/metering-points';

// The Manager's calls for wired M-Bus systems (issue 8, contracts.md §C: server/src/routes/mbus.ts
// on branch mbus-server). The wire types are written out here from the contract, as the server
// module that will hold them is not on main yet.

export type MbusTransport = 'tcp' | 'serial';
export type MbusBaud = 300 | 2400 | 9600;
export type MbusAddressing = 'primary' | 'secondary';
export type RunState = 'running' | 'done' | 'failed' | 'cancelled';
export type ValveState = 'open' | 'closed' | 'unknown';

export interface MbusRun {
  id: number;
  systemId: number;
  kind: 'scan' | 'read';
  state: RunState;
  done: number;
  total: number;
  found: number;
  errors: { deviceId: number | null; address: string; message: string }[];
  message: string | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface MbusSystem {
  id: number;
  name: string;
  transport: MbusTransport;
  address: string;
  baud: MbusBaud;
  addressing: MbusAddressing;
  schedule: string | null;
  enabled: boolean;
  deviceCount: number;
  lastRun: MbusRun | null;
}

export interface MbusDevice {
  id: number;
  primaryAddress: number | null;
  secondary: string | null;
  /** From the meter's answer; null until a read or a secondary search has seen it. */
  manufacturer: string | null;
  serial: string | null;
  version: number | null;
  deviceType: number | null;
  meterId: number | null;
  meteringPoint: { id: number; name: string } | null;
  lastReadAt: number | null;
  lastError: string | null;
  valve: { profileId: string; state: ValveState; at: number | null } | null;
}

export interface SystemInput {
  name: string;
  transport: MbusTransport;
  address: string;
  baud: MbusBaud;
  addressing: MbusAddressing;
  schedule: string | null;
}

export type Point = MeteringPoint;

export const BAUDS: readonly MbusBaud[] = [300, 2400, 9600];

export const listSystems = () => request<{ systems: MbusSystem[] }>('GET', '/mbus/systems');
export const getSystem = (id: number, signal?: AbortSignal) =>
  request<{ system: MbusSystem; devices: MbusDevice[] }>('GET', `/mbus/systems/${id}`, undefined, { signal });
export const createSystem = (input: SystemInput) => request<{ system: MbusSystem }>('POST', '/mbus/systems', input);
export const changeSystem = (id: number, patch: Partial<SystemInput> & { enabled?: boolean }) =>
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
export const switchValve = (id: number, action: 'open' | 'close') =>
  request<{ device: MbusDevice }>('POST', `/mbus/devices/${id}/valve`, { action });

export const findPoints = (q: string, signal?: AbortSignal) =>
  request<{ items: Point[]; total: number }>('GET', `/metering-points?q=${encodeURIComponent(q)}&limit=20`, undefined, { signal });

export const FORBIDDEN = 'Your role may not change M-Bus systems: ask an administrator for the permission "Change meters".';
export const FORBIDDEN_VALVE = 'Your role may not open or close valves: ask an administrator for the permission "Open and close valves".';
export const explain = (e: unknown, forbidden = FORBIDDEN) => failureText(e, forbidden);
