import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';
import { KMP_UNITS, dateText, decodeValue, encodeValue, projectValue, valueNumber, valueText } from '../../../shared/kmp/value.js';
import type { KmpValue } from '../../../shared/kmp/value.js';

/** "NoB SiEx value…" as the Kamstrup document prints its examples (§5.4, TV-14). */
function fromDoc(hex: string, unit = 0): KmpValue {
  const b = fromHex(hex);
  return decodeValue(unit, b[0], b[1], b.subarray(2));
}

describe('register values (protocols.md §5.4, TV-14 "Floats")', () => {
  it('04 C2 00 00 30 39 = −123.45', () => {
    const v = fromDoc('04C200003039');
    expect(v).toEqual({ unit: 0, negative: true, mantissa: 12345n, exponent: -2 });
    expect(valueText(v)).toBe('-123.45');
    expect(valueNumber(v)).toBe(-123.45);
  });

  it('04 03 05 39 7F B1 = 87654321 × 10³', () => {
    const v = fromDoc('0403 05397FB1');
    expect(valueText(v)).toBe('87654321000');
    expect(valueNumber(v)).toBe(87654321e3);
  });

  it('01 03 FF = 255 × 10³ and 02 43 00 FB = 0.251', () => {
    expect(valueText(fromDoc('0103FF'))).toBe('255000');
    expect(valueText(fromDoc('024300FB'))).toBe('0.251');
    expect(valueNumber(fromDoc('024300FB'))).toBe(0.251);
  });

  it('TV-14 GetRegister response: 0x012AF024 × 10^17 kW', () => {
    const v = decodeValue(0x16, 4, 0x11, fromHex('012AF024'));
    expect(v).toEqual({ unit: 0x16, negative: false, mantissa: 19591204n, exponent: 17 });
    expect(valueText(v)).toBe('1959120400000000000000000');
    expect(KMP_UNITS[v.unit].symbol).toBe('kW');
  });

  it('negative exponents pad with zeros before the point', () => {
    expect(valueText({ unit: 0, negative: false, mantissa: 5n, exponent: -3 })).toBe('0.005');
    expect(valueText({ unit: 0, negative: true, mantissa: 5n, exponent: -1 })).toBe('-0.5');
    expect(valueText({ unit: 0, negative: false, mantissa: 100n, exponent: -2 })).toBe('1.00'); // resolution kept
  });

  it('exponent 63 and −63 stay exact', () => {
    const big = decodeValue(0, 1, 0x3f, fromHex('07'));
    expect(big.exponent).toBe(63);
    expect(valueText(big)).toBe('7' + '0'.repeat(63));
    expect(valueNumber(big)).toBe(7e63);
    const small = decodeValue(0, 1, 0x7f, fromHex('07'));
    expect(small.exponent).toBe(-63);
    expect(valueText(small)).toBe('0.' + '0'.repeat(62) + '7');
    expect(valueNumber(small)).toBe(7e-63);
  });

  it('8-byte mantissas beyond 2^53 are exact', () => {
    const v = decodeValue(0x02, 8, 0x00, fromHex('FFFFFFFFFFFFFFFF'));
    expect(v.mantissa).toBe(18446744073709551615n);
    expect(valueText(v)).toBe('18446744073709551615');
    const w = decodeValue(0x02, 8, 0x43, fromHex('0020000000000001')); // 2^53 + 1, three decimals
    expect(valueText(w)).toBe('9007199254740.993');
  });

  it('SiEx 40 (exponent −0) is exponent 0', () => {
    expect(Object.is(decodeValue(0, 1, 0x40, fromHex('05')).exponent, 0)).toBe(true);
    expect(valueText(decodeValue(0, 1, 0x40, fromHex('05')))).toBe('5');
  });

  it('zero, also with the sign bit or a negative exponent, has no sign', () => {
    expect(valueText(fromDoc('0100 00'))).toBe('0');
    expect(valueText(fromDoc('01C2 00'))).toBe('0.00');
    expect(valueText(fromDoc('0005 '))).toBe('0'); // NoB 0
    expect(valueNumber(fromDoc('0180 00'))).toBe(0);
  });

  it('refuses misuse with the numbers', () => {
    expect(() => decodeValue(0, 4, 0, fromHex('0102'))).toThrow('bytes: expected NoB = 4 bytes, got 2');
    expect(() => encodeValue({ unit: 0, negative: false, mantissa: 1n, exponent: 64 })).toThrow('exponent: expected an integer -63..63 (6 bits and a sign), got 64');
    expect(() => encodeValue({ unit: 0, negative: false, mantissa: -1n, exponent: 0 })).toThrow(RangeError);
    expect(() => encodeValue({ unit: 0, negative: false, mantissa: 0x10000n, exponent: 0 }, 2)).toThrow('mantissa: 65536 needs 3 bytes, NoB is 2');
  });

  it('encodes the document examples back to their bytes', () => {
    for (const hex of ['04C200003039', '0403 05397FB1', '0103FF', '024300FB']) {
      const b = fromHex(hex);
      const e = encodeValue(fromDoc(hex), b[0]);
      expect(toHex(Uint8Array.of(e.nob, e.siex, ...e.bytes))).toBe(toHex(b));
    }
    expect(encodeValue({ unit: 0x28, negative: false, mantissa: 0x0123n, exponent: -2 })).toEqual({
      unit: 0x28,
      nob: 2,
      siex: 0x42,
      bytes: fromHex('0123')
    });
  });

  it('round-trips every value (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.integer({ min: -63, max: 63 }),
        (unit, negative, mantissa, exponent) => {
          const v = { unit, negative, mantissa, exponent };
          const e = encodeValue(v);
          expect(decodeValue(e.unit, e.nob, e.siex, e.bytes)).toEqual(v);
          const t = valueText(v);
          expect(t).toMatch(/^-?\d+(\.\d+)?$/);
          // the text is the exact decimal: digits back give the mantissa
          if (mantissa !== 0n) expect(BigInt(t.replace(/[-.]/g, ''))).toBe(mantissa * 10n ** BigInt(Math.max(exponent, 0)));
        }
      )
    );
  });

  it('decodes any bytes without throwing (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 12 }), (unit, siex, bytes) => {
        const v = decodeValue(unit, bytes.length, siex, bytes);
        expect(Number.isNaN(valueNumber(v))).toBe(false);
        dateText(v);
      })
    );
  });
});

describe('clock and date units (§5.4)', () => {
  it('reads the document examples', () => {
    expect(dateText(decodeValue(0x2f, 4, 0, fromHex('00019258')))).toBe('10:30:00');
    expect(dateText(decodeValue(0x30, 4, 0, fromHex('0000ED98')))).toBe('2006-08-24');
    expect(dateText(decodeValue(0x32, 4, 0, fromHex('000004CF')))).toBe('12-31');
    expect(dateText(decodeValue(0x31, 4, 0, fromHex('0134D9A6')))).toBe('2024-08-06'); // 20240806
  });

  it('gives null for digits that are no date, or units that are no date', () => {
    expect(dateText(decodeValue(0x30, 4, 0, fromHex('0000F230')))).toBeNull(); // 62000: month 20
    expect(dateText(decodeValue(0x2f, 4, 0, fromHex('0003A980')))).toBeNull(); // 240000
    expect(dateText(decodeValue(0x02, 4, 0, fromHex('0000ED98')))).toBeNull();
  });

  it('has every unit code of the table 00..40', () => {
    for (let c = 0; c <= 0x40; c++) expect(KMP_UNITS[c], `unit ${c.toString(16)}`).toBeDefined();
    expect(KMP_UNITS[0x28]).toEqual({ symbol: 'm³', kind: 'volume', contract: { unit: 'm3', scale: 0 } });
    expect(KMP_UNITS[0x07].contract).toEqual({ unit: 'GJ', scale: -3 });
    expect(KMP_UNITS[0x15].uncertain).toBe(true);
  });
});

describe('projectValue: KMP units to the project units', () => {
  const v = (unit: number, mantissa: bigint, exponent: number, negative = false) => ({ unit, negative, mantissa, exponent });

  it('moves the decimal point exactly: GWh → MWh, MJ → GJ, ms → s', () => {
    expect(projectValue(v(0x04, 12345n, -3))).toEqual({ value: 12345, unit: 'MWh', text: '12345' });
    expect(projectValue(v(0x07, 1n, 0))).toEqual({ value: 0.001, unit: 'GJ', text: '0.001' });
    expect(projectValue(v(0x3d, 1500n, 0))).toEqual({ value: 1.5, unit: 's', text: '1.500' });
    expect(projectValue(v(0x28, 12345n, -2, true))).toEqual({ value: -123.45, unit: 'm3', text: '-123.45' });
  });

  it('dates and clock times as text; units the project lacks keep their KMP symbol', () => {
    expect(projectValue(v(0x30, 60824n, 0))).toEqual({ value: '2006-08-24', unit: 'date', text: '2006-08-24' });
    expect(projectValue(v(0x2f, 103000n, 0))).toEqual({ value: '10:30:00', unit: 'time', text: '10:30:00' });
    expect(projectValue(v(0x0c, 7n, 0))).toEqual({ value: 7, unit: 'Gcal', text: '7' });
    expect(projectValue(v(0x2b, 7n, 0)).unit).toBe('m3C');
    expect(projectValue(v(0x99, 7n, 0)).unit).toBe('unit 153');
  });
});
