import type { MbusDevice, MbusRun, MbusSystem, SystemInput } from './mbus-api';

// Words and checks for the M-Bus pages that need no server: what a row shows, the schedule
// presets, and the form's own checks before it asks the server (which checks everything again).

/** "TCP gateway 10.0.0.5:10001" or "Serial port /dev/ttyUSB0". */
export function transportText(s: Pick<MbusSystem, 'transport' | 'address'>): string {
  return s.transport === 'tcp' ? `TCP gateway ${s.address}` : `Serial port ${s.address}`;
}

export const ADDRESSING_TEXT = { primary: 'Primary (1–250)', secondary: 'Secondary (search)' } as const;

export interface SchedulePreset {
  id: 'none' | 'quarter' | 'hourly' | 'daily' | 'custom';
  label: string;
  cron: string | null;
}

// croner patterns: minute hour day month weekday
export const SCHEDULE_PRESETS: readonly SchedulePreset[] = [
  { id: 'none', label: 'Only when I press "Read now"', cron: null },
  { id: 'quarter', label: 'Every 15 minutes', cron: '*/15 * * * *' },
  { id: 'hourly', label: 'Every hour', cron: '0 * * * *' },
  { id: 'daily', label: 'Daily at 02:00', cron: '0 2 * * *' },
  { id: 'custom', label: 'Custom pattern', cron: '' }
];

export function presetOf(cron: string | null): SchedulePreset['id'] {
  if (cron === null || cron.trim() === '') return 'none';
  return SCHEDULE_PRESETS.find((p) => p.cron === cron.trim())?.id ?? 'custom';
}

export function scheduleText(cron: string | null): string {
  const id = presetOf(cron);
  if (id === 'none') return 'Not scheduled';
  if (id === 'custom') return `Custom: ${cron}`;
  return SCHEDULE_PRESETS.find((p) => p.id === id)!.label;
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\[[0-9A-Fa-f:.]+\]$/;

/**
 * The form's first check, field by field (empty: nothing to say). A gateway is host:port with a
 * port 1–65535; a serial port is an absolute device path (/dev/ttyUSB0) or a Windows name (COM3).
 */
export function checkSystem(input: SystemInput): Record<string, string> {
  const out: Record<string, string> = {};
  if (!input.name.trim()) out.name = 'Give the system a name, e.g. the building or the plant room.';
  const address = input.address.trim();
  if (input.transport === 'tcp') {
    const m = /^(.+):(\d+)$/.exec(address);
    if (!address) out.address = 'Give the gateway as host:port, e.g. 192.168.1.50:10001.';
    else if (!m) out.address = `"${address}" has no port: write host:port, e.g. 192.168.1.50:10001.`;
    else if (!HOST.test(m[1])) out.address = `"${m[1]}" is not a host name or IP address.`;
    else if (Number(m[2]) < 1 || Number(m[2]) > 65535) out.address = `Port ${m[2]} is outside 1–65535.`;
  } else if (!address) out.address = 'Give the serial port of the server, e.g. /dev/ttyUSB0 or COM3.';
  // any absolute device path (/dev/ttyUSB0, /dev/serial/by-id/…, a socat link), as the server takes it
  else if (!/^(\/[\w./:+-]+|COM\d{1,3})$/.test(address)) out.address = `"${address}" is not a serial port: write e.g. /dev/ttyUSB0 or COM3.`;
  if (input.schedule !== null && !input.schedule.trim()) out.schedule = 'Write a croner pattern, e.g. 0 */6 * * * for every six hours.';
  else if (input.schedule !== null && !/^\S+( \S+){4,5}$/.test(input.schedule.trim()))
    out.schedule = `"${input.schedule.trim()}" is not a croner pattern: five fields (minute hour day month weekday), or six with seconds first.`;
  return out;
}

export const RUN_STATE_TEXT = { running: 'Running', done: 'Done', failed: 'Failed', cancelled: 'Cancelled' } as const;
export const RUN_STATE_TONE = { running: 'warn', done: 'good', failed: 'bad', cancelled: 'warn' } as const;

/** What a finished or running run did, in one sentence. */
export function runSummary(run: MbusRun): string {
  const errors = run.errors.length ? `, ${run.errors.length} ${run.errors.length === 1 ? 'error' : 'errors'}` : '';
  const what = run.kind === 'scan' ? `${run.found} ${run.found === 1 ? 'meter' : 'meters'} found` : `${run.found} of ${run.total} read`;
  if (run.state === 'running') return `${run.kind === 'scan' ? 'Scanning' : 'Reading'}: ${run.done} of ${run.total}, ${what}${errors}.`;
  const verb = run.kind === 'scan' ? 'Scan' : 'Read';
  if (run.state === 'cancelled') return `${verb} cancelled after ${run.done} of ${run.total}: ${what}${errors}.`;
  if (run.state === 'failed') return `${verb} failed: ${run.message ?? 'no reason given'}.`.replace(/\.\.$/, '.');
  return `${verb} finished: ${what}${errors}.`;
}

/** "KAM 12345678" — how a device is named in buttons and dialogs ("unknown meter" before it was read). */
export function deviceName(d: Pick<MbusDevice, 'manufacturer' | 'serial'>): string {
  return [d.manufacturer, d.serial].filter(Boolean).join(' ') || 'unknown meter';
}

/** "KAM 12345678 at primary address 5" — for a screen reader's button label. */
export function deviceWhere(d: Pick<MbusDevice, 'manufacturer' | 'serial' | 'primaryAddress' | 'secondary'>): string {
  if (d.primaryAddress !== null && d.primaryAddress <= 250) return `${deviceName(d)} at primary address ${d.primaryAddress}`;
  return d.secondary ? `${deviceName(d)} (secondary ${d.secondary})` : deviceName(d);
}

/** Device type (medium) byte, EN 13757-3 via protocols.md §1.5: the common ones by name, others as hex. */
const DEVICE_TYPES: Record<number, string> = {
  0x02: 'Electricity', 0x03: 'Gas', 0x04: 'Heat', 0x06: 'Warm water', 0x07: 'Water', 0x08: 'Heat cost allocator',
  0x0a: 'Cooling (outlet)', 0x0b: 'Cooling (inlet)', 0x0c: 'Heat (inlet)', 0x0d: 'Heat / cooling', 0x15: 'Hot water', 0x16: 'Cold water',
  0x21: 'Valve', 0x28: 'Waste water'
};
export function deviceTypeText(t: number | null): string {
  if (t === null) return '';
  const hex = `0x${t.toString(16).padStart(2, '0').toUpperCase()}`;
  return DEVICE_TYPES[t] ? `${DEVICE_TYPES[t]} (${hex})` : hex;
}

/** "0x34": a version byte as manufacturers print it (Kamstrup 0x34 = MULTICAL 403, protocols.md §4.1). */
export const versionText = (v: number | null) => (v === null ? '' : `0x${v.toString(16).padStart(2, '0').toUpperCase()}`);

/** "14 Mar, 10:32" for a time this year, else with the year, in the browser's zone. */
export function shortWhen(ms: number, now = Date.now()): string {
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return new Date(ms).toLocaleString(undefined, { day: 'numeric', month: 'short', ...(sameYear ? {} : { year: 'numeric' }), hour: '2-digit', minute: '2-digit' });
}

/** "14 Mar 2026, 10:32" in the browser's zone. */
export function when(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}
