import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex, tryFromHex } from '../../../shared/bytes/hex.js';

describe('toHex', () => {
  it('prints upper case without separators', () => {
    expect(toHex(Uint8Array.of(0x2a, 0x44, 0x00, 0xff, 0x0b))).toBe('2A4400FF0B');
    expect(toHex(new Uint8Array(0))).toBe('');
  });

  it('prints a range', () => {
    const b = Uint8Array.of(1, 2, 3, 4, 5);
    expect(toHex(b, 1, 3)).toBe('0203');
    expect(toHex(b, 4)).toBe('05');
    expect(toHex(b, 5)).toBe('');
  });

  it('rejects a range outside the bytes', () => {
    const b = new Uint8Array(4);
    expect(() => toHex(b, 0, 5)).toThrow(RangeError);
    expect(() => toHex(b, 3, 2)).toThrow(/start 3, end 2/);
    expect(() => toHex(b, -1)).toThrow(RangeError);
  });

  it('matches node Buffer hex on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(toHex(b)).toBe(Buffer.from(b).toString('hex').toUpperCase());
      }),
    );
  });
});

describe('fromHex', () => {
  it('accepts both cases and ignores spaces and line breaks', () => {
    expect([...fromHex('2a44 2D2c')]).toEqual([0x2a, 0x44, 0x2d, 0x2c]);
    expect([...fromHex(' 2 A\n44\t\r')]).toEqual([0x2a, 0x44]);
    expect(fromHex('').length).toBe(0);
  });

  it('names the position of a bad character', () => {
    expect(() => fromHex('2A4G')).toThrow(RangeError);
    expect(() => fromHex('2A4G')).toThrow(/position 3, got "G"/);
    expect(() => fromHex('0x2A')).toThrow(/position 1/);
    expect(() => fromHex('2A:44')).toThrow(/position 2/);
  });

  it('rejects an odd digit count, saying how many', () => {
    expect(() => fromHex('2A4')).toThrow(/even number of hex digits, got 3/);
  });

  it('round-trips with toHex', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(fromHex(toHex(b))).toEqual(b);
        expect(fromHex(toHex(b).toLowerCase())).toEqual(b);
      }),
    );
  });
});

describe('tryFromHex', () => {
  it('returns null instead of throwing', () => {
    expect(tryFromHex('zz')).toBeNull();
    expect(tryFromHex('abc')).toBeNull();
    expect([...tryFromHex('ab cd')!]).toEqual([0xab, 0xcd]);
  });

  it('never throws on any string', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        tryFromHex(s);
      }),
    );
  });
});
