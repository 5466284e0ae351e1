import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';
import { KMP, KmpReader, decodeFrame, kmpFramer, requestFrame, responseFrame, stuff, unstuff } from '../../../shared/kmp/frame.js';
import type { KmpUnit } from '../../../shared/kmp/frame.js';

const SPECIAL = [0x80, 0x40, 0x0d, 0x06, 0x1b];

function readAll(...chunks: string[]): KmpUnit[] {
  const r = new KmpReader();
  for (const c of chunks) r.push(fromHex(c));
  return r.take();
}

describe('byte stuffing (protocols.md §5.2, TV-14)', () => {
  it('TV-14: 04 0D 00 06 → 04 1B F2 00 1B F9 and back', () => {
    expect(toHex(stuff(fromHex('040D0006')))).toBe('041BF2001BF9');
    expect(toHex(unstuff(fromHex('041BF2001BF9')) as Uint8Array)).toBe('040D0006');
  });

  it('escapes every special byte as 1B and the byte XOR FF', () => {
    expect(toHex(stuff(Uint8Array.from(SPECIAL)))).toBe('1B7F1BBF1BF21BF91BE4');
    // neighbours of the special bytes pass unchanged
    expect(toHex(stuff(fromHex('7F813F410C0E05071A1CFF00')))).toBe('7F813F410C0E05071A1CFF00');
  });

  it('handles runs of special bytes and escape bytes', () => {
    expect(toHex(stuff(fromHex('1B1B1B')))).toBe('1BE41BE41BE4');
    expect(toHex(unstuff(fromHex('1BE41BE41BE4')) as Uint8Array)).toBe('1B1B1B');
    expect(toHex(stuff(fromHex('0D0D8080')))).toBe('1BF21BF21B7F1B7F');
    expect(toHex(unstuff(fromHex('1BF21BF21B7F1B7F')) as Uint8Array)).toBe('0D0D8080');
    expect(stuff(new Uint8Array(0)).length).toBe(0);
  });

  it('refuses a trailing escape byte', () => {
    expect(unstuff(fromHex('04051B'))).toEqual({ offset: 2, error: 'escape byte 1B at 2 is the last byte: nothing to unescape' });
  });

  it('refuses an escape byte followed by a value that is no escaped special byte', () => {
    expect(unstuff(fromHex('041B0500'))).toEqual({
      offset: 1,
      error: 'escape byte 1B at 1 is followed by 05, expected 7F, BF, F2, F9 or E4'
    });
    // 1B 1B: the second escape is not E4
    expect(unstuff(fromHex('1B1B'))).toMatchObject({ offset: 0 });
  });

  it('refuses a special byte sent unescaped', () => {
    expect(unstuff(fromHex('044000'))).toEqual({ offset: 1, error: 'byte 40 at 1 should have been escaped' });
  });

  it('round-trips any bytes (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        const s = stuff(data);
        for (const b of s) if (b !== 0x1b) expect(SPECIAL).not.toContain(b);
        expect(unstuff(s)).toEqual(data);
      })
    );
  });
});

describe('TV-14 frames, both directions', () => {
  it('GetType request 80 3F 01 05 8A 0D', () => {
    expect(toHex(requestFrame(KMP.DST_METER, 0x01))).toBe('803F01058A0D');
    expect(decodeFrame(fromHex('803F01058A0D'))).toMatchObject({ kind: 'request', dst: 0x3f, cid: 0x01, data: new Uint8Array(0) });
  });

  it('GetType response 40 3F 01 00 04 1B F9 01 26 99 0D (stuffed 06 in the data)', () => {
    const wire = '403F0100041BF90126990D';
    expect(toHex(responseFrame(0x3f, 0x01, fromHex('00040601')))).toBe(wire);
    const f = decodeFrame(fromHex(wire));
    expect(f).toMatchObject({ kind: 'response', dst: 0x3f, cid: 0x01 });
    expect(f.kind === 'response' && toHex(f.data)).toBe('00040601');
  });

  it('GetSerialNo request and response', () => {
    expect(toHex(requestFrame(0x3f, 0x02))).toBe('803F0235E90D');
    expect(toHex(responseFrame(0x3f, 0x02, fromHex('01234567')))).toBe('403F0201234567E9560D');
    const f = decodeFrame(fromHex('403F0201234567E9560D'));
    expect(f.kind === 'response' && toHex(f.data)).toBe('01234567');
  });

  it('GetRegister 0x0080 request needs stuffing: 80 3F 10 01 00 1B 7F D4 08 0D', () => {
    expect(toHex(requestFrame(0x3f, 0x10, fromHex('010080')))).toBe('803F1001001B7FD4080D');
    const f = decodeFrame(fromHex('803F1001001B7FD4080D'));
    expect(f.kind === 'request' && toHex(f.data)).toBe('010080');
  });

  it('GetRegister 0x0080 response verifies with CRC 63 03 (§5.7 erratum: the doc also prints F3 8A)', () => {
    const wire = '403F10001B7F160411012AF02463030D';
    expect(toHex(responseFrame(0x3f, 0x10, fromHex('0080 16 04 11 012AF024')))).toBe(wire);
    const f = decodeFrame(fromHex(wire));
    expect(f.kind === 'response' && toHex(f.data)).toBe('0080160411012AF024');
    const erratum = decodeFrame(fromHex('403F10001B7F160411012AF024F38A0D'));
    expect(erratum).toMatchObject({ kind: 'garbage', reason: 'CRC F38A, computed 6303 over 3F 10 00 80 16 04 11 01 2A F0 24' });
  });

  it('GetRegister E1 (0x003C) and five registers', () => {
    expect(toHex(requestFrame(0x3f, 0x10, fromHex('01003C')))).toBe('803F1001003CB25F0D');
    expect(toHex(requestFrame(0x3f, 0x10, fromHex('05003C0044004A00560057')))).toBe('803F1005003C0044004A0056005788520D');
  });

  it('SetClock 2007-07-30 16:15:57 has CRC 77 4E (§5.7 erratum: the doc prints C3 4A)', () => {
    // date 070730 = 00 01 14 4A, time 161557 = 00 02 77 15 (decimal digits as uint32 BE)
    expect(toHex(requestFrame(0x3f, 0x09, fromHex('0001144A 00027715')))).toBe('803F090001144A00027715774E0D');
    expect(decodeFrame(fromHex('803F090001144A00027715C34A0D'))).toMatchObject({ kind: 'garbage' });
  });

  it('stuffs a CRC byte that is special', () => {
    // find data whose CRC has a special byte, and check it is escaped and read back
    for (let i = 0; i < 256; i++) {
      const frame = requestFrame(0x3f, 0x10, Uint8Array.of(1, 0, i));
      const f = decodeFrame(frame);
      expect(f).toMatchObject({ kind: 'request', cid: 0x10 });
      for (let k = 1; k < frame.length - 1; k++) if (frame[k] !== 0x1b) expect(SPECIAL).not.toContain(frame[k]);
    }
  });

  it('builders refuse a dst or cid that is no byte', () => {
    expect(() => requestFrame(256, 1)).toThrow('dst: expected a byte 0..255, got 256');
    expect(() => responseFrame(0x3f, -1)).toThrow(RangeError);
  });
});

describe('decodeFrame on bad frames', () => {
  it('never throws on random bytes, and keeps them (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (b, framed) => {
        const bytes = framed ? Uint8Array.of(0x40, ...b, 0x0d) : b;
        const u = decodeFrame(bytes);
        expect(u.bytes).toBe(bytes);
        if (u.kind === 'response' || u.kind === 'request') expect(decodeFrame(responseFrame(u.dst, u.cid, u.data))).toMatchObject({ data: u.data });
      })
    );
  });

  it('names what is wrong', () => {
    expect(decodeFrame(fromHex('06'))).toMatchObject({ kind: 'ack' });
    expect(decodeFrame(new Uint8Array(0))).toMatchObject({ kind: 'garbage', reason: 'empty: 0 bytes' });
    expect(decodeFrame(fromHex('3F01058A0D'))).toMatchObject({ kind: 'garbage', reason: 'start byte 3F: expected 40 (from meter), 80 (to meter) or a lone 06 (ACK)' });
    expect(decodeFrame(fromHex('803F01058A'))).toMatchObject({ kind: 'garbage', reason: 'no stop byte 0D: the 5 bytes end with 8A' });
    expect(decodeFrame(fromHex('803F010D'))).toMatchObject({ kind: 'garbage' });
    expect(decodeFrame(fromHex('803F01058B0D'))).toMatchObject({ kind: 'garbage', reason: 'CRC 058B, computed 058A over 3F 01' });
    expect(decodeFrame(fromHex('803F1B05058A0D'))).toMatchObject({
      kind: 'garbage',
      reason: 'bad stuffing: escape byte 1B at 2 is followed by 05, expected 7F, BF, F2, F9 or E4'
    });
  });
});

describe('KmpReader', () => {
  const REQ = '803F0235E90D';
  const RSP = '403F0201234567E9560D';

  it('cuts the echo of the request and the answer, in any chunking', () => {
    const whole = REQ + RSP;
    for (let cut = 0; cut <= whole.length / 2; cut++) {
      const r = new KmpReader();
      r.push(fromHex(whole.slice(0, cut * 2)));
      r.push(fromHex(whole.slice(cut * 2)));
      const units = r.take();
      expect(units.map((u) => u.kind)).toEqual(['request', 'response']);
      expect(toHex(units[1].bytes)).toBe(RSP);
      expect(r.pending).toBe(false);
    }
  });

  it('gives a frame the moment its stop byte arrives and says it is pending before', () => {
    const r = new KmpReader();
    r.push(fromHex(RSP.slice(0, -2)));
    expect(r.take()).toEqual([]);
    expect(r.pending).toBe(true);
    r.push(fromHex('0D'));
    expect(r.take()).toMatchObject([{ kind: 'response', cid: 0x02 }]);
    expect(r.pending).toBe(false);
  });

  it('reads byte by byte', () => {
    const r = new KmpReader();
    const out: KmpUnit[] = [];
    for (const b of fromHex(REQ + RSP + '06')) {
      r.push(Uint8Array.of(b));
      out.push(...r.take());
    }
    expect(out.map((u) => u.kind)).toEqual(['request', 'response', 'ack']);
  });

  it('ignores a stray 00 between frames (§5.1) but keeps 00 inside frames', () => {
    const units = readAll('00' + REQ + '0000', RSP);
    expect(units.map((u) => u.kind)).toEqual(['request', 'response']);
    const f = readAll('403F0100041BF90126990D')[0];
    expect(f.kind === 'response' && toHex(f.data)).toBe('00040601');
  });

  it('an ACK after PutRegister comes out as ack', () => {
    expect(readAll('06')).toEqual([{ kind: 'ack', bytes: Uint8Array.of(6) }]);
  });

  it('a frame with a bad CRC is garbage with the reason, and the next frame still reads', () => {
    const bad = RSP.replace('E956', 'E957');
    const units = readAll(bad + RSP);
    expect(units).toMatchObject([
      { kind: 'garbage', reason: 'CRC E957, computed E956 over 3F 02 01 23 45 67' },
      { kind: 'response', cid: 2 }
    ]);
  });

  it('a frame that lost its stop byte is cut at the next start byte', () => {
    const units = readAll(REQ.slice(0, -2) + RSP);
    expect(units).toMatchObject([
      { kind: 'garbage', reason: 'frame of 5 byte(s) cut short by a new start byte 40: stop byte 0D missing' },
      { kind: 'response' }
    ]);
  });

  it('a frame that lost bytes in the middle fails its CRC', () => {
    const units = readAll(RSP.slice(0, 8) + RSP.slice(10));
    expect(units[0].kind).toBe('garbage');
    expect(units[0].kind === 'garbage' && units[0].reason).toMatch(/^CRC E956, computed [0-9A-F]{4} over 3F 02 01 45 67$/);
  });

  it('bytes outside a frame are garbage', () => {
    expect(readAll('1122' + RSP)).toMatchObject([{ kind: 'garbage', reason: '2 byte(s) outside a frame: 11 22' }, { kind: 'response' }]);
  });

  it('flush gives up a started frame as garbage', () => {
    const r = new KmpReader();
    r.push(fromHex('403F02'));
    r.flush();
    expect(r.take()).toMatchObject([{ kind: 'garbage', reason: 'frame of 3 byte(s) without stop byte 0D (given up)' }]);
    expect(r.pending).toBe(false);
  });

  it('gives up a frame without stop byte after 1024 bytes', () => {
    const r = new KmpReader();
    r.push(Uint8Array.of(0x40, ...new Uint8Array(1100).fill(0x11)));
    const units = r.take();
    expect(units[0]).toMatchObject({ kind: 'garbage', reason: 'no stop byte 0D within 1024 bytes' });
    expect(units[0].bytes.length).toBe(1024);
  });

  it('never throws on random bytes and keeps every byte except stray 00 (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }), (chunks) => {
        const r = new KmpReader();
        for (const c of chunks) r.push(c);
        r.flush();
        const units = r.take();
        expect(r.pending).toBe(false);
        const inBytes = chunks.reduce((n, c) => n + c.length, 0);
        const outBytes = units.reduce((n, u) => n + u.bytes.length, 0);
        expect(outBytes).toBeLessThanOrEqual(inBytes);
        for (const u of units) if (u.kind === 'garbage') expect(u.reason.length).toBeGreaterThan(0);
      })
    );
  });

  it('reads back every frame the builders make, between random noise (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 60 }),
        fc.boolean(),
        (dst, cid, data, toMeter) => {
          const wire = toMeter ? requestFrame(dst, cid, data) : responseFrame(dst, cid, data);
          const r = new KmpReader();
          r.push(Uint8Array.of(0x00, 0x0d, 0x33)); // noise the reader must drop or report
          r.push(wire);
          const units = r.take();
          const last = units[units.length - 1];
          expect(last).toEqual({ kind: toMeter ? 'request' : 'response', dst, cid, data, bytes: wire });
        }
      )
    );
  });
});

describe('kmpFramer (a TransformStream over the reader)', () => {
  it('turns the chunks of a head into units, and an unfinished frame at the end into garbage', async () => {
    const chunks = [fromHex('803F02'), fromHex('35E90D403F0201'), fromHex('234567E9560D06403F')];
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        for (const x of chunks) c.enqueue(x);
        c.close();
      }
    });
    const units: KmpUnit[] = [];
    const reader = source.pipeThrough(kmpFramer()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      units.push(value);
    }
    expect(units.map((u) => u.kind)).toEqual(['request', 'response', 'ack', 'garbage']);
    expect(units[3]).toMatchObject({ reason: 'frame of 2 byte(s) without stop byte 0D (given up)' });
  });
});
