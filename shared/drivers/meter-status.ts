import type { Driver, StatusTable } from './define.js';
import { driverById, findDriver } from './index.js';

// The status table behind a stored info code. The server's `reading.info` column holds the status
// word as the meter sent it, taken from the driver's first field of INFO_FIELDS; the same
// driver's table turns it back into flags and vendor-neutral alarms (shared/model/alarm.ts) for
// the meter list (M4), the meter page and its graph (M2).

/** The fields ingest takes the info column from, in its order (server/src/ingest/columns.ts). */
export const INFO_FIELDS = ['status', 'infoCode', 'errorFlags'] as const;

/** What the Manager knows of a stored meter. */
export interface MeterIdentity {
  manufacturer: string;
  serial: string;
  version: number | null;
  deviceType: number | null;
  driver: string | null;
}

/** The driver ingest would use for this meter: its own choice, else by (M, VER, TYPE). */
export function driverOfMeter(m: MeterIdentity): Driver | undefined {
  const named = m.driver ? driverById(m.driver) : undefined;
  if (named) return named;
  if (m.version === null || m.deviceType === null) return undefined;
  return findDriver({ manufacturer: m.manufacturer, id: m.serial, version: m.version, deviceType: m.deviceType });
}

/** The status table of the field the info column came from, or undefined when the driver has none. */
export function infoTableOf(m: MeterIdentity): StatusTable | undefined {
  const driver = driverOfMeter(m);
  return driver && INFO_FIELDS.map((f) => driver.fields[f]?.status).find((t) => t !== undefined);
}
