// Meter keys wrapped under a non-extractable AES-GCM device key (architecture.md decision 5),
// checked with Node's WebCrypto (globalThis.crypto.subtle, Node 20).
import { describe, expect, it } from 'vitest';
import { createWrappingKey, KeyUnwrapError, toKeyEntry, unwrapMeterKey, wrapMeterKey, type MeterKey } from '../../../web/src/lib/db/keys';

const key: MeterKey = { manufacturer: 'KAM', serial: '76348799', key: Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i) };

describe('meter key wrapping', () => {
  it('round-trips, and the row holds no plaintext key', async () => {
    const wk = await createWrappingKey();
    const row = await wrapMeterKey(wk, key);
    expect(row).toMatchObject({ meterKey: 'KAM-76348799', manufacturer: 'KAM', serial: '76348799' });
    expect(row.iv).toHaveLength(12);
    expect(row.wrapped).toHaveLength(16 + 16); // ciphertext + GCM tag
    const hay = Buffer.from(row.wrapped).toString('hex');
    expect(hay).not.toContain(Buffer.from(key.key).toString('hex').slice(0, 8));
    const back = await unwrapMeterKey(wk, row);
    expect(back).toEqual(key);
  });

  it('the device key cannot be exported', async () => {
    const wk = await createWrappingKey();
    expect(wk.extractable).toBe(false);
    expect(wk.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
    await expect(crypto.subtle.exportKey('raw', wk)).rejects.toThrow();
  });

  it('a fresh IV for every wrap', async () => {
    const wk = await createWrappingKey();
    const a = await wrapMeterKey(wk, key);
    const b = await wrapMeterKey(wk, key);
    expect(Buffer.from(a.iv).equals(Buffer.from(b.iv))).toBe(false);
    expect(Buffer.from(a.wrapped).equals(Buffer.from(b.wrapped))).toBe(false);
  });

  it('a row moved to another meter, a changed byte or another device key does not unwrap', async () => {
    const wk = await createWrappingKey();
    const row = await wrapMeterKey(wk, key);
    await expect(unwrapMeterKey(wk, { ...row, meterKey: 'KAM-76348800', serial: '76348800' })).rejects.toBeInstanceOf(KeyUnwrapError);
    const tampered = new Uint8Array(row.wrapped);
    tampered[3] ^= 1;
    await expect(unwrapMeterKey(wk, { ...row, wrapped: tampered })).rejects.toBeInstanceOf(KeyUnwrapError);
    await expect(unwrapMeterKey(await createWrappingKey(), row)).rejects.toThrow(/KAM-76348799 could not be unwrapped/);
  });

  it('the error names the meter, never the key', async () => {
    const wk = await createWrappingKey();
    const row = await wrapMeterKey(wk, key);
    const err = await unwrapMeterKey(await createWrappingKey(), row).catch((e: unknown) => e as Error);
    expect(String(err) + JSON.stringify(err)).not.toMatch(/a0a1a2/i);
  });

  it('rejects a key of the wrong length as our own misuse', async () => {
    const wk = await createWrappingKey();
    await expect(wrapMeterKey(wk, { ...key, key: new Uint8Array(15) })).rejects.toThrow(RangeError);
    await expect(wrapMeterKey(wk, { ...key, key: new Uint8Array(15) })).rejects.toThrow('key of KAM 76348799: expected 16 bytes, got 15');
  });

  it('hands the worker its entry', () => {
    expect(toKeyEntry(key)).toEqual({ manufacturer: 'KAM', id: '76348799', key: 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf' });
  });
});
