import { describe, expect, it } from 'vitest';
import { aesEncryptBlock, aesKey, type AesKey } from '../../../shared/crypto/aes.js';
import { aesCmac } from '../../../shared/crypto/cmac.js';
import { deriveMode7Keys } from '../../../shared/crypto/kdf.js';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';

/** AesKey is opaque: two keys are equal when they encrypt a few blocks identically. */
function sameKey(a: AesKey, b: AesKey): boolean {
  for (const probe of ['00000000000000000000000000000000', '0123456789ABCDEFFEDCBA9876543210']) {
    const x = new Uint8Array(16);
    const y = new Uint8Array(16);
    aesEncryptBlock(a, fromHex(probe), 0, x, 0);
    aesEncryptBlock(b, fromHex(probe), 0, y, 0);
    if (toHex(x) !== toHex(y)) return false;
  }
  return true;
}

describe('deriveMode7Keys', () => {
  // protocols.md TV-2 / §2.5: sensostar, ID 43054304 (on air 04 43 05 43), MCR 89 5E 02 00
  const master = aesKey(fromHex('622b9656991ff0c1574c0950cf9278d1'));
  const id = fromHex('04430543');
  const counter = 0x00025e89;

  it('derives the K_enc and K_mac published for TV-2', () => {
    const { enc, mac } = deriveMode7Keys(master, counter, id);
    expect(sameKey(enc, aesKey(fromHex('bb13ab0fbbc1f043bdaa104cc8d2d428')))).toBe(true);
    expect(sameKey(mac, aesKey(fromHex('a69bd3f061c0c21e90d55d3f34117650')))).toBe(true);
    expect(sameKey(enc, mac)).toBe(false);
  });

  it('uses the byte layout of §2.5: DC ‖ MCR LE ‖ ID ‖ 07×7', () => {
    const { enc } = deriveMode7Keys(master, counter, id);
    const raw = aesCmac(master, fromHex('00 895E0200 04430543 07070707070707'));
    expect(sameKey(enc, aesKey(raw))).toBe(true);
  });

  it('checks its arguments', () => {
    expect(() => deriveMode7Keys(master, -1, id)).toThrow(/counter: expected an integer 0\.\.4294967295, got -1/);
    expect(() => deriveMode7Keys(master, 2 ** 32, id)).toThrow(RangeError);
    expect(() => deriveMode7Keys(master, 1, new Uint8Array(6))).toThrow(/meterIdBytes: expected 4 bytes, got 6/);
    expect(() => deriveMode7Keys(master, 0xffffffff, id)).not.toThrow();
  });
});
