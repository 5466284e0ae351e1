// eBZ wMB-E01 radio module on eBZ electricity meters. Fact from wmbusmeters
// drivers/src/ebzwmbe.xmq: the total power is the sum of the three phase powers
// (`04 A9 FF 01..03`, VIF 29 = 0.01 W with a manufacturer VIFE naming the phase).

import { defineDriver } from '../define.js';

export const ebzWmbe = defineDriver({
  id: 'ebz-wmbe01',
  name: 'eBZ wMB-E01',
  aliases: ['ebzwmbe'],
  medium: 'electricity',
  // The radio module's own address (DLL, device type 37) and the meter's (TPL long header).
  match: [{ mfct: 'EBZ', version: 0x02, type: 0x37 }, { mfct: 'EBZ', version: 0x01, type: 0x02 }],
  primary: 'energy',
  fields: {
    energy: { quantity: 'energy', select: { vif: 'energy' }, label: 'Active energy' },
    powerL1: { quantity: 'power', select: { difvif: '04A9FF01' }, label: 'Power L1' },
    powerL2: { quantity: 'power', select: { difvif: '04A9FF02' }, label: 'Power L2' },
    powerL3: { quantity: 'power', select: { difvif: '04A9FF03' }, label: 'Power L3' },
    power: { quantity: 'power', formula: { op: 'sum', of: ['powerL1', 'powerL2', 'powerL3'] }, unit: 'kW', label: 'Power (sum of phases)' },
  },
  examples: [
    {
      note: 'ELL + AFL + long TPL header, decrypted upstream',
      source: 'wmbusmeters drivers/src/ebzwmbe.xmq test "Elen1"',
      hex:
        '5B445A149922992202378C20F6900F002C25BC9E0000BF48954821BC508D72992299225A140102F6003007102F2F040330F92A0004A9FF01' +
        'FF24000004A9FF026A29000004A9FF03460600000DFD11063132333435362F2F2F2F2F2F',
      expect: { energy: [2816.304, 'kWh'], powerL1: [0.09471, 'kW'], power: [0.21679, 'kW'] },
    },
  ],
});
