import { expose } from 'comlink';
import { crc16En13757 } from '$shared/bytes/crc';
import { fromHex } from '$shared/bytes/hex';

// Runs shared/ off the UI thread. It hosts the telegram decoder; the UI thread never decodes
// (architecture.md decision 9).
const api = {
  /** EN 13757-4 CRC of the bytes given as hex: the first shared/ code the worker runs. */
  crc16(hex: string): number {
    return crc16En13757(fromHex(hex));
  }
};

export type DecoderApi = typeof api;
expose(api);
