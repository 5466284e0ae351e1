// Kamstrup flowIQ 2200 and KWM 2230/3230 water meters. Same registers as the MULTICAL 21
// (protocols.md §4.3) but a 32-bit info code `04 FF 23` with its own bit table (§4.5.2), hence a
// driver of their own. Identification: §4.1 (KAW 3A/3C, KAM 1D, KAW 42).

import { defineDriver } from '../define.js';
import { kamstrupWaterInfo32 } from './info-codes.js';
import { kamstrupWaterFields } from './multical21.js';

export const flowiq2200 = defineDriver({
  id: 'kamstrup-flowiq2200',
  name: 'Kamstrup flowIQ 2200 / KWM 2230, 3230',
  aliases: ['flowiq2200', 'kwm2230', 'kwm3230'],
  medium: 'water',
  match: [
    { mfct: 'KAW', version: [0x3a, 0x3c], type: 0x16 },
    { mfct: 'KAM', version: 0x1d, type: 0x16 },
    { mfct: 'KAW', version: 0x42, type: [0x06, 0x16] },
  ],
  primary: 'total',
  fields: {
    ...kamstrupWaterFields,
    status: { quantity: 'flags', select: { difvif: '04FF23' }, status: kamstrupWaterInfo32, label: 'Info code' },
  },
  examples: [
    {
      note: 'flowIQ 2200 full frame, pre-decrypted',
      source: 'wmbusmeters drivers/src/kamwater.xmq test "VATTEN flowiq2200 52525252"',
      hex:
        '4D44372C525252523A168D203894DF7920F93278' +
        '04FF23000000000413AEAC0000441364A80000426C812A023B000092013BEF01A2013B000006FF1B067000097000A1015B0C91015B14A1016713',
      id: '52525252',
      expect: {
        total: [44.206, 'm3'],
        target: [43.108, 'm3'],
        targetDate: '2020-10-01',
        flow: [0, 'm3/h'],
        maxFlow: [0.495, 'm3/h'],
        minFlow: [0, 'm3/h'],
        minFlowTemperature: [12, '°C'],
        maxFlowTemperature: [20, '°C'],
        minExternalTemperature: [19, '°C'],
        status: [],
      },
      alarms: [],
    },
    {
      note: 'flowIQ 2200 with an undocumented info bit (0x800)',
      source: 'wmbusmeters drivers/src/kamwater.xmq test "Votten flowiq2200 23813076" (status ERROR_FLAGS_800)',
      hex:
        '4744372C763081233C168D2056D1ED11205A3C78' +
        '04FF2300080000441300000000523B000006FF1B08900008F0FF426CC12B61670A51671B023B000004131F0F00008101E7FF0F13',
      id: '23813076',
      expect: {
        total: [3.871, 'm3'],
        target: [0, 'm3'],
        targetDate: '2022-11-01',
        flow: [0, 'm3/h'],
        maxFlow: [0, 'm3/h'],
        externalTemperature: [19, '°C'],
        minExternalTemperature: [10, '°C'],
        maxExternalTemperature: [27, '°C'],
        status: ['bit 11'],
      },
      alarms: [{ kind: 'unknown' }],
    },
  ],
});
