// Axioma Qalcosonic W1 (wmbusmeters "q400") water meter. Fact from wmbusmeters
// drivers/src/q400.xmq: the one-byte `01 FD 74` record is the battery level in percent (the
// standard VIF means remaining battery life in days; this meter sends a percentage).

import { defineDriver } from '../define.js';

export const q400 = defineDriver({
  id: 'axioma-qalcosonic-w1',
  name: 'Axioma Qalcosonic W1',
  aliases: ['q400'],
  medium: 'water',
  match: [{ mfct: 'AXI', version: [0x01, 0x10, 0x20], type: 0x07 }],
  primary: 'total',
  fields: {
    total: { quantity: 'volume', select: { vif: 'volume' }, label: 'Total volume' },
    flow: { quantity: 'flow', select: { vif: 'volume-flow' }, label: 'Flow' },
    flowTemperature: { quantity: 'temperature', select: { vif: 'flow-temperature' }, label: 'Water temperature' },
    targetVolume: { quantity: 'volume', select: { vif: 'volume', storage: 1 }, label: 'Volume at set date' },
    battery: { quantity: 'number', select: { difvif: '01FD74' }, scaling: 'none', unit: '%', label: 'Battery level' },
  },
  examples: [
    {
      note: 'T1, decrypted upstream',
      source: 'wmbusmeters drivers/src/q400.xmq test "AxiomaWater"',
      hex:
        '5E4409077372727210077A710050052F2F046D0110A92704130022000004933B0000000004933C00000000023B000002592A0A446D0000' +
        'A12744130000000044933B0000000044933C0000000001FD74622F2F2F2F2F2F2F2F2F2F2F2F2F2F',
      id: '72727273',
      expect: { total: [8.704, 'm3'], flow: [0, 'm3/h'], flowTemperature: [26.02, '°C'], battery: [98, '%'] },
    },
  ],
});
