// Kamstrup MULTICAL 21 / flowIQ 2101 water meters (wM-Bus C1, full and compact frames).
// Identification: protocols.md §4.1; fields: §4.3; info code `02 FF 20`: §4.5.2.

import type { FieldSpec } from '../define.js';
import { defineDriver } from '../define.js';
import { kamstrupWaterInfo16 } from './info-codes.js';

// §4.3: 8-bit temperatures of 7F (127 °C) mean "not available".
const NOT_AVAILABLE = [127] as const;

/**
 * Registers of Kamstrup water meters (§4.3). Which of them a meter sends depends on the register
 * configuration chosen at ordering, so each is optional. Storage 1/2 are the last month / last day.
 */
export const kamstrupWaterFields = {
  total: { quantity: 'volume', select: { vif: 'volume' }, label: 'Total volume' },
  target: { quantity: 'volume', select: { vif: 'volume', storage: 1 }, label: 'Volume at target date' },
  targetDate: { quantity: 'date', select: { vif: 'time-point', storage: 1 }, label: 'Target date' },
  flow: { quantity: 'flow', select: { vif: 'volume-flow' }, label: 'Actual flow' },
  maxFlow: { quantity: 'flow', select: { vif: 'volume-flow', fn: 'maximum', storage: 'any' }, label: 'Maximum flow' },
  minFlow: { quantity: 'flow', select: { vif: 'volume-flow', fn: 'minimum', storage: 'any' }, label: 'Minimum flow' },
  minFlowTemperature: {
    quantity: 'temperature',
    select: { vif: 'flow-temperature', fn: 'minimum', storage: 'any' },
    unavailable: NOT_AVAILABLE,
    label: 'Minimum water temperature',
  },
  maxFlowTemperature: {
    quantity: 'temperature',
    select: { vif: 'flow-temperature', fn: 'maximum', storage: 'any' },
    unavailable: NOT_AVAILABLE,
    label: 'Maximum water temperature',
  },
  externalTemperature: {
    quantity: 'temperature',
    select: { vif: 'external-temperature', storage: 'any' },
    unavailable: NOT_AVAILABLE,
    label: 'Ambient temperature',
  },
  minExternalTemperature: {
    quantity: 'temperature',
    select: { vif: 'external-temperature', fn: 'minimum', storage: 'any' },
    unavailable: NOT_AVAILABLE,
    label: 'Minimum ambient temperature',
  },
  maxExternalTemperature: {
    quantity: 'temperature',
    select: { vif: 'external-temperature', fn: 'maximum', storage: 'any' },
    unavailable: NOT_AVAILABLE,
    label: 'Maximum ambient temperature',
  },
} as const satisfies Record<string, FieldSpec>;

export const multical21 = defineDriver({
  id: 'kamstrup-multical21',
  name: 'Kamstrup MULTICAL 21 / flowIQ 2101',
  // flowIQ 3100 shares the MULTICAL 21 telegram family; our sources give no separate M/VER/TYPE for it.
  aliases: ['multical21', 'flowiq2101', 'flowiq3100'],
  medium: 'water',
  match: [{ mfct: 'KAM', version: 0x1b, type: [0x06, 0x16] }],
  primary: 'total',
  fields: {
    ...kamstrupWaterFields,
    status: { quantity: 'flags', select: { difvif: '02FF20' }, status: kamstrupWaterInfo16, label: 'Info code' },
  },
  examples: [
    {
      note: 'full frame, ELL AES-CTR',
      source: 'protocols.md TV-4 (wmbusmeters tests/test_aes.sh)',
      hex: '2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24',
      key: '28F64A24988064A079AA2C807D6102AE',
      id: '76348799',
      expect: {
        total: [6.408, 'm3'],
        target: [6.408, 'm3'],
        minFlowTemperature: null, // doc: "127 °C (= not available)"
        minExternalTemperature: [19, '°C'],
        status: ['dry'],
      },
      alarms: [{ kind: 'dry', active: true, duration: '22-31 days' }],
    },
    {
      note: 'compact frame, ELL AES-CTR',
      source: 'protocols.md TV-5 (wmbusmeters tests/test_analyze.sh)',
      hex: '23442D2C998734761B168D20983081B2227A6FA1F10E1B79B5EB4B17E81F930E937EE06C',
      key: '28F64A24988064A079AA2C807D6102AE',
      context: ['2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24'],
      id: '76348799',
      expect: {
        total: [6.409, 'm3'],
        target: [6.409, 'm3'],
        minExternalTemperature: [22, '°C'],
        status: ['dry'],
      },
      alarms: [{ kind: 'dry', active: true, duration: '22-31 days' }],
    },
    {
      note: 'full frame, pre-decrypted',
      source: 'protocols.md TV-7 pair 1 (wmbusmeters drivers/src/kamwater.xmq)',
      hex: '2A442D2C998734761B168D2091D37CAC21576C7802FF207100041308190000441308190000615B7F616713',
      id: '76348799',
      expect: {
        total: [6.408, 'm3'],
        target: [6.408, 'm3'],
        minFlowTemperature: null,
        minExternalTemperature: [19, '°C'],
        status: ['dry'],
      },
      alarms: [{ kind: 'dry', active: true, duration: '22-31 days' }],
    },
    {
      note: 'compact frame, pre-decrypted, FSIG ED A8',
      source: 'protocols.md TV-7 pair 1 ("Expected as TV-4")',
      hex: '23442D2C998734761B168D2087D19EAD217F1779EDA86AB6710008190000081900007F13',
      context: ['2A442D2C998734761B168D2091D37CAC21576C7802FF207100041308190000441308190000615B7F616713'],
      id: '76348799',
      expect: { total: [6.408, 'm3'], target: [6.408, 'm3'], minExternalTemperature: [19, '°C'], status: ['dry'] },
      alarms: [{ kind: 'dry', active: true, duration: '22-31 days' }],
    },
    {
      note: 'full frame with max flow, status OK',
      source: 'protocols.md TV-7 pair 2',
      hex: '2D442D2C776655441B168D2083B48D3A20468878' + '02FF20000004132F4E000092013B3D01A1015B028101E7FF0F03',
      id: '44556677',
      expect: { total: [20.015, 'm3'], maxFlow: [0.317, 'm3/h'], minFlowTemperature: [2, '°C'], status: [] },
      alarms: [],
    },
    {
      note: 'compact frame with max flow, FSIG 12 C4',
      source: 'protocols.md TV-7 pair 2',
      hex: '21442D2C776655441B168D2079CC8C3A20F43079' + '12C40DFF00002F4E00003D010203',
      context: ['2D442D2C776655441B168D2083B48D3A20468878' + '02FF20000004132F4E000092013B3D01A1015B028101E7FF0F03'],
      id: '44556677',
      expect: { total: [20.015, 'm3'], maxFlow: [0.317, 'm3/h'], minFlowTemperature: [2, '°C'], status: [] },
      alarms: [],
    },
  ],
});
