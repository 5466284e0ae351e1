// Demo telegrams: a meter's reading at one hour as the wireless M-Bus telegram that meter sends,
// built with the shared encoder and encrypted with the meter's key. Kamstrup meters send C1
// full frames behind an ELL with AES-CTR (protocols.md §2.2, §4); the other makes send OMS
// frames with a short transport header and security mode 5 (AES-CBC, §2.5).
// Each register is written at the resolution model.ts quantised it to, so the ingest path turns
// the telegram back into exactly the bulk row.

import { encodeRecords, type RecordSpec } from '../../../shared/mbus/encode-records.js';
import { aesKey } from '../../../shared/crypto/aes.js';
import { encodeTelegram } from '../../../shared/wmbus/encode.js';
import type { DemoMeter } from './fleet.js';
import { J_PER_KWH, type Series } from './model.js';

const int32 = (quantity: RecordSpec['quantity'], value: number): RecordSpec => ({ type: 'int32', quantity, value });
const int16 = (quantity: RecordSpec['quantity'], value: number): RecordSpec => ({ type: 'int16', quantity, value });

/** The application records for hour `h` of the meter's series. */
export function demoRecords(meter: DemoMeter, s: Series, h: number): RecordSpec[] {
  switch (meter.type.kind) {
    case 'mc403':
    case 'mc603':
    case 'heat-oms': {
      const records: RecordSpec[] = [
        int32('energy kWh', s.energy![h] / J_PER_KWH),
        int32('volume 10 l', s.volume![h] / 10_000),
        int32('volume flow l/h', s.flow![h] / 1000),
        int32('power 0.1 kW', s.power![h] / 100),
        int16('flow temperature 0.01 °C', s.tFlow![h]),
        int16('return temperature 0.01 °C', s.tReturn![h])
      ];
      // 04 FF 22: the MULTICAL 403/603 info code, 32 bit (§4.5.1)
      if (s.info) records.push({ type: 'int32', vif: [0xff, 0x22], value: s.info[h] });
      return records;
    }
    case 'mc21':
    case 'water-oms': {
      const records: RecordSpec[] = [int32('volume l', s.volume![h] / 1000), int16('volume flow l/h', s.flow![h] / 1000)];
      // 02 FF 20: the MULTICAL 21 info code, 16 bit (§4.5.2)
      if (s.info) records.push({ type: 'int16', vif: [0xff, 0x20], value: s.info[h] });
      return records;
    }
    case 'omnipower':
      // A+ in 10 Wh and P+ in W, as OMNIPOWER sends them (§4.6)
      return [int32('energy 10 Wh', s.energy![h] / 36_000), int32('power W', s.power![h])];
  }
}

/**
 * The telegram of hour `h`. `counter` numbers the meter's transmissions (access number, session
 * number), so telegrams of different hours differ even when the values do not.
 */
export function demoTelegram(meter: DemoMeter, s: Series, h: number, counter: number): Uint8Array {
  const t = meter.type;
  const address = { manufacturer: t.manufacturer, id: meter.serial, version: t.version, deviceType: t.deviceType };
  const payload = encodeRecords(demoRecords(meter, s, h));
  const key = aesKey(meter.key);
  if (t.manufacturer === 'KAM') {
    // ELL II: SN = ENC 1 (AES-CTR) in bits 29..31, a session/time count in bits 4..28
    const sn = ((1 << 29) | ((counter & 0x1ffffff) << 4) | (counter & 0xf)) >>> 0;
    return encodeTelegram({
      address,
      ell: { ci: 0x8d, cc: 0x20, acc: counter & 0xff, sn, key },
      tpl: { header: 'none', payload }
    });
  }
  return encodeTelegram({
    address,
    tpl: { header: 'short', acc: counter & 0xff, security: { mode: 5, key }, payload }
  });
}
