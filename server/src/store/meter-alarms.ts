import { compareAlarms, makeAlarm, type AlarmKind, type AlarmSeverity } from '../../../shared/model/alarm.js';
import { driverById, findDriver, type Driver } from '../../../shared/drivers/index.js';

// The alarms behind a stored info code, for the meter list's icon (M4): the `info` column holds
// the status word as the meter sent it (ingest/columns.ts takes it from the driver's status,
// infoCode or errorFlags field), and the same driver's status table turns it into the
// vendor-neutral alarms of shared/model/alarm.ts.

export interface ListAlarm {
  kind: AlarmKind;
  severity: AlarmSeverity;
  /** "Sensor error (t1)": the kind's label with where it is, when the meter says. */
  label: string;
  /** false: seen during the meter's history window, not present now. */
  active: boolean;
}

/** The fields ingest reads the info column from, in its order (ingest/columns.ts FIELDS.info). */
const INFO_FIELDS = ['status', 'infoCode', 'errorFlags'];

export interface MeterIdentity {
  manufacturer: string;
  serial: string;
  version: number | null;
  deviceType: number | null;
  driver: string | null;
}

/** The driver ingest would use for this meter: its own choice, else by (M, VER, TYPE). */
function driverOf(m: MeterIdentity): Driver | undefined {
  if (m.driver) return driverById(m.driver);
  if (m.version === null || m.deviceType === null) return undefined;
  return findDriver({ manufacturer: m.manufacturer, id: m.serial, version: m.version, deviceType: m.deviceType });
}

/** Alarms of a status word, most important first; none for 0 or null. */
export function infoAlarms(m: MeterIdentity, info: number | null): ListAlarm[] {
  if (!info) return [];
  const driver = driverOf(m);
  const table = driver && INFO_FIELDS.map((f) => driver.fields[f]?.status).find((t) => t !== undefined);
  const alarms = table
    ? table.decode(info < 0 ? info >>> 0 : info).alarms
    : [makeAlarm('unknown', 'info code', { detail: `info code ${info} without a known bit table` })];
  return alarms.sort(compareAlarms).map((a) => ({
    kind: a.kind,
    severity: a.severity,
    label: a.where ? `${a.label} (${a.where})` : a.label,
    active: a.active
  }));
}
