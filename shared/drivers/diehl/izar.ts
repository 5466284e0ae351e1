// Diehl IZAR / PRIOS water meters (Sappel, Diehl Metering, Hydrometer), CI A0–A7. The decoder
// descrambles their data (shared/wmbus/diehl.ts), so the manufacturer data from the byte after
// the CI reads: byte 0 (bits 3..0) transmit period code, byte 1 (bits 4..0) remaining battery
// life in half years, byte 4 the check byte 4B, bytes 5..8 the total and 9..12 the last billing
// total, in litres. Facts from wmbusmeters src/driver_izar.cc (processContent).

import { defineDriver } from '../define.js';

const PRIOS = [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7];
const CHECK = { offset: 4, value: 0x4b };

/** Transmit period: 2^(code + 2) seconds. */
const PERIOD_S: Readonly<Record<number, number>> = Object.fromEntries(
  Array.from({ length: 16 }, (_, n) => [n, 2 ** (n + 2)]),
);

export const izar = defineDriver({
  id: 'diehl-izar',
  name: 'Diehl IZAR (PRIOS)',
  aliases: ['izar', 'izarv2'],
  medium: 'water',
  match: ['SAP', 'DME', 'HYD'].map((mfct) => ({ mfct, ci: PRIOS })),
  primary: 'total',
  fields: {
    total: { quantity: 'volume', bytes: { offset: 5, length: 4, check: CHECK }, factor: 0.001, unit: 'm3', label: 'Total volume' },
    target: {
      quantity: 'volume',
      bytes: { offset: 9, length: 4, check: CHECK },
      factor: 0.001,
      unit: 'm3',
      label: 'Volume at the last billing date',
    },
    battery: { quantity: 'duration', bytes: { offset: 1, length: 1, mask: 0x1f }, factor: 0.5, unit: 'y', label: 'Remaining battery life' },
    transmitPeriod: { quantity: 'duration', bytes: { offset: 0, length: 1, mask: 0x0f }, map: PERIOD_S, unit: 's', label: 'Transmit period' },
  },
  examples: [
    {
      note: 'Sappel, CI A2',
      source: 'wmbusmeters src/driver_izar.cc test "IzarWater"',
      hex: '1944304C72242421D401A2013D4013DD8B46A4999C1293E582CC',
      expect: { total: [3.488, 'm3'], target: [3.486, 'm3'], battery: [14.5, 'y'], transmitPeriod: [8, 's'] },
    },
    {
      note: 'Diehl Metering, CI A2, longer',
      source: 'wmbusmeters src/driver_izar.cc test "IzarWater2"',
      hex: '2944A511780729662366A20118001378D3B3DB8CEDD77731F25832AAF3DA8CADF9774EA673172E8C61F2',
      expect: { total: [16.76, 'm3'], target: [11.84, 'm3'], battery: [12, 'y'], transmitPeriod: [8, 's'] },
    },
    {
      note: 'Sappel, CI A3',
      source: 'wmbusmeters src/driver_izar.cc test "IzarWater4"',
      hex: '1944304C9C5824210C04A363140013716577EC59E8663AB0D31C',
      expect: { total: [38.944, 'm3'], target: [38.691, 'm3'], battery: [10, 'y'], transmitPeriod: [32, 's'] },
    },
    {
      note: 'Hydrometer, second default key',
      source: 'wmbusmeters simulations/simulation_t1.txt (izar line)',
      hex: '19442423850798160018A2410100133EBBD44081053F243A82A3',
      expect: { total: [835.689, 'm3'], target: [820.329, 'm3'], battery: [0.5, 'y'], transmitPeriod: [8, 's'] },
    },
    {
      note: 'Hydrometer',
      source: 'wmbusmeters src/driver_izar.cc test "IzarWater6"',
      hex: '19442423860775035048A251520015BEB6B2E1ED623A18FC74A5',
      expect: { total: [521.602, 'm3'], target: [519.147, 'm3'], battery: [9, 'y'], transmitPeriod: [8, 's'] },
    },
  ],
});
