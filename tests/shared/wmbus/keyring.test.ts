import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../../shared/wmbus/keyring.js';
import { manufacturerCode } from '../../../shared/wmbus/dll.js';

const KEY = '28F64A24988064A079AA2C807D6102AE';

describe('KeyRing', () => {
  it('finds a key by manufacturer and id, and by id alone', () => {
    const ring = new KeyRing().set({ manufacturer: 'KAM', id: '76348799' }, KEY).set({ id: '44556677' }, new Uint8Array(16));
    expect(ring.size).toBe(2);
    expect(ring.find(manufacturerCode('KAM'), 0x76348799)).toBeDefined();
    expect(ring.find(manufacturerCode('KAW'), 0x76348799)).toBeUndefined(); // other manufacturer
    expect(ring.find(manufacturerCode('APA'), 0x44556677)).toBeDefined(); // id alone matches any
    expect(ring.findAt(Uint8Array.of(0x2d, 0x2c, 0x99, 0x87, 0x34, 0x76), 0)).toBe(ring.find(0x2c2d, 0x76348799));
  });

  it('a manufacturer+id entry wins over an id-only one', () => {
    const ring = new KeyRing().set({ id: '76348799' }, new Uint8Array(16)).set({ manufacturer: 'KAM', id: '76348799' }, KEY);
    expect(ring.find(0x2c2d, 0x76348799)).toBe(ring.keyFromHex(KEY));
  });

  it('expands each distinct key text once', () => {
    const ring = new KeyRing();
    expect(ring.keyFromHex(KEY)).toBe(ring.keyFromHex(KEY));
    expect(ring.keyFromHex('zz')).toBeNull();
    expect(ring.keyFromHex('00')).toBeNull();
  });

  it('misuse throws, with the expectation in the message', () => {
    expect(() => new KeyRing().set({ id: '123' }, KEY)).toThrow(/expected 8 digits/);
    expect(() => new KeyRing().set({ id: '12345678' }, '00')).toThrow(/expected 32 hex digits/);
    expect(() => new KeyRing().set({ id: '12345678' }, new Uint8Array(15))).toThrow(RangeError);
  });

  it('delete, has, clear', () => {
    const ring = new KeyRing().set({ manufacturer: 'KAM', id: '76348799' }, KEY);
    expect(ring.has({ manufacturer: 'KAM', id: '76348799' })).toBe(true);
    expect(ring.delete({ manufacturer: 'KAM', id: '76348799' })).toBe(true);
    expect(ring.size).toBe(0);
    ring.set({ id: '00000001' }, KEY);
    ring.clear();
    expect(ring.size).toBe(0);
  });

  it('lookup cost does not grow with the number of keys (20,000 keys)', () => {
    const small = new KeyRing().set({ manufacturer: 'KAM', id: '00000000' }, KEY);
    const big = new KeyRing();
    const raw = new Uint8Array(16);
    for (let i = 0; i < 20000; i++) {
      raw[0] = i & 0xff;
      raw[1] = i >> 8;
      big.set({ manufacturer: 'KAM', id: i.toString().padStart(8, '0') }, raw);
    }
    const time = (ring: KeyRing, n: number): number => {
      const t = performance.now();
      let hits = 0;
      for (let i = 0; i < 200000; i++) if (ring.find(0x2c2d, parseInt(String(i % n), 16))) hits++;
      expect(hits).toBeGreaterThan(0);
      return performance.now() - t;
    };
    time(big, 20000);
    time(small, 1);
    // Generous bound against noise on a shared machine: a linear scan would be ~10,000× slower.
    expect(time(big, 20000)).toBeLessThan(20 * time(small, 1) + 50);
  });
});

describe('KeyRing table', () => {
  it('keeps every entry through growth, deletes and re-adds (ids with the top bit set too)', () => {
    const ring = new KeyRing();
    const ids = Array.from({ length: 3000 }, (_, i) => (0x90000000 + i * 7919).toString(16).toUpperCase().slice(-8));
    ids.forEach((id, i) => ring.set(i % 3 === 0 ? { id } : { manufacturer: 'KAM', id }, new Uint8Array(16).fill(i & 0xff)));
    expect(ring.size).toBe(3000);
    for (const id of ids) expect(ring.find(0x2c2d, parseInt(id, 16))).toBeDefined();
    ids.slice(0, 1000).forEach((id, i) => expect(ring.delete(i % 3 === 0 ? { id } : { manufacturer: 'KAM', id })).toBe(true));
    expect(ring.size).toBe(2000);
    for (const id of ids.slice(0, 1000)) expect(ring.find(0x2c2d, parseInt(id, 16))).toBeUndefined();
    for (const id of ids.slice(1000)) expect(ring.find(0x2c2d, parseInt(id, 16))).toBeDefined();
    ids.slice(0, 1000).forEach((id) => ring.set({ manufacturer: 'KAW', id }, new Uint8Array(16)));
    expect(ring.find(0x2c37, parseInt(ids[5], 16))).toBeDefined();
    expect(ring.find(0x2c2d, parseInt(ids[5], 16))).toBeUndefined();
  });
});
