import { compareAlarms, makeAlarm, type AlarmKind, type AlarmSeverity } from '../../../shared/model/alarm.js';
import { infoTableOf, type MeterIdentity } from '../../../shared/drivers/meter-status.js';

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

export type { MeterIdentity };

/** Alarms of a status word, most important first; none for 0 or null. */
export function infoAlarms(m: MeterIdentity, info: number | null): ListAlarm[] {
  if (!info) return [];
  const table = infoTableOf(m);
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
