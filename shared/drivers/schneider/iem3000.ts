// Schneider Electric iEM3000 series electricity meters (wired M-Bus). Facts from wmbusmeters
// drivers/src/iem3000.xmq: sub-unit 1 energy is reactive energy (kvarh), manufacturer VIFE 0D
// the partial register, 09 the exported register; `05 FF 0B` is the frequency (Hz, float),
// `03 FF 24` the nominal frequency (Hz) and `06 FF 20` the operating time without VIF scaling
// (the source says its unit is unknown and prints it in years).

import { defineDriver } from '../define.js';

export const iem3000 = defineDriver({
  id: 'schneider-iem3000',
  name: 'Schneider Electric iEM3000',
  aliases: ['iem3000'],
  medium: 'electricity',
  match: [{ mfct: 'SEC', version: [0x13, 0x15, 0x18], type: 0x02 }],
  primary: 'energy',
  fields: {
    energy: { quantity: 'energy', select: { vif: 'energy' }, label: 'Active energy imported' },
    reactive: { quantity: 'number', select: { vif: 'energy', subunit: 1 }, unit: 'kvarh', label: 'Reactive energy imported' },
    partialReactive: {
      quantity: 'number',
      select: [{ difvif: '874083FF0D' }, { difvif: '854083FF0D' }],
      unit: 'kvarh',
      label: 'Partial reactive energy imported',
    },
    reactiveExport: {
      quantity: 'number',
      select: [{ difvif: '874083FF09' }, { difvif: '854083FF09' }],
      unit: 'kvarh',
      label: 'Reactive energy exported',
    },
    frequency: { quantity: 'number', select: { difvif: '05FF0B' }, unit: 'Hz', label: 'Frequency' },
    nominalFrequency: { quantity: 'number', select: { difvif: '03FF24' }, scaling: 'none', unit: 'Hz', label: 'Nominal frequency' },
    operatingTime: { quantity: 'number', select: { difvif: '06FF20' }, scaling: 'none', unit: 'y', label: 'Operating time (unit unknown)' },
  },
  examples: [
    {
      note: 'RSP_UD, first telegram',
      source: 'wmbusmeters drivers/src/iem3000.xmq test "Schneider1"',
      link: 'mbus',
      hex:
        '68F4F46808027262303103A34C1502160000000DFD0A126369727463656C452072656469656E6863530DFD0C0820353331334D45690DFD0E' +
        '073730302E332E3103FD1700000005FDDCFF01BEC6084205FDDCFF0251F30B4205FDDCFF03113D094205FDDCFF000BFD094205FDC9FF05AA' +
        '6AC74305FDC9FF06ACFAC74305FDC9FF078E3CC74305FDC9FF08C0B2C74305FDC9FF01C7DD674305FDC9FF023E0E654305FDC9FF03C9E166' +
        '4305FDC9FF04EF99664305AEFF01A0EDC14005AEFF022E8DC34005AEFF0303BBC040052E748D914185402ECB3676418580402E02A2BE4105' +
        'FF0A3E76433F05FF0B64F8474207033230FD01000000001FC116',
      id: '03313062',
      expect: { energy: [33370.162, 'kWh'], frequency: [49.992569, 'Hz'] },
    },
  ],
});
