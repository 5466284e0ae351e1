import { request } from '$lib/api/client';
import type { ConsumptionAnswer, MeterSeries, Resolution } from '$lib/chart/consumption';
import { seriesConsumption } from '$lib/chart/consumption';
import type { Customer } from '$server/store/customers';
import type { MeterDetail } from '$server/store/meters';
import type { MeteringPoint, MeteringPointInstallation } from '$server/store/metering-points';
import type { LatestReading } from '$server/store/readings';

// The meter page's calls (server/src/routes/meters.ts, metering-points.ts, readings.ts,
// consumer-report.ts); the wire types are the server's own ($server, types only).

export type { Customer, LatestReading, MeterDetail };
export type PointDetail = MeteringPoint & { installations: MeteringPointInstallation[] };

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
