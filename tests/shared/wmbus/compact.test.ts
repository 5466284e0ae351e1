import { describe, expect, it } from 'vitest';
import {
  CompactFormatTable,
  KNOWN_COMPACT_FORMATS,
  expandCompact,
  formatSignature,
  recordFormat
} from '../../../shared/wmbus/compact.js';
import { bytes, fixture } from './fixtures.js';

describe('compact frame formats (protocols.md §4.2)', () => {
  it.each(KNOWN_COMPACT_FORMATS.map((k) => [k.usedBy, k.fsig, k.format]))(
    '%s: FSIG %s is the CRC of its DIF/VIF list',
    (_name, fsig, format) => {
      const onAir = bytes(fsig.replace(' ', ''));
      expect(formatSignature(bytes(format.replace(/ /g, '')))).toBe(onAir[0] | (onAir[1] << 8));
    }
  );

  it('TV-7: the full frame has format ED A8 and the compact frame rebuilds with FFCRC 6A B6', () => {
    const tv7 = fixture('tv-7-multical21-pair1');
    const full = bytes(tv7.full);
    const format = recordFormat(full, 20, full.length)!;
    expect(Buffer.from(format).toString('hex').toUpperCase()).toBe('02FF2004134413615B6167');
    expect(formatSignature(format)).toBe(0xa8ed);
    const compact = bytes(tv7.compact);
    const x = expandCompact(format, compact, 24, compact.length)!;
    expect(x.crc).toBe(0xb66a);
    expect(Buffer.from(x.records).toString('hex').toUpperCase()).toBe(
      Buffer.from(full.subarray(20)).toString('hex').toUpperCase()
    );
  });

  it('data that does not fit the format is refused', () => {
    const format = bytes('02FF2004134413615B6167');
    const data = bytes('71000819000008190000');
    expect(expandCompact(format, data, 0, data.length)).toBeNull(); // 2 bytes short
  });

  it('a table learns from full frames and round-trips through JSON', () => {
    const t = new CompactFormatTable({ seed: false });
    expect(t.size).toBe(0);
    const full = bytes(fixture('tv-7-multical21-pair2').full);
    expect(t.learn(full, 20, full.length, 'KAM 44556677')).toBe(0xc412);
    expect(t.learn(full, 20, full.length)).toBe(0xc412); // not twice
    expect(t.size).toBe(1);
    const json = JSON.stringify(t);
    const back = CompactFormatTable.fromJSON(json, { seed: false });
    expect(back.size).toBe(1);
    expect(back.toJSON()).toEqual(t.toJSON());
    expect(back.toJSON().formats[0]).toEqual({ signature: 'C412', format: '02FF20041392013BA1015B8101E7FF0F', source: 'KAM 44556677' });
  });

  it('the seeded table holds every §4.2 format; a damaged JSON entry is refused', () => {
    expect(new CompactFormatTable().size).toBe(KNOWN_COMPACT_FORMATS.length);
    expect(() =>
      CompactFormatTable.fromJSON({ version: 1, formats: [{ signature: '0000', format: '0413' }] })
    ).toThrow(/does not match/);
  });

  it('manufacturer data and records that do not walk teach nothing', () => {
    expect(recordFormat(bytes('0F0102'), 0, 3)).toBeNull();
    expect(recordFormat(bytes('0413AABB'), 0, 4)).toBeNull();
  });
});
