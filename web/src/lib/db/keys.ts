// Meter keys on the field device (architecture.md decision 5): the server sends the keys of the
// route; here each is encrypted with AES-GCM under a device key that WebCrypto generated as
// non-extractable and that IndexedDB stores as a CryptoKey object (structured clone keeps it
// non-extractable: script can use it but never read its bytes). A key is unwrapped only to be
// handed to the decoder worker. The meter's identity is the GCM additional data, so a wrapped
// key copied onto another meter's row does not unwrap. Keys never appear in errors or logs.

import type { ReadoutDb, KeyRow } from './index';
import { meterKeyOf } from './index';

const WRAPPING_KEY = 'keys.wrapping-key';
const IV_BYTES = 12; // NIST SP 800-38D §8.2: 96-bit random IVs
const KEY_BYTES = 16;

/** A meter key as the server sends it and the worker takes it. */
export interface MeterKey {
  manufacturer: string;
  /** 8 digits as printed. */
  serial: string;
  /** AES-128 key, 16 bytes. */
  key: Uint8Array;
}

/** Why a stored key could not be unwrapped: tampered row, another device's key, or a lost wrapping key. */
export class KeyUnwrapError extends Error {
  override readonly name = 'KeyUnwrapError';
  constructor(
    readonly meterKey: string,
    o?: ErrorOptions
  ) {
    super(`the stored key of meter ${meterKey} could not be unwrapped (changed, or wrapped on another device)`, o);
  }
}

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new TypeError('crypto.subtle: expected WebCrypto (a secure context), found none');
  return s;
}

const aad = (meterKey: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(`readout meter key ${meterKey}`);

/** A new AES-256-GCM device key that cannot be exported. */
export function createWrappingKey(): Promise<CryptoKey> {
  return subtle().generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** Encrypts one meter key; the row holds no plaintext. */
export async function wrapMeterKey(wrappingKey: CryptoKey, k: MeterKey, random: (n: number) => Uint8Array<ArrayBuffer> = randomBytes): Promise<KeyRow> {
  if (k.key.length !== KEY_BYTES) throw new RangeError(`key of ${k.manufacturer} ${k.serial}: expected ${KEY_BYTES} bytes, got ${k.key.length}`);
  const meterKey = meterKeyOf({ manufacturer: k.manufacturer, id: k.serial });
  const iv = random(IV_BYTES);
  const wrapped = new Uint8Array(
    await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: aad(meterKey) }, wrappingKey, new Uint8Array(k.key))
  );
  return { meterKey, manufacturer: k.manufacturer, serial: k.serial, iv, wrapped };
}

/** Decrypts one row; rejects with KeyUnwrapError when the tag does not verify. */
export async function unwrapMeterKey(wrappingKey: CryptoKey, row: KeyRow): Promise<MeterKey> {
  try {
    const key = new Uint8Array(
      await subtle().decrypt(
        { name: 'AES-GCM', iv: new Uint8Array(row.iv), additionalData: aad(row.meterKey) },
        wrappingKey,
        new Uint8Array(row.wrapped)
      )
    );
    if (key.length !== KEY_BYTES) throw new RangeError(`unwrapped ${key.length} bytes`);
    return { manufacturer: row.manufacturer, serial: row.serial, key };
  } catch (e) {
    throw new KeyUnwrapError(row.meterKey, { cause: e instanceof Error ? e.name : undefined });
  }
}

function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/** The entry the decoder worker takes (decoder.worker.ts KeyEntry). */
export function toKeyEntry(k: MeterKey): { manufacturer: string; id: string; key: string } {
  let hex = '';
  for (const b of k.key) hex += b.toString(16).padStart(2, '0');
  return { manufacturer: k.manufacturer, id: k.serial, key: hex };
}

/** Wrapped keys in the `keys` store; the device key in `meta` as a CryptoKey object. */
export class KeyStore {
  #wrappingKey: Promise<CryptoKey> | null = null;

  constructor(readonly db: ReadoutDb) {}

  /** The device key: loaded, or generated and stored on first use. */
  wrappingKey(): Promise<CryptoKey> {
    // Generated before the transaction: awaiting WebCrypto inside it would let IndexedDB commit it.
    this.#wrappingKey ??= createWrappingKey().then((created) =>
      this.db.transaction('rw', this.db.meta, async () => {
        const found = (await this.db.meta.get(WRAPPING_KEY))?.value as CryptoKey | undefined;
        if (found) return found;
        await this.db.meta.put({ key: WRAPPING_KEY, value: created });
        return created;
      })
    );
    this.#wrappingKey.catch(() => (this.#wrappingKey = null));
    return this.#wrappingKey;
  }

  /** Replaces the stored keys with the route's keys from the server. Returns how many. */
  async replaceAll(keys: readonly MeterKey[]): Promise<number> {
    const wk = await this.wrappingKey();
    const rows = await Promise.all(keys.map((k) => wrapMeterKey(wk, k)));
    await this.db.transaction('rw', this.db.keys, async () => {
      await this.db.keys.clear();
      await this.db.keys.bulkPut(rows);
    });
    return rows.length;
  }

  /** Adds or replaces some keys (a key that arrived for a pending meter). */
  async put(keys: readonly MeterKey[]): Promise<void> {
    const wk = await this.wrappingKey();
    await this.db.keys.bulkPut(await Promise.all(keys.map((k) => wrapMeterKey(wk, k))));
  }

  count(): Promise<number> {
    return this.db.keys.count();
  }

  /** Every key, unwrapped, for the worker; rows that no longer unwrap are skipped and named. */
  async unwrapAll(): Promise<{ keys: MeterKey[]; broken: string[] }> {
    const wk = await this.wrappingKey();
    const rows = await this.db.keys.toArray();
    const keys: MeterKey[] = [];
    const broken: string[] = [];
    for (const row of rows) {
      try {
        keys.push(await unwrapMeterKey(wk, row));
      } catch (e) {
        if (!(e instanceof KeyUnwrapError)) throw e;
        broken.push(row.meterKey);
      }
    }
    return { keys, broken };
  }

  /** Forget every key (sign-out, route handed back). The device key stays. */
  clear(): Promise<void> {
    return this.db.keys.clear();
  }
}
