// IMST iM871A / iM170A receiver over WMBus HCI (protocols.md §6.1). 57600 8N1.
// Telegrams arrive as RADIOLINK 0x03 indications: L restored from LEN, block CRCs already
// removed by the stick (crcs: 'absent'), RSSI attached because setMode asks for it.

import {
  buildDevMgmtRequest,
  buildSetLinkMode,
  decodeRxIndication,
  DevMgmtMsg,
  HciEndpoint,
  HciFramer,
  HciLinkMode,
  type HciFrame
} from './im871a-hci';
import { FramedReceiver, type RadioMode, type Receiver, type ReceiverOptions, type ReceiverProtocol } from './receiver';
import type { Transport } from '../transport';

const answers = (msgId: number) => (f: HciFrame) => f.endpoint === HciEndpoint.devMgmt && f.msgId === msgId;

/** wmbusmeters receives C1 with link mode 0x07 and C1+T1 with 0x0A (firmware newer than 0x13). */
const LINK_MODE: Record<RadioMode, number> = { C1: HciLinkMode.C1B, T1: HciLinkMode.T1, C1T1: HciLinkMode.C1T1 };

export const im871aProtocol: ReceiverProtocol<HciFrame> = {
  name: 'iM871A',
  modes: ['C1', 'T1', 'C1T1'],
  framer: () => new HciFramer(),
  setup: () => [{ what: 'ping', bytes: buildDevMgmtRequest(DevMgmtMsg.pingReq), isAnswer: answers(DevMgmtMsg.pingRsp) }],
  setMode: (mode) => [
    {
      what: `set link mode ${mode}`,
      // RAM only (no flash wear), RSSI attached, timestamp off: TV-13 for C1.
      bytes: buildSetLinkMode({ linkMode: LINK_MODE[mode], rssi: true, timestamp: false, store: false }),
      isAnswer: answers(DevMgmtMsg.setConfigRsp)
    }
  ],
  telegram(frame) {
    const rx = decodeRxIndication(frame);
    return rx && { bytes: rx.telegram, crcs: 'absent', rssiDbm: rx.rssiDbm };
  }
};

export function im871aReceiver(transport: Transport, options?: ReceiverOptions): Receiver {
  return new FramedReceiver(transport, im871aProtocol, options);
}
