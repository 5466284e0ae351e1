import { describe, expect, it } from 'vitest';
import { ciName, openTpl, readTpl, securityModeName } from '../../../shared/wmbus/tpl.js';
import { aesKey } from '../../../shared/crypto/aes.js';
import type { Issue } from '../../../shared/model/decoded.js';
import { bytes, fixture } from './fixtures.js';

const APA = { manufacturer: 'APA', id: '88888888', version: 5, deviceType: 7 };

describe('TPL headers and security (protocols.md §2.4, §2.5)', () => {
  const tv6 = fixture('tv-6-apator162-mode5');
  const frame = bytes(tv6.hex);

  it('TV-6: short header ACC 85, CFG 8560 = mode 5, 6 blocks, bidirectional', () => {
    const h = readTpl(frame, 10, [])!;
    expect(h).toMatchObject({ ci: 0x7a, kind: 'short', content: 'records', accessNumber: 0x85, status: 0 });
    expect(h.config).toBe(0x8560);
    expect(h.securityMode).toBe(5);
    expect(h.encryptedBlocks).toBe(6);
    expect(h.config! & 0x8000).toBeTruthy();
  });

  it('TV-6: mode 5 with the all-zero key gives 2F2F 80C8 4AFD…', () => {
    const issues: Issue[] = [];
    const h = readTpl(frame, 10, [])!;
    const keys = { key: aesKey(new Uint8Array(16)), meter: APA, idAt: 4, mAt: 2, verAt: 8 };
    const r = openTpl(frame, 10, h, keys, undefined, issues);
    expect(r.state).toBe('decrypted');
    expect(Buffer.from(r.buffer.subarray(15, 21)).toString('hex').toUpperCase()).toBe('2F2F80C84AFD');
  });

  it('a wrong key: wrong-key saying what the check bytes were', () => {
    const issues: Issue[] = [];
    const h = readTpl(frame, 10, [])!;
    const keys = { key: aesKey(new Uint8Array(16).fill(1)), meter: APA, idAt: 4, mAt: 2, verAt: 8 };
    expect(openTpl(frame, 10, h, keys, undefined, issues).state).toBe('wrong-key');
    expect(issues[0].message).toMatch(/decrypted data starts [0-9A-F]{4}, expected 2F2F: wrong key/);
  });

  it('a long header (CI 72) carries the meter behind a converter', () => {
    // TV-10's transport header, as it would follow a wireless link header
    const b = bytes('72447744772D2C340406000000');
    const h = readTpl(b, 0, [])!;
    expect(h.address).toEqual({ manufacturer: 'KAM', id: '77447744', version: 0x34, deviceType: 4 });
    expect(h.accessNumber).toBe(6);
    expect(h.length).toBe(13);
  });

  it('unknown CI → unknown-ci naming it', () => {
    const issues: Issue[] = [];
    expect(readTpl(bytes('99'), 0, issues)).toBeNull();
    expect(issues[0].code).toBe('unknown-ci');
    expect(issues[0].message).toContain('CI 99');
  });

  it('unsupported security modes are named', () => {
    const f = fixture('fail-unsupported-security');
    const b = bytes(f.hex);
    const issues: Issue[] = [];
    const h = readTpl(b, 10, issues)!;
    expect(h.securityMode).toBe(9);
    const r = openTpl(b, 10, h, { key: undefined, meter: APA, idAt: 4, mAt: 2, verAt: 8 }, undefined, issues);
    expect(r.state).toBe('unsupported');
    expect(issues[0]).toMatchObject({ code: 'unsupported-security' });
    expect(issues[0].message).toContain('security mode 9 (AES-128-GCM)');
    expect(securityModeName(29)).toBe('manufacturer specific');
  });

  it('names CIs', () => {
    expect(ciName(0x79)).toBe('compact, no header');
    expect(ciName(0x8d)).toBe('ELL II');
    expect(ciName(0xa2)).toBe('manufacturer specific');
  });
});
