import type { HelpArea } from './areas';

// Help for the alarms screen (Analysis → Alarms, M8).

export const ALARMS: HelpArea[] = [
  {
    id: 'alarms',
    title: 'Alarms (info codes)',
    screen: { href: '/manager/analysis/alarms', label: 'Alarms' },
    summary:
      'Which meters report an alarm now (leak, burst, dry pipe, tamper, low battery, sensor errors …), whatever make they are, so you know whom to call today; and how often each meter had an alarm over the last days.',
    steps: [
      {
        title: 'See who needs a call',
        items: [
          'The list shows every meter whose newest reading carries an active alarm, most severe first: critical (leak, burst, tamper, sensor or hardware errors), then warning, then info.',
          'Alarms are translated from each meter’s own info code into one list of alarm kinds, so a Kamstrup leak and another make’s leak read the same.',
          'Since is the first reading of the meter’s current run of readings with an alarm. "or earlier" means the run goes back further than the 400 days looked at.',
          'Open a meter (its serial) to see its readings, its latest info code and its alarm history.'
        ]
      },
      {
        title: 'Narrow the list',
        items: [
          'Meters: all meters, the non-grouped ones, the last import or one of your groups.',
          'Minimum severity: Critical only, Warning or critical, or everything.',
          'Alarm: one kind, for example only leaks. A meter with a leak and low battery shows under both.',
          'Choose Show alarms. The filters stay in the address, so you can bookmark the view or send it to a colleague.'
        ]
      },
      {
        title: 'How often did it happen?',
        items: [
          'Choose 7, 30 or 90 days under History over, then Show in a row, or Show history for these meters for the whole page.',
          'The sentence counts the utility’s calendar days on which a reading carried the alarm: "Leak on 23 of the last 30 days. Readings on 28 of 30 days." Today counts as one of the days.',
          'The meter page has the same summary in its Alarm history card, with the first and last time each alarm was seen.'
        ]
      }
    ],
    controls: [
      { name: 'Order, Severity and Last reading headings', text: 'Sort by severity (then newest reading) or by the time of the newest reading. Choosing the same heading again reverses the order.' },
      { name: 'Download CSV', text: 'Every meter that matches the filters (not only this page), with severity, alarms, since and last reading on the utility’s clock. Opens in Excel.' },
      { name: 'Previous / Next', text: 'The list shows 100 meters a page.' },
      { name: 'Alarm icon in the meter list', text: 'The warning sign beside a meter names its alarms; clicking it opens the meter’s alarm history.' }
    ],
    problems: [
      { problem: '"No meter reports an alarm"', meaning: 'Every meter’s newest reading has a clear info code. Alarms a meter reported earlier are in its alarm history.' },
      { problem: 'A meter I expected is missing', meaning: 'Only the newest reading counts: once the meter sends a clear info code it leaves the list. Check the filters, and the meter’s alarm history.' },
      { problem: '"Undocumented status bit"', meaning: 'The meter set a bit its maker does not document. Note the meter and ask the supplier.' }
    ],
    permission: 'See meters.',
    related: ['meter', 'meters']
  }
];
