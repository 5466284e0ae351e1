import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MbusError, MbusMaster } from '../../../shared/mbus/master';
import type { MbusLink } from '../../../shared/mbus/link';
import { ACK, FrameReader, longFrame } from '../../../shared/mbus/link';
import { SimBus, SimLine, VirtualTimers, simSegment } from '../../../shared/mbus/sim';
import type { SimMbusMeter } from '../../../shared/mbus/sim';
import { matchesSecondaryMask, secondaryOf } from '../../../shared/mbus/requests';
import { decodeMbusFrame } from '../../../shared/mbus/frame';
import { fromHex, toHex } from '../../../shared/bytes/hex';

const TV10 = fromHex(
  '68464668084a72447744772d2c3404060000000406ce86000004ff073444020004ff08f8ce0100041411680300043B0f02000002593c19025da41104ff220000000004a5ff21c7d02700d916'
);
const TV11 = fromHex(
  '68c9c96808e672323232322d2c35041900000004fB006083000004ff074006010004ff08299400000416984e010084401400000000848040140000000004225043000034221c0000000259c91f025d4f1102617a0e042e30020000142e65030000043c24050000143ce308000004ff2200000000046d2e2B0f3144fB00007d000044ff07Bdf9000044ff08308d00004416B73f0100c4401400000000c480401400000000542ed9020000543ce8090000426c013102ff1a011B0c783032858404ff16e5841e0004ff17c1d5B400a516'
);
const E5 = Uint8Array.of(ACK);

type Answer = Uint8Array | Uint8Array[] | null;

/**
 * A link whose answers a script gives for each request, in chunks (each read returns one chunk).
 * Silence waits out the read timeout with a real timer; aborts reject the pending read.
 */
class ScriptedLink implements MbusLink {
  readonly sent: Uint8Array[] = [];
  #queue: Uint8Array[] = [];
  constructor(private readonly script: (req: Uint8Array, n: number) => Answer) {}
  async write(bytes: Uint8Array): Promise<void> {
    this.sent.push(bytes.slice());
    const a = this.script(bytes, this.sent.length - 1);
    if (a === null) return;
    for (const c of Array.isArray(a) ? a : [a]) this.#queue.push(c);
  }
  read(timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const next = this.#queue.shift();
    if (next !== undefined) return Promise.resolve(next);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(null);
      }, timeoutMs);
      const onAbort = (): void => {
        clearTimeout(t);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
  discard(): void {
    this.#queue = [];
  }
  /** C fields of the frames sent (short: byte 1, long: byte 4). */
  get controls(): string[] {
    return this.sent.map((f) => toHex(Uint8Array.of(f[0] === 0x10 ? f[1] : f[4])));
  }
}

/** Two bytes streams on one wire: the bus's bits AND together (a 0 wins), so a collision garbles. */
function superpose(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(a.length, b.length)).fill(0xff);
  for (let i = 0; i < out.length; i++) out[i] = (a[i] ?? 0xff) & (b[i] ?? 0xff);
  return out;
}

/** A RSP_UD with a CI 72 header for `id` (8 digits), KAM, version, type and the given records. */
function rspUd(a: number, id: string, records: Uint8Array, o: { version?: number; type?: number; acc?: number } = {}): Uint8Array {
  const idb = fromHex(id).reverse();
  const header = Uint8Array.from([...idb, 0x2d, 0x2c, o.version ?? 0x34, o.type ?? 0x04, o.acc ?? 1, 0, 0, 0]);
  return longFrame(0x08, a, 0x72, Uint8Array.from([...header, ...records]));
}

const FAST = { baud: 2400 as const, timeScale: 50 };

describe('MbusMaster against a scripted link', () => {
  it('pings: clean E5 present, silence absent, garbage on every attempt collision, noise then E5 present', async () => {
    let noisy = 0;
    const link = new ScriptedLink((req) => {
      const a = req[2];
      if (a === 1) return E5;
      if (a === 2) return Uint8Array.of(0xe5, 0x13, 0x77); // two meters: superposed answers
      if (a === 3) return noisy++ === 0 ? Uint8Array.of(0x42) : E5;
      return null;
    });
    const m = new MbusMaster(link, FAST);
    expect(await m.ping(1)).toBe('present');
    expect(await m.ping(2)).toBe('collision');
    expect(await m.ping(3)).toBe('present');
    expect(await m.ping(4)).toBe('absent');
    expect(link.sent.filter((f) => f[2] === 2)).toHaveLength(3); // a collision is confirmed on every attempt
    expect(toHex(link.sent[0])).toBe('1040014116');
    await expect(m.ping(253)).rejects.toThrow(/primary: expected a primary address 0..250 \(253 only through a secondary address\), got 253/);
  });

  it('retries silent probes only when asked to (a line that loses answers)', async () => {
    const script = (req: Uint8Array, n: number): Answer => (n % 3 === 2 ? E5 : null); // answers every third frame
    const plain = new ScriptedLink(script);
    expect(await new MbusMaster(plain, FAST).ping(1)).toBe('absent');
    expect(plain.sent).toHaveLength(1);
    const patient = new ScriptedLink(script);
    expect(await new MbusMaster(patient, { ...FAST, retryAbsent: true }).ping(1)).toBe('present');
    expect(patient.sent).toHaveLength(3);
    const deaf = new ScriptedLink(() => null);
    expect(await new MbusMaster(deaf, { ...FAST, retryAbsent: true }).ping(1)).toBe('absent');
    expect(deaf.sent).toHaveLength(3);
  });

  it('reads a MULTICAL 403 (TV-10): SND_NKE, REQ_UD2 FCB 1, decoded records, byte counts', async () => {
    const link = new ScriptedLink((req) => {
      if (req[2] !== 0x4a) return null;
      if (req[1] === 0x40) return E5;
      if (req[1] === 0x7b) return [TV10.subarray(0, 3), TV10.subarray(3, 40), TV10.subarray(40)];
      return null;
    });
    const m = new MbusMaster(link, FAST);
    const r = await m.read({ primary: 74 });
    expect(link.controls).toEqual(['40', '7B']);
    expect(r.frames.map((f) => toHex(f))).toEqual([toHex(TV10)]);
    expect(r.primaryAddress).toBe(74);
    expect(r.address).toEqual({ manufacturer: 'KAM', id: '77447744', version: 0x34, deviceType: 4 });
    expect(r.truncated).toBe(false);
    const energy = r.decoded[0].records.find((x) => x.difvif === '0406');
    expect([energy?.value, energy?.unit]).toEqual([34510, 'kWh']); // protocols.md TV-10
    expect(m.stats).toEqual({ bytesSent: 10, bytesReceived: 1 + TV10.length, exchanges: 2 });
  });

  it('reads a multi-telegram answer toggling the FCB, and asks again with the same FCB after a bad checksum', async () => {
    // Telegram 1 ends with DIF 1F (more records follow), telegram 2 with none (§8.7).
    const t1 = rspUd(5, '12345678', fromHex('0406E80300001F'));
    const t2 = rspUd(5, '12345678', fromHex('0413D0070000'), { acc: 2 });
    const t3 = rspUd(5, '12345678', fromHex('04131027000001FD1B01'), { acc: 3 });
    const broken = t2.slice();
    broken[broken.length - 2] ^= 0xff; // wrong checksum
    let telegram = 0;
    let lastFcb = -1;
    let firstTry = true;
    const link = new ScriptedLink((req) => {
      if (req[1] === 0x40) {
        telegram = 0;
        lastFcb = -1;
        return E5;
      }
      const fcb = req[1] & 0x20;
      if (fcb !== lastFcb) telegram++;
      lastFcb = fcb;
      if (telegram === 1) return t1;
      if (telegram === 2 && firstTry) {
        firstTry = false;
        return broken;
      }
      if (telegram === 2) {
        // Telegram 2 says more follow, too.
        return rspUd(5, '12345678', fromHex('0413D00700001F'), { acc: 2 });
      }
      return t3;
    });
    const m = new MbusMaster(link, FAST);
    const r = await m.read({ primary: 5 });
    expect(link.controls).toEqual(['40', '7B', '5B', '5B', '7B']);
    expect(r.frames).toHaveLength(3);
    expect(r.frames.some((f) => toHex(f) === toHex(broken))).toBe(false);
    expect(r.decoded.map((d) => d.accessNumber)).toEqual([1, 2, 3]);
    expect(r.decoded[2].records.map((x) => [x.value, x.unit])).toEqual([
      [10, 'm3'],
      [1, '']
    ]);
  });

  it('stops at maxTelegrams and says the read was truncated', async () => {
    const link = new ScriptedLink((req) => (req[1] === 0x40 ? E5 : rspUd(5, '12345678', fromHex('0406E80300001F'))));
    const r = await new MbusMaster(link, FAST).read({ primary: 5 }, { maxTelegrams: 2 });
    expect(r.frames).toHaveLength(2);
    expect(r.truncated).toBe(true);
    expect(link.controls).toEqual(['40', '7B', '5B']);
  });

  it('a meter that does not answer gives a sentence with attempts and timeout', async () => {
    const link = new ScriptedLink(() => null);
    const m = new MbusMaster(link, FAST);
    const e = await m.read({ primary: 12 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MbusError);
    expect((e as MbusError).code).toBe('timeout');
    expect((e as MbusError).message).toBe('Meter at primary address 12 did not answer SND_NKE (3 attempts, 0.01 s timeout each).');
    expect(link.sent).toHaveLength(3);
  });

  it('a RSP_UD that always fails its checksum is never returned as a reading', async () => {
    const bad = TV10.slice();
    bad[20] ^= 0x01;
    const link = new ScriptedLink((req) => (req[1] === 0x40 ? E5 : bad));
    const e = await new MbusMaster(link, { ...FAST, retries: 1 }).read({ primary: 74 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MbusError);
    expect((e as MbusError).code).toBe('garbled');
    expect((e as MbusError).message).toMatch(/^Meter at primary address 74 answered REQ_UD2 with garbled bytes in all 2 attempts \(last: long frame \(L = 70\) with checksum/);
    expect((e as MbusError).frames).toEqual([]);
    expect(link.controls).toEqual(['40', '7B', '7B']);
  });

  it('a frame cut off by silence ends at the inter-byte gap as garbage and is asked again', async () => {
    let n = 0;
    const link = new ScriptedLink((req) => (req[1] === 0x40 ? E5 : n++ === 0 ? TV10.subarray(0, 30) : TV10));
    const m = new MbusMaster(link, FAST);
    const r = await m.read({ primary: 74 });
    expect(r.frames.map((f) => toHex(f))).toEqual([toHex(TV10)]);
    expect(link.controls).toEqual(['40', '7B', '7B']); // the same FCB: "repeat the last frame"
    const cut = new ScriptedLink((req) => (req[1] === 0x40 ? E5 : TV10.subarray(0, 30)));
    const e = (await new MbusMaster(cut, FAST).read({ primary: 74 }).catch((x: unknown) => x)) as MbusError;
    expect(e.message).toBe(
      'Meter at primary address 74 answered REQ_UD2 with garbled bytes in all 3 attempts (last: incomplete frame: 30 byte(s) (68 46 46 68 08 4A …) and then silence).'
    );
  });

  it('an application error (CI 70) is its own error, with the frame kept', async () => {
    const err = longFrame(0x08, 9, 0x70, Uint8Array.of(0x01));
    const link = new ScriptedLink((req) => (req[1] === 0x40 ? E5 : err));
    const e = await new MbusMaster(link, FAST).read({ primary: 9 }).catch((x: unknown) => x);
    expect((e as MbusError).code).toBe('application-error');
    expect((e as MbusError).message).toMatch(/^Meter at primary address 9 answered REQ_UD2 with an application error \(CI 70\): code 01/);
    expect((e as MbusError).frames.map((f) => toHex(f))).toEqual([toHex(err)]);
  });

  it('cancelling rejects with aborted while a long wait is pending', async () => {
    const link = new ScriptedLink(() => null);
    // An answer timeout of 10 minutes: only the abort can end this read within the test timeout.
    const m = new MbusMaster(link, { baud: 300, answerMarginMs: 600_000 });
    const ac = new AbortController();
    const p = m.scanPrimary({ signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MbusError);
    expect((e as MbusError).code).toBe('aborted');
    expect(link.sent).toHaveLength(1);
  });

  it('scans primary addresses with progress, found meters and collisions', async () => {
    const link = new ScriptedLink((req) => (req[2] === 3 || req[2] === 7 ? E5 : req[2] === 5 ? Uint8Array.of(0xe5, 0x00) : null));
    const m = new MbusMaster(link, FAST);
    const progress: number[] = [];
    const found: number[] = [];
    const hits = await m.scanPrimary({ from: 0, to: 9, onProgress: (p) => progress.push(p.done), onFound: (h) => found.push(h.primaryAddress) });
    expect(hits).toEqual([
      { primaryAddress: 3, state: 'present' },
      { primaryAddress: 5, state: 'collision' },
      { primaryAddress: 7, state: 'present' }
    ]);
    expect(found).toEqual([3, 5, 7]);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await expect(m.scanPrimary({ from: 5, to: 251 })).rejects.toThrow(/to: expected a primary address 0..250/);
  });

  it('sends commands as the §8.8 vectors and needs the E5', async () => {
    const link = new ScriptedLink((req) => (req[0] === 0x68 && req[5] === 1 ? E5 : null));
    const m = new MbusMaster(link, FAST);
    await m.setPrimaryAddress({ primary: 1 }, 5);
    await m.applicationReset({ primary: 1 }, 0);
    await m.setBaudRate({ primary: 1 }, 9600);
    await m.sendUserData({ primary: 1 }, 0x51, fromHex('01FD1A01'));
    expect(link.sent.map((f) => toHex(f))).toEqual([
      '68060668530151017A052516',
      '6804046853015000A416',
      '680303685301BD1116',
      '68070768530151' + '01FD1A01' + 'BE16'
    ]);
    await expect(m.sendUserData({ primary: 2 }, 0x51, fromHex('01FD1A01'))).rejects.toThrow(
      'Meter at primary address 2 did not answer SND_UD (CI 51) (3 attempts, 0.01 s timeout each).'
    );
    await expect(m.setPrimaryAddress({ primary: 1 }, 253)).rejects.toThrow(RangeError);
  });
});

describe('secondary search against a scripted bus of colliding meters', () => {
  /** A tiny bus: a selection selects every matching meter; E5s superpose cleanly, RSP_UDs garble. */
  function bus(ids: string[]) {
    const meters = ids.map((id, i) => ({ id, primary: i + 1, frame: rspUd(i + 1, id, fromHex('0406E8030000')) }));
    const secondaries = meters.map((mt) => {
      const d = decodeMbusFrame(mt.frame);
      return d.ok ? secondaryOf(d.value.address!) : '';
    });
    let selected: number[] = [];
    const link = new ScriptedLink((req) => {
      if (req[0] === 0x68 && req[6] === 0x52) {
        const b = req.subarray(7, 15);
        const mask = toHex(Uint8Array.of(b[3], b[2], b[1], b[0], b[4], b[5], b[6], b[7])); // manufacturer in line order
        selected = secondaries.flatMap((s, i) => (matchesSecondaryMask(s, mask) ? [i] : []));
        return selected.length > 0 ? E5 : null;
      }
      if (req[0] === 0x10 && req[2] === 0xfd && req[1] === 0x40) {
        const had = selected.length > 0;
        selected = [];
        return had ? E5 : null;
      }
      if (req[0] === 0x10 && req[2] === 0xfd) {
        if (selected.length === 0) return null;
        return selected.map((i) => meters[i].frame).reduce(superpose);
      }
      return null;
    });
    return { link, secondaries };
  }

  it('finds every meter exactly once through collisions at several digits', async () => {
    const ids = ['12345678', '12345679', '12345688', '12399999', '55555555', '00000001', '90000000', '12345670'];
    const { link, secondaries } = bus(ids);
    const m = new MbusMaster(link, FAST);
    const found: string[] = [];
    const progress: number[] = [];
    const hits = await m.searchSecondary({ onFound: (h) => found.push(h.secondary), onProgress: (p) => progress.push(p.done) });
    expect(hits.map((h) => h.secondary).sort()).toEqual([...secondaries].sort());
    expect(found).toHaveLength(ids.length);
    expect(hits.find((h) => h.address.id === '55555555')?.primaryAddress).toBe(5);
    expect(progress.at(-1)).toBe(1000);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('searches under a given mask only', async () => {
    const { link } = bus(['12345678', '12345679', '55555555']);
    const hits = await new MbusMaster(link, FAST).searchSecondary({ mask: '1234FFFFFFFFFFFF' });
    expect(hits.map((h) => h.address.id).sort()).toEqual(['12345678', '12345679']);
    await expect(new MbusMaster(link, FAST).searchSecondary({ mask: '1234' })).rejects.toThrow(/expected 16 hex characters/);
  });

  it('reads a meter by secondary address: selection, then REQ_UD2 to 253', async () => {
    const { link } = bus(['12345678', '12345679']);
    const m = new MbusMaster(link, FAST);
    const r = await m.read({ secondary: '123456792D2C3404' });
    expect(r.address?.id).toBe('12345679');
    expect(link.sent.map((f) => toHex(f))).toEqual(['680B0B6873FD5279563412' + '2D2C3404' + '68' + '16', '107BFD7816']);
    await expect(m.read({ secondary: '12346FFFFFFFFFFF' })).rejects.toMatchObject({ code: 'timeout' });
    const e = await m.read({ secondary: '1234567FFFFFFFFF' }).catch((x: unknown) => x);
    // Both meters acknowledge the selection (E5s superpose), the data answer is garbled.
    expect((e as MbusError).code).toBe('garbled');
  });
});

describe('robustness', () => {
  it('never throws anything but MbusError on random answers, and never hangs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 0, maxLength: 40 }), { minLength: 1, maxLength: 6 }), async (answers) => {
        let i = 0;
        const link = new ScriptedLink(() => {
          const a = answers[i++ % answers.length];
          return a.length === 0 ? null : a;
        });
        const m = new MbusMaster(link, { baud: 9600, timeScale: 100, retries: 1 });
        for (const op of [() => m.read({ primary: 1 }), () => m.ping(2), () => m.select('1FFFFFFFFFFFFFFF'), () => m.sendUserData({ primary: 3 }, 0x51, Uint8Array.of(1))]) {
          try {
            await op();
          } catch (e) {
            if (!(e instanceof MbusError)) throw e;
          }
        }
      }),
      { numRuns: 60 }
    );
  });
});

// --- Against the simulated bus (contract B) ----------------------------------------------------


const START = Date.UTC(2026, 0, 15, 11, 0);

/** A simulated segment on an in-memory line in virtual time, with every frame the master sent. */
function simulated(meters: SimMbusMeter[], o: { baud?: 300 | 2400 | 9600; retries?: number } = {}) {
  const baud = o.baud ?? 2400;
  const bus = new SimBus({ meters, startEpochMs: START });
  const timers = new VirtualTimers({ startMs: START, idle: (f) => setImmediate(f) });
  const line = new SimLine(bus, { baud, timers });
  const sent: Uint8Array[] = [];
  const link: MbusLink = {
    write: (b) => {
      sent.push(b.slice());
      return line.write(b);
    },
    read: (t, s) => line.read(t, s),
    discard: () => line.discard()
  };
  const master = new MbusMaster(link, { baud, retries: o.retries });
  const controls = (): string[] => sent.map((f) => toHex(Uint8Array.of(f[0] === 0x10 ? f[1] : f[4])));
  return { bus, line, timers, master, sent, controls };
}

function checksumValid(f: Uint8Array): boolean {
  const r = new FrameReader();
  r.push(f);
  const u = r.take();
  return u.length === 1 && u[0].kind === 'frame' && !r.pending;
}

describe('MbusMaster on the simulated bus', () => {
  it('scans the primary addresses of a segment: every meter present, shared addresses as collisions', async () => {
    const meters = simSegment(30, { seed: 3, duplicatePrimary: 2 });
    const { master } = simulated(meters);
    const progress: number[] = [];
    const hits = await master.scanPrimary({ onProgress: (p) => progress.push(p.done) });
    const expected = Array.from({ length: 28 }, (_, i) => ({ primaryAddress: i + 1, state: i < 2 ? 'collision' : 'present' }));
    expect(hits).toEqual(expected);
    expect(progress).toHaveLength(251);
    expect(progress.at(-1)).toBe(251);
  });

  it('finds every meter of a 250-meter segment with colliding ids exactly once by secondary search', async () => {
    const meters = simSegment(250, { seed: 11, collide: true });
    const { bus, master } = simulated(meters, { baud: 9600 });
    const unresolved: string[] = [];
    const hits = await master.searchSecondary({ onUnresolved: (m) => unresolved.push(m) });
    expect(unresolved).toEqual([]);
    expect(hits.map((h) => h.secondary).sort()).toEqual([...bus.secondaries].sort());
    expect(new Set(hits.map((h) => h.secondary)).size).toBe(250);
    for (const h of hits) expect(h.primaryAddress).toBe(meters.find((m) => m.id === h.address.id)!.primaryAddress);
    // The ids were chosen to collide: the search had to go below the first digit many times.
    expect(master.stats.exchanges).toBeGreaterThan(250 * 3);
    expect(bus.meters.every((m) => !bus.isSelected(m.id))).toBe(true);
  });

  it('reads a MULTICAL 603 over three telegrams: FCB 1, 0, 1 after SND_NKE, the last without DIF 1F', async () => {
    const meters: SimMbusMeter[] = [{ model: 'multical-603', primaryAddress: 60, id: '32323232' }];
    const { master, controls } = simulated(meters);
    const r = await master.read({ primary: 60 });
    expect(controls()).toEqual(['40', '7B', '5B', '7B']);
    expect(r.frames).toHaveLength(3);
    expect(r.decoded.map((d) => d.manufacturerData?.moreRecordsFollow ?? false)).toEqual([true, true, false]);
    expect(r.address).toEqual({ manufacturer: 'KAM', id: '32323232', version: 0x35, deviceType: 4 });
    expect(r.decoded[2].records.find((x) => x.quantity === 'fabrication number')?.value).toBe('23232323');
    // The same meter by secondary address: selection, then REQ_UD2 to 253 with the same FCB sequence.
    const again = await master.read({ secondary: '323232322D2C3504' });
    expect(again.frames).toHaveLength(3);
    expect(controls().slice(4)).toEqual(['73', '7B', '5B', '7B']);
    const third = await master.read({ secondary: '323232322D2C3504' });
    expect(third.decoded[0].accessNumber).not.toBe(again.decoded[2].accessNumber); // a new read, not a repeat
    expect(controls().slice(8)).toEqual(['40', '73', '7B', '5B', '7B']); // deselected first
  });

  it('repeats a telegram lost to a bad checksum with the same FCB and gets that telegram again', async () => {
    const meters: SimMbusMeter[] = [{ model: 'multical-603', primaryAddress: 9, id: '11223344' }];
    const { bus, master, sent, controls } = simulated(meters, { retries: 5 });
    bus.setFaults({ seed: 4, badChecksum: 0.4 });
    const r = await master.read({ primary: 9 });
    expect(r.frames).toHaveLength(3);
    expect(r.frames.every(checksumValid)).toBe(true);
    expect(r.decoded.map((d) => d.manufacturerData?.moreRecordsFollow ?? false)).toEqual([true, true, false]);
    // Some answers were spoiled (seeded), and each was asked again with the FCB unchanged.
    const c = controls();
    expect(sent.length).toBeGreaterThan(4);
    const fcbs = c.filter((x) => x !== '40');
    const distinct = fcbs.filter((x, i) => i === 0 || x !== fcbs[i - 1]);
    expect(distinct).toEqual(['7B', '5B', '7B']);
  });

  it('fault injection: garbled, silent and bad-checksum meters give retries and a clear per-meter error', async () => {
    const meters = simSegment(5, { seed: 2 });
    for (const [fault, code, text] of [
      ['garble', 'garbled', /^Meter at primary address 3 answered SND_NKE with garbled bytes in all 3 attempts \(last: /],
      ['silence', 'timeout', /^Meter at primary address 3 did not answer SND_NKE \(3 attempts, 0\.29 s timeout each\)\.$/]
    ] as const) {
      const { bus, master, sent } = simulated(meters);
      bus.setFaults({ [fault]: 1 });
      const e = await master.read({ primary: 3 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(MbusError);
      expect((e as MbusError).code).toBe(code);
      expect((e as MbusError).message).toMatch(text);
      expect(sent).toHaveLength(3);
    }
    // A bad checksum spares the E5 (no checksum) and spoils every RSP_UD: never a reading.
    const { bus, master } = simulated(meters);
    bus.setFaults({ badChecksum: 1 });
    const e = (await master.read({ primary: 3 }).catch((x: unknown) => x)) as MbusError;
    expect(e.code).toBe('garbled');
    expect(e.message).toMatch(/^Meter at primary address 3 answered REQ_UD2 with garbled bytes in all 3 attempts \(last: long frame \(L = \d+\) with checksum [0-9A-F]{2}, computed [0-9A-F]{2}\)\.$/);
    expect(e.frames).toEqual([]);
  });

  it('reads a whole segment through random faults: every returned frame is checksum-valid, every failure an MbusError', async () => {
    const meters = simSegment(40, { seed: 8 });
    const { bus, master } = simulated(meters, { baud: 9600, retries: 3 });
    bus.setFaults({ seed: 9, garble: 0.1, silence: 0.1, badChecksum: 0.1 });
    let ok = 0;
    for (const m of meters) {
      try {
        const r = await master.read({ primary: m.primaryAddress });
        expect(r.frames.every(checksumValid)).toBe(true);
        expect(r.address?.id).toBe(m.id);
        ok++;
      } catch (e) {
        expect(e).toBeInstanceOf(MbusError);
        expect((e as MbusError).message).toContain(`primary address ${m.primaryAddress}`);
      }
    }
    expect(ok).toBeGreaterThan(30); // with 4 attempts most meters get through
  });

  it('a scan cancelled in the middle rejects with aborted and sends nothing more', async () => {
    const { master, sent } = simulated(simSegment(20, { seed: 1 }));
    const ac = new AbortController();
    const e = await master
      .scanPrimary({
        signal: ac.signal,
        onProgress: (p) => {
          if (p.done === 10) ac.abort();
        }
      })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MbusError);
    expect((e as MbusError).code).toBe('aborted');
    expect(sent).toHaveLength(10);
  });

  it('a secondary search cancelled while waiting rejects with aborted', async () => {
    const { master } = simulated(simSegment(50, { seed: 5 }), { baud: 300 });
    const ac = new AbortController();
    let found = 0;
    const e = await master
      .searchSecondary({
        signal: ac.signal,
        onFound: () => {
          if (++found === 3) setImmediate(() => ac.abort());
        }
      })
      .catch((x: unknown) => x);
    expect((e as MbusError).code).toBe('aborted');
    expect(found).toBe(3);
  });

  it('runs on a line in real time, both sides scaled (a simulated bus N× faster)', async () => {
    const meters: SimMbusMeter[] = [{ model: 'multical-603', primaryAddress: 4, id: '87654321' }];
    const bus = new SimBus({ meters, startEpochMs: START });
    const timers = {
      now: () => Date.now(),
      setTimeout: (f: () => void, ms: number) => setTimeout(f, ms),
      clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>)
    };
    const line = new SimLine(bus, { baud: 9600, timeScale: 10, timers });
    const master = new MbusMaster(line, { baud: 9600, timeScale: 10 });
    const r = await master.read({ primary: 4 });
    expect(r.frames).toHaveLength(3);
    expect(r.address?.id).toBe('87654321');
    expect(await master.ping(5)).toBe('absent');
  });

  it('sets a primary address and reads the meter at its new address', async () => {
    const meters: SimMbusMeter[] = [{ model: 'oms-water', primaryAddress: 0, id: '55550001' }];
    const { bus, master } = simulated(meters);
    await master.setPrimaryAddress({ secondary: '55550001FFFFFFFF' }, 17);
    expect(bus.meters[0].primaryAddress).toBe(17);
    expect(await master.ping(0)).toBe('absent');
    const r = await master.read({ primary: 17 });
    expect(r.primaryAddress).toBe(17);
    await master.applicationReset({ primary: 17 });
    await expect(master.sendUserData({ primary: 17 }, 0x99, new Uint8Array(0))).rejects.toMatchObject({ code: 'timeout' });
  });
});
