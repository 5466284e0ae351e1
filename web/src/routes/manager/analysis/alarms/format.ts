import type { AlarmSeverity } from '$shared/model/alarm';
import { utilityZone } from '../../meters/[id]/interval';

// How the alarms screen words and colours its values (unit-tested in tests/web/manager/alarms-format.test.ts).

const formats = new Map<string, Intl.DateTimeFormat>();
/** Times on the utility's clock, like every other report (the CSV gives them with their offset). */
function dateTime(): Intl.DateTimeFormat {
  const timeZone = utilityZone();
  let f = formats.get(timeZone);
  if (!f) formats.set(timeZone, (f = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23', timeZone })));
  return f;
}

/** Pill colour per severity (app.css .pill.bad/.warn, info plain). */
export const SEVERITY_PILL: Readonly<Record<AlarmSeverity, string>> = { critical: 'bad', warning: 'warn', info: '' };

export const SEVERITY_LABEL: Readonly<Record<AlarmSeverity, string>> = { critical: 'Critical', warning: 'Warning', info: 'Info' };

/** When the alarm run began, on the utility's clock; "or earlier" when the server's look-back cut it. */
export function sinceText(since: number, capped: boolean, format: (t: number) => string = (t) => dateTime().format(t)): string {
  return capped ? `${format(since)} or earlier` : format(since);
}

export const when = (t: number) => dateTime().format(t);

/** "3 h", "2 days": how long an alarm has lasted up to its newest reading. */
export function duration(since: number, at: number): string {
  const h = Math.floor((at - since) / 3_600_000);
  if (h < 1) return 'under 1 h';
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} days`;
}

/** The alarms of a row as one line: "Leak, Dry (no water in meter)". */
export const alarmsText = (alarms: readonly { label: string }[]) => alarms.map((a) => a.label).join(', ');

/** "12 meters with alarms" / "1 meter with an alarm", and the rows shown when there is more than a page. */
export function countText(total: number, offset: number, shown: number): string {
  const what = total === 1 ? '1 meter with an alarm' : `${total.toLocaleString('en-GB')} meters with alarms`;
  if (total <= shown) return what;
  return `${what}; showing ${(offset + 1).toLocaleString('en-GB')}–${(offset + shown).toLocaleString('en-GB')}`;
}
