import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cmac as nobleCmac } from '@noble/ciphers/aes.js';
import { aesKey } from '../../../shared/crypto/aes.js';
import { aesCmac } from '../../../shared/crypto/cmac.js';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';

describe('aesCmac', () => {
  const k = aesKey(fromHex('2b7e151628aed2a6abf7158809cf4f3c'));
  const m = fromHex(
    '6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710',
  );

  it('RFC 4493 §4 examples 1 and 2 (protocols.md TV-3, wmbusmeters test_kdf)', () => {
    expect(toHex(aesCmac(k, new Uint8Array(0)))).toBe('BB1D6929E95937287FA37D129B756746');
    expect(toHex(aesCmac(k, m.subarray(0, 16)))).toBe('070A16B46B4D4144F79BDD9DD04A287C');
  });

  it('RFC 4493 §4 examples 3 (40 bytes, partial last block) and 4 (64 bytes)', () => {
    expect(toHex(aesCmac(k, m.subarray(0, 40)))).toBe('DFA66747DE9AE63030CA32611497C827');
    expect(toHex(aesCmac(k, m))).toBe('51F0BEBF7E3B9D92FC49741779363CFE');
  });

  it('matches @noble/ciphers cmac on random keys and messages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 80 }), (raw, msg) => {
        expect(aesCmac(aesKey(raw), msg)).toEqual(nobleCmac(msg, raw));
      }),
    );
  });
});
