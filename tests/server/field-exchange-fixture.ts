// A utility ready for a meter exchange in the field (M12), made through the Manager's own API:
// an authorised field device whose route holds a heat meter and a water meter installed at
// metering points, a third installed meter off the route, and radio readings of the heat meter.
// Used by the server test (sync-exchanges) and the field app's test (web/sync/exchanges).
import { expect } from 'vitest';
import type { TestServer } from './helpers';
import { apiClient } from './registry-client';

export const DAY = 86_400_000;
export const KWH = 3_600_000; // J per kWh: the reading table's energy column is in J (ingest/columns.ts)

export interface Installed {
  point: number;
  meter: number;
}

export interface ExchangeScene {
  call: ReturnType<typeof apiClient>;
  admin: string;
  device: { id: number; secret: string; name: string };
  /** When the meters were installed. */
  t0: number;
  /** KAM 71054899, heat, device type 0x04, on the route, readings 1000 kWh at t0 + 1 day and 1010.5 kWh at t0 + 2 days. */
  heat: Installed;
  /** KAM 76348799, water, on the route, no readings. */
  water: Installed;
  /** KAM 22222222, heat, installed but not on the device's route. */
  offRoute: Installed;
  group: number;
}

export async function exchangeScene(server: TestServer, opts: { authorise?: boolean } = {}): Promise<ExchangeScene> {
  const call = apiClient(server);
  const admin = await server.as('administrator');
  const t0 = server.clock.now - 10 * DAY;
  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await call(admin, method, path, body);
    expect(r.status, `${method} ${path}: ${r.text}`).toBeLessThan(300);
    return r.json;
  };
  async function installed(serial: string, address: string, medium: string): Promise<Installed> {
    const point = (await ok('POST', '/api/metering-points', { address, postalCode: '8000', city: 'Aarhus' })).meteringPoint.id as number;
    const meter = (await ok('POST', '/api/meters', { manufacturer: 'KAM', serial, medium, deviceType: medium === 'heat' ? 4 : 7, model: 'MULTICAL' }))
      .meter.id as number;
    await ok('POST', `/api/meters/${meter}/install`, { meteringPointId: point, from: t0 });
    return { point, meter };
  }
  const heat = await installed('71054899', 'Hovedgaden 12', 'heat');
  const water = await installed('76348799', 'Hovedgaden 14', 'water');
  const offRoute = await installed('22222222', 'Skovvej 3', 'heat');
  const group = (await ok('POST', '/api/groups', { name: 'Route north' })).group.id as number;
  await ok('POST', `/api/groups/${group}/members`, { meterIds: [heat.meter, water.meter] });

  const name = 'Van 3 tablet';
  const reg = await ok('POST', '/api/devices/register', { name });
  const device = { id: reg.device.id as number, secret: reg.secret as string, name };
  if (opts.authorise !== false) await ok('POST', `/api/devices/${device.id}/authorise`);
  await ok('POST', `/api/devices/${device.id}/route`, { groupIds: [group] });

  server.db
    .prepare('insert into reading (meter_id, at, energy, volume) values (?, ?, ?, ?), (?, ?, ?, ?)')
    .run(heat.meter, t0 + DAY, 1000 * KWH, 35_911_600, heat.meter, t0 + 2 * DAY, 1010.5 * KWH, 35_990_000);
  return { call, admin, device, t0, heat, water, offRoute, group };
}
