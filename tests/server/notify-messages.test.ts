import { describe, expect, test } from 'vitest';
import { composeMessages, fitSms, localTime, MAIL_METER_LIMIT, type AlarmedMeter } from '../../server/src/notify/messages';
import { ruleMatches } from '../../server/src/notify/match';
import { dailyPattern } from '../../server/src/notify/notifier';
import type { Rule } from '../../server/src/notify/rules';

// The words of notifications (M9), computed by hand: times on the utility's clock across the
// DST change (Europe/Copenhagen, CEST → CET on 25 October 2026 at 01:00 UTC), SMS cut to one
// 160-character segment, e-mail listing at most MAIL_METER_LIMIT meters, and the rule filter.

const rule: Rule = {
  id: 7, tenantId: 1, name: 'Night shift', kinds: [], minSeverity: 'critical', groupIds: [], groups: [], allMeters: true,
  emails: ['a@x.example', 'b@x.example'], phones: ['+4511111111'], byEmail: true, bySms: true, mode: 'immediate', dailyAt: null,
  enabled: true, createdAt: 0, updatedAt: 0
};

const meter = (n: number, address: string | null = `Langgade ${n}`): AlarmedMeter => ({
  meterId: n, manufacturer: 'KAM', serial: String(70_000_000 + n), address, postalCode: address ? '8000' : null,
  alarms: [{ label: 'Leak', severity: 'critical' }], since: Date.parse('2026-10-25T00:30:00Z')
});

describe('notification texts', () => {
  test('local times before and after the DST change', () => {
    expect(localTime(Date.parse('2026-10-25T00:30:00Z'), 'Europe/Copenhagen')).toBe('2026-10-25 02:30'); // CEST, UTC+2
    expect(localTime(Date.parse('2026-10-25T01:30:00Z'), 'Europe/Copenhagen')).toBe('2026-10-25 02:30'); // CET, UTC+1
    expect(localTime(Date.parse('2026-10-25T23:05:00Z'), 'Europe/Copenhagen')).toBe('2026-10-26 00:05');
  });

  test('one message per recipient and channel; the SMS names the first meter and counts the rest', () => {
    const now = Date.parse('2026-10-25T02:00:00Z');
    const messages = composeMessages(rule, [meter(1), meter(2, null), meter(3)], 'onset', now, 'Europe/Copenhagen');
    expect(messages.map((m) => [m.channel, m.recipient, m.meters])).toEqual([
      ['email', 'a@x.example', 3],
      ['email', 'b@x.example', 3],
      ['sms', '+4511111111', 3]
    ]);
    expect(messages[0].subject).toBe('Readout alarm: Leak at 3 meters (rule "Night shift")');
    expect(messages[0].body).toBe(
      'New alarms at 3 meters, read up to 2026-10-25 03:00 (Europe/Copenhagen):\n\n' +
        '- Langgade 1, 8000: meter KAM 70000001: Leak since 2026-10-25 02:30\n' +
        '- no address: meter KAM 70000002: Leak since 2026-10-25 02:30\n' +
        '- Langgade 3, 8000: meter KAM 70000003: Leak since 2026-10-25 02:30\n\n' +
        'Sent by the notification rule "Night shift" of Readout.\n'
    );
    expect(messages[2].body).toBe('Readout: Leak at Langgade 1, 8000 (KAM 70000001) +2 more meters. Rule Night shift');
    expect(composeMessages(rule, [], 'daily', now, 'UTC')).toEqual([]);
  });

  test('an SMS never passes 160 characters; an e-mail lists 200 meters and counts the rest', () => {
    const long = meter(1, 'Kongens Nytorv '.repeat(12).trim());
    const [, , sms] = composeMessages(rule, [long], 'onset', 0, 'UTC');
    expect(sms.body).toHaveLength(160);
    expect(sms.body.endsWith('…')).toBe(true);
    expect(fitSms('x'.repeat(160))).toBe('x'.repeat(160));
    const many = Array.from({ length: MAIL_METER_LIMIT + 3 }, (_, i) => meter(i + 1));
    const [mail] = composeMessages({ ...rule, bySms: false }, many, 'daily', Date.parse('2026-10-26T06:30:00Z'), 'Europe/Copenhagen');
    expect(mail.subject).toBe('Readout daily summary 2026-10-26: 203 meters with alarms (rule "Night shift")');
    expect(mail.body.split('\n').filter((l) => l.startsWith('- '))).toHaveLength(200);
    expect(mail.body).toContain('… and 3 more meters: see Analysis > Alarms in the Manager.');
  });

  test('a rule matches listed kinds at its minimum severity; a daily time becomes a croner pattern', () => {
    const alarms = [
      { kind: 'leak' as const, severity: 'critical' as const, label: 'Leak' },
      { kind: 'dry' as const, severity: 'warning' as const, label: 'Dry' },
      { kind: 'low-battery' as const, severity: 'warning' as const, label: 'Low battery' }
    ];
    expect(ruleMatches({ kinds: [], minSeverity: 'critical' }, alarms).map((a) => a.kind)).toEqual(['leak']);
    expect(ruleMatches({ kinds: ['dry', 'leak'], minSeverity: null }, alarms).map((a) => a.kind)).toEqual(['leak', 'dry']);
    expect(ruleMatches({ kinds: ['dry', 'low-battery'], minSeverity: 'critical' }, alarms)).toEqual([]);
    expect(ruleMatches({ kinds: [], minSeverity: 'info' }, alarms)).toHaveLength(3);
    expect(dailyPattern('07:30')).toBe('30 7 * * *');
    expect(dailyPattern('00:05')).toBe('5 0 * * *');
  });
});
