// KMP register values → reading columns (server/src/ingest/kmp.ts), on answers built byte by byte
// with shared/kmp's encoder (protocols.md §5.4: ID Unit NoB SiEx Value): the unit decides the
// column's scale; a unit a column cannot take, or one the sources disagree on, goes to `extra` with
// its unit spelled out; negative values and large exponents stay exact.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { responseFrame } from '../../shared/kmp/frame';
import { encodeValue, type KmpValue } from '../../shared/kmp/value';
import { decodeKmp } from '../../server/src/ingest/kmp';

const ident = { manufacturer: 'KAM', serial: '12345678', text: 'KAM 12345678' };

/** A GetRegister answer (CID 10) holding these registers, as the meter sends it. */
function registers(...regs: [id: number, v: KmpValue, nob?: number][]): Uint8Array {
  const data: number[] = [];
  for (const [id, v, nob] of regs) {
    const e = encodeValue(v, nob ?? 4);
    data.push(id >> 8, id & 0xff, e.unit, e.nob, e.siex, ...e.bytes);
  }
  return responseFrame(0x3f, 0x10, Uint8Array.from(data));
}

const val = (unit: number, mantissa: number | bigint, exponent = 0, negative = false): KmpValue => ({ unit, mantissa: BigInt(mantissa), exponent, negative });

function row(bytes: Uint8Array) {
  const d = decodeKmp(bytes, ident, 'UTC');
  expect(d.status).toBe('decoded');
  expect(d.readings).toHaveLength(1);
  const { columns } = d.readings[0];
  return { ...columns, extra: columns.extra === null ? null : JSON.parse(columns.extra) };
}

describe('KMP registers → reading columns', () => {
  test('GJ and MWh energies, litres, m³/h flow, MW power: each in its column\'s unit', () => {
    expect(row(registers([60, val(0x08, 12345, -3)], [68, val(0x27, 987654)], [74, val(0x2a, 1234, -3)], [80, val(0x17, 25, -1)]))).toMatchObject({
      energy: 12_345_000_000, // 12.345 GJ in J
      volume: 987_654_000, // 987654 l in mL
      flow: 1_234_000, // 1.234 m³/h in mL/h
      power: 2_500_000 // 2.5 MW in W
    });
    // GWh → MWh (§5.4 unit 04): 1234 × 10^-6 GWh = 1.234 MWh
    expect(row(registers([60, val(0x04, 1234, -6)])).energy).toBe(4_442_400_000);
    // 4,000 GWh is more joules than a column's safe integer (2^53 J ≈ 2,502 GWh): kept in extra, in kWh
    expect(row(registers([60, val(0x04, 4000)]))).toMatchObject({ energy: null, extra: { energy: 4_000_000_000 } });
  });

  test('a negative temperature and a negative power stay negative; the info code is the number the meter sends', () => {
    expect(row(registers([86, val(0x25, 1234, -2, true)], [80, val(0x16, 15, -1, true)], [99, val(0x33, 0x1020)]))).toMatchObject({
      tFlow: -1234,
      power: -1500,
      info: 0x1020
    });
  });

  test('a unit a column cannot take (Gcal) and a unit code the sources disagree on (15 "kW") go to extra with their unit', () => {
    const r = row(registers([60, val(0x0c, 4567, -2)], [80, val(0x15, 12)]));
    expect(r.energy).toBeNull();
    expect(r.power).toBeNull();
    expect(r.extra).toEqual({ energy: '45.67 Gcal', power: '12 kW' });
  });

  test('P1/P2 in bar, pulse inputs in m³, hours from seconds; the serial, the clock and t1−t2 are no readings', () => {
    const r = row(
      registers(
        [91, val(0x34, 612, -2)],
        [92, val(0x34, 254, -2)],
        [84, val(0x27, 1500)],
        [1004, val(0x3c, 7200)],
        [1001, val(0x33, 12345678)],
        [1002, val(0x2f, 103000)],
        [89, val(0x26, 2050, -2)]
      )
    );
    expect(r.extra).toEqual({ P1: 6.12, P2: 2.54, inputA: 1.5, onTime: 2 });
    expect(r.energy).toBeNull();
  });

  test('a large exponent that no integer column can hold goes to extra instead of losing digits', () => {
    const r = row(registers([60, val(0x02, 0xffffffff, 63)]));
    expect(r.energy).toBeNull();
    expect(r.extra).toEqual({ energy: Number(`${0xffffffff}e63`) });
  });

  test('an answer with only the serial and the clock makes no reading', () => {
    const d = decodeKmp(registers([1001, val(0x33, 12345678)], [1002, val(0x2f, 103000)]), ident, 'UTC');
    expect(d).toEqual({ status: 'decoded', reason: null, readings: [] });
  });
});

describe('KMP frames that are not answers with registers', () => {
  test('a request, an answer with an unknown CID, a truncated register and a logger answer without dates fail with the reason', () => {
    expect(decodeKmp(Uint8Array.of(0x80, 0x3f, 0x01, 0x05, 0x8a, 0x0d), ident, 'UTC')).toMatchObject({ status: 'failed', reason: expect.stringMatching(/request to the meter/) });
    expect(decodeKmp(responseFrame(0x3f, 0x9b, Uint8Array.of(0, 0, 1, 0)), ident, 'UTC')).toMatchObject({ status: 'failed', reason: expect.stringMatching(/CID 9B carries no registers/) });
    expect(decodeKmp(responseFrame(0x3f, 0x10, Uint8Array.of(0x00, 0x3c, 0x02, 0x04, 0x00, 0x01)), ident, 'UTC')).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/NoB 4 announces 4 value bytes, 1 left/)
    });
    // A0 answer: LTID 02, one register (E1) per record, one record, trailer: no DATE register
    const log = responseFrame(0x3f, 0xa0, Uint8Array.of(0x02, 0x01, 0x00, 0x05, 0x00, 0x3c, 0x02, 0x04, 0x00, 0, 0, 0, 9, 0x00, 0x05, 0x00, 0x05, 0x10));
    expect(decodeKmp(log, ident, 'UTC')).toMatchObject({ status: 'failed', reason: expect.stringMatching(/no date register \(1003\)/) });
  });

  test('a lone ACK is kept as decoded without data', () => {
    expect(decodeKmp(Uint8Array.of(0x06), ident, 'UTC')).toEqual({ status: 'decoded', reason: null, readings: [] });
  });

  test('a logger record with an impossible date is left out and said so; the others become readings', () => {
    // A0 answer, registers DATE (1003, yy:mm:dd) and E1; records 2026-02-28, 2026-02-31 (no such day)
    const data = [0x02, 0x02, 0x00, 0x01, 0x03, 0xeb, 0x30, 0x04, 0x00, ...u32(260228), 0x00, 0x3c, 0x02, 0x04, 0x00, ...u32(100)];
    data.push(0x00, 0x02, ...u32(260231), ...u32(101), 0x00, 0x02, 0x00, 0x02, 0x10);
    const d = decodeKmp(responseFrame(0x3f, 0xa0, Uint8Array.from(data)), ident, 'UTC');
    expect(d.status).toBe('decoded');
    expect(d.reason).toBe('1 record(s) without a valid date left out (RecID 2)');
    expect(d.readings.map((r) => [r.at, r.columns.energy])).toEqual([[Date.UTC(2026, 1, 28), 100 * 3.6e6]]);
  });
});

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

describe('KMP ingest decoding never throws', () => {
  test('random answers with valid framing and CRC (register and logger CIDs) and random raw bytes give decoded or failed', () => {
    fc.assert(
      fc.property(fc.constantFrom(0x01, 0x02, 0x10, 0xa0, 0xa1, 0xa2, 0xa3, 0x06), fc.uint8Array({ maxLength: 200 }), fc.boolean(), (cid, data, framed) => {
        const bytes = framed ? responseFrame(0x3f, cid, data) : data;
        const d = decodeKmp(bytes, ident, 'Europe/Copenhagen');
        expect(['decoded', 'failed']).toContain(d.status);
        if (d.status === 'failed') expect(d.readings).toEqual([]);
        for (const r of d.readings) expect(r.at === null || Number.isFinite(r.at)).toBe(true);
      }),
      { numRuns: 2000, seed: 9 }
    );
  });
});
