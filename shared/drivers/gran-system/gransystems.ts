// Gran-System-S CC101 / CC301 electricity meters. Facts from wmbusmeters
// drivers/src/gransystems.xmq: `02 FB 2D` is the mains frequency in 0.01 Hz (raw / 100).

import { defineDriver } from '../define.js';

export const gransystems = defineDriver({
  id: 'gran-system-cc301',
  name: 'Gran-System-S CC101 / CC301',
  aliases: ['gransystems'],
  medium: 'electricity',
  match: [{ mfct: 'GSS', version: 0x01, type: 0x02 }],
  primary: 'energy',
  fields: {
    energy: { quantity: 'energy', select: { vif: 'energy' }, label: 'Active energy' },
    targetEnergy: { quantity: 'energy', select: { vif: 'energy', storage: 2 }, label: 'Energy at the last day' },
    voltage: { quantity: 'voltage', select: [{ vif: 'voltage' }, { vif: 'voltage', subunit: 1 }], label: 'Voltage L1' },
    frequency: { quantity: 'number', select: { difvif: '02FB2D' }, scaling: 'none', factor: 0.01, unit: 'Hz', label: 'Frequency' },
  },
  examples: [
    {
      note: 'CC101 single phase',
      source: 'wmbusmeters drivers/src/gransystems.xmq test "Gran101"',
      hex:
        '7844731E78610418010278046D0F13BC21040394030000841003690300008420032B00000084300300000000848010030000000084016D' +
        '0000BC2184010394030000841103690300008421032B00000084310300000000848110030000000004FD482E09000004FD5B000000000' +
        '2FB2D861304FD1700000201',
      id: '18046178',
      expect: { energy: [0.916, 'kWh'], targetEnergy: [0.916, 'kWh'], voltage: [235, 'V'], frequency: [49.98, 'Hz'] },
    },
  ],
});
