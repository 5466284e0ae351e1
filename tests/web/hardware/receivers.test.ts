// Devices driven through the replay transport: commands go out, answers come back, telegrams
// come out with RSSI and the injected clock.
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';
import { ReplayTransport } from '../../../web/src/lib/hardware/replay.js';
import { TransportError } from '../../../web/src/lib/hardware/transport.js';
import { buildHciFrame, buildRxIndication } from '../../../web/src/lib/hardware/devices/im871a-hci.js';
import { im871aProtocol, im871aReceiver } from '../../../web/src/lib/hardware/devices/im871a.js';
import { amb8465Receiver, buildAmberCommand, buildAmberDataInd } from '../../../web/src/lib/hardware/devices/amb8465.js';
import { culReceiver } from '../../../web/src/lib/hardware/devices/cul.js';
import { bleUartReceiver } from '../../../web/src/lib/hardware/devices/ble-uart.js';
import type { Telegram } from '../../../web/src/lib/hardware/devices/receiver.js';

const TV4 = '2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24';
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

async function take(stream: ReadableStream<Telegram>, n: number): Promise<Telegram[]> {
  const reader = stream.getReader();
  const out: Telegram[] = [];
  while (out.length < n) {
    const { done, value } = await reader.read();
    if (done) break;
    out.push(value);
  }
  reader.releaseLock();
  return out;
}

/** iM871A answers: ping → 02, set config → 04. */
function im871aAnswer(w: Uint8Array): Uint8Array | null {
  if (w[2] === 0x01) return buildHciFrame({ endpoint: 1, msgId: 0x02 });
  if (w[2] === 0x03) return buildHciFrame({ endpoint: 1, msgId: 0x04, payload: Uint8Array.of(0) });
  return null;
}

describe('iM871A receiver', () => {
  it('pings, sets C1 with the TV-13 bytes, and delivers telegrams with RSSI and the injected time', async () => {
    const rx = buildRxIndication({ telegram: fromHex(TV4), rssiDbm: -53 });
    const junk = fromHex('00FFA5');
    const noise: string[] = [];
    const transport = new ReplayTransport(
      [
        { atMs: 0, bytes: junk },
        { atMs: 10, bytes: rx.subarray(0, 9) },
        { atMs: 20, bytes: Uint8Array.from([...rx.subarray(9), ...rx]) }
      ],
      { answer: im871aAnswer, speed: Infinity }
    );
    let now = 1_700_000_000_000;
    const r = im871aReceiver(transport, { clock: () => now++, onNoise: (e) => noise.push(`${e.type}@${e.offset}`) });
    await r.open();
    await r.setMode('C1');
    expect(transport.written.map((w) => toHex(w))).toEqual(['A5010100', 'A50103060002073001' + '00']);
    const got = await take(r.telegrams, 2);
    expect(got.map((t) => toHex(t.bytes))).toEqual([TV4, TV4]);
    expect(got[0]).toMatchObject({ rssiDbm: -53, crcs: 'absent', receivedAt: 1_700_000_000_000 });
    expect(toHex(got[0]!.raw)).toBe(toHex(rx));
    expect(noise[0]).toMatch(/^discarded@/);
    await r.close();
    await r.close(); // idempotent
  });

  it('fails with TransportError io when the stick does not answer', async () => {
    const transport = new ReplayTransport([], { speed: Infinity });
    const r = im871aReceiver(transport, { answerTimeoutMs: 20 });
    const err = await r.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ reason: 'io' });
    expect((err as Error).message).toContain('iM871A did not answer ping within 20 ms');
  });

  it('refuses a mode the device cannot do', async () => {
    const r = culReceiver(new ReplayTransport([]));
    await expect(r.setMode('C1T1')).rejects.toThrow(/expected one of C1, T1 for CUL, got C1T1/);
  });
});

describe('AMB8465 receiver', () => {
  it('sets C1+T1 with FF 04 01 09 F3 and strips the RSSI byte', async () => {
    const answer = (w: Uint8Array): Uint8Array | null => buildAmberCommand(w[1]! | 0x80, w[1] === 0x0b ? fromHex('01020304') : Uint8Array.of(0));
    const transport = new ReplayTransport([{ atMs: 5, bytes: buildAmberDataInd(fromHex(TV4), -40.5) }], { answer, speed: Infinity });
    const r = amb8465Receiver(transport, { clock: () => 42 });
    await r.open();
    await r.setMode('C1T1');
    expect(toHex(transport.written[1]!)).toBe('FF040109F3');
    const [t] = await take(r.telegrams, 1);
    expect(t).toMatchObject({ rssiDbm: -40.5, crcs: 'absent', receivedAt: 42 });
    expect(toHex(t!.bytes)).toBe(TV4);
    await r.close();
  });
});

describe('CUL receiver', () => {
  it('checks the version, asks for RSSI, switches with brt → TMODE, keeps CRCs', async () => {
    const TV1 = '3444EE4D813929271608811D7A51000000046D1912A62B036E0000005170426CE1F1436E00000002FF2C00000259D6D0D4090265FC0902FD66A00044C4';
    const answer = (w: Uint8Array): Uint8Array | null => {
      const cmd = String.fromCharCode(...w).trim();
      return cmd === 'V' ? ascii('V 1.67 nanoCUL868\r\n') : cmd === 'brt' ? ascii('TMODE\r\n') : null;
    };
    const transport = new ReplayTransport([{ atMs: 1, bytes: ascii(`b${TV1}2D9C\r\n`) }], { answer, speed: Infinity });
    const r = culReceiver(transport, { clock: () => 7 });
    await r.open();
    await r.setMode('T1');
    expect(transport.written.map((w) => String.fromCharCode(...w))).toEqual(['V\r\n', 'X21\r\n', 'brt\r\n']);
    const [t] = await take(r.telegrams, 1);
    expect(t).toMatchObject({ crcs: 'present', receivedAt: 7 });
    expect(toHex(t!.bytes)).toBe(TV1);
    await r.close();
  });
});

describe('BLE UART receiver', () => {
  it('runs the protocol it is given (an iM871A behind the bridge), notifications split anywhere', async () => {
    const rx = buildRxIndication({ telegram: fromHex(TV4), rssiDbm: -70 });
    const chunks = [0, 20, 40].map((at, i) => ({ atMs: i, bytes: rx.subarray(at, at + 20) }));
    const transport = new ReplayTransport(chunks, { answer: im871aAnswer, speed: Infinity, label: 'HM-10' });
    const r = bleUartReceiver(transport, im871aProtocol, { clock: () => 1 });
    expect(r.name).toBe('iM871A via BLE on HM-10');
    await r.open();
    const [t] = await take(r.telegrams, 1);
    expect(toHex(t!.bytes)).toBe(TV4);
    expect(t!.rssiDbm).toBe(-70);
    await r.close();
  });
});

describe('replay transport', () => {
  it('keeps the recorded timing, scaled by speed', async () => {
    const waits: number[] = [];
    const t = new ReplayTransport(
      [
        { atMs: 100, bytes: Uint8Array.of(1) },
        { atMs: 300, bytes: Uint8Array.of(2) }
      ],
      { speed: 2, sleep: async (ms) => void waits.push(ms) }
    );
    await t.open();
    const reader = t.readable.getReader();
    expect((await reader.read()).value).toEqual(Uint8Array.of(1));
    expect((await reader.read()).value).toEqual(Uint8Array.of(2));
    expect((await reader.read()).done).toBe(true);
    expect(waits).toEqual([50, 100]);
    await t.close();
    await expect(t.write(Uint8Array.of(1))).rejects.toMatchObject({ reason: 'lost' });
  });

  it('rejects capture times that go backwards', () => {
    expect(() => new ReplayTransport([{ atMs: 5, bytes: Uint8Array.of(1) }, { atMs: 4, bytes: Uint8Array.of(2) }])).toThrow(RangeError);
  });
});
