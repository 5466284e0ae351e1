import { describe, expect, it } from 'vitest';
import { ellCounterBlock, openEll, readEll } from '../../../shared/wmbus/ell.js';
import { aesKey } from '../../../shared/crypto/aes.js';
import type { Issue } from '../../../shared/model/decoded.js';
import { bytes, fixture } from './fixtures.js';

const KAM = { manufacturer: 'KAM', id: '76348799', version: 0x1b, deviceType: 0x16 };

describe('ELL CI 8D and AES-CTR (protocols.md §2.2, TV-4)', () => {
  const tv4 = fixture('tv-4-multical21-full-ctr');
  const frame = bytes(tv4.hex);

  it('reads the header: CC 20, session 0x21AC7CD3 = counter 3, ENC 1', () => {
    const h = readEll(frame, 10)!;
    expect(h.communicationControl).toBe(0x20);
    expect(h.accessNumber).toBe(0x91);
    expect(h.sessionNumber).toBe(0x21ac7cd3);
    expect(h.sessionNumber! & 0x0f).toBe(3);
    expect((h.sessionNumber! >>> 4) & 0x1ffffff).toBe(1755085);
    expect(h.encryption).toBe(1);
  });

  it('builds the IV of TV-4', () => {
    const iv = ellCounterBlock(frame, 0x20, 13);
    expect(Buffer.from(iv).toString('hex').toUpperCase()).toBe('2D2C998734761B1620D37CAC21000000');
  });

  it('decrypts to the plaintext of TV-4 and checks PLCRC 6C57', () => {
    const issues: Issue[] = [];
    const h = readEll(frame, 10)!;
    const r = openEll(frame, 10, h, aesKey(bytes(tv4.key)), KAM, issues);
    expect(r.state).toBe('decrypted');
    expect(issues).toEqual([]);
    const plain = Buffer.from(r.buffer.subarray(17)).toString('hex').toUpperCase();
    expect(plain).toBe('576C7802FF207100041308190000441308190000615B7F616713');
    expect(frame[17]).toBe(0xe1); // the input is not changed
  });

  it('a wrong key is a wrong-key error with both CRCs, and no key in the message', () => {
    const wrong = fixture('fail-wrong-key');
    const issues: Issue[] = [];
    const r = openEll(frame, 10, readEll(frame, 10)!, aesKey(bytes(wrong.key)), KAM, issues);
    expect(r.state).toBe('wrong-key');
    expect(issues[0].code).toBe('wrong-key');
    expect(issues[0].message).toMatch(/payload CRC after decryption [0-9a-f]{4}, computed [0-9a-f]{4}/);
    expect(issues[0].hint).toContain('76348799');
    expect(JSON.stringify(issues)).not.toMatch(new RegExp(wrong.key, 'i'));
  });

  it('without a key: no-key, unless the payload CRC already matches (decrypted upstream)', () => {
    const issues: Issue[] = [];
    expect(openEll(frame, 10, readEll(frame, 10)!, undefined, KAM, issues).state).toBe('no-key');
    const pre = bytes(fixture('tv-7-multical21-pair1').full);
    expect(openEll(pre, 10, readEll(pre, 10)!, undefined, KAM, []).state).toBe('plain-upstream');
  });
});
