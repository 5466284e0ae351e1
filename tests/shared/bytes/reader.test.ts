import { describe, expect, it } from 'vitest';
import { ByteReader, OutOfBounds } from '../../../shared/bytes/reader.js';
import { fromHex } from '../../../shared/bytes/hex.js';

describe('ByteReader', () => {
  // protocols.md §1.6 (TV-4 header): L C M(2) ID(4) VER TYPE
  const frame = fromHex('2A442D2C998734761B16');

  it('reads little-endian integers and advances', () => {
    const r = new ByteReader(frame);
    expect(r.u8()).toBe(0x2a);
    expect(r.u8()).toBe(0x44);
    expect(r.u16le()).toBe(0x2c2d);
    expect(r.offset).toBe(4);
    expect(r.u32le()).toBe(0x76348799);
    expect(r.remaining).toBe(2);
    expect(r.u16le()).toBe(0x161b);
    expect(r.remaining).toBe(0);
  });

  it('reads u24 and unsigned u32 above 2^31', () => {
    const r = new ByteReader(Uint8Array.of(0x01, 0x02, 0x03, 0xff, 0xff, 0xff, 0xff));
    expect(r.u24le()).toBe(0x030201);
    expect(r.u32le()).toBe(0xffffffff);
  });

  it('returns byte views and the rest', () => {
    const r = new ByteReader(frame, 4);
    const id = r.bytes(4);
    expect([...id]).toEqual([0x99, 0x87, 0x34, 0x76]);
    expect(id.buffer).toBe(frame.buffer); // a view, no copy
    expect(r.peekU8()).toBe(0x1b);
    expect(r.offset).toBe(8);
    expect([...r.rest()]).toEqual([0x1b, 0x16]);
    expect(r.remaining).toBe(0);
  });

  it('throws OutOfBounds with the offset of the failed read, without advancing', () => {
    const r = new ByteReader(frame);
    r.skip(9);
    let caught: unknown;
    try {
      r.u16le();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(OutOfBounds);
    expect(caught).toBeInstanceOf(RangeError);
    const e = caught as OutOfBounds;
    expect(e.offset).toBe(9);
    expect(e.wanted).toBe(2);
    expect(e.available).toBe(1);
    expect(e.message).toBe('read of 2 bytes at offset 9: only 1 left');
    expect(r.offset).toBe(9);
    expect(r.u8()).toBe(0x16);
    expect(() => r.peekU8()).toThrow(OutOfBounds);
    expect(() => r.bytes(1)).toThrow(OutOfBounds);
  });

  it('respects a sub-range and reports offsets in the whole buffer', () => {
    const r = new ByteReader(frame, 2, 4);
    expect(r.u16le()).toBe(0x2c2d);
    expect(() => r.u8()).toThrow(expect.objectContaining({ offset: 4 }));
  });

  it('rejects misuse with RangeError', () => {
    expect(() => new ByteReader(frame, 0, 11)).toThrow(RangeError);
    expect(() => new ByteReader(frame, 5, 4)).toThrow(RangeError);
    const r = new ByteReader(frame);
    expect(() => r.bytes(-1)).toThrow(/non-negative integer, got -1/);
    expect(() => r.skip(1.5)).toThrow(RangeError);
  });
});
