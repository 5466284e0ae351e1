import { request } from '$lib/api/client';
import type { ConsumptionAnswer, MeterSeries, Resolution } from '$lib/chart/consumption';
import { seriesConsumption } from '$lib/chart/consumption';

// The meter page's calls (server/src/routes/meters.ts, metering-points.ts, readings.ts,
// consumer-report.ts) and their wire types.

export interface MeterDetail {
  id: number;
  manufacturer: string;
  serial: string;
  version: number | null;
  deviceType: number | null;
  medium: string | null;
  model: string | null;
  driver: string | null;
  readingMode: string;
  intervalS: number | null;
  hasKey: boolean;
  meteringPoint: { id: number; number: string | null; address: string; postalCode: string | null; city: string | null } | null;
  customer: { id: number; number: string | null; name: string } | null;
  lastReadingAt: number | null;
  installations: { id: number; meteringPointId: number; address: string; from: number; to: number | null }[];
  groups: { id: number; name: string }[];
  key: { source: string; updatedAt: number } | null;
}

export interface PointDetail {
  id: number;
  number: string | null;
  address: string;
  postalCode: string | null;
  city: string | null;
  customer: { id: number; number: string | null; name: string } | null;
  meter: { id: number; manufacturer: string; serial: string; installedAt: number } | null;
  installations: { id: number; meterId: number; manufacturer: string; serial: string; from: number; to: number | null }[];
}

export interface Customer {
  id: number;
  number: string | null;
  name: string;
  email: string | null;
  phone: string | null;
}

export interface LatestReading {
  meterId: number;
  at: number;
  values: Record<'energy' | 'volume' | 'flow' | 'power' | 'tFlow' | 'tReturn' | 'info', number | null>;
  units: Record<string, string>;
  extra: Record<string, unknown> | null;
}

export interface Interval {
  from: number;
  to: number;
  resolution: Resolution;
}

export const getMeter = async (id: number) => (await request<{ meter: MeterDetail }>('GET', `/meters/${id}`)).meter;
export const getPoint = async (id: number) => (await request<{ meteringPoint: PointDetail }>('GET', `/metering-points/${id}`)).meteringPoint;
export const getCustomer = async (id: number) => (await request<{ customer: Customer }>('GET', `/customers/${id}`)).customer;
export const getLatest = async (id: number) => (await request<{ reading: LatestReading | null }>('GET', `/meters/${id}/latest`)).reading;

/** The point's consumption across exchanges; a meter at no point: its own series. */
export async function getConsumption(meter: Pick<MeterDetail, 'id' | 'meteringPoint'>, i: Interval, signal?: AbortSignal): Promise<ConsumptionAnswer> {
  const q = `from=${i.from}&to=${i.to}&resolution=${i.resolution}`;
  if (meter.meteringPoint) return request<ConsumptionAnswer>('GET', `/metering-points/${meter.meteringPoint.id}/consumption?${q}`, undefined, { signal });
  return seriesConsumption(await request<MeterSeries>('GET', `/meters/${meter.id}/readings?${q}`, undefined, { signal }), i.to);
}

export function emailReport(pointId: number, recipients: string[], i: Interval) {
  return request<{ ok: true; accepted: string[]; rejected: string[]; subject: string }>('POST', `/metering-points/${pointId}/report/email`, {
    recipients,
    from: i.from,
    to: i.to,
    resolution: i.resolution
  });
}
