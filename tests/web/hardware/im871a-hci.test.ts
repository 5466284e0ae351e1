import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';
import { crc16X25 } from '../../../shared/bytes/crc.js';
import {
  buildDevMgmtRequest,
  buildHciFrame,
  buildRxIndication,
  buildSetLinkMode,
  decodeRxIndication,
  DevMgmtMsg,
  HciFramer,
  hciRules,
  HciLinkMode,
  parseHciFrames,
  rssiDbmToRaw,
  rssiRawToDbm,
  type HciEvent,
  type HciFrame
} from '../../../web/src/lib/hardware/devices/im871a-hci.js';
import { eventsOf, frameChunks, splitAt } from './chunks.js';

// TV-4 (wmbusmeters tests/test_aes.sh): MULTICAL 21 C1 frame from L, CRCs removed.
const TV4 = '2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24';
// TV-13: the iM871A indication constructed around TV-4, with an RSSI byte of our choosing.
const TV13_RX = 'A5 42 03 2A 44 2D 2C 99 87 34 76 1B 16 8D 20 91 D3 7C AC 21 E1 D6 8C DA FF CD 3D C4 52 BD 80 29 13 FF 7B 17 06 CA 9E 35 5D 6C 27 01 CC 24 8B';

function frames(events: HciEvent[]): HciFrame[] {
  return events.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));
}

describe('iM871A HCI commands (protocols.md TV-13)', () => {
  it('builds the ping, get-config and device-info requests', () => {
    expect(toHex(buildDevMgmtRequest(DevMgmtMsg.pingReq))).toBe('A5010100');
    expect(toHex(buildDevMgmtRequest(DevMgmtMsg.getConfigReq))).toBe('A5010500');
    expect(toHex(buildDevMgmtRequest(DevMgmtMsg.deviceInfoReq))).toBe('A5010F00');
  });

  it('builds listen C1 and C1+T1 exactly as wmbusmeters sends them', () => {
    expect(toHex(buildSetLinkMode({ linkMode: HciLinkMode.C1B }))).toBe('A501030600020730' + '0100');
    expect(toHex(buildSetLinkMode({ linkMode: HciLinkMode.C1T1 }))).toBe('A5010306000' + '20A300100');
    expect(toHex(buildSetLinkMode({ linkMode: HciLinkMode.T1, timestamp: true, store: true }))).toBe('A501030601020330' + '0101');
  });

  it('rejects values that do not fit, naming the argument', () => {
    expect(() => buildHciFrame({ endpoint: 2, msgId: 3, payload: new Uint8Array(256) })).toThrow(/payload length: .*got 256/);
    expect(() => buildHciFrame({ endpoint: 16, msgId: 3 })).toThrow(RangeError);
    expect(() => buildRxIndication({ telegram: fromHex('2A44') })).toThrow(/L = length − 1/);
  });
});

describe('iM871A RX indication', () => {
  it('parses the TV-13 frame: L restored from LEN, RSSI converted', () => {
    const events = parseHciFrames(fromHex(TV13_RX));
    expect(events).toHaveLength(1);
    const f = frames(events)[0]!;
    expect(f.endpoint).toBe(2);
    expect(f.msgId).toBe(3);
    expect(f.rssiRaw).toBe(0x8b);
    const rx = decodeRxIndication(f)!;
    expect(toHex(rx.telegram)).toBe(TV4);
    // wmbusmeters toDBM: −100 + (139 − 45) / 2 = −53
    expect(rx.rssiDbm).toBe(-53);
    expect(rx.timestamp).toBeNull();
  });

  it('builds the same bytes the stick sends', () => {
    expect(toHex(buildRxIndication({ telegram: fromHex(TV4), rssiDbm: -53 }))).toBe(TV13_RX.replace(/ /g, ''));
  });

  it('round-trips timestamp, RSSI and CRC; the CRC is X-25 over CE … RSSI, little-endian', () => {
    const bytes = buildRxIndication({ telegram: fromHex(TV4), rssiDbm: -70.5, timestampMs: 0x01020304, crc: true });
    expect(bytes[1]).toBe(0xe2);
    expect(toHex(bytes, 46, 50)).toBe('04030201'); // after A5 CE MID LEN and 42 payload bytes
    const crc = crc16X25(bytes, 1, bytes.length - 2);
    expect(bytes[bytes.length - 2]).toBe(crc & 0xff);
    expect(bytes[bytes.length - 1]).toBe(crc >> 8);
    const f = frames(parseHciFrames(bytes))[0]!;
    expect(f.timestamp).toBe(0x01020304);
    expect(f.crc).toBe(crc);
    const rx = decodeRxIndication(f)!;
    expect(rx.rssiDbm).toBe(-70.5);
    expect(toHex(rx.telegram)).toBe(TV4);
  });

  it('converts RSSI like wmbusmeters (≥ 230 → 0 dBm) and back', () => {
    expect(rssiRawToDbm(230)).toBe(0);
    expect(rssiRawToDbm(45)).toBe(-100);
    expect(rssiDbmToRaw(-100)).toBe(45);
    expect(rssiDbmToRaw(3)).toBe(230);
    expect(rssiDbmToRaw(-200)).toBe(0);
    for (let raw = 0; raw < 230; raw++) expect(rssiDbmToRaw(rssiRawToDbm(raw))).toBe(raw);
  });

  it('ignores frames that are not data indications', () => {
    const ping = frames(parseHciFrames(fromHex('A5010200')))[0]!;
    expect(decodeRxIndication(ping)).toBeNull();
  });
});

describe('HCI framing', () => {
  const rx = buildRxIndication({ telegram: fromHex(TV4), rssiDbm: -60, crc: true });
  const ack = fromHex('A501040100');

  it('reports junk between frames as discarded with offsets, and keeps going', () => {
    const junk = fromHex('0013A5FF37'); // A5 FF: a false start (endpoint F) is junk too
    const stream = Uint8Array.from([...junk, ...rx, ...fromHex('55'), ...ack]);
    const events = parseHciFrames(stream);
    expect(events.map((e) => [e.type, e.offset])).toEqual([
      ['discarded', 0],
      ['frame', 5],
      ['discarded', 5 + rx.length],
      ['frame', 6 + rx.length]
    ]);
    expect(toHex((events[0] as { bytes: Uint8Array }).bytes)).toBe('0013A5FF37');
  });

  it('gives a bad-crc event with both CRCs, and the next frame still arrives', () => {
    const bad = rx.slice();
    bad[10] ^= 0x01;
    const events = parseHciFrames(Uint8Array.from([...bad, ...ack]));
    expect(events[0]!.type).toBe('error');
    const err = events[0] as Extract<HciEvent, { type: 'error' }>;
    expect(err.code).toBe('bad-crc');
    expect(err.bytes.length).toBe(rx.length);
    const want = rx[rx.length - 2]! | (rx[rx.length - 1]! << 8);
    expect(err.message).toContain(want.toString(16).padStart(4, '0'));
    expect(events[1]).toMatchObject({ type: 'frame', offset: rx.length });
  });

  it('reports an unfinished frame at the end of the stream as discarded', () => {
    const events = parseHciFrames(rx.subarray(0, 20));
    expect(events).toEqual([{ type: 'discarded', offset: 0, bytes: rx.slice(0, 20) }]);
  });

  it('works as a TransformStream', async () => {
    const events = await eventsOf(new HciFramer(), [rx.subarray(0, 7), rx.subarray(7), ack]);
    expect(events.map((e) => e.type)).toEqual(['frame', 'frame']);
  });

  it('gives the same events however the bytes are chunked, and accounts for every byte', () => {
    const piece = fc.oneof(
      fc.constant(rx),
      fc.constant(ack),
      fc.constant(fromHex(TV13_RX)),
      fc.uint8Array({ maxLength: 12 }),
      fc.constant(Uint8Array.of(0xa5))
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (pieces, cuts) => {
        const stream = Uint8Array.from(pieces.flatMap((p) => [...p]));
        const whole = parseHciFrames(stream);
        const chunked = frameChunks(hciRules, splitAt(stream, cuts));
        expect(chunked).toEqual(whole);
        const covered = whole.reduce((n, e) => n + (e.type === 'frame' ? e.frame.raw.length : e.bytes.length), 0);
        expect(covered).toBe(stream.length);
      })
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const events = parseHciFrames(bytes);
        const covered = events.reduce((n, e) => n + (e.type === 'frame' ? e.frame.raw.length : e.bytes.length), 0);
        expect(covered).toBe(bytes.length);
      })
    );
  });
});
