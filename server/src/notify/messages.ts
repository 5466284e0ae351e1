import type { AlarmSeverity } from '../../../shared/model/alarm.js';
import type { Message } from './deliveries.js';
import type { Rule } from './rules.js';
import { SMS_MAX_CHARS } from './sms.js';

// The words of a notification: an e-mail listing every meter (address, meter, alarm, since) and
// an SMS of at most 160 characters naming the first meter and how many more there are.

export interface AlarmedMeter {
  meterId: number;
  manufacturer: string;
  serial: string;
  address: string | null;
  postalCode: string | null;
  alarms: { label: string; severity: AlarmSeverity }[];
  /** Start of the meter's current run of alarm readings. */
  since: number;
}

/** How many meters an e-mail lists; the rest are counted and found on the Alarms page. */
export const MAIL_METER_LIMIT = 200;

/** "2026-11-26 07:30" on the utility's clock. */
export function localTime(ms: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value])
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

const place = (m: AlarmedMeter) => (m.address ? `${m.address}${m.postalCode ? `, ${m.postalCode}` : ''}` : 'no address');
const meterName = (m: AlarmedMeter) => `${m.manufacturer} ${m.serial}`;
const alarmWords = (m: AlarmedMeter) => m.alarms.map((a) => a.label).join(', ');

/** One message per recipient and channel of the rule. */
export function composeMessages(rule: Rule, meters: AlarmedMeter[], kind: 'onset' | 'daily', now: number, timeZone: string): Message[] {
  if (!meters.length) return [];
  const plural = (n: number) => `${n} meter${n === 1 ? '' : 's'}`;
  const labels = [...new Set(meters.flatMap((m) => m.alarms.map((a) => a.label)))];
  const subject =
    kind === 'onset'
      ? `Readout alarm: ${labels.slice(0, 3).join(', ')}${labels.length > 3 ? ' …' : ''} at ${plural(meters.length)} (rule "${rule.name}")`
      : `Readout daily summary ${localTime(now, timeZone).slice(0, 10)}: ${plural(meters.length)} with alarms (rule "${rule.name}")`;
  const head =
    kind === 'onset'
      ? `New alarms at ${plural(meters.length)}, read up to ${localTime(now, timeZone)} (${timeZone}):`
      : `Alarms active at ${plural(meters.length)} at ${localTime(now, timeZone)} (${timeZone}):`;
  const lines = meters
    .slice(0, MAIL_METER_LIMIT)
    .map((m) => `- ${place(m)}: meter ${meterName(m)}: ${alarmWords(m)} since ${localTime(m.since, timeZone)}`);
  const more = meters.length > MAIL_METER_LIMIT ? [`… and ${meters.length - MAIL_METER_LIMIT} more meter${meters.length - MAIL_METER_LIMIT === 1 ? '' : 's'}: see Analysis > Alarms in the Manager.`] : [];
  const text = [head, '', ...lines, ...more, '', `Sent by the notification rule "${rule.name}" of Readout.`, ''].join('\n');

  const first = meters[0];
  const others = meters.length > 1 ? ` +${meters.length - 1} more meter${meters.length > 2 ? 's' : ''}` : '';
  const sms = fitSms(`Readout${kind === 'daily' ? ' daily' : ''}: ${alarmWords(first)} at ${place(first)} (${meterName(first)})${others}. Rule ${rule.name}`);

  const out: Message[] = [];
  const base = { tenantId: rule.tenantId, ruleId: rule.id, ruleName: rule.name, meters: meters.length };
  if (rule.byEmail) for (const to of rule.emails) out.push({ ...base, channel: 'email', recipient: to, subject, body: text });
  if (rule.bySms) for (const to of rule.phones) out.push({ ...base, channel: 'sms', recipient: to, subject, body: sms });
  return out;
}

/** At most one SMS: cut with an ellipsis. */
export function fitSms(text: string): string {
  return text.length <= SMS_MAX_CHARS ? text : text.slice(0, SMS_MAX_CHARS - 1) + '…';
}
