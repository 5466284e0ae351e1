import type { HelpArea } from './areas';

// Help for consumption alerts (M10). The rules quoted here are the server's
// (server/src/alerts/evaluate.ts, store/consumption-alerts.ts, routes/alerts.ts).

export const ALERTS: HelpArea[] = [
  {
    id: 'alerts',
    title: 'Consumption alerts',
    screen: { href: '/manager/analysis/alerts', label: 'Consumption alerts' },
    summary:
      'A limit on how much a meter may use per day, per week or per calendar month. Readout compares each new reading with the limit and marks the alert "Exceeded" until someone resets it, so a leak or a wrong installation is seen the same day.',
    steps: [
      {
        title: 'Set limits',
        items: [
          'Under "Set limits", choose the meters (all, non-grouped, last imported or a group), the period, the limit and from which date it applies; leave "Valid to" empty for no end. At most 5,000 meters at once: choose a smaller group for more.',
          'The limit is in each meter\'s unit: kWh for heat, cooling and electricity meters, m³ for water meters. For a single meter, use "Set a limit" on its meter page.',
          'A meter has at most one limit per period. Setting a limit again replaces the earlier one of that period (the message says how many were replaced) and arms it.'
        ]
      },
      {
        title: 'How consumption is counted',
        items: [
          'Consumption in the current period = the register now − the register at the start of the period (the last reading at or before it). Days start at midnight on the utility\'s clock, so a day with a daylight-saving change has 23 or 25 hours; weeks run Monday to Sunday; months are calendar months.',
          'A register that wraps around (99,999 → 0) counts the step across the wrap; a register that is reset counts nothing for that step.',
          'A limit valid from a date in the middle of a period counts from that date. Outside "Valid from" – "Valid to" the alert is not evaluated.',
          'Readings are checked as they arrive, and every 15 minutes for all alerts (so a new day, week or month starts counting from 0).',
          'An alert is exceeded when the consumption is above the limit (equal is still within it).'
        ]
      },
      {
        title: 'Act on exceeded alerts',
        items: [
          'Exceeded alerts are listed first, with the consumption that went over and when. The meter list shows a red gauge in the row, and the meter page a "Consumption alert" card.',
          'Select rows and "Reset": the alert is armed again and counts from now to the end of the current period; later periods count whole.',
          '"Disarm" pauses an alert; "Re-arm" resumes it, counting from then. "Delete" removes the limit. Each asks first, naming how many alerts it changes.'
        ]
      }
    ],
    controls: [
      { name: 'State', text: 'Exceeded (over the limit, until reset), Armed (watched), Disarmed (paused).' },
      { name: 'Consumption now', text: 'The current period\'s consumption at the last evaluation; "–" when the meter has no readings to count yet.' },
      { name: 'Since', text: 'When the limit was exceeded, or when the alert last changed state.' },
      { name: 'Download CSV', text: 'Every alert of the filter as a CSV file (needs the export permission).' }
    ],
    problems: [
      { problem: '"… meters: at most 5,000 per call"', meaning: 'The group is too large for one step: split it into groups of at most 5,000 meters.' },
      { problem: '"validTo: expected a date on or after validFrom"', meaning: 'The end date is before the start date.' },
      { problem: 'Consumption now is "–"', meaning: 'The meter has no reading with its register yet, or the alert is outside its validity.' },
      { problem: 'Exceeded again right after a reset', meaning: 'The meter kept using more than the limit after the reset: check the installation.' }
    ],
    permission: 'Seeing alerts needs "see meters"; setting, resetting, disarming and deleting need "consumption alerts" (alerts.write).',
    related: ['meters', 'meter', 'groups']
  }
];
