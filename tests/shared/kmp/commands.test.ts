import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';
import { KmpReader, decodeFrame, responseFrame } from '../../../shared/kmp/frame.js';
import type { KmpUnit } from '../../../shared/kmp/frame.js';
import {
  CID,
  KmpError,
  clearEventStatus,
  encodeLogRequest,
  encodeLogTime,
  getEventStatus,
  getRegister,
  getSerialNo,
  getType,
  logAnswerLength,
  logRequest,
  nextLogPage,
  parseEventStatus,
  parseLogResponse,
  parseRegisters,
  parseSerialNo,
  parseType,
  putRegister,
  setClock
} from '../../../shared/kmp/commands.js';
import type { KmpFrame, LogRequest, LogResponse } from '../../../shared/kmp/commands.js';
import { encodeValue, valueText } from '../../../shared/kmp/value.js';
import type { KmpValue } from '../../../shared/kmp/value.js';

function response(hex: string): KmpFrame {
  const u: KmpUnit = decodeFrame(fromHex(hex));
  if (u.kind !== 'response') throw new Error(`not a response: ${JSON.stringify(u)}`);
  return u;
}

function ok<T>(v: T | KmpError): T {
  if (v instanceof KmpError) throw v;
  return v;
}

// protocols.md §5.6 (Kamstrup doc 5512-447 §6.3.1): the A0 example answer after the CID.
const A0_ANSWER = '01 02 10F3 003C 080400 FF068662 0044 270400 E993DC05 10F4 B50A5C5E 93E05047 10F5 CF065396 F2584C96 10F5 1102 00';
const A0_REQUEST: LogRequest = {
  cid: 0xa0,
  lid: 1,
  registers: [0x3c, 0x44],
  records: 3,
  maxL: 0x80,
  time: { year: 2007, month: 5, day: 24, hour: 10, minute: 30, second: 0 }
};

describe('identification (TV-14)', () => {
  it('GetType: request and answer "MULTICAL 601 Pt100, SW F1"', () => {
    expect(toHex(getType())).toBe('803F01058A0D');
    expect(parseType(response('403F0100041BF90126990D'))).toEqual({ type: 0x0004, revision: 'F1', revisionCode: 0x0601 });
  });

  it('GetSerialNo: request and answer 19088743', () => {
    expect(toHex(getSerialNo())).toBe('803F0235E90D');
    expect(parseSerialNo(response('403F0201234567E9560D'))).toBe(19088743);
    expect(parseSerialNo({ dst: 0x3f, cid: 2, data: fromHex('FFFFFFFF') })).toBe(4294967295);
  });

  it('answers of the wrong command or length are KmpErrors with a sentence', () => {
    const e = parseType(response('403F0201234567E9560D'));
    expect(e).toBeInstanceOf(KmpError);
    expect((e as KmpError).message).toBe('expected a GetType answer (CID 01), got CID 02');
    expect((parseSerialNo({ dst: 0x3f, cid: 2, data: fromHex('0123') }) as KmpError).message).toBe('GetSerialNo answer has 2 data byte(s), expected 4');
    expect((parseSerialNo({ dst: 0x3f, cid: 2, data: fromHex('0123456789') }) as KmpError).code).toBe('trailing-bytes');
  });

  it('SetClock 2007-07-30 16:15:57 (§5.7, with our verified CRC 77 4E)', () => {
    expect(toHex(setClock({ year: 2007, month: 7, day: 30, hour: 16, minute: 15, second: 57 }))).toBe('803F090001144A00027715774E0D');
    expect(() => setClock({ year: 2007, month: 13, day: 30, hour: 16, minute: 15, second: 57 })).toThrow('month: expected an integer 1..12, got 13');
  });
});

describe('GetRegister and PutRegister (TV-14, §5.4)', () => {
  it('builds the TV-14 requests', () => {
    expect(toHex(getRegister([0x0080]))).toBe('803F1001001B7FD4080D');
    expect(toHex(getRegister([0x003c]))).toBe('803F1001003CB25F0D');
    expect(toHex(getRegister([0x3c, 0x44, 0x4a, 0x56, 0x57]))).toBe('803F1005003C0044004A0056005788520D');
  });

  it('refuses more than 8 registers, none, or an id that is no uint16', () => {
    expect(() => getRegister([])).toThrow('ids.length: expected an integer 1..8, got 0');
    expect(() => getRegister([1, 2, 3, 4, 5, 6, 7, 8, 9])).toThrow(RangeError);
    expect(() => getRegister([0x10000])).toThrow('register id: expected an integer 0..65535, got 65536');
  });

  it('reads the TV-14 answer: register 0x0080, kW, 19591204 × 10^17', () => {
    const regs = ok(parseRegisters(response('403F10001B7F160411012AF02463030D')));
    expect(regs).toHaveLength(1);
    expect(regs[0]).toEqual({ id: 0x80, nob: 4, value: { unit: 0x16, negative: false, mantissa: 19591204n, exponent: 17 } });
  });

  it('reads several registers and an answer that leaves unknown ones out', () => {
    // E1 = 1234 MWh (unit 03, SiEx 00); t1 = 64.57 °C (unit 25, SiEx 42: exponent −2)
    const data = fromHex('003C 03 04 00 000004D2  0056 25 04 42 00001939');
    const regs = ok(parseRegisters({ dst: 0x3f, cid: 0x10, data }));
    expect(regs.map((r) => [r.id, valueText(r.value)])).toEqual([
      [0x3c, '1234'],
      [0x56, '64.57']
    ]);
    expect(ok(parseRegisters({ dst: 0x3f, cid: 0x10, data: new Uint8Array(0) }))).toEqual([]);
  });

  it('names where a register answer is cut', () => {
    const cut = parseRegisters({ dst: 0x3f, cid: 0x10, data: fromHex('003C030400000004') });
    expect(cut).toMatchObject({ code: 'truncated', offset: 5, message: 'register 1 at 0 (register 60): NoB 4 announces 4 value bytes, 3 left' });
    const head = parseRegisters({ dst: 0x3f, cid: 0x10, data: fromHex('003C03') });
    expect((head as KmpError).message).toBe('register 1 at 0: needs ID, unit, NoB and SiEx (5 bytes), 3 left');
  });

  it('PutRegister: password, id, unit, NoB, SiEx, value; the meter answers with an ACK', () => {
    const f = decodeFrame(putRegister(0x1234, 0x0042, { unit: 0x29, negative: false, mantissa: 1500n, exponent: 0 }));
    expect(f).toMatchObject({ kind: 'request', dst: 0x3f, cid: 0x11 });
    expect(f.kind === 'request' && toHex(f.data)).toBe('1234' + '0042' + '29' + '04' + '00' + '000005DC');
    const r = new KmpReader();
    r.push(fromHex('06'));
    expect(r.take()).toMatchObject([{ kind: 'ack' }]);
  });

  it('fuzz: parseRegisters never throws on random data (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (data) => {
        const r = parseRegisters({ dst: 0x3f, cid: 0x10, data });
        if (!(r instanceof KmpError)) for (const x of r) expect(valueText(x.value)).toMatch(/^-?\d/);
      })
    );
  });
});

describe('event status (doc §6.3.5, §6.3.6)', () => {
  it('builds and reads', () => {
    expect(decodeFrame(getEventStatus(0x7f))).toMatchObject({ kind: 'request', dst: 0x7f, cid: 0x9b });
    const c = decodeFrame(clearEventStatus([0, 0, 1, 0], 0x7f));
    expect(c.kind === 'request' && toHex(c.data)).toBe('0000010000000000');
    expect(parseEventStatus({ dst: 0x7f, cid: 0x9b, data: fromHex('00000300') })).toEqual({
      bytes: [0, 0, 3, 0],
      intervalLogUnread: true,
      rtcLogUnread: true
    });
  });
});

describe('logger reads (§5.6, doc §6.3)', () => {
  it('logger timestamp: 2007-05-17 10:30:00 → 07 05 11 0A 1E 00 00 00 (doc §4.3)', () => {
    expect(toHex(encodeLogTime({ year: 2007, month: 5, day: 17, hour: 10, minute: 30, second: 0 }))).toBe('0705110A1E000000');
    expect(toHex(encodeLogTime({ year: 2091, month: 12, day: 31, hour: 23, minute: 59, second: 59 }))).toBe('5B0C1F173B3B0000');
  });

  it('builds the doc example A0 request: E1 and V1, 3 records from 2007-05-24 10:30:00', () => {
    expect(toHex(encodeLogRequest(A0_REQUEST))).toBe('0102003C00440380' + '0705180A1E000000');
    const f = decodeFrame(logRequest(A0_REQUEST, 0x7f));
    expect(f).toMatchObject({ kind: 'request', dst: 0x7f, cid: 0xa0 });
  });

  it('builds A1, A2 (doc: from record 10F3) and A3 (doc: offset 6) requests', () => {
    const base = { lid: 1, registers: [0x3c, 0x44], records: 3, maxL: 0x80 };
    expect(toHex(encodeLogRequest({ ...base, cid: 0xa1 }))).toBe('0102003C00440380');
    expect(toHex(encodeLogRequest({ ...base, cid: 0xa2, recId: 0x10f3 }))).toBe('0102003C0044038010F3');
    const a3 = { ...base, cid: 0xa3 as const, time: { year: 2007, month: 5, day: 24, hour: 19, minute: 45, second: 0 }, offset: 6 };
    expect(toHex(encodeLogRequest(a3))).toBe('0102003C00440380' + '070518132D000000' + '0006');
    expect(() => encodeLogRequest({ ...base, cid: 0xa2 })).toThrow('recId: required for CID A2, got undefined');
  });

  it('reads the doc example A0 answer: records 10F3..10F5 of E1 (GJ) and V1 (l)', () => {
    const wire = responseFrame(0x7f, 0xa0, fromHex(A0_ANSWER));
    const res = ok(parseLogResponse(response(toHex(wire))));
    expect(res).toMatchObject({ cid: 0xa0, ltid: 1, lastReadRecId: 0x10f5, newestRecId: 0x1102, info: 0, empty: false, endOfLog: false });
    expect(res.registers).toEqual([
      { id: 0x3c, unit: 0x08, nob: 4, siex: 0 },
      { id: 0x44, unit: 0x27, nob: 4, siex: 0 }
    ]);
    expect(res.records.map((r) => [r.recId, ...r.values.map((v) => valueText(v.value))])).toEqual([
      [0x10f3, String(0xff068662), String(0xe993dc05)],
      [0x10f4, String(0xb50a5c5e), String(0x93e05047)],
      [0x10f5, String(0xcf065396), String(0xf2584c96)]
    ]);
    expect(res.records[2].values[1]).toMatchObject({ id: 0x44, value: { unit: 0x27 } });
    // doc §6.3.1: APL length 3 + 2m + 5n + 4mn + 5 with m = 3, n = 2 → 47 (with the CID)
    expect(logAnswerLength(3, [4, 4])).toBe(1 + fromHex(A0_ANSWER).length);
  });

  it('reads the doc A3 answer, records descending', () => {
    const data = fromHex('01 02 10F5 003C 080400 CF065396 0044 270400 F2584C96 10F4 B50A5C5E 93E05047 10F3 FF068662 E993DC05 10F3 1102 00');
    const res = ok(parseLogResponse({ dst: 0x7f, cid: 0xa3, data }));
    expect(res.records.map((r) => r.recId)).toEqual([0x10f5, 0x10f4, 0x10f3]);
    expect(res.lastReadRecId).toBe(0x10f3);
  });

  it('reads short error answers: empty log, out of range', () => {
    expect(ok(parseLogResponse({ dst: 0x3f, cid: 0xa0, data: fromHex('01') }))).toMatchObject({ empty: true, records: [], info: 1 });
    const empty = ok(parseLogResponse({ dst: 0x3f, cid: 0xa2, data: fromHex('0102 10F5 1102 04') }));
    expect(empty).toMatchObject({ ltid: 1, outOfRange: true, records: [], lastReadRecId: 0x10f5, newestRecId: 0x1102 });
    const bare = ok(parseLogResponse({ dst: 0x3f, cid: 0xa2, data: fromHex('0102 04') }));
    expect(bare).toMatchObject({ ltid: 1, outOfRange: true, records: [] });
    expect(bare.lastReadRecId).toBeUndefined();
  });

  it('reads an answer cut by MaxL and the end of the log', () => {
    const res = ok(parseLogResponse({ dst: 0x3f, cid: 0xa2, data: fromHex('01 01 1100 003C 080400 00000010 1101 00000011 1101 1101 18') }));
    expect(res).toMatchObject({ maxLReached: true, endOfLog: true, newestRecId: 0x1101 });
    expect(res.records.map((r) => valueText(r.values[0].value))).toEqual(['16', '17']);
  });

  it('names what is wrong with a malformed logger answer', () => {
    expect(parseLogResponse({ dst: 0x3f, cid: 0x10, data: fromHex('00') })).toMatchObject({ code: 'wrong-cid' });
    expect(parseLogResponse({ dst: 0x3f, cid: 0xa0, data: new Uint8Array(0) })).toMatchObject({ code: 'truncated' });
    // one value byte missing from the last record, INFO 0
    const cut = parseLogResponse({ dst: 0x3f, cid: 0xa0, data: fromHex('01 01 1100 003C 080400 00000010 1101 000000 1101 1101 00') });
    expect(cut).toMatchObject({ code: 'truncated', message: 'record at 13: needs 6 bytes (record id and 1 value(s)), 5 left before the trailer' });
  });

  it('fuzz: parseLogResponse never throws on random data (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0xa0, max: 0xa3 }), fc.uint8Array({ maxLength: 120 }), (cid, data) => {
        const r = parseLogResponse({ dst: 0x3f, cid, data });
        if (!(r instanceof KmpError)) for (const rec of r.records) expect(rec.values.length).toBe(r.registers.length);
      })
    );
  });
});

describe('paging (nextLogPage)', () => {
  const res = (over: Partial<LogResponse>, recIds: number[]): LogResponse => ({
    cid: 0xa0,
    ltid: 1,
    registers: [],
    records: recIds.map((recId) => ({ recId, values: [] })),
    lastReadRecId: recIds[recIds.length - 1],
    newestRecId: 0x1102,
    info: 0,
    empty: false,
    outOfRange: false,
    maxLReached: false,
    endOfLog: false,
    ...over
  });

  it('towards now continues with A2 from the record after LRORecID', () => {
    const doc = ok(parseLogResponse({ dst: 0x7f, cid: 0xa0, data: fromHex(A0_ANSWER) }));
    expect(nextLogPage(A0_REQUEST, doc)).toEqual({ cid: 0xa2, lid: 1, registers: [0x3c, 0x44], records: 3, maxL: 0x80, recId: 0x10f6 });
  });

  it('record ids wrap at 16 bits', () => {
    expect(nextLogPage(A0_REQUEST, res({ newestRecId: 0x0003 }, [0xfffe, 0xffff]))?.recId).toBe(0);
  });

  it('stops at the newest record, at the end of the log, on an empty log and when nothing came', () => {
    expect(nextLogPage(A0_REQUEST, res({}, [0x1100, 0x1101, 0x1102]))).toBeNull();
    expect(nextLogPage(A0_REQUEST, res({ endOfLog: true, info: 0x10 }, [0x1100]))).toBeNull();
    expect(nextLogPage(A0_REQUEST, res({ empty: true, info: 1 }, []))).toBeNull();
    expect(nextLogPage(A0_REQUEST, res({}, []))).toBeNull();
  });

  it('into the past (A3) keeps the time and grows the offset', () => {
    const a3: LogRequest = { ...A0_REQUEST, cid: 0xa3, offset: 6 };
    expect(nextLogPage(a3, res({ cid: 0xa3 }, [0x10f5, 0x10f4, 0x10f3]))).toEqual({ ...a3, offset: 9 });
    expect(nextLogPage(a3, res({ cid: 0xa3, endOfLog: true, info: 0x10 }, [0x0001]))).toBeNull();
  });

  it('A1 is not repeated: its pointer moves only with ClearEventStatus', () => {
    expect(nextLogPage({ ...A0_REQUEST, cid: 0xa1, time: undefined }, res({ cid: 0xa1 }, [0x10f3]))?.cid).toBe(0xa2);
  });
});

it('CID names the commands of §5.3', () => {
  expect(CID).toMatchObject({ GET_TYPE: 1, GET_SERIAL_NO: 2, SET_CLOCK: 9, GET_REGISTER: 0x10, PUT_REGISTER: 0x11, GET_LOG_TIME_PAST: 0xa3 });
});

describe('round trips through the parsers (fast-check)', () => {
  const value = fc.record({
    unit: fc.integer({ min: 0, max: 0x40 }),
    negative: fc.boolean(),
    mantissa: fc.bigInt({ min: 0n, max: 0xffffffffn }),
    exponent: fc.integer({ min: -63, max: 63 })
  });

  it('a GetRegister answer made of encoded values reads back register by register', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), value), { maxLength: 8 }), (regs) => {
        const data: number[] = [];
        for (const [id, v] of regs) {
          const e = encodeValue(v, 4);
          data.push(id >> 8, id & 0xff, e.unit, e.nob, e.siex, ...e.bytes);
        }
        const frame = response(toHex(responseFrame(0x3f, 0x10, Uint8Array.from(data))));
        expect(ok(parseRegisters(frame))).toEqual(regs.map(([id, v]) => ({ id, nob: 4, value: v })));
      })
    );
  });

  it('a logger answer made of encoded records reads back record by record', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0x40 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 255 }),
        (formats, recIds, seed) => {
          const data: number[] = [1, formats.length];
          const expected: { recId: number; values: KmpValue[] }[] = [];
          recIds.forEach((recId, k) => {
            data.push(recId >> 8, recId & 0xff);
            const values: KmpValue[] = [];
            formats.forEach(([id, unit, siex], i) => {
              const mantissa = BigInt((seed * 7919 + k * 104729 + i * 31) >>> 0);
              const v: KmpValue = { unit, negative: (siex & 0x80) !== 0, mantissa, exponent: siex & 0x40 && siex & 0x3f ? -(siex & 0x3f) : siex & 0x3f };
              const e = encodeValue(v, 4);
              if (k === 0) data.push(id >> 8, id & 0xff, e.unit, e.nob, e.siex);
              data.push(...e.bytes);
              values.push(v);
            });
            expected.push({ recId, values });
          });
          const last = recIds[recIds.length - 1];
          data.push(last >> 8, last & 0xff, 0x12, 0x34, 0);
          const res = ok(parseLogResponse({ dst: 0x3f, cid: 0xa2, data: Uint8Array.from(data) }));
          expect(res.records.map((r) => ({ recId: r.recId, values: r.values.map((v) => v.value) }))).toEqual(expected);
          expect(res.records.every((r) => r.values.every((v, i) => v.id === formats[i][0]))).toBe(true);
          expect(res).toMatchObject({ lastReadRecId: last, newestRecId: 0x1234, info: 0 });
        }
      )
    );
  });
});
