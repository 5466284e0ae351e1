// Decoding a capture file (B7) with the published telegrams of tests/fixtures/wmbus.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompactFormatTable } from '../../shared/wmbus/compact';
import { KeyRing } from '../../shared/wmbus/keyring';
import { decodeCapture } from '../../web/src/workers/capture';

const fixture = (name: string) => JSON.parse(readFileSync(join(process.cwd(), 'tests/fixtures/wmbus', name), 'utf8'));
const tv4 = fixture('tv-4-multical21-full-ctr.json'); // MULTICAL 21, 6.408 m3, key in the fixture
const tv403 = fixture('tv-8-multical403.json'); // MULTICAL 403 full then compact, pre-decrypted

// No seeded formats: a compact frame decodes only after its full frame taught the table.
const run = (text: string, keys = new KeyRing()) => decodeCapture(text, { keys, formats: new CompactFormatTable({ seed: false }) });

describe('decodeCapture', () => {
  it('decodes JSON lines with their own keys and plain hex lines, skipping blanks and comments', () => {
    const text = [
      '# a receiver log',
      JSON.stringify({ hex: tv4.hex, link: 'wmbus', key: tv4.key }),
      '',
      tv403.full,
      // spaces are allowed in plain hex
      tv403.compact.replace(/(..)/g, '$1 ')
    ].join('\n');
    const s = run(text);
    expect(s.lines).toBe(3);
    expect(s.decoded).toBe(3);
    expect(s.meters).toBe(2);
    expect(s.rows.map((r) => [r.line, r.meter, r.ok])).toEqual([
      [2, 'KAM 76348799', true],
      [4, 'KAM 71054899', true],
      [5, 'KAM 71054899', true]
    ]);
    expect(s.rows[0].value).toBe('6.408 m3');
    // the compact frame decodes because the full frame before it taught its format
    expect(s.rows[2].value).toBe('32175 kWh');
  });

  it('uses the route key ring for lines without a key, and counts what did not decode by reason', () => {
    const text = [
      tv4.hex, // no key in the line, none on the route: no-key
      JSON.stringify({ hex: tv4.hex, key: '00'.repeat(16) }), // wrong key
      JSON.stringify({ hex: tv4.hex, key: 'abc' }), // not a key
      JSON.stringify({ hex: '68 05 05 68', link: 'mbus' }),
      'not a telegram',
      '{"hex": ',
      tv403.compact // compact frame without its full frame
    ].join('\r\n');
    const s = run(text);
    expect(s.lines).toBe(7);
    expect(s.decoded).toBe(0);
    expect(s.reasons).toEqual({ 'no-key': 1, 'wrong-key': 1, 'bad-key': 1, 'not-wmbus': 1, 'not-hex': 1, 'not-json': 1, 'unknown-format': 1 });

    const route = new KeyRing().set({ manufacturer: 'KAM', id: '76348799' }, tv4.key);
    const withRoute = run(tv4.hex, route);
    expect(withRoute.decoded).toBe(1);
  });

  it('keeps the first rows for the screen and reports progress to the end', () => {
    const lines = Array.from({ length: 30 }, () => JSON.stringify({ hex: tv4.hex, key: tv4.key }));
    const seen: number[] = [];
    const s = decodeCapture(lines.join('\n'), {
      keys: new KeyRing(),
      formats: new CompactFormatTable(),
      rowsKept: 5,
      progressEvery: 10,
      onProgress: (done) => seen.push(done)
    });
    expect(s.decoded).toBe(30);
    expect(s.rows).toHaveLength(5);
    expect(seen).toEqual([10, 20, 30, 30]);
  });
});
