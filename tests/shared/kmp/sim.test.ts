import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../shared/bytes/hex';
import { KMP, KmpReader, decodeFrame, requestFrame } from '../../../shared/kmp/frame';
import type { KmpUnit } from '../../../shared/kmp/frame';
import { KmpError, LOG_INFO, encodeLogTime, getSerialNo, getType, logRequest as kmpLogRequest, parseLogResponse, parseRegisters, parseSerialNo, parseType, putRegister } from '../../../shared/kmp/commands';
import type { KmpFrame, LogRequest } from '../../../shared/kmp/commands';
import { firstLogPage, loggerFor } from '../../../shared/kmp/loggers';
import { nextLogPage } from '../../../shared/kmp/commands';
import { registersFor } from '../../../shared/kmp/registers';
import type { KmpValue } from '../../../shared/kmp/value';
import { lineMs } from '../../../shared/mbus/link';
import {
  DAY_MS,
  HOUR_MS,
  SIM_603_TYPE,
  SimKmpMeter,
  SimOpticalHead,
  VirtualTimers,
  simTime,
} from '../../../shared/kmp/sim/index';
import type { SimRegisterValue } from '../../../shared/kmp/sim/index';

const T0 = Date.UTC(2026, 10, 26, 9, 30);
const SERIAL = 19088743; // the serial of the Kamstrup doc's worked GetSerialNo frame (TV-14)
const meter = (): SimKmpMeter => new SimKmpMeter({ serial: SERIAL, startEpochMs: T0, seed: 7 });
const u16 = (n: number): number[] => [n >> 8, n & 0xff];

function response(bytes: Uint8Array | null): Extract<KmpUnit, { data: Uint8Array }> {
  expect(bytes).not.toBeNull();
  const u = decodeFrame(bytes!);
  if (u.kind !== 'response') throw new Error(`not a response: ${JSON.stringify(u)}`);
  return u;
}

/** GetRegister answer → registers, with kmp-proto's parser. */
function registersOf(f: KmpFrame): { id: number; value: KmpValue }[] {
  const r = parseRegisters(f);
  if (r instanceof KmpError) throw r;
  return r.map(({ id, value }) => ({ id, value }));
}

const kmpTime = simTime;
const logTimeBytes = (ms: number): Uint8Array => encodeLogTime(simTime(ms));

const asKmp = (v: SimRegisterValue): KmpValue => ({ unit: v.unit, negative: false, mantissa: BigInt(v.mantissa), exponent: v.exponent });

function getRegister(ids: number[]): Uint8Array {
  return requestFrame(KMP.DST_METER, 0x10, Uint8Array.from([ids.length, ...ids.flatMap(u16)]));
}

function logRequest(cid: number, lid: number, ids: number[], nrcs: number, maxL: number, tail: number[] = []): Uint8Array {
  return requestFrame(KMP.DST_METER, cid, Uint8Array.from([lid, ids.length, ...ids.flatMap(u16), nrcs, maxL, ...tail]));
}

interface LogAnswer {
  ltid?: number;
  records: { recId: number; values: { id: number; value: KmpValue }[] }[];
  lro?: number;
  newest?: number;
  info: number;
}

/** A0..A3 answer (§5.6), with kmp-proto's parser. */
function parseLog(f: KmpFrame): LogAnswer {
  const r = parseLogResponse(f);
  if (r instanceof KmpError) throw r;
  return {
    ltid: r.ltid,
    records: r.records.map((x) => ({ recId: x.recId, values: x.values.map(({ id, value }) => ({ id, value })) })),
    lro: r.lastReadRecId,
    newest: r.newestRecId,
    info: r.info,
  };
}

describe('SimKmpMeter answers real KMP bytes', () => {
  it('GetSerialNo: the worked frame of the Kamstrup document, byte for byte (TV-14)', () => {
    const m = meter();
    expect(toHex(m.answer(fromHex('803F0235E90D'), T0)!)).toBe(toHex(fromHex('403F0201234567E9560D')));
  });

  it('identifies itself to kmp-proto GetType and GetSerialNo', () => {
    const m = meter();
    expect(parseType(response(m.answer(getType(), T0)))).toEqual({ type: SIM_603_TYPE.type, revision: 'A1', revisionCode: SIM_603_TYPE.revision });
    expect(parseSerialNo(response(m.answer(getSerialNo(), T0)))).toBe(SERIAL);
  });

  it('answers only registers of the MULTICAL 603 catalogue, each with NoB 4', () => {
    const catalogue = new Set(registersFor('603').map((r) => r.id));
    const m = meter();
    for (const v of m.values(T0)) {
      expect(catalogue.has(v.id), `register ${v.id}`).toBe(true);
      expect(v.nob).toBe(4);
    }
    expect(m.registers.length).toBeGreaterThanOrEqual(30);
  });

  it('GetType: type and software revision', () => {
    const u = response(meter().answer(fromHex('803F01058A0D'), T0));
    expect(u.cid).toBe(0x01);
    expect(toHex(u.data)).toBe(toHex(Uint8Array.from([...u16(SIM_603_TYPE.type), ...u16(SIM_603_TYPE.revision)])));
  });

  it('GetRegister E1 (TV-14 request): the value the meter holds, in kWh', () => {
    const m = meter();
    const now = T0 + 3 * HOUR_MS + 123_456;
    const u = response(m.answer(fromHex('803F1001003CB25F0D'), now));
    const regs = registersOf(u);
    expect(regs).toHaveLength(1);
    expect(regs[0].id).toBe(0x3c);
    expect(regs[0].value).toEqual(asKmp(m.model.value(60, now)!));
    expect(regs[0].value.unit).toBe(0x02);
  });

  it('GetRegister with five ids (TV-14 request) gives five values in request order', () => {
    const m = meter();
    const u = response(m.answer(fromHex('803F1005003C0044004A0056005788520D'), T0));
    const regs = registersOf(u);
    expect(regs.map((r) => r.id)).toEqual([0x3c, 0x44, 0x4a, 0x56, 0x57]);
    for (const r of regs) expect(r.value).toEqual(asKmp(m.model.value(r.id, T0)!));
    // plausible heat-meter values: flow hotter than return, a flow while heat is used
    const t1 = Number(regs[3].value.mantissa) / 100;
    const t2 = Number(regs[4].value.mantissa) / 100;
    expect(t1).toBeGreaterThan(t2);
    expect(t1).toBeGreaterThan(50);
    expect(t1).toBeLessThan(90);
  });

  it('GetRegister omits ids the meter does not have (0x0080, TV-14 request) and answers the rest', () => {
    const m = meter();
    expect(response(m.answer(fromHex('803F1001001B7FD4080D'), T0)).data.length).toBe(0);
    const regs = registersOf(response(m.answer(getRegister([0x80, 91, 92, 99]), T0)));
    expect(regs.map((r) => r.id)).toEqual([91, 92, 99]);
    expect(regs[0].value.unit).toBe(0x34); // P1 in bar (analog input of a 603)
  });

  it('every catalogued register decodes to what the sim holds, eight per request', () => {
    const m = meter();
    const now = T0 + 17 * DAY_MS;
    const all = m.values(now);
    for (let i = 0; i < all.length; i += 8) {
      const part = all.slice(i, i + 8);
      const regs = registersOf(response(m.answer(getRegister(part.map((v) => v.id)), now)));
      expect(regs).toEqual(part.map((v) => ({ id: v.id, value: asKmp(v) })));
    }
  });

  it('registers advance with time: energy, volume, hours and E8/E9 grow, the clock moves', () => {
    const m = meter();
    const a = T0;
    const b = T0 + 2 * DAY_MS + 5 * HOUR_MS;
    for (const id of [60, 68, 97, 110, 1004, 84]) expect(m.model.value(id, b)!.mantissa).toBeGreaterThan(m.model.value(id, a)!.mantissa);
    expect(m.model.value(1004, b)!.mantissa - m.model.value(1004, a)!.mantissa).toBe(53);
    expect(m.model.value(1003, b)!.mantissa).toBe(261128);
    expect(m.model.value(1002, b)!.mantissa).toBe(143000);
  });

  it('stays silent on a bad CRC, another DST, an unknown command and a malformed GetRegister', () => {
    const m = meter();
    const bad = fromHex('803F1001003CB25E0D');
    expect(m.answer(bad, T0)).toBeNull();
    expect(m.lastOutcome).toBe('bad-frame');
    expect(m.answer(requestFrame(KMP.DST_LOGGER_TOP, 0x01), T0)).toBeNull();
    expect(m.lastOutcome).toBe('other-dst');
    expect(m.answer(requestFrame(KMP.DST_METER, 0x55), T0)).toBeNull();
    expect(m.lastOutcome).toBe('unknown-cid');
    expect(m.answer(requestFrame(KMP.DST_METER, 0x10, Uint8Array.of(9, ...Array(18).fill(0))), T0)).toBeNull();
    expect(m.answer(requestFrame(KMP.DST_METER, 0x10, Uint8Array.of(2, 0, 60)), T0)).toBeNull();
    expect(m.lastOutcome).toBe('malformed');
  });

  it('PutRegister with the password: ACK 06 and the new tariff limit; a wrong password is refused silently', () => {
    const m = meter();
    const put = (password: number, id: number, unit: number, nob: number, siex: number, value: number[]): Uint8Array =>
      requestFrame(KMP.DST_METER, 0x11, Uint8Array.from([...u16(password), ...u16(id), unit, nob, siex, ...value]));
    // TL2 = 31.5 kW: unit 16 (kW), 4 bytes, SiEx 41 (exponent −1), 315
    expect(m.answer(put(0x1234, 66, 0x16, 4, 0x41, [0, 0, 1, 0x3b]), T0)).toBeNull();
    expect(m.lastOutcome).toBe('refused');
    expect(toHex(m.answer(put(0, 66, 0x16, 4, 0x41, [0, 0, 1, 0x3b]), T0)!)).toBe('06');
    const later = T0 + 2 * HOUR_MS;
    expect(registersOf(response(m.answer(getRegister([66]), later)))[0].value).toEqual({ unit: 0x16, negative: false, mantissa: 315n, exponent: -1 });
    // a billing counter cannot be written
    expect(m.answer(put(0, 60, 0x02, 4, 0x00, [0, 0, 0, 1]), T0)).toBeNull();
  });

  it('never throws on any request: random frames and random bytes give a frame, an ACK or silence (fast-check)', () => {
    const m = meter();
    const cids = fc.constantFrom(0x01, 0x02, 0x09, 0x10, 0x11, 0x9b, 0x9c, 0xa0, 0xa1, 0xa2, 0xa3, 0x55);
    fc.assert(
      fc.property(cids, fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 400 * DAY_MS }), (cid, data, dt) => {
        const a = m.answer(requestFrame(KMP.DST_METER, cid, data), T0 + dt);
        if (a === null) return;
        const u = decodeFrame(a);
        expect(u.kind === 'ack' || u.kind === 'response').toBe(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => {
        m.answer(bytes, T0);
      }),
    );
  });

  it('kmp-proto putRegister (NoB 4) is acknowledged and the tariff limit takes effect on TA2 from the next hour', () => {
    const m = meter();
    // a winter noon: power well above any limit
    const noon = Date.UTC(2026, 0, 15, 12, 30);
    const ta2 = (ms: number): number => m.model.value(64, ms)!.mantissa;
    const e1 = (ms: number): number => m.model.value(60, ms)!.mantissa;
    expect(toHex(m.answer(putRegister(0, 66, { unit: 0x16, negative: false, mantissa: 9999n, exponent: -1 }), noon)!)).toBe('06');
    // TL2 = 999.9 kW from 13:00 on: no hour is above it, TA2 stands still while E1 runs on
    const a = Date.UTC(2026, 0, 15, 13);
    const b = Date.UTC(2026, 0, 15, 20);
    expect(ta2(b)).toBe(ta2(a));
    expect(e1(b)).toBeGreaterThan(e1(a));
    // before the change TA2 counted (the default TL2 of 25 kW was exceeded that morning)
    expect(ta2(Date.UTC(2026, 0, 15, 12))).toBeGreaterThan(ta2(Date.UTC(2026, 0, 15, 6)));
  });

  it('SetClock: ACK, and the clock registers show the new time', () => {
    const m = meter();
    // SetClock 2007-07-30 16:15:57 (TV-14 data)
    expect(toHex(m.answer(fromHex('803F090001144A00027715774E0D'), T0)!)).toBe('06');
    const regs = registersOf(response(m.answer(getRegister([1003, 1002]), T0 + 3000)));
    expect(regs.map((r) => Number(r.value.mantissa))).toEqual([70730, 161600]);
  });
});

describe('loggers: consistent history', () => {
  const m = meter();
  const daily = m.daily(T0);
  const hourly = m.records('hourly', T0);
  const monthly = m.records('monthly', T0);
  const val = (r: { values: SimRegisterValue[] }, id: number): number => r.values.find((v) => v.id === id)!.mantissa;

  it('holds 460 days, 1,440 hours, 36 months and the info-code changes', () => {
    expect(daily).toHaveLength(460);
    expect(hourly).toHaveLength(1440);
    expect(monthly).toHaveLength(36);
    expect(m.records('info', T0).map((r) => val(r, 99))).toEqual([0x0001, 0, 0x0040, 0, 0x0100, 0, 0x1000, 0, 0x0004, 0]);
    // the newest daily record is last midnight, the records one day apart with consecutive RecIDs
    expect(daily.at(-1)!.timeMs).toBe(Date.UTC(2026, 10, 26));
    for (let i = 1; i < daily.length; i++) {
      expect(daily[i].timeMs - daily[i - 1].timeMs).toBe(DAY_MS);
      expect(daily[i].recId).toBe((daily[i - 1].recId + 1) & 0xffff);
    }
  });

  it('daily E1 and V1 differences add up to the growth of the registers', () => {
    const first = daily[0];
    const last = daily.at(-1)!;
    let e = 0;
    let v = 0;
    for (let i = 1; i < daily.length; i++) {
      const de = val(daily[i], 60) - val(daily[i - 1], 60);
      expect(de).toBeGreaterThanOrEqual(0);
      e += de;
      v += val(daily[i], 68) - val(daily[i - 1], 68);
    }
    expect(e).toBe(m.model.value(60, last.timeMs)!.mantissa - m.model.value(60, first.timeMs)!.mantissa);
    expect(v).toBe(m.model.value(68, last.timeMs)!.mantissa - m.model.value(68, first.timeMs)!.mantissa);
    // and the register at the time of the newest record is that record's value
    expect(m.model.value(60, last.timeMs)!.mantissa).toBe(val(last, 60));
  });

  it('the hourly, daily and monthly loggers agree where they meet', () => {
    const byTime = new Map(hourly.map((h) => [h.timeMs, h]));
    for (const d of daily.slice(-50)) {
      const h = byTime.get(d.timeMs);
      expect(h).toBeDefined();
      expect(val(h!, 60)).toBe(val(d, 60));
      expect(val(h!, 68)).toBe(val(d, 68));
    }
    const dayByTime = new Map(daily.map((d) => [d.timeMs, d]));
    const met = monthly.filter((mo) => dayByTime.has(mo.timeMs));
    expect(met.length).toBeGreaterThanOrEqual(14);
    for (const mo of met) expect(val(mo, 60)).toBe(val(dayByTime.get(mo.timeMs)!, 60));
  });

  it('winter days use more heat than summer days', () => {
    const use = (y: number, mo: number, d: number): number => {
      const i = daily.findIndex((r) => r.timeMs === Date.UTC(y, mo, d));
      return val(daily[i + 1], 60) - val(daily[i], 60);
    };
    expect(use(2026, 0, 15)).toBeGreaterThan(2 * use(2026, 6, 15));
  });

  it('while t2 is short-circuited E1 stands still, V1 runs on and error hours count', () => {
    const start = Date.UTC(2026, 10, 26) - 300 * DAY_MS + 14 * HOUR_MS;
    const e = (ms: number): number => m.model.value(60, ms)!.mantissa;
    const v = (ms: number): number => m.model.value(68, ms)!.mantissa;
    const eh = (ms: number): number => m.model.value(175, ms)!.mantissa;
    expect(m.model.value(99, start + HOUR_MS)!.mantissa).toBe(0x40);
    expect(e(start + 5 * HOUR_MS)).toBe(e(start));
    expect(v(start + 5 * HOUR_MS)).toBeGreaterThan(v(start));
    expect(eh(start + 5 * HOUR_MS) - eh(start)).toBe(5);
    expect(e(start + 6 * HOUR_MS)).toBeGreaterThan(e(start + 5 * HOUR_MS));
  });
});

describe('logger reads A0..A3 (§5.6)', () => {
  const DAILY = 0x02;
  const IDS = [60, 68, 1003];

  it('a full daily logger read by paging (A2, MaxL) gives 460 records in order, no gaps, the values the sim holds', () => {
    const m = meter();
    const expected = m.daily(T0);
    const got: LogAnswer['records'] = [];
    // start at the oldest record with A0 and a time long before it
    let a = parseLog(response(m.answer(logRequest(0xa0, DAILY, IDS, 255, 0xff, [...logTimeBytes(Date.UTC(2020, 0, 1))]), T0)));
    let pages = 1;
    for (;;) {
      expect(a.ltid).toBe(DAILY);
      expect(a.newest).toBe(expected.at(-1)!.recId);
      got.push(...a.records);
      expect(a.lro).toBe(a.records.at(-1)!.recId);
      if (a.info & LOG_INFO.END_OF_LOG) break;
      expect(a.info).toBe(LOG_INFO.MAXL_REACHED);
      const next = (a.lro! + 1) & 0xffff;
      a = parseLog(response(m.answer(logRequest(0xa2, DAILY, IDS, 255, 0xff, u16(next)), T0)));
      pages++;
      expect(pages).toBeLessThan(200);
    }
    expect(got).toHaveLength(460);
    expect(got.map((r) => r.recId)).toEqual(expected.map((r) => r.recId));
    got.forEach((r, i) => expect(r.values).toEqual(IDS.map((id) => ({ id, value: asKmp(expected[i].values.find((v) => v.id === id)!) }))));
  });

  it('a daily read paged by kmp-proto (firstLogPage, nextLogPage, loggers.ts for a 603) gives all 460 records with the values the sim holds', () => {
    const m = meter();
    const logger = loggerFor('603', 'daily');
    const expected = m.daily(T0);
    let req: LogRequest | null = firstLogPage(logger, kmpTime(Date.UTC(2020, 0, 1)));
    const got: LogAnswer['records'] = [];
    let pages = 0;
    while (req) {
      const f = response(m.answer(kmpLogRequest(req, logger.dst), T0));
      const r = parseLogResponse(f);
      if (r instanceof KmpError) throw r;
      got.push(...parseLog(f).records);
      req = nextLogPage(req, r);
      pages++;
    }
    expect(got).toHaveLength(460);
    expect(pages).toBe(230); // 2 records of 8 registers fit in MaxL 0x80
    got.forEach((r, i) => {
      expect(r.recId).toBe(expected[i].recId);
      expect(r.values).toEqual(logger.registers.filter((id) => expected[i].values.some((v) => v.id === id)).map((id) => ({ id, value: asKmp(expected[i].values.find((v) => v.id === id)!) })));
    });
    // the daily E1 differences the field app charts add up to the register's growth
    const e1 = got.map((r) => Number(r.values.find((v) => v.id === 60)!.value.mantissa));
    expect(e1.at(-1)! - e1[0]).toBe(m.model.value(60, expected.at(-1)!.timeMs)!.mantissa - m.model.value(60, expected[0].timeMs)!.mantissa);
  });

  it('a read paused over midnight and resumed by RecID goes on without gaps and ends with the new day', () => {
    const m = meter();
    const logger = loggerFor('603', 'daily');
    const before = Date.UTC(2026, 10, 26, 23, 50);
    const after = Date.UTC(2026, 10, 27, 0, 10);
    let req: LogRequest | null = firstLogPage(logger, kmpTime(Date.UTC(2020, 0, 1)));
    const ids: number[] = [];
    for (let page = 0; req; page++) {
      const r = parseLogResponse(response(m.answer(kmpLogRequest(req, logger.dst), page < 100 ? before : after)));
      if (r instanceof KmpError) throw r;
      ids.push(...r.records.map((x) => x.recId));
      req = nextLogPage(req, r);
    }
    const all = [m.daily(before)[0], ...m.daily(after)].map((r) => r.recId);
    expect(ids).toEqual(all);
    expect(ids).toHaveLength(461);
  });

  it('A3 paged by kmp-proto reads the daily log back into the past, newest first', () => {
    const m = meter();
    const logger = loggerFor('603', 'daily');
    let req: LogRequest | null = { cid: 0xa3, lid: logger.lid, registers: [60], records: 20, maxL: 0xff, time: kmpTime(T0), offset: 0 };
    const ids: number[] = [];
    while (req) {
      const r = parseLogResponse(response(m.answer(kmpLogRequest(req, logger.dst), T0)));
      if (r instanceof KmpError) throw r;
      ids.push(...r.records.map((x) => x.recId));
      req = nextLogPage(req, r);
    }
    expect(ids).toEqual(m.daily(T0).map((r) => r.recId).reverse());
  });

  it('MaxL bounds each answer: the application layer never exceeds it', () => {
    const m = meter();
    for (const maxL of [0x30, 0x50, 0x80, 0xff]) {
      const f = response(m.answer(logRequest(0xa0, DAILY, IDS, 100, maxL, [...logTimeBytes(Date.UTC(2026, 0, 1))]), T0));
      expect(1 + f.data.length).toBeLessThanOrEqual(maxL);
      const a = parseLog(f);
      expect(a.records.length).toBeGreaterThan(0);
      expect(a.info).toBe(LOG_INFO.MAXL_REACHED);
    }
    // too small for one record: no records, MaxL bit
    const tiny = parseLog(response(m.answer(logRequest(0xa0, DAILY, IDS, 1, 0x10, [...logTimeBytes(Date.UTC(2026, 0, 1))]), T0)));
    expect(tiny.records).toHaveLength(0);
    expect(tiny.info).toBe(LOG_INFO.MAXL_REACHED);
  });

  it('A0 starts at the first record at or after the time; NRcs limits the count', () => {
    const m = meter();
    const a = parseLog(response(m.answer(logRequest(0xa0, DAILY, [60], 3, 0x80, [...logTimeBytes(Date.UTC(2026, 5, 1, 10, 30))]), T0)));
    const d = m.daily(T0);
    const i = d.findIndex((r) => r.timeMs === Date.UTC(2026, 5, 2));
    expect(a.records.map((r) => r.recId)).toEqual([d[i].recId, d[i + 1].recId, d[i + 2].recId]);
    expect(a.info).toBe(0);
  });

  it('A3 reads towards the past from a time, skipping RecIDOffset records', () => {
    const m = meter();
    const d = m.daily(T0);
    const i = d.findIndex((r) => r.timeMs === Date.UTC(2026, 5, 2));
    const a = parseLog(response(m.answer(logRequest(0xa3, DAILY, [60], 3, 0x80, [...logTimeBytes(Date.UTC(2026, 5, 2, 12)), 0, 2]), T0)));
    expect(a.records.map((r) => r.recId)).toEqual([d[i - 2].recId, d[i - 3].recId, d[i - 4].recId]);
  });

  it('A1 reads from the last-read pointer, which ClearEventStatus moves; GetEventStatus says when hours are unread', () => {
    const m = meter();
    const h = m.records('hourly', T0);
    const HOURLY = 0x01;
    const status = (f: Uint8Array | null): number[] => [...response(f).data];
    expect(status(m.answer(requestFrame(KMP.DST_METER, 0x9b), T0))).toEqual([0, 0, 1, 0]);
    const a = parseLog(response(m.answer(logRequest(0xa1, HOURLY, [60], 2, 0x80), T0)));
    expect(a.records.map((r) => r.recId)).toEqual([h[0].recId, h[1].recId]);
    // A1 alone does not move the pointer
    const again = parseLog(response(m.answer(logRequest(0xa1, HOURLY, [60], 2, 0x80), T0)));
    expect(again.records.map((r) => r.recId)).toEqual([h[0].recId, h[1].recId]);
    const cleared = response(m.answer(requestFrame(KMP.DST_METER, 0x9c, Uint8Array.of(0, 0, 1, 0, 0, 0, 0, 0)), T0));
    expect(cleared.cid).toBe(0x9b);
    expect([...cleared.data]).toEqual([0, 0, 0, 0]);
    // nothing new until the next hour's record
    const none = parseLog(response(m.answer(logRequest(0xa1, HOURLY, [60], 2, 0x80), T0)));
    expect(none.records).toHaveLength(0);
    const later = T0 + HOUR_MS;
    expect(status(m.answer(requestFrame(KMP.DST_METER, 0x9b), later))).toEqual([0, 0, 1, 0]);
    const next = parseLog(response(m.answer(logRequest(0xa1, HOURLY, [60], 2, 0x80), later)));
    expect(next.records.map((r) => r.recId)).toEqual([m.records('hourly', later).at(-1)!.recId]);
    expect(next.info).toBe(LOG_INFO.END_OF_LOG);
  });

  it('INFO: out of range for a RecID the log does not hold or a time after the newest; empty for an unknown log', () => {
    const m = meter();
    const d = m.daily(T0);
    const gone = parseLog(response(m.answer(logRequest(0xa2, DAILY, [60], 5, 0x80, u16((d[0].recId - 1) & 0xffff)), T0)));
    expect(gone.records).toHaveLength(0);
    expect(gone.info).toBe(LOG_INFO.OUT_OF_RANGE);
    const future = parseLog(response(m.answer(logRequest(0xa0, DAILY, [60], 5, 0x80, [...logTimeBytes(T0 + DAY_MS)]), T0)));
    expect(future.info).toBe(LOG_INFO.OUT_OF_RANGE);
    const unknown = parseLog(response(m.answer(logRequest(0xa0, 0x42, [60], 5, 0x80, [...logTimeBytes(T0 - DAY_MS)]), T0)));
    expect(unknown.info).toBe(LOG_INFO.EMPTY);
  });

  it('the info-code log carries date, time and code of each change', () => {
    const m = meter();
    const a = parseLog(response(m.answer(logRequest(0xa0, 0x05, [1003, 1002, 99], 50, 0xff, [...logTimeBytes(Date.UTC(2020, 0, 1))]), T0)));
    expect(a.records).toHaveLength(10);
    expect(a.info).toBe(LOG_INFO.END_OF_LOG);
    const t = a.records[4].values.map((v) => Number(v.value.mantissa));
    const at = new Date(Date.UTC(2026, 10, 26) - 120 * DAY_MS + 9 * HOUR_MS);
    expect(t).toEqual([(at.getUTCFullYear() % 100) * 10000 + (at.getUTCMonth() + 1) * 100 + at.getUTCDate(), 90000, 0x100]);
  });

  it('a new daily record appears after midnight and the oldest drops out', () => {
    const m = meter();
    const before = m.daily(T0);
    const after = m.daily(Date.UTC(2026, 10, 27, 0, 0, 1));
    expect(after).toHaveLength(460);
    expect(after[0].recId).toBe(before[1].recId);
    expect(after.at(-1)!.recId).toBe((before.at(-1)!.recId + 1) & 0xffff);
  });
});

describe('SimOpticalHead: echo, line pace, faults', () => {
  const timers = (): VirtualTimers => new VirtualTimers({ startMs: T0, idle: (f) => setImmediate(f) });

  /** Everything the head hands on until `quietMs` pass without bytes, with the virtual arrival time of each chunk. */
  async function collect(head: SimOpticalHead, t: VirtualTimers, quietMs: number): Promise<{ at: number; bytes: Uint8Array }[]> {
    const out = [];
    for (;;) {
      const c = await head.read(quietMs);
      if (!c) return out;
      out.push({ at: t.now(), bytes: c });
    }
  }
  const units = (chunks: { bytes: Uint8Array }[]): KmpUnit[] => {
    const r = new KmpReader();
    for (const c of chunks) r.push(c.bytes);
    r.flush();
    return r.take();
  };

  it('echoes the request, then the answer arrives at 1200 baud line pace (11 bits a byte) after the response delay', async () => {
    const t = timers();
    const m = meter();
    const head = new SimOpticalHead({ meter: m, timers: t, responseDelayMs: 50 });
    const req = fromHex('803F1005003C0044004A0056005788520D');
    const expected = m.answer(req, T0)!;
    await head.write(req);
    const chunks = await collect(head, t, 2000);
    const u = units(chunks);
    expect(u.map((x) => x.kind)).toEqual(['request', 'response']);
    expect(toHex(u[0].bytes)).toBe(toHex(req));
    expect(toHex(u[1].bytes)).toBe(toHex(expected));
    // the echo is in when the request is out; the answer's last byte after delay + its own line time
    const echoEnd = chunks.findIndex((c, i) => chunks.slice(0, i + 1).reduce((s, x) => s + x.bytes.length, 0) === req.length);
    expect(chunks[echoEnd].at - T0).toBeCloseTo((req.length * 11 * 1000) / 1200, 2);
    expect(chunks.at(-1)!.at - T0).toBeCloseTo(((req.length + expected.length) * 11 * 1000) / 1200 + 50, 2);
    expect(head.stats).toMatchObject({ requests: 1, answers: 1, txBytes: req.length, rxBytes: expected.length });
  });

  it('hands bytes on in chunks of at most chunkBytes (20 for a BLE head), every byte in order', async () => {
    const t = timers();
    const m = meter();
    const head = new SimOpticalHead({ meter: m, timers: t, chunkBytes: 20, speed: 10 });
    const req = logRequest(0xa0, 0x02, [60, 68, 1003], 255, 0xff, [...logTimeBytes(Date.UTC(2026, 0, 1))]);
    const expected = m.answer(req, T0)!;
    await head.write(req);
    const chunks = await collect(head, t, 500);
    expect(Math.max(...chunks.map((c) => c.bytes.length))).toBe(20);
    const all = new Uint8Array(chunks.reduce((s, c) => s + c.bytes.length, 0));
    let p = 0;
    for (const c of chunks) {
      all.set(c.bytes, p);
      p += c.bytes.length;
    }
    expect(toHex(all)).toBe(toHex(req) + toHex(expected));
    expect(() => new SimOpticalHead({ meter: m, timers: t, chunkBytes: 0 })).toThrow(/chunkBytes: expected an integer >= 1, got 0/);
  });

  it('fast mode: the same exchange `speed` times quicker, same bytes', async () => {
    const t = timers();
    const m = meter();
    const head = new SimOpticalHead({ meter: m, timers: t, speed: 50, echo: false });
    const req = logRequest(0xa0, 0x02, [60, 68, 1003], 255, 0xff, [...logTimeBytes(Date.UTC(2026, 0, 1))]);
    const expected = m.answer(req, T0)!;
    await head.write(req);
    const chunks = await collect(head, t, 100);
    expect(toHex(units(chunks)[0].bytes)).toBe(toHex(expected));
    expect(chunks.at(-1)!.at - T0).toBeCloseTo((lineMs(req.length + expected.length, 1200) + 50) / 50, 2);
    expect(head.lineMs(1)).toBeCloseTo(11_000 / 1200 / 50, 9);
  });

  it('a request with a pause over 27 ms between bytes is dropped by the meter', async () => {
    const t = timers();
    const head = new SimOpticalHead({ meter: meter(), timers: t, echo: false });
    const req = fromHex('803F0235E90D');
    await head.write(req.subarray(0, 3));
    await new Promise<void>((r) => t.setTimeout(r, 100));
    await head.write(req.subarray(3));
    expect(await collect(head, t, 3000)).toEqual([]);
    // the next whole request is answered
    await head.write(req);
    expect(units(await collect(head, t, 3000)).map((u) => u.kind)).toEqual(['response']);
  });

  it('faults: silence gives nothing, a dropped byte and a bad CRC give garbage the reader names', async () => {
    const t = timers();
    const head = new SimOpticalHead({ meter: meter(), timers: t, echo: false });
    const req = fromHex('803F1005003C0044004A0056005788520D');
    head.injectFault('silence', 'drop-byte', 'bad-crc', 'stray-zero');
    await head.write(req);
    expect(await collect(head, t, 3000)).toEqual([]);
    await head.write(req);
    const dropped = units(await collect(head, t, 3000));
    expect(dropped).toHaveLength(1);
    expect(dropped[0].kind).toBe('garbage');
    await head.write(req);
    const spoilt = units(await collect(head, t, 3000));
    expect(spoilt).toHaveLength(1);
    expect(spoilt[0].kind === 'garbage' && spoilt[0].reason).toMatch(/^CRC /);
    // a stray 00 before the answer: on the line, and ignored by the reader (§5.1)
    await head.write(req);
    const stray = await collect(head, t, 3000);
    expect(stray[0].bytes[0]).toBe(0x00);
    expect(units(stray).map((u) => u.kind)).toEqual(['response']);
    await head.write(req);
    expect(units(await collect(head, t, 3000)).map((u) => u.kind)).toEqual(['response']);
    expect(head.stats.faults).toEqual({ silence: 1, 'drop-byte': 1, 'bad-crc': 1, 'stray-zero': 1 });
  });

  it('random faults repeat exactly for a seed', async () => {
    async function run(seed: number): Promise<string[]> {
      const t = timers();
      const head = new SimOpticalHead({ meter: meter(), timers: t, speed: 100, echo: false, seed, faults: { silence: 0.2, dropByte: 0.2, badCrc: 0.2 } });
      const out: string[] = [];
      for (let i = 0; i < 30; i++) {
        await head.write(fromHex('803F0235E90D'));
        const u = units(await collect(head, t, 50));
        out.push(u.map((x) => x.kind).join(',') || 'silence');
      }
      return out;
    }
    const a = await run(5);
    expect(await run(5)).toEqual(a);
    expect(new Set(a)).toEqual(new Set(['response', 'garbage', 'silence']));
    expect(await run(6)).not.toEqual(a);
  });

  it('a whole daily logger read through the head at 1200 baud: 460 records, within 1.3× the line time of its bytes', async () => {
    const t = timers();
    const m = meter();
    const head = new SimOpticalHead({ meter: m, timers: t });
    const ids = [1003, 60, 63, 68, 69, 1004, 99, 175];
    const reader = new KmpReader();
    async function exchange(req: Uint8Array): Promise<KmpFrame> {
      await head.write(req);
      for (;;) {
        const c = await head.read(2000);
        if (!c) throw new Error('no answer');
        reader.push(c);
        const r = reader.take().find((u) => u.kind === 'response');
        if (r && r.kind === 'response') return r;
      }
    }
    const start = t.now();
    let a = parseLog(await exchange(logRequest(0xa0, 0x02, ids, 2, 0x80, [...logTimeBytes(Date.UTC(2020, 0, 1))])));
    const got = [...a.records];
    while (!(a.info & LOG_INFO.END_OF_LOG)) {
      a = parseLog(await exchange(logRequest(0xa2, 0x02, ids, 2, 0x80, u16((a.lro! + 1) & 0xffff))));
      got.push(...a.records);
    }
    const elapsed = t.now() - start;
    expect(got.map((r) => r.recId)).toEqual(m.daily(T0).map((r) => r.recId));
    expect(got[0].values.map((v) => v.id)).toEqual([1003, 60, 63, 68, 69, 1004, 99, 175]);
    const onLine = lineMs(head.stats.txBytes + head.stats.rxBytes, 1200);
    expect(elapsed).toBeGreaterThanOrEqual(onLine);
    expect(elapsed / onLine).toBeLessThanOrEqual(1.3);
  });

  it('a read honours its AbortSignal and close() ends a waiting read', async () => {
    const t = timers();
    const head = new SimOpticalHead({ meter: meter(), timers: t });
    const ac = new AbortController();
    const p = head.read(10_000, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    const q = head.read(10_000);
    head.close();
    expect(await q).toBeNull();
    await expect(head.write(fromHex('803F0235E90D'))).rejects.toThrow(/closed/);
  });
});
