import type { MbusFrame } from '../../../shared/mbus/frame.js';
import type { ManufacturerData } from '../../../shared/mbus/records.js';
import type { MeterAddress } from '../../../shared/model/address.js';
import type { DataRecord } from '../../../shared/model/record.js';
import { manufacturerName } from '../../../shared/wmbus/dll.js';
import type { Identity } from './ingest.js';

// Wired M-Bus frames in the raw-first store (issue 8): who a stored RSP_UD names, and the one
// driver input a multi-telegram read makes. Ingest (ingest.ts) stores and decodes them.

const HEX = '0123456789ABCDEF';
const hex2 = (n: number) => HEX[n >> 4] + HEX[n & 15];

/**
 * The meter a wired RSP_UD names in its long transport header (CI 72 at byte 6; ID at 7, M at 11,
 * protocols.md §8.2/§8.10). Null unless the bytes are one complete long frame with the right
 * checksum and stop byte: a damaged frame names no meter.
 */
export function mbusIdentity(f: Uint8Array): Identity | null {
  if (f.length < 21 || f[0] !== 0x68 || f[3] !== 0x68 || f[1] !== f[2] || f.length !== f[1] + 6 || f[6] !== 0x72) return null;
  let cs = 0;
  for (let i = 4; i < f.length - 2; i++) cs += f[i];
  if ((cs & 0xff) !== f[f.length - 2] || f[f.length - 1] !== 0x16) return null;
  const manufacturer = manufacturerName(f[11] | (f[12] << 8));
  const serial = hex2(f[10]) + hex2(f[9]) + hex2(f[8]) + hex2(f[7]);
  return { manufacturer, serial, text: `${manufacturer} ${serial}` };
}

export interface WiredInput {
  address: MeterAddress;
  status: number | null;
  records: DataRecord[];
  manufacturerData: ManufacturerData | null;
}

/**
 * One driver input from the decoded telegrams of one read, in order: the first telegram's header,
 * the records of all (DIF 1F "more records follow" ends all but the last, EN 13757-3 via
 * protocols.md §8.7), and manufacturer data only when the last telegram ends with DIF 0F.
 * Every frame must carry a CI 72 header (Ingest only passes such frames).
 */
export function mergeTelegrams(frames: readonly MbusFrame[]): WiredInput {
  const first = frames[0];
  if (!first?.address) throw new TypeError('frames: expected at least one telegram with a long transport header (CI 72)');
  const records: DataRecord[] = [];
  for (const f of frames) for (const r of f.records) records.push(r);
  const last = frames[frames.length - 1].manufacturerData;
  return { address: first.address, status: first.status ?? null, records, manufacturerData: last && !last.moreRecordsFollow ? last : null };
}
