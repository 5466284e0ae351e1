import { describe, expect, it } from 'vitest';
import { computeAflMac, macLength, readAfl } from '../../../shared/wmbus/afl.js';
import { stripCrcs } from '../../../shared/wmbus/dll.js';
import { aesKey } from '../../../shared/crypto/aes.js';
import { deriveMode7Keys } from '../../../shared/crypto/kdf.js';
import { bytes, fixture } from './fixtures.js';

describe('AFL CI 90 (protocols.md §2.3, TV-2)', () => {
  const tv2 = fixture('tv-2-format-b-afl-mode7');
  const frame = stripCrcs(bytes(tv2.hex)).frame;
  const at = 13; // after DLL (10) and ELL I (8C CC ACC)

  it('reads FCL 2C00, MCL 25, counter 0x00025E89 and an 8-byte MAC', () => {
    const h = readAfl(frame, at, [])!;
    expect(frame[at]).toBe(0x90);
    expect(h.aflLength).toBe(0x0f);
    expect(h.fragmentControl).toBe(0x2c00);
    expect(h.messageControl).toBe(0x25);
    expect(h.authenticationType).toBe(5);
    expect(h.messageCounter).toBe(0x00025e89);
    expect(Buffer.from(h.mac!).toString('hex')).toBe('3b0877d31da840b1');
    expect(h.length).toBe(17);
  });

  it('MAC lengths per authentication type', () => {
    expect([3, 4, 5, 6, 7, 8, 0].map(macLength)).toEqual([2, 4, 8, 12, 16, 12, 0]);
  });

  it('the MAC of TV-2 verifies with K_mac from the meter key', () => {
    const h = readAfl(frame, at, [])!;
    const keys = deriveMode7Keys(aesKey(bytes(tv2.key)), h.messageCounter!, frame.subarray(4, 8));
    const mac = computeAflMac(keys.mac, frame, at, h, at + h.length);
    expect(Buffer.from(mac).toString('hex')).toBe('3b0877d31da840b1');
  });

  it('an AFL length past the end is an issue, not an exception', () => {
    const issues: never[] = [];
    expect(readAfl(frame.subarray(0, at + 6), at, issues)).toBeNull();
    expect(issues).toHaveLength(1);
  });
});
