import { describe, expect, it } from 'vitest';
import { crc16En13757, crc16X25, crc16Xmodem } from '../../../shared/bytes/crc.js';
import { fromHex } from '../../../shared/bytes/hex.js';

const check = new TextEncoder().encode('123456789');

describe('crc16En13757', () => {
  it('has the check value of protocols.md TV-0', () => {
    expect(crc16En13757(check)).toBe(0xc2b7);
  });

  it('matches the values asserted in wmbusmeters src/testinternals.cc test_crc', () => {
    expect(crc16En13757(fromHex('01FD1F01'))).toBe(0xcc22);
    expect(crc16En13757(fromHex('01FD1F00'))).toBe(0xf147);
    expect(crc16En13757(fromHex('EE449ACE010000802307'))).toBe(0xaabc);
  });

  it('gives the block CRCs of protocols.md TV-1 (format A)', () => {
    // the CRCs follow each block big-endian
    expect(crc16En13757(fromHex('3444EE4D813929271608'))).toBe(0x811d);
    expect(crc16En13757(fromHex('7A51000000046D1912A62B036E000000'))).toBe(0x5170);
    expect(crc16En13757(fromHex('426CE1F1436E00000002FF2C00000259'))).toBe(0xd6d0);
    expect(crc16En13757(fromHex('D4090265FC0902FD66A000'))).toBe(0x44c4);
  });

  it('works on a range', () => {
    const b = fromHex('FFFF3444EE4D813929271608FF');
    expect(crc16En13757(b, 2, 12)).toBe(0x811d);
    expect(crc16En13757(b, 3, 3)).toBe(0xffff); // empty: init 0, xorout FFFF
    expect(() => crc16En13757(b, 2, 14)).toThrow(RangeError);
  });

  it('checks the Kamstrup format signature of protocols.md §4.2 (ED A8 on air)', () => {
    expect(crc16En13757(fromHex('02FF2004134413615B6167'))).toBe(0xa8ed);
  });
});

describe('other CRC-16 variants (protocols.md TV-0)', () => {
  it('X-25 check value', () => {
    expect(crc16X25(check)).toBe(0x906e);
  });

  it('XMODEM check value and the KMP GetType request CRC of TV-14', () => {
    expect(crc16Xmodem(check)).toBe(0x31c3);
    expect(crc16Xmodem(fromHex('3F01'))).toBe(0x058a);
  });
});
