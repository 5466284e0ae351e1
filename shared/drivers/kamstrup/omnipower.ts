// Kamstrup OMNIPOWER electricity meters (1-phase, 3-phase, CT), wM-Bus C1. The datagram carries
// exactly A+, A−, P+ and P− as 32-bit values (protocols.md §4.6, Kamstrup doc 58101496 via
// wmbusmeters drivers/src/omnipower.xmq); mission M15. Identification: §4.1 (KAM, 30, 02;
// version 30 is also the MULTICAL 302, so the device type decides).

import { defineDriver } from '../define.js';

const FULL = '2D442D2C5768663230028D20E4E2C81C20878C78' + '04041A03000004843C00000000042B0300000004AB3C00000000';

export const omnipower = defineDriver({
  id: 'kamstrup-omnipower',
  name: 'Kamstrup OMNIPOWER',
  aliases: ['omnipower'],
  medium: 'electricity',
  match: [{ mfct: 'KAM', version: 0x30, type: 0x02 }],
  primary: 'energy',
  fields: {
    // VIFE 3C ("accumulated only if negative", §3.6) marks the export registers.
    energy: { quantity: 'energy', select: { vif: 'energy' }, label: 'A+ imported active energy' },
    energyExport: { quantity: 'energy', select: { vif: 'energy', direction: 'backward' }, label: 'A− exported active energy' },
    power: { quantity: 'power', select: { vif: 'power' }, label: 'P+ import power' },
    powerExport: { quantity: 'power', select: { vif: 'power', direction: 'backward' }, label: 'P− export power' },
  },
  examples: [
    {
      note: 'full frame, pre-decrypted',
      source: 'protocols.md TV-9 (wmbusmeters simulations/simulation_c1.txt)',
      hex: FULL,
      id: '32666857',
      expect: { energy: [7.94, 'kWh'], energyExport: [0, 'kWh'], power: [0.003, 'kW'], powerExport: [0, 'kW'] },
      alarms: [],
    },
    {
      note: 'compact frame, FSIG 13 8C',
      source: 'protocols.md TV-9',
      hex: '27442D2C5768663230028D20E900C91C2011BA79' + '138CCCFB1A030000000000000300000000000000',
      context: [FULL],
      id: '32666857',
      expect: { energy: [7.94, 'kWh'], energyExport: [0, 'kWh'], power: [0.003, 'kW'], powerExport: [0, 'kW'] },
      alarms: [],
    },
  ],
});
