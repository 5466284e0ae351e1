// Qundis Q water 5.5 water meters. Fact from wmbusmeters drivers/src/qwaterv2.xmq: the record
// `02 BB 56` (VIF 3B l/h with VIFE 56, by EN 13757-3 "duration of the last lower-limit
// exceedance, hours") is read as the volume flow, with the VIF's l/h scale.

import { defineDriver } from '../define.js';

export const qwater = defineDriver({
  id: 'qundis-qwater',
  name: 'Qundis Q water 5.5',
  aliases: ['qwater', 'qwaterv2'],
  medium: 'water',
  match: [{ mfct: 'QDS', version: [0x16, 0x17, 0x18, 0x19, 0x1a, 0x1d, 0x33, 0x35, 0x36], type: [0x06, 0x07, 0x37] }],
  primary: 'total',
  fields: {
    total: { quantity: 'volume', select: { vif: 'volume' }, label: 'Total volume' },
    targetYear: { quantity: 'volume', select: { vif: 'volume', storage: 1 }, label: 'Volume at the end of last year' },
    target: { quantity: 'volume', select: { vif: 'volume', storage: 17 }, label: 'Volume at the end of last month' },
    flow: { quantity: 'number', select: { difvif: '02BB56' }, scaling: 'none', factor: 0.001, unit: 'm3/h', label: 'Volume flow' },
  },
  examples: [
    {
      note: 'T1 short header',
      source: 'wmbusmeters drivers/src/qwaterv2.xmq test "QWater-7-18"',
      hex: '394493449400231218077AD30000200C13536712004C1307920500426CBF2CCC081373621200C2086CDE2B02BB560000326CFFFF046D3714C32C',
      id: '12230094',
      expect: { total: [126.753, 'm3'], targetYear: [59.207, 'm3'], target: [126.273, 'm3'], flow: [0, 'm3/h'] },
    },
  ],
});
