// BFW 240 radio heat cost allocators. Their application data is BFW's own layout (after the two
// 2F bytes): 2 bytes, the previous and current period's units (2 bytes each, most significant
// first), 2 bytes, nine 3-byte pairs of 12-bit monthly values (18/17 months ago first, 2/1 last)
// and the device date. In a pair b0 b1 b2 the older month is (b1 >> 4)·256 + b0 and the newer
// (b1 & 0F)·256 + b2. Facts from wmbusmeters drivers/src/bfw240radio.xmq.

import type { FieldSpec } from '../define.js';
import { defineDriver } from '../define.js';

const PREV = 2;
const CURRENT = 4;
const PAIRS = 8; // 18/17 months ago; the pair for months 2/1 is the ninth

function months(): Record<string, FieldSpec> {
  const fields: Record<string, FieldSpec> = {};
  for (let k = 0; k < 9; k++) {
    const at = PAIRS + 3 * k;
    const older = 18 - 2 * k;
    const newer = older - 1;
    const name = (n: number): string => `month${String(n).padStart(2, '0')}`;
    fields[name(newer)] = {
      quantity: 'hca', bytes: { offset: at + 1, length: 2, encoding: 'uint-be', mask: 0xfff }, unit: 'HCA',
      label: `Units ${newer} month(s) ago`,
    };
    fields[`${name(older)}High`] = { quantity: 'number', bytes: { offset: at + 1, length: 1, shift: 4 }, factor: 256, unit: '', hidden: true };
    fields[`${name(older)}Low`] = { quantity: 'number', bytes: { offset: at, length: 1 }, unit: '', hidden: true };
    fields[name(older)] = {
      quantity: 'hca', formula: { op: 'sum', of: [`${name(older)}High`, `${name(older)}Low`] }, unit: 'HCA',
      label: `Units ${older} months ago`,
    };
  }
  return fields;
}

export const bfw240radio = defineDriver({
  id: 'bfw-240radio',
  name: 'BFW 240 radio',
  aliases: ['bfw240radio'],
  medium: 'heat-cost-allocator',
  match: [{ mfct: 'BFW', version: 0x02, type: 0x08 }],
  payload: 'proprietary',
  primary: 'current',
  fields: {
    current: { quantity: 'hca', bytes: { offset: CURRENT, length: 2, encoding: 'uint-be' }, unit: 'HCA', label: 'Units this period' },
    previous: { quantity: 'hca', bytes: { offset: PREV, length: 2, encoding: 'uint-be' }, unit: 'HCA', label: 'Units last period' },
    ...months(),
  },
  examples: [
    {
      note: 'with history',
      source: 'wmbusmeters drivers/src/bfw240radio.xmq test 1 ("bfw")',
      hex: '3644D7088877700002087ADBC000002F2F9E1F03C10388152A00000000000000000000000000000204000404000EE2020AC1321D280221',
      id: '00707788',
      expect: {
        current: [904, 'HCA'], previous: [961, 'HCA'], month01: [541, 'HCA'], month02: [961, 'HCA'], month03: [522, 'HCA'],
        month04: [226, 'HCA'], month05: [14, 'HCA'], month06: [4, 'HCA'], month07: [4, 'HCA'], month08: [4, 'HCA'],
        month09: [2, 'HCA'], month10: [0, 'HCA'], month18: [0, 'HCA'],
      },
    },
    {
      note: 'one month later',
      source: 'wmbusmeters drivers/src/bfw240radio.xmq test 2 ("bfw")',
      hex: '3644D7088877700002087A8BC000002F2F011F03C1038D152A0000000000000000000000000200040400040E00E20A23C11D238D010321',
      id: '00707788',
      expect: {
        current: [909, 'HCA'], previous: [961, 'HCA'], month01: [909, 'HCA'], month02: [541, 'HCA'], month03: [961, 'HCA'],
        month04: [522, 'HCA'], month05: [226, 'HCA'], month06: [14, 'HCA'], month07: [4, 'HCA'], month08: [4, 'HCA'],
        month09: [4, 'HCA'], month10: [2, 'HCA'], month11: [0, 'HCA'],
      },
    },
  ],
});
