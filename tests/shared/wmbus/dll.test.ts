import { describe, expect, it } from 'vitest';
import {
  controlName,
  deviceTypeName,
  formatALength,
  manufacturerCode,
  manufacturerName,
  rawOffset,
  stripCrcs
} from '../../../shared/wmbus/dll.js';
import { bytes, fixture } from './fixtures.js';

describe('manufacturer code packing (protocols.md §1.4 table)', () => {
  const table: [string, number][] = [
    ['KAM', 0x2c2d],
    ['KAW', 0x2c37],
    ['SEN', 0x4cae],
    ['APA', 0x0601],
    ['EFE', 0x14c5]
  ];
  it.each(table)('%s = %d', (name, code) => {
    expect(manufacturerName(code)).toBe(name);
    expect(manufacturerCode(name)).toBe(code);
  });
  it('throws on misuse only', () => {
    expect(() => manufacturerCode('kam')).toThrow(RangeError);
  });
});

describe('device types and C fields (§1.3, §1.5)', () => {
  it('names the media of the table', () => {
    expect(deviceTypeName(0x16)).toBe('cold water');
    expect(deviceTypeName(0x04)).toBe('heat (outlet)');
    expect(deviceTypeName(0x0c)).toBe('heat (inlet)');
    expect(deviceTypeName(0x37)).toBe('radio converter (meter side)');
    expect(deviceTypeName(0x3f)).toBe('reserved (0x3F)');
  });
  it('names C fields', () => {
    expect(controlName(0x44)).toBe('SND_NR');
    expect(controlName(0x08)).toBe('RSP_UD');
  });
});

describe('block CRCs (§1.2)', () => {
  const tv1 = fixture('tv-1-format-a-crcs');
  const tv2 = fixture('tv-2-format-b-afl-mode7');

  it('TV-1: format A, 4 blocks checked and removed', () => {
    const raw = bytes(tv1.hex);
    expect(formatALength(raw[0])).toBe(raw.length);
    const s = stripCrcs(raw);
    expect(s.format).toBe('A');
    expect(s.issues).toEqual([]);
    expect(s.frame.length).toBe(0x34 + 1);
    expect(s.frame[10]).toBe(0x7a); // CI after the first block CRC 811D
    // The CRC-free frame of TV-1: blocks without 811D, 5170, D6D0, 44C4
    const stripped = tv1.hex.replace('811D', '').replace('5170', '').replace('D6D0', '').replace(/44C4$/, '');
    expect(Buffer.from(s.frame).toString('hex').toUpperCase()).toBe(stripped);
  });

  it('TV-2: format B, CRCs at 126 and at the end', () => {
    const s = stripCrcs(bytes(tv2.hex));
    expect(s.format).toBe('B');
    expect(s.issues).toEqual([]);
    expect(s.frame.length).toBe(bytes(tv2.hex).length - 4);
    expect(s.frame[0]).toBe(s.frame.length - 1);
  });

  it('a frame whose receiver removed the CRCs is taken as it is', () => {
    const tv4 = fixture('tv-4-multical21-full-ctr');
    const raw = bytes(tv4.hex);
    const s = stripCrcs(raw);
    expect(s.format).toBe('none');
    expect(s.frame).toBe(raw); // no copy
    expect(stripCrcs(raw, 'absent').format).toBe('none');
  });

  it('a damaged block names the block and both CRCs', () => {
    const f = fixture('fail-bad-crc');
    const s = stripCrcs(bytes(f.hex), 'present');
    expect(s.issues.map((i) => i.code)).toContain('bad-crc');
    expect(s.issues[0].message).toMatch(/block 2 CRC 5170, computed [0-9a-f]{4}/);
  });

  it('maps offsets back to the frame as received', () => {
    expect(rawOffset(9, 'A')).toBe(9);
    expect(rawOffset(10, 'A')).toBe(12); // after the first CRC
    expect(rawOffset(26, 'A')).toBe(30);
    expect(rawOffset(126, 'B')).toBe(128);
    expect(rawOffset(50, 'none')).toBe(50);
  });

  it('cuts bytes past L with a warning', () => {
    const f = fixture('warn-trailing-bytes');
    const s = stripCrcs(bytes(f.hex));
    expect(s.frame.length).toBe(0x2b);
    expect(s.issues.map((i) => [i.code, i.severity])).toEqual([['trailing-bytes', 'warning']]);
  });

  it('reports a frame shorter than L', () => {
    const s = stripCrcs(bytes('2A442D2C9987'));
    expect(s.issues[0]).toMatchObject({ code: 'truncated', severity: 'error' });
    expect(s.issues[0].message).toContain('43');
  });
});
