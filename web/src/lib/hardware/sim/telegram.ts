// A simulated meter's n-th telegram, made by the shared encoder and encrypted with its key:
//   Kamstrup C1: ELL CI 8D, AES-128-CTR (§2.2, §4.7); every 8th a full frame (CI 78), the seven
//     between compact frames (CI 79: FSIG, FFCRC, data) (§4.2, §9).
//   OMS T1: short TPL header (CI 7A), security mode 5 (AES-CBC, §2.5), every telegram complete.
// The bytes start at L without link-layer CRCs, as a USB receiver hands them over (§1.1, §6.1).

import { aesKey, type AesKey } from '$shared/crypto/aes';
import { encodeRecords, type RecordSpec } from '$shared/mbus/encode-records';
import { encodeTelegram, fullFrameRecords, type CompactRecord } from '$shared/wmbus/encode';
import { uniform } from './random';
import type { SimField, SimFrameKind, SimMeter } from './types';

/** Data bytes per DIF data field code (§3.2); the simulator never sends variable-length data. */
const DATA_BYTES = [0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, -1, 6, -1];

/** Splits a record into its DIF/VIF bytes and its data bytes, as a compact frame needs (§4.2). */
function compactRecord(spec: RecordSpec): CompactRecord {
  const bytes = encodeRecords([spec]);
  const n = DATA_BYTES[bytes[0] & 0x0f];
  return { difvif: bytes.slice(0, bytes.length - n), data: bytes.slice(bytes.length - n) };
}

const keys = new WeakMap<Uint8Array, AesKey>();
function keyOf(meter: SimMeter): AesKey {
  let k = keys.get(meter.key);
  if (k === undefined) {
    if (meter.key.length !== 16) throw new RangeError(`key of ${meter.manufacturer} ${meter.id}: expected 16 bytes, got ${meter.key.length}`);
    k = aesKey(meter.key);
    keys.set(meter.key, k);
  }
  return k;
}

/** Which of the eight frames is the full one, per meter (meters are not in step). */
export function frameKindOf(meter: SimMeter, meterSeed: number, count: number): SimFrameKind {
  if (!meter.kind.startsWith('kamstrup')) return 'oms';
  const offset = Math.floor(uniform(meterSeed, 30) * 8);
  return (count + offset) % 8 === 0 ? 'full' : 'compact';
}

/** The meter's access number for its `count`-th transmission: +1 per telegram from a random start. */
export function accessNumberOf(meterSeed: number, count: number): number {
  return (Math.floor(uniform(meterSeed, 31) * 256) + count) & 0xff;
}

export function encodeSimTelegram(meter: SimMeter, meterSeed: number, count: number, fields: readonly SimField[]): Uint8Array {
  const address = { manufacturer: meter.manufacturer, id: meter.id, version: meter.version, deviceType: meter.deviceType };
  const acc = accessNumberOf(meterSeed, count);
  const key = keyOf(meter);
  const records = fields.map((f) => f.record);
  const kind = frameKindOf(meter, meterSeed, count);
  if (kind === 'oms') {
    return encodeTelegram({
      address,
      tpl: { header: 'short', acc, status: 0, security: { mode: 5, key }, payload: encodeRecords(records) },
    });
  }
  // ELL II session number: ENC = 1 (AES-CTR) in bits 29..31, a running count below (§2.2)
  const session = (Math.floor(uniform(meterSeed, 32) * 0x100000) + count) & 0x1ffffff;
  const sn = ((1 << 29) | session) >>> 0;
  const compact = records.map(compactRecord);
  return encodeTelegram({
    address,
    ell: { ci: 0x8d, cc: 0x20, acc, sn, key },
    tpl: kind === 'full' ? { header: 'none', payload: fullFrameRecords(compact) } : { header: 'none', compact },
  });
}
