// Kamstrup pressure sensor (KAM, 01, 18; protocols.md §4.1). Records per the predeclared compact
// format DE 73 (§4.2): minimum, maximum and current pressure (VIF 69 = 0.01 bar), two float32
// manufacturer values of unknown meaning (05 FF 09, 05 FF 0A: left unclaimed) and error flags
// 02 FD 17 whose bits wmbusmeters' drivers/src/kampress.xmq documents (info-codes.ts).

import { defineDriver } from '../define.js';
import { kamstrupPressureFlags } from './info-codes.js';

const FULL =
  '32442D2C1703007701188D280080E39322DB8F78' + '22696600126967000269660005FF091954A33A05FF0A99BD823A02FD170800';

export const kamstrupPressure = defineDriver({
  id: 'kamstrup-pressure',
  name: 'Kamstrup pressure sensor',
  aliases: ['kampress'],
  medium: 'pressure',
  match: [{ mfct: 'KAM', version: 0x01, type: 0x18 }],
  primary: 'pressure',
  fields: {
    pressure: { quantity: 'pressure', select: { vif: 'pressure' }, label: 'Pressure' },
    maxPressure: { quantity: 'pressure', select: { vif: 'pressure', fn: 'maximum' }, label: 'Maximum pressure' },
    minPressure: { quantity: 'pressure', select: { vif: 'pressure', fn: 'minimum' }, label: 'Minimum pressure' },
    status: { quantity: 'flags', select: { vif: 'error-flags' }, status: kamstrupPressureFlags, label: 'Error flags' },
  },
  examples: [
    {
      note: 'full frame, pre-decrypted, LOW',
      source: 'wmbusmeters drivers/src/kampress.xmq test "Pressing kampress 77000317"',
      hex: FULL,
      id: '77000317',
      expect: { pressure: [1.02, 'bar'], maxPressure: [1.03, 'bar'], minPressure: [1.02, 'bar'], status: ['low'] },
      alarms: [{ kind: 'pressure-low', active: true }],
    },
    {
      note: 'compact frame, FSIG DE 73',
      source: 'wmbusmeters drivers/src/kampress.xmq second test',
      hex: '27442D2C1703007701188D280194E393226EC679DE735657' + '660067006600962B913A21B9423A0800',
      context: [FULL],
      id: '77000317',
      expect: { pressure: [1.02, 'bar'], maxPressure: [1.03, 'bar'], minPressure: [1.02, 'bar'], status: ['low'] },
      alarms: [{ kind: 'pressure-low', active: true }],
    },
  ],
});
