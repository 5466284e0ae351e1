// Apator AT-WMBUS-16-2 water meters ("apator162"). Their (mode 5) application data is Apator's
// own tag-value layout, not records. Facts from wmbusmeters drivers/src/apator162.xmq: one
// leading byte, 7 status bytes, then items "tag, value" whose length the tag decides (the
// grammar's table, below); tag 10 holds the total volume as a 32-bit count of litres.

import { defineDriver } from '../define.js';

/** Value length per tag (apator162.xmq ixml grammar). */
const TAG_LENGTHS: Readonly<Record<number, number>> = (() => {
  const t: Record<number, number> = {
    0x00: 4, 0x01: 3, 0x10: 4, 0x11: 2, 0x40: 6, 0x41: 2, 0x42: 4, 0x43: 2, 0x44: 3,
    0x8a: 9, 0x8b: 6, 0x8c: 6, 0x8e: 7,
    0xa0: 4, 0xa1: 4, 0xa2: 1, 0xa3: 7, 0xa4: 4, 0xa5: 1, 0xa6: 3, 0xa9: 1, 0xaf: 1,
    0xb0: 5, 0xb1: 8, 0xb2: 16, 0xb3: 8, 0xb4: 2, 0xb5: 16, 0xd0: 3, 0xd3: 3, 0xf0: 4,
  };
  for (let tag = 0x71; tag <= 0x7c; tag++) t[tag] = 1 + 4 * (tag - 0x6f); // byte + (n+1) quads
  for (const tag of [0x80, 0x81, 0x82, 0x83, 0x84, 0x86, 0x87]) t[tag] = 10;
  for (const tag of [0x85, 0x88, 0x8f]) t[tag] = 11;
  for (const tag of [0xa7, 0xa8, 0xaa, 0xab, 0xac, 0xad]) t[tag] = 2;
  for (let tag = 0xb6; tag <= 0xbf; tag++) t[tag] = 3;
  for (let tag = 0xc0; tag <= 0xc7; tag++) t[tag] = 3;
  return t;
})();

export const apator162 = defineDriver({
  id: 'apator-162',
  name: 'Apator AT-WMBUS-16-2',
  aliases: ['apator162'],
  medium: 'water',
  match: [{ mfct: 'APA', version: 0x05, type: [0x06, 0x07] }],
  payload: 'proprietary',
  primary: 'total',
  fields: {
    total: {
      quantity: 'volume',
      bytes: { offset: 8, length: 4, tagged: { tag: 0x10, lengths: TAG_LENGTHS } },
      factor: 0.001,
      unit: 'm3',
      label: 'Total volume',
    },
  },
  examples: [
    {
      note: 'mode 5, decrypted upstream, FF padding',
      source: 'wmbusmeters drivers/src/apator162.xmq test "Wasser"',
      hex:
        '6E4401062020202005077A9A0060852F2F0F0A734393CC0000435B0183001A54E06F630291342510030F00007B013E0B00003E0B00003E0B' +
        '00003E0B00003E0B00003E0B00003E0B0000650000003D0000003D0000003D00000000000000A0910CB003FFFFFFFFFFFFFFFFFFFFA62B',
      id: '20202020',
      expect: { total: [3.843, 'm3'] },
    },
    {
      note: 'no FF padding',
      source: 'wmbusmeters drivers/src/apator162.xmq test "W2"',
      hex: '2E4401064052030205077A2D0020852F2F0F334DA39A00000071011ABF0D00039A0D00A01053850310CECC0D008943',
      id: '02035240',
      expect: { total: [904.398, 'm3'] },
    },
  ],
});
