// Ei Electronics Ei6500 smoke alarms. The head status word (record 84 40 FF 2C, subunit 1,
// manufacturer-specific VIFE) carries the dust level, 0 (clean) to 15+, in bits 4..0. Fact from
// wmbusmeters drivers/src/ei6500.xmq (dust_level, mask 0x1f).

import { defineDriver } from '../define.js';

export const ei6500 = defineDriver({
  id: 'ei-6500',
  name: 'Ei Electronics Ei6500',
  aliases: ['ei6500'],
  medium: 'smoke-detector',
  match: [{ mfct: 'EIE', version: 0x0c, type: 0x1a }],
  primary: 'dustLevel',
  fields: {
    dustLevel: { quantity: 'number', select: { difvif: '8440FF2C' }, scaling: 'none', mask: 0x1f, unit: '', label: 'Dust level' },
  },
  examples: [
    {
      note: 'clean head',
      source: 'wmbusmeters drivers/src/ei6500.xmq test "Smokey" (dust_level DUST_0)',
      hex:
        '58442515747209010C1A7A8B0000000BFD0F070101046D2A06D82502FD17000082206CD825426CD0238440FF2C000F11008250FD61000082506C0101' +
        '8260FD6100008360FD3100000082606C01018270FD61000082706C0101',
      id: '01097274',
      expect: { dustLevel: [0, ''] },
    },
  ],
});
