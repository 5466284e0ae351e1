// Techem MK Radio 3 and MK Radio 4 water meters (CI A2). Their data after the CI is Techem's own
// layout; both keep the volume at the start of this period in bytes 3..4 and the volume of this
// period in bytes 7..8, little-endian, in 0.1 m³ (MK Radio 3 has billing dates in bytes 1..2
// and 5..6). The total is their sum. Facts from wmbusmeters drivers/src/mkradio3.xmq and
// drivers/src/mkradio4.xmq.

import type { DriverSpec } from '../define.js';
import { defineDriver } from '../define.js';

const fields: DriverSpec['fields'] = {
  target: { quantity: 'volume', bytes: { offset: 3, length: 2 }, factor: 0.1, unit: 'm3', label: 'Volume at the start of this period' },
  period: { quantity: 'volume', bytes: { offset: 7, length: 2 }, factor: 0.1, unit: 'm3', hidden: true },
  total: { quantity: 'volume', formula: { op: 'sum', of: ['target', 'period'] }, unit: 'm3', label: 'Total volume' },
};

export const mkradio3 = defineDriver({
  id: 'techem-mkradio3',
  name: 'Techem MK Radio 3',
  aliases: ['mkradio3'],
  medium: 'water',
  match: [{ mfct: 'TCH', version: 0x74, type: [0x62, 0x72], ci: [0xa2] }],
  primary: 'total',
  fields,
  examples: [
    {
      note: 'warm water',
      source: 'wmbusmeters drivers/src/mkradio3.xmq test 1 ("Duschen")',
      hex: '2F446850313233347462A2069F255900B029310000000306060906030609070606050509050505050407040605070500',
      id: '34333231',
      expect: { total: [13.8, 'm3'], target: [8.9, 'm3'] },
    },
  ],
});

export const mkradio4 = defineDriver({
  id: 'techem-mkradio4',
  name: 'Techem MK Radio 4',
  aliases: ['mkradio4'],
  medium: 'water',
  match: [{ mfct: 'TCH', version: [0x95, 0x70], type: [0x62, 0x72], ci: [0xa2] }],
  primary: 'total',
  fields,
  examples: [
    {
      note: 'warm water',
      source: 'wmbusmeters drivers/src/mkradio4.xmq test "Duschagain"',
      hex: '2F446850200141029562A206702901006017030004000300000000000000000000000000000000000000000000000000',
      id: '02410120',
      expect: { total: [0.4, 'm3'], target: [0.1, 'm3'] },
    },
  ],
});
