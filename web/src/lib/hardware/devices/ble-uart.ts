// "Serial over BLE" GATT profiles (protocols.md §7.1) and a receiver on such a bridge. The BLE
// module only moves bytes: whatever dongle sits behind it (an iM871A, an Amber module, a CUL)
// decides the byte protocol, so the receiver takes that protocol (its framer) as a parameter.

import { FramedReceiver, type Receiver, type ReceiverOptions, type ReceiverProtocol } from './receiver';
import type { Transport } from '../transport';

export interface BleUartProfile {
  name: string;
  service: string;
  /** Host → device. */
  write: string;
  /** Device → host (notifications). The same characteristic as `write` on HM-10 style modules. */
  notify: string;
}

const base16 = (short: string): string => `0000${short}-0000-1000-8000-00805f9b34fb`;

/** In the order they are tried after connecting. Sources: Nordic NUS docs; Jakeler/ble-serial
 *  `ble_serial/bluetooth/constants.py` (NUS, FFE1, FF01/FF02); Microchip transparent UART UUIDs. */
export const BLE_UART_PROFILES: readonly BleUartProfile[] = [
  {
    name: 'Nordic UART',
    service: '6e400001-b5a3-f393-e0a9-e50e24dcca9e',
    write: '6e400002-b5a3-f393-e0a9-e50e24dcca9e',
    notify: '6e400003-b5a3-f393-e0a9-e50e24dcca9e'
  },
  { name: 'HM-10 (FFE0/FFE1)', service: base16('ffe0'), write: base16('ffe1'), notify: base16('ffe1') },
  {
    name: 'Microchip transparent UART',
    service: '49535343-fe7d-4ae5-8fa9-9fafd205e455',
    write: '49535343-8841-43f4-a8d4-ecbe34729bb3',
    notify: '49535343-1e4d-4bd9-ba61-23c647249616'
  },
  { name: 'Generic FFF0', service: base16('fff0'), write: base16('fff2'), notify: base16('fff1') },
  { name: 'Generic FF00', service: base16('ff00'), write: base16('ff02'), notify: base16('ff01') }
];

/** A wM-Bus receiver behind a BLE UART bridge, speaking `protocol` (im871aProtocol, amberProtocol(), culProtocol…). */
export function bleUartReceiver<F extends { raw: Uint8Array }>(
  transport: Transport,
  protocol: ReceiverProtocol<F>,
  options?: ReceiverOptions
): Receiver {
  return new FramedReceiver(transport, { ...protocol, name: `${protocol.name} via BLE` }, options);
}
