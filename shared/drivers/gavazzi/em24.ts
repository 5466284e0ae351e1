// Carlo Gavazzi EM24 electricity meter (wM-Bus; also sold with a Kamstrup radio, KAM 33/02).
// Facts from wmbusmeters drivers/src/em24.xmq: reactive energies 04FB8275 / 04FB82F53C are
// kvarh "without VIF scaling", apparent energy = √(active² + reactive²), frequency 02FB2E in
// 0.1 Hz, error flags bits 0x01..0x40.

import { bitTable, defineDriver } from '../define.js';

const errors = bitTable('EM24 error flags (FD 17)', 'EM24 error flags', {
  0: { flag: 'V1 overflow', kind: 'abnormal-condition' },
  1: { flag: 'V2 overflow', kind: 'abnormal-condition' },
  2: { flag: 'V3 overflow', kind: 'abnormal-condition' }, // em24.xmq names it V_2 twice
  3: { flag: 'I1 overflow', kind: 'abnormal-condition' },
  4: { flag: 'I2 overflow', kind: 'abnormal-condition' },
  5: { flag: 'I3 overflow', kind: 'abnormal-condition' },
  6: { flag: 'frequency', kind: 'abnormal-condition' },
});

export const em24 = defineDriver({
  id: 'gavazzi-em24',
  name: 'Carlo Gavazzi EM24',
  aliases: ['em24'],
  medium: 'electricity',
  match: [{ mfct: 'KAM', version: 0x33, type: 0x02 }, { mfct: 'GAV', version: 0x00, type: 0x02 }],
  primary: 'energy',
  fields: {
    energy: { quantity: 'energy', select: { vif: 'energy' }, label: 'Active energy imported' },
    energyExport: { quantity: 'energy', select: { vif: 'energy', direction: 'backward' }, label: 'Active energy exported' },
    reactive: { quantity: 'number', select: { difvif: '04FB8275' }, scaling: 'none', unit: 'kvarh', label: 'Reactive energy imported' },
    reactiveExport: { quantity: 'number', select: { difvif: '04FB82F53C' }, scaling: 'none', unit: 'kvarh', label: 'Reactive energy exported' },
    apparent: { quantity: 'number', formula: { op: 'hypot', of: ['energy', 'reactive'] }, unit: 'kVAh', label: 'Apparent energy imported (calculated)' },
    apparentExport: {
      quantity: 'number',
      formula: { op: 'hypot', of: ['energyExport', 'reactiveExport'] },
      unit: 'kVAh',
      label: 'Apparent energy exported (calculated)',
    },
    power: { quantity: 'power', select: { vif: 'power' }, label: 'Active power' },
    frequency: { quantity: 'number', select: { difvif: '02FB2E' }, scaling: 'none', factor: 0.1, unit: 'Hz', label: 'Frequency' },
    status: { quantity: 'flags', select: { vif: 'error-flags' }, status: errors, label: 'Error flags' },
  },
  examples: [
    {
      note: 'ELL, decrypted upstream',
      source: 'wmbusmeters drivers/src/em24.xmq test "Elen"',
      hex: '35442D2C6666666633028D2070806A0520B4D3780405F208000004FB82753F00000004853C0000000004FB82F53CCA01000001FD1722',
      id: '66666666',
      expect: {
        energy: [229, 'kWh'],
        energyExport: [0, 'kWh'],
        reactive: [63, 'kvarh'],
        reactiveExport: [458, 'kvarh'],
        apparent: [237.507895, 'kVAh'],
        apparentExport: [458, 'kVAh'],
        status: ['V2 overflow', 'I3 overflow'],
      },
    },
  ],
});
