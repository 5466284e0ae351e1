// Amber, iU891A and CUL framing with the bytes of protocols.md §6 and §10 (TV-1, TV-12, TV-13).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';
import { stripCrcs } from '../../../shared/wmbus/dll.js';
import {
  AMBER_MODE,
  amberProtocol,
  amberRules,
  buildAmberCommand,
  buildAmberDataInd,
  parseAmberFrames,
  type AmberFrame
} from '../../../web/src/lib/hardware/devices/amb8465.js';
import {
  buildIu891aRxIndication,
  decodeIu891aRx,
  iu891aRules,
  parseIu891aFrames,
  slipDecode,
  slipEncode,
  type Iu891aFrame
} from '../../../web/src/lib/hardware/devices/iu891a.js';
import { culRules, parseCulLines, type CulFrame } from '../../../web/src/lib/hardware/devices/cul.js';
import type { FrameEvent, FrameRules } from '../../../web/src/lib/hardware/devices/framing.js';
import { frameChunks, splitAt } from './chunks.js';

const TV4 = '2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24';
const TV12 = 'C0 09 20 9F436D38 00 00 02 E7 1844AE4C4455223368077A55000000041389E20100023B0000 AF59 C0';
const TV12_TELEGRAM = '1844AE4C4455223368077A55000000041389E20100023B0000';
const TV1 = '3444EE4D813929271608811D7A51000000046D1912A62B036E0000005170426CE1F1436E00000002FF2C00000259D6D0D4090265FC0902FD66A00044C4';

const framesOf = <F>(events: FrameEvent<F>[]): F[] => events.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Any chunking gives the events of the whole stream, and every byte is accounted for once
 *  (`filler`: SLIP END and empty lines are dropped silently, so only an upper bound holds). */
function chunkingProperty<F extends { raw: Uint8Array }>(rules: FrameRules<F>, pieces: Uint8Array[], filler = false): void {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(...pieces.map((p) => fc.constant(p)), fc.uint8Array({ maxLength: 10 })), { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (parts, cuts) => {
        const stream = Uint8Array.from(parts.flatMap((p) => [...p]));
        const whole = frameChunks(rules, [stream]);
        expect(frameChunks(rules, splitAt(stream, cuts))).toEqual(whole);
        const covered = whole.reduce((n, e) => n + (e.type === 'frame' ? e.frame.raw.length : e.bytes.length), 0);
        if (filler) expect(covered).toBeLessThanOrEqual(stream.length);
        else expect(covered).toBe(stream.length);
      }
    )
  );
}

describe('Amber AMB8465 / Metis-II', () => {
  it('builds the TV-13 command frames (XOR checksum over FF …)', () => {
    expect(toHex(buildAmberCommand(0x04, Uint8Array.of(AMBER_MODE.C1)))).toBe('FF04010EF4');
    expect(toHex(buildAmberCommand(0x04, Uint8Array.of(AMBER_MODE.C1T1)))).toBe('FF040109F3');
    expect(toHex(buildAmberCommand(0x0a, fromHex('0080')))).toBe('FF0A020080' + '77');
    expect(toHex(buildAmberCommand(0x09, fromHex('450101')))).toBe('FF09034501' + '01B0');
    expect(toHex(buildAmberCommand(0x09, fromHex('050101')))).toBe('FF0903050101F0');
    expect(toHex(buildAmberCommand(0x0b))).toBe('FF0B00F4');
  });

  it('parses the factory-reset confirmation wmbusmeters expects', () => {
    const [f] = framesOf(parseAmberFrames(fromHex('FF9001006E')));
    expect(f).toMatchObject({ cmd: 0x90 });
    expect(toHex(f!.payload)).toBe('00');
  });

  it('turns a DATA_IND into a telegram from L, RSSI int8/2 − 74', () => {
    const ind = buildAmberDataInd(fromHex(TV4), -60);
    expect(toHex(ind, 0, 4)).toBe('FF032B44'); // LEN = 42 telegram bytes after L + RSSI
    const [f] = framesOf(parseAmberFrames(ind));
    const t = amberProtocol().telegram(f!)!;
    expect(toHex(t.bytes)).toBe(TV4);
    expect(t.rssiDbm).toBe(-60);
    expect(t.crcs).toBe('absent');
    // Without RSSI the whole payload is the telegram.
    const plain = framesOf(parseAmberFrames(buildAmberDataInd(fromHex(TV4))))[0]!;
    expect(toHex(amberProtocol({ rssi: false }).telegram(plain)!.bytes)).toBe(TV4);
  });

  it('reports a checksum error and goes on', () => {
    const bad = fromHex('FF04010EF5');
    const events = parseAmberFrames(Uint8Array.from([...bad, ...buildAmberCommand(0x84, Uint8Array.of(0))]));
    expect(events[0]).toMatchObject({ type: 'error', code: 'bad-checksum', offset: 0 });
    expect((events[0] as { message: string }).message).toContain('F5, computed F4');
    expect(events[1]).toMatchObject({ type: 'frame', offset: 5 });
  });

  it('any chunking gives the same events', () => {
    chunkingProperty<AmberFrame>(amberRules, [buildAmberDataInd(fromHex(TV4), -50), fromHex('FF04010EF4'), Uint8Array.of(0xff)]);
  });
});

describe('iU891A (SLIP, TV-12)', () => {
  it('parses TV-12: SAP 09 MID 20, RSSI −25 dBm, telegram from L', () => {
    const events = parseIu891aFrames(fromHex(TV12));
    expect(events).toHaveLength(1); // the leading END closes an empty frame: filler, not reported
    const f = framesOf(events)[0]!;
    expect(f).toMatchObject({ sap: 0x09, msgId: 0x20, status: null });
    const rx = decodeIu891aRx(f)!;
    expect(rx.rssiDbm).toBe(-25);
    expect(toHex(rx.telegram)).toBe(TV12_TELEGRAM);
    expect(toHex(rx.metadata)).toBe('9F436D38000002');
  });

  it('builds TV-12 byte for byte (CRC AF 59)', () => {
    const built = buildIu891aRxIndication({ telegram: fromHex(TV12_TELEGRAM), rssiDbm: -25, metadata: fromHex('9F436D38000002') });
    expect(toHex(built)).toBe(TV12.replace(/ /g, ''));
  });

  it('escapes C0 and DB and reports a CRC error with both values', () => {
    expect(toHex(slipEncode(fromHex('01C0DB02')))).toBe('C001DBDCDBDD02C0');
    expect(toHex(slipDecode(fromHex('01DBDCDBDD02'))!)).toBe('01C0DB02');
    const bad = fromHex(TV12.replace('AF59', 'AF58'));
    const events = parseIu891aFrames(Uint8Array.from([...bad, ...fromHex(TV12)]));
    expect(events[0]).toMatchObject({ type: 'error', code: 'bad-crc', offset: 1 });
    expect((events[0] as { message: string }).message).toContain('58af, computed 59af');
    expect(framesOf(events)).toHaveLength(1);
  });

  it('any chunking gives the same events', () => {
    chunkingProperty<Iu891aFrame>(iu891aRules, [fromHex(TV12), Uint8Array.of(0xc0), Uint8Array.of(0xdb)], true);
  });
});

describe('CUL text lines', () => {
  it('parses a format A line: CRCs kept, LQI and RSSI from the last two bytes', () => {
    const events = parseCulLines(ascii(`b${TV1}2D9C\r\n`));
    const f = framesOf(events)[0] as Extract<CulFrame, { kind: 'telegram' }>;
    expect(f.format).toBe('A');
    expect(toHex(f.bytes)).toBe(TV1);
    expect(f.lqi).toBe(0x16);
    expect(f.rssiDbm).toBe((0x9c - 256) / 2 - 74);
    expect(stripCrcs(f.bytes, 'present').format).toBe('A');
  });

  it('keeps replies as text, skips empty lines, flags truncated telegrams', () => {
    const events = parseCulLines(ascii('V 1.67 nanoCUL868\r\n\r\nCMODE\r\nb2A44ABC\r\n'));
    expect(events.map((e) => e.type)).toEqual(['frame', 'frame', 'error']);
    expect(framesOf(events).map((f) => (f.kind === 'text' ? f.text : ''))).toEqual(['V 1.67 nanoCUL868', 'CMODE']);
    expect(events[2]).toMatchObject({ code: 'bad-frame', offset: 28 });
    expect((events[2] as { message: string }).message).toContain('7 hex digits (odd');
  });

  it('reads bY lines as format B', () => {
    const f = framesOf(parseCulLines(ascii('bY0A44AABB11223344556677C040\n')))[0] as Extract<CulFrame, { kind: 'telegram' }>;
    expect(f.format).toBe('B');
    expect(toHex(f.bytes)).toBe('0A44AABB11223344556677');
    expect(f.rssiDbm).toBe(0x40 / 2 - 74);
  });

  it('any chunking gives the same events', () => {
    chunkingProperty<CulFrame>(culRules, [ascii(`b${TV1}2D9C\r\n`), ascii('CMODE\r\n'), ascii('\n'), Uint8Array.of(0x0d)], true);
  });
});
