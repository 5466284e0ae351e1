import type { HelpArea } from './areas';

// Help for the reading-performance report (M7).

export const PERFORMANCE: HelpArea[] = [
  {
    id: 'performance',
    title: 'Reading performance',
    screen: { href: '/manager/analysis/performance', label: 'Reading performance' },
    summary:
      'Which meters are heard as often as they should be: per meter the share of expected messages that arrived and the share of hours with a value, and the same per gateway and per drive-by route, for a group and dates on your utility\'s calendar.',
    steps: [
      {
        title: 'Run the report',
        items: [
          'Choose the meters (all, a group, non-grouped or the last import) and the dates, or a preset such as Last month, and press Show report.',
          'Poor below (%): meters whose share is below it are poor and marked in red. Leave it as it is to use your utility\'s default; Save as default changes the default for everyone (needs the permission to manage settings, and is recorded in the audit log).',
          'Tick Only poor performers for the list of meters to look at. Rows are sorted worst first; the summary above the table counts all meters of the selection.'
        ]
      },
      {
        title: 'How "expected" is counted',
        items: [
          'Fixed network and point-to-point: one message per transmission interval of the meter, rounded to whole messages. A meter without an interval counts 15 minutes on a fixed network and one hour point-to-point ("default" beside the rule).',
          'Counting starts at the first date, or later when the meter became known later: the earliest of when it was created, first installed or first heard.',
          'Drive-by and optical: one reading in the interval is expected, so the share is 100 % or 0 %. Hourly slots do not apply (—).',
          'Wired M-Bus: one reading a day.',
          'Share = received ÷ expected, at most 100 %. Hours with a value counts local clock hours with at least one reading; the day clocks go forward has 23 hours, the day they go back 24 (the repeated hour counts once).'
        ]
      },
      {
        title: 'Gateways and drive-by routes',
        items: [
          'Gateways: every reception of a gateway in the interval (a telegram heard by two gateways counts for both): the meters it heard, its messages against what those meters were expected to send, and frames of meters that are not known.',
          'Drive-by routes: for each field device, the meters of its route (its groups), how many it heard in the interval, and how many were read at all, by any gateway or device.'
        ]
      },
      {
        title: 'Comment and export',
        items: [
          'Add comment on a row notes something about the meter\'s reading, for example "antenna moved 3 Nov". Enter saves, Escape cancels. The comment shows on the row with who wrote it and when, and goes into the CSV.',
          'Download CSV saves the tab you see (all rows, not only the page) for a spreadsheet.'
        ]
      }
    ],
    controls: [
      { name: 'Poor below (%)', text: 'The threshold from 0 to 100 %. Empty or unchanged: the saved default.' },
      { name: 'Meters / Gateways / Drive-by routes', text: 'The three views of the same selection and dates.' },
      { name: 'Meter serial', text: 'Opens the meter page with hourly values for the same dates, to see where messages are missing.' },
      { name: 'Add comment, Edit, Delete', text: 'A note per meter; deleting asks first. The audit log keeps every change.' },
      { name: 'Download CSV', text: 'The current tab as a CSV file (needs the export permission).' }
    ],
    problems: [
      { problem: 'Share "—"', meaning: 'Nothing was expected: the meter became known after the dates chosen.' },
      { problem: 'A fixed-network meter shows 25 % although it reports every hour', meaning: 'Its transmission interval is not set, so 15 minutes is assumed. Set the interval on the meter for exact figures.' },
      { problem: 'A gateway is missing', meaning: 'It received nothing for the selected meters in the interval. Field devices are listed under Drive-by routes, not as gateways.' },
      { problem: '"Your role may not …"', meaning: 'Reading the report needs the readings permission, the CSV also export, comments the alerts permission and the default threshold the settings permission.' }
    ],
    permission: 'Read readings (readings.read); CSV also export; comments alerts.write; the default threshold settings.manage.',
    related: ['meter', 'groups', 'devices']
  }
];
