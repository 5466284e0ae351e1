import type { HelpArea } from './areas';

// Help for the consumption report (Analysis, M6).

export const CONSUMPTION: HelpArea[] = [
  {
    id: 'consumption',
    title: 'Consumption report',
    screen: { href: '/manager/analysis/consumption', label: 'Consumption report' },
    summary:
      'What each consumer used between two dates, and the total: find consumers who used nothing or far too much, put them in a group, open their graph, or download the list as CSV.',
    steps: [
      {
        title: 'Run the report',
        items: [
          'Choose the meters (all, non-grouped, last imported or a group) and the first and last date. The dates are days of your utility\'s calendar: from midnight at the start of the first date to midnight at the end of the last.',
          'Press Show report. There is one row per consumer (a metering point with every meter installed there during the interval) and one for each meter of the group that is installed nowhere.',
          'Heat and electricity meters count in kWh, water meters in m³. The totals keep the two apart.'
        ]
      },
      {
        title: 'How consumption is counted',
        items: [
          'For each meter installed at the point: from its last reading before the first date (without one, a reading in the first hour of the first date) to its last reading before the end of the last date.',
          'Meter exchange: the old meter counts up to its final reading, the new one from its start reading; both add up in one row.',
          'Register rollover: when a register passes its highest value (99,999 on a 5-digit display) and starts again from 0, the consumption counts across it.',
          'Register reset: a register that falls back without a rollover counts 0 for that step; the row says "register reset" so you can check the meter.',
          'Missing readings: with no reading before the first date, or none in the interval, the row has no value (never 0) and says which reading is missing. Such rows are not in the totals.'
        ]
      },
      {
        title: 'Find zero or excessive consumption',
        items: [
          'Zero consumption only: consumers whose registers did not move (a stopped meter, an empty house).',
          'At least / At most: consumers above or below a limit. Choose kWh or m³ for a limit: the two cannot be compared.',
          'Missing readings only: consumers without a value, to find meters that are not heard.',
          'Add N meters to group: puts the meters of every row the filters keep (not only the page shown) into an existing group or a new one. For a point with an exchange, that is the meter installed at the end of the interval.'
        ]
      }
    ],
    controls: [
      { name: 'Column headers', text: 'Sort by consumer, customer number, address, meter or consumption; press again to reverse. Rows without a value come last.' },
      { name: 'Consumer', text: 'Opens the meter page with its graph over the same dates, by day.' },
      { name: 'Download CSV', text: 'Every row the filters keep, in the order shown, as a CSV file (UTF-8, comma-separated) with the interval\'s start and end on your utility\'s clock.' },
      { name: 'Previous / Next', text: 'The report shows 100 rows at a time; totals and group actions cover all rows.' }
    ],
    problems: [
      { problem: '"no reading before …"', meaning: 'The meter sent nothing before the first date since it was installed: the start of the interval is unknown. Choose a later first date or check when the meter was installed.' },
      { problem: '"no readings in the interval"', meaning: 'Nothing was heard from the meter during the interval. See Reading performance, or check the meter on site.' },
      { problem: '"Choose kWh or m³ for a limit"', meaning: 'A limit needs a unit, because kWh and m³ cannot be compared.' },
      { problem: 'Download CSV says your role may not export', meaning: 'Downloads need the Export permission besides See readings (Export data). An administrator can grant it under Roles and permissions.' }
    ],
    permission: 'See readings. Download CSV also needs Export data; adding to a group needs Change groups.',
    related: ['groups', 'meter']
  }
];
