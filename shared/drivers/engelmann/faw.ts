// Engelmann FAW water meters. Fact from wmbusmeters drivers/src/engelmann_faw.xmq: the record
// layout of its full frames (`compact_frame_formats`), so its compact frames (CI 73) read
// without a full frame first.

import { defineDriver } from '../define.js';

export const engelmannFaw = defineDriver({
  id: 'engelmann-faw',
  name: 'Engelmann FAW water meter',
  aliases: ['engelmann_faw'],
  medium: 'water',
  match: [{ mfct: 'EFE', version: [0x00, 0x01, 0x02], type: [0x06, 0x07, 0x16] }],
  primary: 'total',
  compactFormats: ['426C441301FD17840113C40113840213C40213840313C40313840413C40413840513C40513840613C40613840713C40713840813046D0413'],
  fields: {
    total: { quantity: 'volume', select: { vif: 'volume' }, label: 'Total volume' },
    reportingDate: { quantity: 'date', select: { vif: 'time-point', storage: 1 }, label: 'Reporting date' },
    reportingVolume: { quantity: 'volume', select: { vif: 'volume', storage: 1 }, label: 'Volume at the reporting date' },
  },
  examples: [
    {
      note: 'compact frame, security mode 5, format known from the driver',
      source: 'wmbusmeters drivers/src/engelmann_faw.xmq test "Wasserzaehler" 22862420',
      hex:
        '7644C5145528502202077320248622C5140007700060255F2AA2967EB77D0BF310341E3636D9ACC17CC5D69CE5632D7B494CC0718E2DBB91' +
        '6BBEC0C3FF2B0D6087FD0ABB3BA0779564CC089E4527987EF2221D26D7EA448CA59759ACFBEA4E5B0026EF463592B6668FBF680896E78B' +
        '461DBB77C32903E0',
      key: '5CDB04C8EDFDC09EC49B5E76A24D4822',
      expect: { total: [253.409, 'm3'], reportingDate: '2025-12-31', reportingVolume: [228.854, 'm3'] },
    },
  ],
});
