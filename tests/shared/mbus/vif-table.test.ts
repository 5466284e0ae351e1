import { describe, expect, it } from 'vitest';
import { FB_VIF, FD_VIF, ORTHOGONAL_EXTENSION, ORTHOGONAL_VIFE, PRIMARY_VIF } from '../../../shared/mbus/vif-table.js';

const CANONICAL = new Set(['kWh', 'GJ', 'm3', 'm3/h', 'kW', 'kg', 'kg/h', '°C', 'K', 'bar', 's', 'h', 'd', 'month', 'year',
  'date', 'datetime', 'HCA', '%RH', 'V', 'A', 'dBm', 'kvarh', 'kvar', '']);

describe('VIF tables (protocols.md §3.5, §3.6)', () => {
  it('are complete 128-entry arrays indexed by code', () => {
    for (const t of [PRIMARY_VIF, FB_VIF, FD_VIF, ORTHOGONAL_VIFE, ORTHOGONAL_EXTENSION]) expect(t).toHaveLength(128);
  });

  it('use only the contract units (conformance/README.md "Units")', () => {
    for (const t of [PRIMARY_VIF, FB_VIF, FD_VIF]) for (const e of t) expect(CANONICAL.has(e.unit), e.quantity + ' ' + e.unit).toBe(true);
  });

  it('primary VIF ranges: scale of the first and last code of each range', () => {
    const scale = (code: number) => {
      const e = PRIMARY_VIF[code];
      return [e.quantity, e.unit, (e.mul * 10 ** e.exp) / e.div];
    };
    expect(scale(0x00)).toEqual(['energy', 'kWh', 1e-6]);
    expect(scale(0x06)).toEqual(['energy', 'kWh', 1]);
    expect(scale(0x08)).toEqual(['energy', 'GJ', 1e-9]);
    expect(scale(0x13)).toEqual(['volume', 'm3', 0.001]);
    expect(scale(0x2b)).toEqual(['power', 'kW', 0.001]);
    expect(scale(0x3b)).toEqual(['volume flow', 'm3/h', 0.001]);
    expect(scale(0x59)).toEqual(['flow temperature', '°C', 0.01]);
    expect(scale(0x61)).toEqual(['temperature difference', 'K', 0.01]);
    expect(scale(0x21)).toEqual(['on time', 'h', 1 / 60]);
    expect(PRIMARY_VIF[0x6f].known).toBe(false);
    expect(FB_VIF[0x00].exp).toBe(2); // 0.1 MWh = 100 kWh
  });
});
