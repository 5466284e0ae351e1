import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bcdIdBytes, bcdIdString, readBcdLE, writeBcdLE } from '../../../shared/bytes/bcd.js';
import { fromHex } from '../../../shared/bytes/hex.js';

describe('readBcdLE', () => {
  it('reads least significant byte first', () => {
    // protocols.md §1.3: 99 87 34 76 → 76348799
    expect(readBcdLE(fromHex('99873476'), 0, 4)).toBe(76348799);
    expect(readBcdLE(fromHex('0012345600'), 1, 3)).toBe(563412);
    expect(readBcdLE(fromHex('00'), 0, 1)).toBe(0);
  });

  it('returns null for a non-decimal nibble', () => {
    expect(readBcdLE(fromHex('1A'), 0, 1)).toBeNull();
    expect(readBcdLE(fromHex('A1'), 0, 1)).toBeNull();
    expect(readBcdLE(fromHex('FF12'), 0, 2)).toBeNull(); // F only counts as a sign on top
    expect(readBcdLE(fromHex('FFFF'), 0, 2)).toBeNull();
  });

  it('reads the EN 13757-3 sign nibble F as negative', () => {
    expect(readBcdLE(fromHex('12F3'), 0, 2)).toBe(-312);
    expect(readBcdLE(fromHex('F0'), 0, 1)).toBe(0); // not -0
    expect(readBcdLE(fromHex('785634F2'), 0, 4)).toBe(-2345678);
  });

  it('rejects ranges outside the buffer and bad lengths', () => {
    expect(() => readBcdLE(new Uint8Array(3), 0, 4)).toThrow(/expected 4 bytes at offset 0, buffer has 3/);
    expect(() => readBcdLE(new Uint8Array(9), 0, 9)).toThrow(/1\.\.8 bytes, got 9/);
    expect(() => readBcdLE(new Uint8Array(3), -1, 1)).toThrow(RangeError);
  });
});

describe('writeBcdLE', () => {
  it('writes least significant byte first', () => {
    const out = new Uint8Array(6);
    writeBcdLE(out, 1, 4, 76348799);
    expect([...out]).toEqual([0, 0x99, 0x87, 0x34, 0x76, 0]);
  });

  it('writes negatives with the F sign nibble', () => {
    const out = new Uint8Array(2);
    writeBcdLE(out, 0, 2, -312);
    expect([...out]).toEqual([0x12, 0xf3]);
  });

  it('rejects values that do not fit', () => {
    expect(() => writeBcdLE(new Uint8Array(2), 0, 2, 10000)).toThrow(/\|value\| < 10000 for 2 bytes, got 10000/);
    expect(() => writeBcdLE(new Uint8Array(2), 0, 2, -1000)).toThrow(RangeError);
    expect(() => writeBcdLE(new Uint8Array(2), 0, 2, 1.5)).toThrow(RangeError);
    expect(() => writeBcdLE(new Uint8Array(2), 1, 2, 1)).toThrow(RangeError);
  });

  it('round-trips with readBcdLE', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer(), (length, seed) => {
        const max = 10 ** (2 * length - 1) - 1;
        const value = (seed % max) + 0; // + 0 turns -0 into 0
        const out = new Uint8Array(length);
        writeBcdLE(out, 0, length, value);
        expect(readBcdLE(out, 0, length)).toBe(value);
      }),
    );
  });
});

describe('meter id strings', () => {
  it('prints the 8-digit id most significant first', () => {
    expect(bcdIdString(fromHex('2D2C99873476'), 2)).toBe('76348799');
    expect(bcdIdString(fromHex('04430543'), 0)).toBe('43054304'); // TV-2 sensostar
  });

  it('still prints ids with non-BCD nibbles', () => {
    expect(bcdIdString(fromHex('B1A03478'), 0)).toBe('7834A0B1');
  });

  it('turns an id back into the bytes on air', () => {
    expect([...bcdIdBytes('76348799')]).toEqual([0x99, 0x87, 0x34, 0x76]);
    expect([...bcdIdBytes('7834a0b1')]).toEqual([0xb1, 0xa0, 0x34, 0x78]);
    expect(() => bcdIdBytes('1234567')).toThrow(/expected 8 digits, got "1234567"/);
    expect(() => bcdIdBytes(' 12345678')).toThrow(RangeError);
  });

  it('rejects an id outside the buffer', () => {
    expect(() => bcdIdString(new Uint8Array(5), 2)).toThrow(RangeError);
  });
});
