import type { HelpArea } from './areas';

// Help for the heat report (M5) and heat-network analytics (B3): what the figures mean and how
// they are worked out (server/src/report/heat-rows.ts, heat.ts, network.ts).

export const HEAT: HelpArea[] = [
  {
    id: 'heat',
    title: 'Heat: cooling and temperatures',
    screen: { href: '/manager/analysis/heat', label: 'Heat report' },
    summary:
      'Per heat meter over an interval: energy and volume used, volume-weighted mean inlet (t1) and outlet (t2) temperature, the cooling ΔT, and a level against your thresholds. Find installations that cool badly and call them.',
    steps: [
      {
        title: 'Run the report',
        items: [
          'Choose the meters (all, a group, non-grouped or the last import) and the dates, or a preset, then Show report.',
          'Leave Good from and Poor below empty to use the saved thresholds; type values to try others for this run.',
          'Filter by level or by a ΔT range: the filter runs on the server, the summary counts the rows shown.',
          'Click a column title to sort by it (again to reverse); a meter opens its page over the same dates.',
          'Download CSV saves the rows as shown (scope, thresholds and filters), all of them.'
        ]
      },
      {
        title: 'How the figures are worked out',
        items: [
          'Energy and volume: the change between the last reading at or before the first day (else the first reading inside) and the last reading before the end. A register that wraps round or is reset inside the interval is walked reading by reading, as in the consumption report.',
          'Temperatures, first method that fits: 1. E8/E9 registers of Kamstrup meters (Σ m³·t1 and Σ m³·t2): t1 = change of E8 / change of volume, exact volume weighting. The meter counts them in a power of ten of m³·°C that follows its volume resolution; the report picks it per meter so the lifetime E8/volume matches the meter\'s own t1 readings (without temperature readings: so it lies between 10 and 100 °C). E8 must advance at least 100 counts. 2. Flow-weighted: each reading\'s temperature weighted by its flow. 3. Time average of the readings. The Method column says which was used.',
          'ΔT = t1 − t2. Cooling meters (device type 0A/0B) show ΔT = t2 − t1 and are not rated: the good/poor thresholds are for heating.',
          'A meter exchanged in the interval gives a row per meter, each over its own readings (the dates under the method show them).'
        ]
      }
    ],
    controls: [
      { name: 'Good from / Poor below', text: 'ΔT at or above Good from is good, below Poor below is poor, between them fair (defaults 30 K and 20 K).' },
      { name: 'Level, ΔT from, ΔT to', text: 'Show only rows of that level, or with ΔT in the range (inclusive). Rows without temperatures drop out when a filter is set.' },
      { name: 'Saved thresholds', text: 'The utility\'s defaults for both heat screens. Changing them needs the settings permission and is written to the audit log.' }
    ],
    problems: [
      { problem: 'A meter is missing', meaning: 'It has no reading with a volume in the interval (the summary counts such meters), or it is not a heat or cooling meter.' },
      { problem: '"no temperatures"', meaning: 'The meter sends neither E8/E9 nor temperatures: energy and volume are still shown.' },
      { problem: 'ΔT looks wrong for a short interval', meaning: 'With little flow, E8 advances few counts and the report falls back to the readings\' temperatures; choose a longer interval.' }
    ],
    permission: 'Read readings; Download CSV also needs Export. Saving thresholds needs Manage settings.',
    related: ['network', 'meter', 'groups']
  },
  {
    id: 'network',
    title: 'Heat-network analytics',
    screen: { href: '/manager/analysis/network', label: 'Heat-network analytics' },
    summary:
      'A first version of network analytics: ranks heat installations by poor cooling and by excess flow, flags high return temperatures, and shows the trend of one installation per week or month.',
    steps: [
      {
        title: 'The method',
        items: [
          'ΔT = volume-weighted mean t1 − t2 over the interval, worked out as in the heat report (E8/E9, else flow-weighted, else time average). Low ΔT means the installation sends water back warm: the network must pump more and loses more heat.',
          'm³/MWh = volume ÷ energy. Water carries about 1.16 kWh per m³ and kelvin, so m³/MWh ≈ 1000 ÷ (1.16 × ΔT): 35 m³/MWh is a ΔT of about 25 K. High m³/MWh is excess flow: the installation needs much water for its heat.',
          'Return temperature: the mean t2. Above the threshold (default 45 °C) the return is too warm for an efficient network: supply capacity is wasted and losses rise, and many utilities bill a return-temperature surcharge from about that level.',
          'Rank: each installation gets a ΔT rank (1 = lowest ΔT) and an m³/MWh rank (1 = highest). The list is ordered by the number of flags, most first, then by the mean of the two ranks. Installations without energy or temperatures are listed last, not ranked.'
        ]
      },
      {
        title: 'Use it',
        items: [
          'Choose meters and dates and Show report; thresholds left empty use the saved ones.',
          'Show trend under an installation: ΔT, t1, t2 and m³/MWh per month or per week (weeks start on Monday) over the 12 months to the last date.',
          'Download CSV saves the ranked list.'
        ]
      }
    ],
    controls: [
      { name: 'Poor cooling below', text: 'ΔT under this flags poor cooling (default 20 K).' },
      { name: 'Return above', text: 'Mean return temperature above this is flagged (default 45 °C).' },
      { name: 'Flow above', text: 'm³/MWh above this is flagged as excess flow (default 35).' }
    ],
    problems: [
      { problem: 'Limits of this first version', meaning: 'Rows are meters, not buildings: a building with several meters has several rows. Cooling meters are left out. No weather correction: compare installations over the same interval. The trend steps each run a small report, so long weekly trends take a moment.' },
      { problem: 'An installation is not ranked', meaning: 'Its energy did not advance or it has no temperatures in the interval.' }
    ],
    permission: 'Read readings; Download CSV also needs Export. Saving thresholds needs Manage settings.',
    related: ['heat', 'meter']
  }
];
