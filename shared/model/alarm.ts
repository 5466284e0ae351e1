// The vendor-neutral alarm taxonomy. Every driver maps its meter's own status bits (Kamstrup
// info codes, the TPL status byte, error flags …) onto these kinds, so the Manager can list,
// sort and notify on "leak" or "sensor-error" without knowing who made the meter (mission M8, M9).
//
// Kinds come from protocols.md §2.4 (TPL status byte) and §4.5 (Kamstrup info codes) and the
// sources named there (Kamstrup technical descriptions 5512-1689, 5512-2360, 5512-931, 5512-897;
// wmbusmeters drivers/src/kamheat.xmq, kamwater.xmq, kampress.xmq). The severities and the
// labels are our judgment: the sources say what a bit means, not how urgent it is.

export type AlarmSeverity = 'critical' | 'warning' | 'info';

export type AlarmKind =
  | 'leak'
  | 'burst'
  | 'dry'
  | 'reverse-flow'
  | 'tamper'
  | 'low-battery'
  | 'supply-voltage'
  | 'sensor-error'
  | 'air'
  | 'flow-over-limit'
  | 'temperature-difference'
  | 'hardware-error'
  | 'configuration-error'
  | 'external-alarm'
  | 'no-consumption'
  | 'low-ambient-temperature'
  | 'pressure-low'
  | 'pressure-high'
  | 'pressure-drop'
  | 'pressure-surge'
  | 'pressure-unstable'
  | 'application-busy'
  | 'application-error'
  | 'abnormal-condition'
  | 'permanent-error'
  | 'temporary-error'
  | 'unknown';

export interface AlarmKindInfo {
  severity: AlarmSeverity;
  /** Short English label for lists and icons. */
  label: string;
}

/** Default severity and label per kind (our judgment, see the file comment). */
export const ALARM_KINDS: Readonly<Record<AlarmKind, AlarmKindInfo>> = {
  leak: { severity: 'critical', label: 'Leak' },
  burst: { severity: 'critical', label: 'Burst' },
  dry: { severity: 'warning', label: 'Dry (no water in meter)' },
  'reverse-flow': { severity: 'warning', label: 'Reverse flow' },
  tamper: { severity: 'critical', label: 'Tamper' },
  'low-battery': { severity: 'warning', label: 'Low battery' },
  'supply-voltage': { severity: 'warning', label: 'Supply voltage interrupted' },
  'sensor-error': { severity: 'critical', label: 'Sensor error' },
  air: { severity: 'warning', label: 'Air in flow sensor' },
  'flow-over-limit': { severity: 'warning', label: 'Flow above limit' },
  'temperature-difference': { severity: 'warning', label: 'Invalid temperature difference' },
  'hardware-error': { severity: 'critical', label: 'Hardware error' },
  'configuration-error': { severity: 'warning', label: 'Configuration error' },
  'external-alarm': { severity: 'warning', label: 'External alarm' },
  'no-consumption': { severity: 'info', label: 'No consumption' },
  'low-ambient-temperature': { severity: 'warning', label: 'Low ambient temperature' },
  'pressure-low': { severity: 'warning', label: 'Pressure low' },
  'pressure-high': { severity: 'warning', label: 'Pressure high' },
  'pressure-drop': { severity: 'critical', label: 'Pressure drop' },
  'pressure-surge': { severity: 'warning', label: 'Pressure surge' },
  'pressure-unstable': { severity: 'info', label: 'Pressure unstable' },
  'application-busy': { severity: 'info', label: 'Meter busy' },
  'application-error': { severity: 'warning', label: 'Application error' },
  'abnormal-condition': { severity: 'warning', label: 'Abnormal condition' },
  'permanent-error': { severity: 'critical', label: 'Permanent error' },
  'temporary-error': { severity: 'warning', label: 'Temporary error' },
  unknown: { severity: 'info', label: 'Undocumented status bit' },
};

/** How long a condition lasted, as a range of hours (Kamstrup water meters report codes, §4.5.2). */
export interface AlarmDuration {
  minHours: number;
  maxHours: number;
  /** The source's own words for the range: "22-31 days". */
  text: string;
}

export interface Alarm {
  kind: AlarmKind;
  severity: AlarmSeverity;
  label: string;
  /** true: the condition holds now. false: it was seen during the meter's history window. */
  active: boolean;
  /** How long it lasted, when the meter says so. */
  duration?: AlarmDuration;
  /** The history window `active: false` refers to, when the source gives one (30 days, §4.5.2). */
  seenWithinDays?: number;
  /** Which sensor, channel or input: "t1", "t2", "t3", "V1", "V2", "input A" … */
  where?: string;
  /**
   * More precision. For temperature sensors exactly one of "open" (above range / disconnected),
   * "short" (below range / short-circuited) or "out-of-range" (the source does not say which).
   */
  detail?: string;
  /** Where the alarm came from, for the audit trail: "KAM info code bit 5", "TPL status 0x08". */
  source: string;
}

export interface AlarmOptions {
  active?: boolean;
  duration?: AlarmDuration;
  seenWithinDays?: number;
  where?: string;
  detail?: string;
  severity?: AlarmSeverity;
}

/** An alarm of `kind` with the kind's default severity and label; `active` defaults to true. */
export function makeAlarm(kind: AlarmKind, source: string, options: AlarmOptions = {}): Alarm {
  const info = ALARM_KINDS[kind];
  const alarm: Alarm = {
    kind,
    severity: options.severity ?? info.severity,
    label: info.label,
    active: options.active ?? true,
    source,
  };
  if (options.duration !== undefined) alarm.duration = options.duration;
  if (options.seenWithinDays !== undefined) alarm.seenWithinDays = options.seenWithinDays;
  if (options.where !== undefined) alarm.where = options.where;
  if (options.detail !== undefined) alarm.detail = options.detail;
  return alarm;
}

const SEVERITY_RANK: Readonly<Record<AlarmSeverity, number>> = { critical: 0, warning: 1, info: 2 };

/** Most important first: critical before warning before info, active before seen-in-period. */
export function compareAlarms(a: Alarm, b: Alarm): number {
  return SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || Number(b.active) - Number(a.active);
}
