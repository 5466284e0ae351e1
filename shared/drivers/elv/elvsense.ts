// ELV room sensors (elvsense). Fact from wmbusmeters drivers/src/elvsense.xmq: the plain-text
// VIF record `02 7C 03 "CO2"` holds the CO2 concentration in ppm.

import { defineDriver } from '../define.js';

export const elvsense = defineDriver({
  id: 'elv-sense',
  name: 'ELV room sensor',
  aliases: ['elvsense'],
  medium: 'room-sensor',
  match: [{ mfct: 'ELV', version: 0x50, type: 0x1b }],
  fields: {
    temperature: { quantity: 'temperature', select: { vif: 'external-temperature' }, label: 'Temperature' },
    humidity: { quantity: 'humidity', select: { vif: 'humidity' }, label: 'Relative humidity' },
    battery: { quantity: 'voltage', select: { vif: 'voltage' }, label: 'Battery voltage' },
    co2: { quantity: 'number', select: { difvif: '027C' }, scaling: 'none', unit: 'ppm', label: 'CO2' },
  },
  examples: [
    {
      note: 'T1, decrypted upstream',
      source: 'wmbusmeters drivers/src/elvsense.xmq test "FAKE"',
      hex: '2B44961558890080501B7AFF0010252F2F0265680802FD46630E02FB1A0700027C03324F4300010F2F2F2F2F',
      id: '80008958',
      expect: { temperature: [21.52, '°C'], battery: [3.683, 'V'], co2: [256, 'ppm'] },
    },
  ],
});
