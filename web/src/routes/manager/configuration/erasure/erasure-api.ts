import { failureText, request } from '$lib/api/client';
import type { MeteringPoint } from '$server/store/metering-points';
import type { ErasureResult } from '$server/store/readings';

// GDPR erasure (M21): find the metering point, count what a period holds, erase it with the
// point's address typed as confirmation (server/src/routes/erasure.ts, permission readings.erase).

export type Point = MeteringPoint;
export type Counts = ErasureResult;

export async function findPoints(q: string, signal?: AbortSignal): Promise<{ items: Point[]; total: number }> {
  return request('GET', `/metering-points?q=${encodeURIComponent(q)}&limit=20`, undefined, { signal });
}

export const preview = (id: number, from: number, to: number) =>
  request<Counts & { address: string }>('GET', `/metering-points/${id}/erasure-preview?from=${from}&to=${to}`);

export const erase = (id: number, from: number, to: number, confirm: string) =>
  request<Counts>('POST', `/metering-points/${id}/erase-readings`, { from, to, confirm });

export const explain = (e: unknown) => failureText(e, 'Your role may not erase readings: ask an administrator for the permission "Erase readings (GDPR)".');

/** A local calendar day (YYYY-MM-DD) → its first instant; `after` gives the next day's, so "to" includes the whole day. */
export function dayStart(day: string, after = false): number {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d + (after ? 1 : 0)).getTime();
}

export const count = (n: number, one: string, many: string) => `${n.toLocaleString()} ${n === 1 ? one : many}`;
