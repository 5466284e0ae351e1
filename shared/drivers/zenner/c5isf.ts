// Zenner C5-ISF heat meter. Fact from wmbusmeters drivers/src/c5isf.xmq: the maximum power of
// the last month (storage 32, function maximum, VIFE 25 "per month") is a power in kW.

import { defineDriver } from '../define.js';

export const c5isf = defineDriver({
  id: 'zenner-c5isf',
  name: 'Zenner C5-ISF',
  aliases: ['c5isf'],
  medium: 'heat',
  match: [{ mfct: 'ZRI', version: 0x88, type: [0x04, 0x0d] }],
  primary: 'energy',
  fields: {
    energy: { quantity: 'energy', select: { vif: 'energy' }, label: 'Heat energy' },
    volume: { quantity: 'volume', select: { vif: 'volume' }, label: 'Volume' },
    lastMonthEnergy: { quantity: 'energy', select: { vif: 'energy', storage: 32 }, label: 'Energy at the end of last month' },
    lastMonthMaxPower: {
      quantity: 'number',
      select: { difvif: '948001AE25' },
      unit: 'kW',
      label: 'Maximum power last month',
    },
  },
  examples: [
    {
      note: 'T1, decrypted upstream',
      source: 'wmbusmeters drivers/src/c5isf.xmq test "Heat"',
      hex:
        '5E44496A4420003288047AFC0050052F2F0406D00E00000413B28A05008404060000000082046CC121043B00000000042D00000000025' +
        '9E719025D051402FD17000084800106C00C00008280016CC125948001AE25090000002F2F2F2F2F2F',
      id: '32002044',
      expect: { energy: [3792, 'kWh'], volume: [363.186, 'm3'], lastMonthEnergy: [3264, 'kWh'], lastMonthMaxPower: [9, 'kW'] },
    },
  ],
});
