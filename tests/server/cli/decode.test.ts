import { describe, expect, it } from 'vitest';
import { JsonlDecoder, explain } from '../../../server/cli/decode.js';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';

// protocols.md §10 vectors
const TV4 = '2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24';
const TV4_KEY = '28F64A24988064A079AA2C807D6102AE';
const TV7_FULL = '2A442D2C998734761B168D2091D37CAC21576C7802FF207100041308190000441308190000615B7F616713';
const TV7_COMPACT = '23442D2C998734761B168D2087D19EAD217F1779EDA86AB6710008190000081900007F13';

describe('decode --jsonl (conformance/README.md decoder contract)', () => {
  it('answers with the header and the records', () => {
    const d = new JsonlDecoder();
    const a = JSON.parse(d.line(JSON.stringify({ hex: TV4, link: 'wmbus', key: TV4_KEY })));
    expect(a).toMatchObject({ ok: true, manufacturer: 'KAM', id: '76348799', version: 27, deviceType: 22, accessNumber: null, status: null });
    expect(a.records.find((r: { storage: number; unit: string }) => r.unit === 'm3' && r.storage === 0).value).toBe(6.408);
    for (const r of a.records) expect(Object.keys(r)).toEqual(['value', 'unit', 'quantity', 'storage', 'tariff', 'subunit', 'function']);
  });

  it('keeps learned compact formats across lines', () => {
    const d = new JsonlDecoder();
    // the table starts with the §4.2 formats; the full frame teaches its own as well
    expect(JSON.parse(d.line(JSON.stringify({ hex: TV7_FULL, link: 'wmbus' }))).ok).toBe(true);
    const c = JSON.parse(d.line(JSON.stringify({ hex: TV7_COMPACT, link: 'wmbus' })));
    expect(c.ok).toBe(true);
    expect(c.records.some((r: { value: number }) => r.value === 6.408)).toBe(true);
  });

  it('a bad line answers ok:false and the next one still works', () => {
    const d = new JsonlDecoder();
    expect(JSON.parse(d.line('not json'))).toEqual({ ok: false, error: 'input line is not JSON' });
    expect(JSON.parse(d.line('{"hex":"ABC","link":"wmbus"}')).ok).toBe(false);
    expect(JSON.parse(d.line('{"hex":"E5","link":"kmp"}')).ok).toBe(false); // no KMP frame (decode-kmp.test.ts)
    const wrong = JSON.parse(d.line(JSON.stringify({ hex: TV4, link: 'wmbus', key: TV4_KEY.replace(/E$/, 'F') })));
    expect(wrong.ok).toBe(false);
    expect(wrong.error).toMatch(/wrong key/);
    expect(wrong.error).not.toContain(TV4_KEY.slice(0, 8));
    expect(JSON.parse(d.line(JSON.stringify({ hex: TV4, link: 'wmbus', key: TV4_KEY }))).ok).toBe(true);
  });

  it('wired frames: header from the long transport header', () => {
    const d = new JsonlDecoder();
    const tv10 =
      '68464668084a72447744772d2c3404060000000406ce86000004ff073444020004ff08f8ce0100041411680300043B0f02000002593c19025da41104ff220000000004a5ff21c7d02700d916';
    const a = JSON.parse(d.line(JSON.stringify({ hex: tv10, link: 'mbus' })));
    expect(a).toMatchObject({ ok: true, manufacturer: 'KAM', id: '77447744', version: 0x34, deviceType: 4, accessNumber: 6, status: 0 });
  });
});

describe('decode --jsonl link "mbus": wired frames in, records out', () => {
  const ask = (d: JsonlDecoder, hex: string) => JSON.parse(d.line(JSON.stringify({ hex, link: 'mbus' })));
  const TV10 =
    '68464668084a72447744772d2c3404060000000406ce86000004ff073444020004ff08f8ce0100041411680300043B0f02000002593c19025da41104ff220000000004a5ff21c7d02700d916';

  it('a RSP_UD gives every record in frame order, scaled to its unit; the Kamstrup driver names E8/E9 (TV-10, protocols.md §3.8)', () => {
    const a = ask(new JsonlDecoder(), TV10);
    expect(a.ok).toBe(true);
    expect(a.records.map((r: { value: unknown; unit: string }) => [r.value, r.unit])).toEqual([
      [34510, 'kWh'], [148532, 'm3C'], [118520, 'm3C'], [2232.49, 'm3'], [0.527, 'm3/h'], [64.6, '°C'], [45.16, '°C'], [0, ''],
      [expect.closeTo(43489.1833, 3), 'h'],
    ]);
  });

  it('a frame that failed its checksum is refused with the checksum in the reason, never decoded', () => {
    const d = new JsonlDecoder();
    const bad = TV10.slice(0, -4) + 'D816'; // checksum D9 → D8
    expect(ask(d, bad)).toEqual({ ok: false, error: 'checksum D8, computed D9' });
    const stop = TV10.slice(0, -2) + '17';
    expect(ask(d, stop).ok).toBe(false);
    expect(ask(d, TV10.slice(0, 60)).ok).toBe(false); // cut in the middle
    expect(ask(d, TV10).ok).toBe(true); // the decoder carries on
  });

  it('a CI 70 application error is ok:false with the error named (libmbus application_busy.hex)', () => {
    expect(ask(new JsonlDecoder(), '68040468080170088116')).toEqual({ ok: false, error: 'application error (CI 70): code 08 (application busy)' });
  });

  it('E5, short and control frames carry no meter header: ok:true, null header, no records', () => {
    const d = new JsonlDecoder();
    const empty = { ok: true, manufacturer: null, id: null, version: null, deviceType: null, accessNumber: null, status: null, records: [] };
    expect(ask(d, 'E5')).toEqual(empty);
    expect(ask(d, '107B05 8016')).toEqual(empty); // REQ_UD2 to 5 (§8.8)
    expect(ask(d, '1040054516')).toEqual(empty); // SND_NKE to 5
    expect(ask(d, '6803036853FE50A116')).toEqual(empty); // application reset broadcast (§8.8)
    expect(ask(d, '1040054616')).toEqual({ ok: false, error: 'checksum 46, computed 45' });
    expect(ask(d, '104005')).toEqual({ ok: false, error: 'short frame needs 5 bytes, got 3' });
    expect(ask(d, '5C16').error).toMatch(/^start byte 5C: expected 68/);
  });

  it('a telegram of a multi-telegram read (DIF 1F at the end) gives its records and no record for the marker', () => {
    // TV-10's records with DIF 1F (more records follow) before the checksum, L and CS recomputed
    const body = fromHex(TV10).subarray(4, -2);
    const more = new Uint8Array([...body, 0x1f]);
    let cs = 0;
    for (const b of more) cs = (cs + b) & 0xff;
    const frame = new Uint8Array([0x68, more.length, more.length, 0x68, ...more, cs, 0x16]);
    const d = new JsonlDecoder();
    const a = ask(d, toHex(frame));
    expect(a.ok).toBe(true);
    // the same nine records as the frame without the marker; the marker itself is not a reading
    expect(a.records).toEqual(ask(d, TV10).records);
  });
});

describe('decode <hex>: explanation for a person', () => {
  it('shows header, records, issues and a byte map', () => {
    const text = explain(TV4, { key: TV4_KEY });
    expect(text).toContain('KAM 76348799');
    expect(text).toContain('volume: 6.408 m3');
    expect(text).toContain('Issues: none');
    expect(text).toContain('ELL session number');
    expect(text).not.toContain(TV4_KEY);
  });
  it('without a key still names the meter and says what is missing', () => {
    const text = explain(TV4, {});
    expect(text).toContain('NOT decoded');
    expect(text).toMatch(/no-key .*76348799/);
  });

  it("appends the driver's values after the frame's records (em24, wmbusmeters em24.xmq test \"Elen\")", () => {
    const d = new JsonlDecoder();
    const hex = '35442D2C6666666633028D2070806A0520B4D3780405F208000004FB82753F00000004853C0000000004FB82F53CCA01000001FD1722';
    const a = JSON.parse(d.line(JSON.stringify({ hex, link: 'wmbus' })));
    expect(a.ok).toBe(true);
    const units = a.records.map((r: { unit: string }) => r.unit);
    // 5 records of the frame first, in frame order, then the driver's values
    expect(units.slice(0, 5)).toEqual(['kWh', 'kvarh', 'kWh', 'kvarh', '']);
    const apparent = a.records.find((r: { unit: string }) => r.unit === 'kVAh');
    expect(apparent.value).toBeCloseTo(237.507895, 6);
    expect(a.records.slice(5).some((r: { value: number; unit: string }) => r.value === 63 && r.unit === 'kvarh')).toBe(true);
    // the second telegram of the same meter uses the cached plan and gives the same answer
    expect(JSON.parse(d.line(JSON.stringify({ hex, link: 'wmbus' })))).toEqual(a);
  });

  it('Kamstrup E8/E9 come out in m3C (protocols.md TV-8)', () => {
    const d = new JsonlDecoder();
    const hex =
      '56442D2C99480571340C8D2019708C8322C88F780406AF7D000004FF076556020004FF08D7E701000414CC7A0500043B00000000' +
      '02598F0C025D920D04FF2200000000026CDF214406AF7D00004414CC7A0500426CC121';
    const a = JSON.parse(d.line(JSON.stringify({ hex, link: 'wmbus' })));
    expect(a.records.filter((r: { unit: string }) => r.unit === 'm3C').map((r: { value: number }) => r.value)).toEqual([153189, 124887]);
  });
});
