import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeDateG,
  decodeDateTimeF,
  decodeDateTimeI,
  decodeTimeJ,
  encodeDateG,
  encodeDateTimeF,
  encodeDateTimeI,
  encodeTimeJ,
} from '../../../shared/mbus/dates.js';

describe('type G date (protocols.md §3.7, TV-16)', () => {
  it.each([
    [0x7f, 0x2a, '2019-10-31'],
    [0xc1, 0x21, '2022-01-01'],
    [0xdf, 0x21, '2022-01-31'],
    [0x01, 0x31, '2024-01-01'], // TV-11 target date `42 6C 0131`
  ])('%i %i → %s', (lo, hi, text) => {
    expect(decodeDateG(lo, hi)).toEqual({ text, valid: true });
  });

  it('flags the all-zero and all-ones "not set" patterns and impossible days', () => {
    expect(decodeDateG(0x00, 0x00)).toEqual({ text: '2000-00-00', valid: false });
    expect(decodeDateG(0xff, 0xff).valid).toBe(false);
    expect(decodeDateG(0x1e, 0x02).valid).toBe(false); // 2000-02-30
    expect(decodeDateG(0x1d, 0x02)).toEqual({ text: '2000-02-29', valid: true }); // leap year
    expect(decodeDateG(0x3d, 0x02).valid).toBe(false); // 2001-02-29
  });
});

describe('type F date-time (§3.7, TV-16)', () => {
  it('2E 2B 0F 31 → 2024-01-15T11:46', () => {
    expect(decodeDateTimeF(0x2e, 0x2b, 0x0f, 0x31)).toEqual({ text: '2024-01-15T11:46', valid: true });
  });

  it('the IV bit (minute byte bit 7) makes it invalid but keeps the fields', () => {
    // REL Padpuls2 (libmbus test frame) sends `A1 15 E9 17` with IV set
    expect(decodeDateTimeF(0xa1, 0x15, 0xe9, 0x17)).toEqual({ text: '2015-07-09T21:33', valid: false });
  });

  it('hour 24 and minute 60 are invalid', () => {
    expect(decodeDateTimeF(0x3c, 0x00, 0x0f, 0x31).valid).toBe(false);
    expect(decodeDateTimeF(0x00, 0x18, 0x0f, 0x31).valid).toBe(false);
  });
});

describe('type I and J', () => {
  it('type I prepends seconds to the type F layout', () => {
    expect(decodeDateTimeI(0x07, 0x2e, 0x0b, 0x0f, 0x31)).toEqual({ text: '2024-01-15T11:46:07', valid: true });
    expect(decodeDateTimeI(0x07, 0xae, 0x0b, 0x0f, 0x31).valid).toBe(false); // IV
  });

  it('type J is a time of day', () => {
    expect(decodeTimeJ(10, 45, 13)).toEqual({ text: '13:45:10', valid: true });
    expect(decodeTimeJ(60, 0, 0).valid).toBe(false);
  });
});

describe('encoders invert the decoders', () => {
  it('worked vectors', () => {
    expect(encodeDateG('2019-10-31')).toEqual([0x7f, 0x2a]);
    expect(encodeDateTimeF('2024-01-15T11:46')).toEqual([0x2e, 0x2b, 0x0f, 0x31]);
    expect(encodeTimeJ('13:45:10')).toEqual([10, 45, 13]);
    expect(() => encodeDateG('2019/10/31')).toThrow(RangeError);
    expect(() => encodeDateG('2200-01-01')).toThrow(RangeError);
  });

  it('random valid date-times round-trip through F and I', () => {
    const pad = (n: number) => String(n).padStart(2, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: 2000, max: 2080 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 59 }),
        (y, mo, d, h, mi, s) => {
          const date = `${y}-${pad(mo)}-${pad(d)}`;
          expect(decodeDateG(...encodeDateG(date)).text).toBe(date);
          const f = `${date}T${pad(h)}:${pad(mi)}`;
          expect(decodeDateTimeF(...encodeDateTimeF(f))).toEqual({ text: f, valid: true });
          const i = `${f}:${pad(s)}`;
          const [b0, b1, b2, b3, b4] = encodeDateTimeI(i);
          expect(decodeDateTimeI(b0, b1, b2, b3, b4)).toEqual({ text: i, valid: true });
        },
      ),
      { numRuns: 300 },
    );
  });
});
