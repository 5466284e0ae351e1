// Hand-built data records for driver tests: storage, tariff, subunit and function are read from
// the DIF/DIFEs as EN 13757-3 defines them (protocols.md §3.1); values and units are given.

import type { DataRecord, RecordFunction } from '../../../shared/model/record.js';

const FUNCTIONS: readonly RecordFunction[] = ['instantaneous', 'maximum', 'minimum', 'error'];

export function rec(difvif: string, value: number | string, unit: string, quantity = ''): DataRecord {
  const b: number[] = [];
  for (let i = 0; i < difvif.length; i += 2) b.push(parseInt(difvif.slice(i, i + 2), 16));
  const dif = b[0]!;
  let storage = (dif >> 6) & 1;
  let tariff = 0;
  let subunit = 0;
  for (let n = 0, i = 1; b[i - 1]! & 0x80; n++, i++) {
    const e = b[i]!;
    storage |= (e & 0x0f) << (1 + 4 * n);
    tariff |= ((e >> 4) & 3) << (2 * n);
    subunit |= ((e >> 6) & 1) << n;
  }
  return {
    value, unit, quantity, storage, tariff, subunit,
    function: FUNCTIONS[(dif >> 4) & 3]!,
    difvif: difvif.toUpperCase(), offset: 0, length: 0,
  };
}
