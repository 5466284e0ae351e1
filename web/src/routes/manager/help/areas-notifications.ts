import type { HelpArea } from './areas';

// Help for Configuration › Notifications (M9). The rules quoted here are the server's
// (server/src/notify/*.ts, server/src/routes/notifications.ts).

export const NOTIFICATIONS: HelpArea[] = [
  {
    id: 'notifications',
    title: 'Notifications',
    screen: { href: '/manager/configuration/notifications', label: 'Notifications' },
    summary:
      'Rules send the alarms meters report (leak, burst, tamper, low battery …) by e-mail or SMS to the people who act on them: at once when a reading brings a new alarm, or as a daily summary. Every message is in the delivery log with its status.',
    steps: [
      {
        title: 'Make a rule',
        items: [
          '"New rule…", then a name and which alarms: tick kinds (none ticked means every kind) and/or choose a minimum severity. An alarm must pass both when both are given.',
          'Which meters: all of them, or the meters of one or more groups. A rule whose groups are all deleted sends nothing until it gets new groups.',
          'Who: e-mail addresses and/or phone numbers in international form (+45 12 34 56 78), and tick e-mail, SMS or both.',
          'When: "At once" or "Daily" at a time of day on the utility\'s clock.'
        ]
      },
      {
        title: 'What is sent',
        items: [
          'At once: when readings arrive, the newest alarms of each meter are compared with what the rule saw at its last look. An alarm it had not seen is new; one message per rule and batch of readings lists those meters (address, meter, alarm, since when). The same alarm in later readings sends nothing; an alarm that cleared and came back sends again.',
          'Alarms already active when a rule is made, when its alarms or meters change, or when it is enabled again count as seen: at once sends only alarms that begin afterwards. A daily rule lists every active alarm, standing ones too.',
          'Daily: a summary of every alarm active at that time; nothing when none is. A summary whose time passed while the server was stopped is not sent afterwards.',
          'E-mail lists up to 200 meters. An SMS has at most 160 characters: the first meter and how many more.'
        ]
      },
      {
        title: 'Check the delivery log',
        items: [
          'One row per message and recipient, newest first: Queued, Sent, Retrying or Failed, the attempts and the reason.',
          'A failure that may pass (the SMS service or mail server unreachable, an error on its side) is tried again after a wait that doubles, three attempts in all. One that will not pass (e-mail or SMS not set up, a refused recipient) fails at once.',
          'Messages not yet sent when the server stops are sent when it starts again.'
        ]
      }
    ],
    controls: [
      { name: 'Enabled', text: 'Switch a rule off and on without deleting it. A disabled rule sends nothing.' },
      { name: 'Delete…', text: 'Asks first. Its messages stay in the log, marked "(deleted)".' },
      { name: 'E-mail and SMS', text: 'Whether the server can send each (SMTP_URL, SMS_URL in its environment) and a test message.' },
      { name: 'Filters', text: 'Status, rule, and a period of calendar days on the utility\'s clock; "Refresh" looks again.' }
    ],
    problems: [
      { problem: '"E-mail is not configured" / "SMS is not set up"', meaning: 'SMTP_URL or SMS_URL is missing on the server: ask whoever runs it.' },
      { problem: '"Connection to SMS service failed …"', meaning: 'The SMS gateway in SMS_URL could not be reached: wrong address, or it is down, or a firewall.' },
      { problem: '"SMS service answered 500 …"', meaning: 'The gateway had an error; its own words follow. 401 or 403 usually means SMS_TOKEN is wrong.' },
      { problem: '"The mail server refused the recipient …"', meaning: 'The address is wrong or the mail server does not take mail for it.' },
      { problem: '"phones.0: expected a phone number in international form"', meaning: 'Write numbers with + and the country code, e.g. +45 12 34 56 78.' }
    ],
    permission: 'Settings and jobs.',
    related: ['mail', 'audit', 'groups']
  }
];
