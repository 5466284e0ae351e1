import { request } from '$lib/api/client';
import { ALARM_KINDS, type AlarmKind, type AlarmSeverity } from '$shared/model/alarm';
import type { Delivery, DeliveryStatus } from '$server/notify/deliveries';
import type { Rule, RuleInput } from '$server/notify/rules';
import type { GroupList } from '$server/store/groups';

// The notification rules, their delivery log and the SMS gateway's status (server/src/routes/notifications.ts).

export type { Delivery, DeliveryStatus, Rule, RuleInput };

export const KINDS = (Object.keys(ALARM_KINDS) as AlarmKind[]).map((kind) => ({ kind, ...ALARM_KINDS[kind] }));
export const SEVERITIES: { value: AlarmSeverity; label: string }[] = [
  { value: 'critical', label: 'Critical only' },
  { value: 'warning', label: 'Warning or critical' },
  { value: 'info', label: 'Any severity' }
];
export const STATUS_TEXT: Record<DeliveryStatus, string> = { queued: 'Queued', sent: 'Sent', retrying: 'Retrying', failed: 'Failed' };
export const STATUS_TONE: Record<DeliveryStatus, string> = { queued: 'warn', sent: 'good', retrying: 'warn', failed: 'bad' };

export const listRules = () => request<{ rules: Rule[]; timeZone: string }>('GET', '/notifications/rules');
export const createRule = (input: RuleInput) => request<{ rule: Rule }>('POST', '/notifications/rules', input);
export const changeRule = (id: number, patch: Partial<RuleInput>) => request<{ rule: Rule }>('PATCH', `/notifications/rules/${id}`, patch);
export const deleteRule = (id: number) => request<{ ok: true }>('DELETE', `/notifications/rules/${id}`);
export const listGroups = () => request<GroupList>('GET', '/groups');

export interface DeliveryFilter {
  status: DeliveryStatus | '';
  rule: string;
  from: string;
  to: string;
}

export function listDeliveries(f: DeliveryFilter, offset: number, limit = 50) {
  const q = new URLSearchParams({ limit: String(limit), offset: String(offset) });
  if (f.status) q.set('status', f.status);
  if (f.rule) q.set('rule', f.rule);
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  return request<{ items: Delivery[]; total: number; limit: number; offset: number }>('GET', `/notifications/deliveries?${q}`);
}

export const smsStatus = () => request<{ configured: boolean; host: string | null }>('GET', '/settings/sms');
export const mailStatus = () => request<{ configured: boolean; server: string | null; from: string }>('GET', '/settings/mail');
export const testSms = (to: string) => request<{ ok: true; to: string }>('POST', '/settings/sms/test', { to });
export const testMail = (to: string) => request<{ accepted: string[] }>('POST', '/settings/mail/test', { to });

/** "Leak, Burst" or "Critical only" or both: what a rule listens to. */
export function ruleAlarms(r: Pick<Rule, 'kinds' | 'minSeverity'>): string {
  const kinds = r.kinds.map((k) => ALARM_KINDS[k].label).join(', ');
  const sev = r.minSeverity ? SEVERITIES.find((s) => s.value === r.minSeverity)!.label.toLowerCase() : '';
  if (kinds && sev) return `${kinds} (${sev})`;
  return kinds || `All alarms, ${sev}`;
}

/** Several addresses or numbers typed in one box, split on commas, semicolons, new lines. */
export const splitList = (text: string) => text.split(/[,;\n]+/).map((s) => s.trim()).filter(Boolean);
