import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { inspect } from 'node:util';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCtr,
  aesDecryptBlock,
  aesEncryptBlock,
  aesKey,
  aesCbcDecryptInto,
  aesCtrInto,
} from '../../../shared/crypto/aes.js';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';

function node(mode: 'ecb' | 'cbc' | 'ctr', dir: 'enc' | 'dec', key: Uint8Array, iv: Uint8Array | null, data: Uint8Array): Uint8Array {
  const c = dir === 'enc' ? createCipheriv(`aes-128-${mode}`, key, iv) : createDecipheriv(`aes-128-${mode}`, key, iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

const key16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const blocks = fc.integer({ min: 0, max: 6 }).chain((n) => fc.uint8Array({ minLength: 16 * n, maxLength: 16 * n }));

// NIST SP 800-38A Appendix F: key and the four plaintext blocks shared by F.2.1 and F.5.1
const SP_KEY = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
const SP_PLAIN = fromHex(
  '6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710',
);

describe('aesKey', () => {
  it('accepts exactly 16 bytes', () => {
    expect(() => aesKey(new Uint8Array(15))).toThrow(new RangeError('key: expected 16 bytes, got 15'));
    expect(() => aesKey(new Uint8Array(32))).toThrow(/got 32/);
    expect(() => aesKey('00' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('never shows the key bytes', () => {
    const k = aesKey(fromHex('28F64A24988064A079AA2C807D6102AE'));
    expect(JSON.stringify({ k })).toBe('{"k":"AesKey(***)"}');
    expect(inspect(k)).toBe('AesKey(***)');
    expect(inspect({ k }, { showHidden: true, depth: 9 })).not.toMatch(/28|F64A|Int32Array/);
    expect(String(k)).toBe('AesKey(***)');
    expect(`${k}`).toBe('AesKey(***)');
    expect(Object.keys(k)).toEqual([]);
    expect(Object.getOwnPropertyNames(k)).toEqual([]);
  });

  it('rejects something that is not an AesKey', () => {
    expect(() => aesCtr({} as never, new Uint8Array(16), new Uint8Array(1))).toThrow(TypeError);
  });
});

describe('single blocks', () => {
  it('FIPS-197 Appendix C.1 (AES-128)', () => {
    const k = aesKey(fromHex('000102030405060708090a0b0c0d0e0f'));
    const out = new Uint8Array(16);
    aesEncryptBlock(k, fromHex('00112233445566778899aabbccddeeff'), 0, out, 0);
    expect(toHex(out)).toBe('69C4E0D86A7B0430D8CDB78070B4C55A');
    aesDecryptBlock(k, out, 0, out, 0); // in place
    expect(toHex(out)).toBe('00112233445566778899AABBCCDDEEFF');
  });

  it('works at offsets and checks them', () => {
    const k = aesKey(SP_KEY);
    const buf = new Uint8Array(40);
    buf.set(SP_PLAIN.subarray(0, 16), 3);
    aesEncryptBlock(k, buf, 3, buf, 20);
    expect(toHex(buf, 20, 36)).toBe(toHex(node('ecb', 'enc', SP_KEY, null, SP_PLAIN.subarray(0, 16))));
    expect(() => aesEncryptBlock(k, buf, 25, buf, 0)).toThrow(/input: expected 16 bytes at offset 25, buffer has 40 bytes/);
    expect(() => aesEncryptBlock(k, buf, 0, buf, -1)).toThrow(/output/);
    expect(() => aesDecryptBlock(k, buf, 0, new Uint8Array(15), 0)).toThrow(RangeError);
  });

  it('matches node:crypto aes-128-ecb on random keys and blocks', () => {
    fc.assert(
      fc.property(key16, fc.uint8Array({ minLength: 16, maxLength: 16 }), (raw, block) => {
        const k = aesKey(raw);
        const enc = new Uint8Array(16);
        aesEncryptBlock(k, block, 0, enc, 0);
        expect(enc).toEqual(node('ecb', 'enc', raw, null, block));
        const dec = new Uint8Array(16);
        aesDecryptBlock(k, enc, 0, dec, 0);
        expect(dec).toEqual(block);
      }),
    );
  });
});

describe('CBC without padding', () => {
  const iv = fromHex('000102030405060708090a0b0c0d0e0f');
  const cipher =
    '7649ABAC8119B246CEE98E9B12E9197D5086CB9B507219EE95DB113A917678B273BED6B8E3C1743B7116E69E222295163FF1CAA1681FAC09120ECA307586E1A7';

  it('SP 800-38A F.2.1 / F.2.2 CBC-AES128', () => {
    const k = aesKey(SP_KEY);
    expect(toHex(aesCbcEncrypt(k, iv, SP_PLAIN))).toBe(cipher);
    expect(aesCbcDecrypt(k, iv, fromHex(cipher))).toEqual(SP_PLAIN);
  });

  it('rejects partial blocks and bad IVs', () => {
    const k = aesKey(SP_KEY);
    expect(() => aesCbcDecrypt(k, iv, new Uint8Array(17))).toThrow(
      new RangeError('data: expected a multiple of 16 bytes (no padding), got 17'),
    );
    expect(() => aesCbcEncrypt(k, iv, new Uint8Array(15))).toThrow(RangeError);
    expect(() => aesCbcDecrypt(k, new Uint8Array(8), new Uint8Array(16))).toThrow(/iv: expected 16 bytes, got 8/);
    expect(aesCbcDecrypt(k, iv, new Uint8Array(0)).length).toBe(0);
  });

  it('does not modify its inputs', () => {
    const k = aesKey(SP_KEY);
    const data = SP_PLAIN.slice();
    const ivCopy = iv.slice();
    aesCbcEncrypt(k, ivCopy, data);
    aesCbcDecrypt(k, ivCopy, data);
    expect(data).toEqual(SP_PLAIN);
    expect(ivCopy).toEqual(iv);
  });

  it('matches node:crypto aes-128-cbc on random inputs', () => {
    fc.assert(
      fc.property(key16, key16, blocks, (raw, ivr, data) => {
        const k = aesKey(raw);
        const enc = aesCbcEncrypt(k, ivr, data);
        expect(enc).toEqual(node('cbc', 'enc', raw, ivr, data));
        expect(aesCbcDecrypt(k, ivr, enc)).toEqual(data);
        expect(aesCbcDecrypt(k, ivr, data)).toEqual(node('cbc', 'dec', raw, ivr, data));
      }),
    );
  });
});

describe('CTR', () => {
  it('SP 800-38A F.5.1 / F.5.2 CTR-AES128', () => {
    const k = aesKey(SP_KEY);
    const counter = fromHex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');
    const cipher =
      '874D6191B620E3261BEF6864990DB6CE9806F66B7970FDFF8617187BB9FFFDFF5AE4DF3EDBD5D35E5B4F09020DB03EAB1E031DDA2FBE03D1792170A0F3009CEE';
    expect(toHex(aesCtr(k, counter, SP_PLAIN))).toBe(cipher);
    expect(aesCtr(k, counter, fromHex(cipher))).toEqual(SP_PLAIN);
    expect(toHex(counter)).toBe('F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF'); // not modified
  });

  it('decrypts the ELL payload of protocols.md TV-4 with the §2.2 counter block', () => {
    const k = aesKey(fromHex('28F64A24988064A079AA2C807D6102AE'));
    const iv = fromHex('2D2C 998734761B16 20 D37CAC21 0000 00');
    const cipher = fromHex('E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24');
    expect(toHex(aesCtr(k, iv, cipher))).toBe('576C7802FF207100041308190000441308190000615B7F616713');
  });

  it('carries the counter across 32-bit words like node:crypto', () => {
    const raw = fromHex('000102030405060708090a0b0c0d0e0f');
    for (const c of ['00000000000000000000000000FFFFFF', '0000000000000000FFFFFFFFFFFFFFFF', 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE']) {
      const counter = fromHex(c);
      const data = new Uint8Array(40).fill(0x5a);
      expect(aesCtr(aesKey(raw), counter, data)).toEqual(node('ctr', 'enc', raw, counter, data));
    }
  });

  it('rejects a counter block that is not 16 bytes', () => {
    expect(() => aesCtr(aesKey(SP_KEY), new Uint8Array(12), new Uint8Array(4))).toThrow(/counter: expected 16 bytes, got 12/);
  });

  it('matches node:crypto aes-128-ctr on random inputs of any length', () => {
    fc.assert(
      fc.property(key16, key16, fc.uint8Array({ maxLength: 100 }), (raw, counter, data) => {
        const k = aesKey(raw);
        const out = aesCtr(k, counter, data);
        expect(out).toEqual(node('ctr', 'enc', raw, counter, data));
        expect(aesCtr(k, counter, out)).toEqual(data);
      }),
    );
  });
});

describe('in-place variants (aesCtrInto, aesCbcDecryptInto)', () => {
  const k = aesKey(fromHex('2B7E151628AED2A6ABF7158809CF4F3C'));
  const iv = fromHex('000102030405060708090A0B0C0D0E0F');
  // SP 800-38A F.2.1 ciphertext, placed at offset 3 of a larger frame
  const cipher = fromHex('7649ABAC8119B246CEE98E9B12E9197D5086CB9B507219EE95DB113A917678B2');

  it('CBC decrypt in place at an offset gives the same bytes as aesCbcDecrypt and leaves the rest alone', () => {
    const frame = new Uint8Array(3 + cipher.length + 2).fill(0xaa);
    frame.set(cipher, 3);
    aesCbcDecryptInto(k, iv, frame, 3, frame, 3, cipher.length);
    expect(toHex(frame.subarray(3, 3 + cipher.length))).toBe(toHex(aesCbcDecrypt(k, iv, cipher)));
    expect(toHex(frame.subarray(3, 3 + 16))).toBe('6BC1BEE22E409F96E93D7E117393172A');
    expect([...frame.subarray(0, 3), ...frame.subarray(3 + cipher.length)]).toEqual([0xaa, 0xaa, 0xaa, 0xaa, 0xaa]);
  });

  it('CTR in place over an odd length equals aesCtr', () => {
    const data = Uint8Array.from({ length: 37 }, (_, i) => i * 7);
    const want = aesCtr(k, iv, data);
    const frame = new Uint8Array(40);
    frame.set(data, 2);
    aesCtrInto(k, iv, frame, 2, frame, 2, 37);
    expect(toHex(frame.subarray(2, 39))).toBe(toHex(want));
  });

  it('ranges outside the arrays are our misuse', () => {
    expect(() => aesCtrInto(k, iv, new Uint8Array(10), 5, new Uint8Array(10), 0, 6)).toThrow('src: expected 6 bytes from offset 5, array has 10');
    expect(() => aesCbcDecryptInto(k, iv, new Uint8Array(32), 0, new Uint8Array(16), 0, 32)).toThrow(
      'dst: expected room for 32 bytes from offset 0, array has 16'
    );
    expect(() => aesCbcDecryptInto(k, iv, new Uint8Array(32), 0, new Uint8Array(32), 0, 20)).toThrow('multiple of 16');
  });
});
