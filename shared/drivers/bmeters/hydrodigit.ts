// B METERS Hydrodigit water meters. Total volume and date are ordinary records; the rest is in
// the manufacturer data after DIF 0F: a content byte whose bits announce optional blocks, in
// this order: 01 battery (1 byte, code in bits 3..0), 02 fraud (type byte + date), 80 leak date
// (3 bytes), 04 backflow (4 bytes, litres), 10 monthly totals (12 × 3 bytes, January first,
// 1/100 m³; values from 10,000,000 on mean "none" and read 0). Battery code to volts as the
// source's table. Facts from wmbusmeters drivers/src/hydrodigit.xmq.

import type { ByteField, FieldSpec } from '../define.js';
import { defineDriver } from '../define.js';

const BLOCKS = [
  { bit: 0x01, length: 1 }, // battery
  { bit: 0x02, length: 4 }, // fraud type and date
  { bit: 0x80, length: 3 }, // leak date
  { bit: 0x04, length: 4 }, // backflow
  { bit: 0x10, length: 36 }, // monthly totals
] as const;

const block = (index: number, at: number, length: number): ByteField => ({
  offset: 0,
  length,
  flagged: { blocks: BLOCKS, block: index, at },
});

/** Battery code (bits 3..0) → volts. */
const VOLTS: Readonly<Record<number, number>> = {
  0: 3.7, 1: 1.9, 2: 2.1, 3: 2.2, 4: 2.3, 5: 2.4, 6: 2.5, 7: 2.65, 8: 2.8, 9: 2.9, 10: 3.05, 11: 3.2,
  12: 3.35, 13: 3.5, 14: 3.7, 15: 3.7,
};

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

function monthly(): Record<string, FieldSpec> {
  const fields: Record<string, FieldSpec> = {};
  MONTHS.forEach((m, i) => {
    fields[m] = {
      quantity: 'volume', bytes: { ...block(4, 3 * i, 3), zeroFrom: 10_000_000 }, factor: 0.01, unit: 'm3',
      label: `Total at the end of ${m[0]!.toUpperCase()}${m.slice(1)}`,
    };
  });
  return fields;
}

export const hydrodigit = defineDriver({
  id: 'bmeters-hydrodigit',
  name: 'B METERS Hydrodigit',
  aliases: ['hydrodigit'],
  medium: 'water',
  match: [
    { mfct: 'BMT', version: [0x13, 0x17], type: 0x06 },
    { mfct: 'BMT', version: [0x13, 0x15, 0x17], type: 0x07 },
  ],
  primary: 'total',
  fields: {
    total: { quantity: 'volume', select: { vif: 'volume' }, label: 'Total volume' },
    voltage: { quantity: 'voltage', bytes: { ...block(0, 0, 1), mask: 0x0f }, map: VOLTS, unit: 'V', label: 'Battery voltage' },
    backflow: { quantity: 'volume', bytes: block(3, 0, 4), factor: 0.001, unit: 'm3', label: 'Backflow' },
    ...monthly(),
  },
  examples: [
    {
      note: 'battery, backflow and monthly totals',
      source: 'wmbusmeters drivers/src/hydrodigit.xmq test "HydrodigitWater"',
      hex: '4E44B4098686868613077AF00040052F2F0C1366380000046D27287E2A0F150E00000000C10000D10000E60000FD00000C01002F0100410100540100680100890000A00000B30000002F2F2F2F2F2F',
      id: '86868686',
      expect: {
        total: [3.866, 'm3'], voltage: [3.7, 'V'], backflow: [0, 'm3'], january: [1.93, 'm3'], february: [2.09, 'm3'],
        march: [2.3, 'm3'], april: [2.53, 'm3'], may: [2.68, 'm3'], june: [3.03, 'm3'], july: [3.21, 'm3'], august: [3.4, 'm3'],
        september: [3.6, 'm3'], october: [1.37, 'm3'], november: [1.6, 'm3'], december: [1.79, 'm3'],
      },
    },
    {
      note: 'leak date before backflow; months before installation read 0',
      source: 'wmbusmeters drivers/src/hydrodigit.xmq test "Hydro4"',
      hex: '4944B4092243658713077A7F0000000C1363020400046D242C12360F950A24042507000000A405006E0700850900CA0B004A0E00FFFFFFFFFFFF020000020000250000B3010095030000',
      id: '87654322',
      expect: {
        total: [40.263, 'm3'], voltage: [3.05, 'V'], backflow: [0.007, 'm3'], january: [14.44, 'm3'], june: [0, 'm3'],
        july: [0, 'm3'], august: [0.02, 'm3'], december: [9.17, 'm3'],
      },
    },
    {
      note: 'battery and fraud blocks',
      source: 'wmbusmeters drivers/src/hydrodigit.xmq test "HydridigitWaterr"',
      hex: '2444B4090155240317068C00487AC00000000C1335670000046D172EEA280F030000000000',
      id: '03245501',
      expect: { total: [6.735, 'm3'], voltage: [3.7, 'V'] },
    },
  ],
});
