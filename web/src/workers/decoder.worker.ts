import { expose } from 'comlink';
import { crc16En13757 } from '$shared/bytes/crc';
import { fromHex, tryFromHex } from '$shared/bytes/hex';
import { aesKey } from '$shared/crypto/aes';
import { applyDriver } from '$shared/drivers/index';
import type { Decoded } from '$shared/model/decoded';
import type { Reading } from '$shared/model/reading';
import { CompactFormatTable, type CompactFormatsJson } from '$shared/wmbus/compact';
import { deviceTypeName } from '$shared/wmbus/dll';
import { KeyRing, type KeyRingMeter } from '$shared/wmbus/keyring';
import { decodeTelegram, type Telegram } from '$shared/wmbus/telegram';
import { decodeFrames, type BatchAnswer, type BatchFrame } from './decode-batch';
import { decodeCapture, type CaptureSummary } from './capture';

// Runs shared/ off the UI thread: the field app's decoder (architecture.md decision 9). It keeps
// the keys of the route and the compact formats learnt from full frames for as long as it lives.
const keys = new KeyRing();
let formats = new CompactFormatTable();

export interface Explained {
  result: Decoded<Telegram>;
  reading: Reading | null;
  deviceType: string | null;
}

/** Not a union, so that Comlink's promise type stays one type. */
export interface ExplainAnswer {
  explained?: Explained;
  /** Why the input is not a telegram or the key is not a key. */
  error?: string;
}

export interface KeyEntry extends KeyRingMeter {
  /** 32 hex digits. */
  key: string;
}

const api = {
  /** EN 13757-4 CRC of the bytes given as hex: the worker's self-test (protocols.md TV-0). */
  crc16(hex: string): number {
    return crc16En13757(fromHex(hex));
  },

  /** Replaces the key ring; returns how many keys it holds. Bad entries are our own misuse. */
  setKeys(entries: KeyEntry[]): number {
    keys.clear();
    for (const e of entries) keys.set({ manufacturer: e.manufacturer, id: e.id }, e.key);
    return keys.size;
  },

  setFormats(json: CompactFormatsJson): void {
    formats = CompactFormatTable.fromJSON(json);
  },

  formats(): CompactFormatsJson {
    return formats.toJSON();
  },

  /**
   * One telegram for a person: every layer, the byte map and the driver's reading.
   * `key` (32 hex digits) is tried before the key ring. Bad hex is bad input, not an exception.
   */
  explain(hex: string, key?: string): ExplainAnswer {
    const bytes = tryFromHex(hex);
    if (!bytes || bytes.length === 0) return { error: 'Not a telegram: enter hex digits (spaces are allowed).' };
    let k;
    if (key) {
      const raw = tryFromHex(key);
      if (!raw || raw.length !== 16) return { error: `The key must be 32 hex digits (16 bytes); got ${key.replace(/\s/g, '').length} digits.` };
      k = aesKey(raw);
    }
    const result = decodeTelegram(bytes, { keys, formats, key: k, explain: true });
    const telegram = result.ok ? result.value : result.partial;
    const reading = result.ok ? applyDriver(result.value) : null;
    return { explained: { result, reading, deviceType: telegram.address ? deviceTypeName(telegram.address.deviceType) : null } };
  },

  /** Bulk decoding: full results in input order (spans off). */
  decodeBatch(frames: Uint8Array[]): Decoded<Telegram>[] {
    return frames.map((f) => decodeTelegram(f, { keys, formats }));
  },

  /**
   * The receive pipeline's batch: with the keys set once by setKeys, one small result per frame
   * (address, first issue, the driver's reading), in input order.
   */
  decodeFrames(frames: BatchFrame[]): BatchAnswer {
    return decodeFrames(frames, keys, formats);
  },

  /**
   * A capture file (B7), one telegram per line: the route's keys and formats plus the keys the
   * lines carry; `onProgress` is a Comlink proxy called every few thousand lines.
   */
  decodeCapture(text: string, onProgress?: (done: number, total: number) => void): CaptureSummary {
    return decodeCapture(text, { keys, formats, onProgress });
  }
};

export type DecoderApi = typeof api;
expose(api);
