import { describe, expect, it } from 'vitest';
import { ACK, C, FrameReader, longFrame, shortFrame, withFcb } from '../../../shared/mbus/link';
import type { LinkUnit } from '../../../shared/mbus/link';
import { decodeMbusFrame } from '../../../shared/mbus/frame';
import type { MbusFrame } from '../../../shared/mbus/frame';
import { fromHex, toHex } from '../../../shared/bytes/hex';
import { SIM_CHUNK_BYTES, SimBus, SimLine, VirtualTimers, simSegment } from '../../../shared/mbus/sim/index';
import type { SimMbusMeter, SimReading } from '../../../shared/mbus/sim/index';
import { MbusError, MbusMaster } from '../../../shared/mbus/master';
import { GENERIC_DIGITAL_OUTPUT, switchValve } from '../../../shared/mbus/valve';

const T0 = Date.UTC(2026, 10, 26, 9, 30);
const REQ = (a: number, fcb: boolean): Uint8Array => shortFrame(withFcb(C.REQ_UD2, fcb), a);
const NKE = (a: number): Uint8Array => shortFrame(C.SND_NKE, a);
const select = (mask: Uint8Array, ci = 0x52): Uint8Array => longFrame(withFcb(C.SND_UD, true), 0xfd, ci, mask);
/** CI 52 selection data for a 16-char secondary mask "IIIIIIIIMMMMVVTT" (F = wildcard). */
function mask52(secondary: string): Uint8Array {
  const b = fromHex(secondary);
  return Uint8Array.of(b[3], b[2], b[1], b[0], b[4], b[5], b[6], b[7]); // manufacturer already in line order
}

function units(bytes: Uint8Array | null): LinkUnit[] {
  const r = new FrameReader();
  if (bytes) r.push(bytes);
  r.flush();
  return r.take();
}

function decoded(bytes: Uint8Array | null): MbusFrame {
  expect(bytes).not.toBeNull();
  const d = decodeMbusFrame(bytes!);
  if (!d.ok) throw new Error(`not decoded: ${d.issues.map((i) => i.message).join('; ')}`);
  return d.value;
}

function rec(f: MbusFrame, difvif: string): number | string {
  const r = f.records.find((x) => x.difvif === difvif);
  if (!r) throw new Error(`no record ${difvif} in ${f.records.map((x) => x.difvif).join(' ')}`);
  return r.value;
}

const meters: SimMbusMeter[] = [
  { model: 'multical-403', primaryAddress: 1, id: '12345678', valve: true },
  { model: 'multical-603', primaryAddress: 2, id: '12345679' },
  { model: 'oms-water', primaryAddress: 3, id: '55501234' },
  { model: 'oms-heat', primaryAddress: 4, id: '55509876' },
];
const bus = (): SimBus => new SimBus({ meters, startEpochMs: T0 });

describe('simulated meters answer with the values they hold', () => {
  it('MULTICAL 403: one RSP_UD in the TV-10 layout that decodes to the held reading', () => {
    const b = bus();
    const now = T0 + 5 * 3_600_000;
    const f = decoded(b.answer(REQ(1, true), now));
    expect(f.control).toBe(C.RSP_UD);
    expect(f.primaryAddress).toBe(1);
    expect(f.ci).toBe(0x72);
    expect(f.address).toEqual({ manufacturer: 'KAM', id: '12345678', version: 0x34, deviceType: 0x04 });
    expect(f.records.slice(0, 9).map((r) => r.difvif)).toEqual(['0406', '04FF07', '04FF08', '0414', '043B', '0259', '025D', '04FF22', '04A5FF21']);
    const r: SimReading = b.reading('12345678', now);
    expect(rec(f, '0406')).toBe(r.energyKWh);
    expect(rec(f, '0414')).toBeCloseTo(r.volumeM3, 9);
    expect(rec(f, '043B')).toBeCloseTo(r.flowM3h, 9);
    expect(rec(f, '0259')).toBeCloseTo(r.flowTemperatureC!, 9);
    expect(rec(f, '025D')).toBeCloseTo(r.returnTemperatureC!, 9);
    expect(rec(f, '04FF07')).toBe(r.e8);
    expect(rec(f, '04A5FF21')).toBeCloseTo(r.operatingHours!, 6);
    expect(rec(f, '01FD1B')).toBe(1); // valve open (contract A)
    expect(f.manufacturerData).toBeUndefined();
  });

  it('registers grow with time at the meter’s power and flow', () => {
    const b = bus();
    const a = decoded(b.answer(REQ(1, true), T0 + 3_600_000));
    const z = decoded(b.answer(REQ(1, false), T0 + 25 * 3_600_000));
    const e1 = rec(a, '0406') as number;
    const e2 = rec(z, '0406') as number;
    expect(e2).toBeGreaterThan(e1);
    const powerKW = (e2 - e1) / 24;
    expect(powerKW).toBeGreaterThan(4); // MULTICAL 403 sim: 5..40 kW
    expect(powerKW).toBeLessThan(41);
    expect(rec(z, '0414') as number).toBeGreaterThan(rec(a, '0414') as number);
    expect(rec(z, '04A5FF21') as number).toBeCloseTo((rec(a, '04A5FF21') as number) + 24, 1);
  });

  it('MULTICAL 603: three telegrams, DIF 1F on all but the last, together the TV-11 records', () => {
    const b = bus();
    const now = T0 + 7 * 86_400_000;
    const frames = [REQ(2, true), REQ(2, false), REQ(2, true)].map((q) => b.answer(q, now)!);
    const d = frames.map(decoded);
    // the byte before the checksum: DIF 1F ends telegrams 1 and 2, a record ends the last
    expect(frames.map((f) => f[f.length - 3] === 0x1f)).toEqual([true, true, false]);
    expect(d[0].manufacturerData).toBeDefined();
    expect(d[1].manufacturerData).toBeDefined();
    expect(d[2].manufacturerData).toBeUndefined();
    for (const f of d) expect(f.address).toEqual({ manufacturer: 'KAM', id: '12345679', version: 0x35, deviceType: 0x04 });
    const all = d.flatMap((f) => f.records.map((r) => r.difvif));
    // TV-11's record sequence (protocols.md §8.10)
    expect(all).toEqual([
      '04FB00', '04FF07', '04FF08', '0416', '844014', '84804014', '0422', '3422', '0259', '025D', '0261', '042E', '142E', '043C', '143C', '04FF22',
      '046D', '44FB00', '44FF07', '44FF08', '4416', 'C44014', 'C4804014', '542E', '543C',
      '426C', '02FF1A', '0C78', '04FF16', '04FF17',
    ]);
    const r = b.reading('12345679', now);
    expect(rec(d[0], '04FB00')).toBe(r.energyKWh);
    expect(rec(d[0], '0416')).toBe(r.volumeM3);
    expect(rec(d[0], '042E')).toBe(r.powerKW);
    expect(rec(d[0], '043C')).toBeCloseTo(r.flowM3h, 9);
    expect(rec(d[0], '0261')).toBeCloseTo(r.flowTemperatureC! - r.returnTemperatureC!, 9);
    expect(rec(d[1], '046D')).toBe(r.dateTime);
    expect(r.dateTime).toBe('2026-12-03T09:30');
    expect(rec(d[1], '44FB00')).toBe(r.targetEnergyKWh);
    expect(rec(d[2], '426C')).toBe('2026-12-01');
    expect(rec(d[2], '0C78')).toBe('97654321');
    // the access number counts every new telegram
    expect(d[1].accessNumber).toBe((d[0].accessNumber! + 1) & 0xff);
    expect(d[2].accessNumber).toBe((d[1].accessNumber! + 1) & 0xff);
    // after the last telegram a toggled FCB starts over
    const again = decoded(b.answer(REQ(2, false), now));
    expect(again.records[0].difvif).toBe('04FB00');
  });

  it('OMS water and heat meters of other manufacturers decode to their readings', () => {
    const b = bus();
    const now = T0 + 40 * 86_400_000;
    const w = decoded(b.answer(REQ(3, true), now));
    const rw = b.reading('55501234', now);
    expect(w.address).toEqual({ manufacturer: 'DME', id: '55501234', version: 0x20, deviceType: 0x07 });
    expect(rec(w, '0C13')).toBeCloseTo(rw.volumeM3, 9);
    expect(rec(w, '046D')).toBe(rw.dateTime);
    expect(rec(w, '4C13')).toBeCloseTo(rw.targetVolumeM3!, 9);
    expect(rec(w, '426C')).toBe(rw.targetDate);
    const h = decoded(b.answer(REQ(4, true), now));
    const rh = b.reading('55509876', now);
    expect(h.address?.manufacturer).toBe('LUG');
    expect(rec(h, '0C06')).toBe(rh.energyKWh);
    expect(rec(h, '0B2D')).toBeCloseTo(rh.powerKW!, 9);
    expect(rec(h, '0A5A')).toBeCloseTo(rh.flowTemperatureC!, 9);
    expect(rec(h, '0A5E')).toBeCloseTo(rh.returnTemperatureC!, 9);
    expect(rec(h, '4C06')).toBe(rh.targetEnergyKWh);
  });
});

describe('every telegram of a 250-meter segment', () => {
  it('decodes without an issue, carries the meter\'s address, and fits one long frame', () => {
    const seg = simSegment(250, { seed: 21 });
    const b = new SimBus({ meters: seg, startEpochMs: T0 });
    const now = T0 + 123 * 86_400_000 + 4567;
    let telegrams = 0;
    for (const m of seg) {
      let fcb = true;
      for (let k = 0; k < 4; k++) {
        const bytes = b.answer(REQ(m.primaryAddress, fcb), now)!;
        fcb = !fcb;
        const d = decodeMbusFrame(bytes);
        expect(d.issues).toEqual([]);
        expect(d.ok).toBe(true);
        if (!d.ok) continue;
        telegrams++;
        expect(d.value.address?.id).toBe(m.id);
        expect(d.value.primaryAddress).toBe(m.primaryAddress);
        const dt = d.value.records.find((r) => r.difvif === '046D');
        if (dt) expect(dt.value).toBe(b.reading(m.id, now).dateTime);
        if (bytes[bytes.length - 3] !== 0x1f) break;
      }
    }
    expect(telegrams).toBeGreaterThan(250);
  });
});

describe('link layer: addressing and FCB', () => {
  it('SND_NKE: the addressed meter acknowledges E5, nobody else, nobody at 255', () => {
    const b = bus();
    expect(b.answer(NKE(3), T0)).toEqual(Uint8Array.of(ACK));
    expect(b.lastExchange.answered).toEqual(['55501234']);
    expect(b.answer(NKE(9), T0)).toBeNull();
    expect(b.answer(NKE(0xff), T0)).toBeNull();
    expect(b.answer(NKE(0xfd), T0)).toBeNull(); // nobody selected
    // REQ_UD1: no class-1 (alarm) data, E5
    expect(b.answer(shortFrame(withFcb(C.REQ_UD1, true), 3), T0)).toEqual(Uint8Array.of(ACK));
  });

  it('ignores a request with a wrong checksum or a partial frame', () => {
    const b = bus();
    const bad = NKE(3);
    bad[3] ^= 1;
    expect(b.answer(bad, T0)).toBeNull();
    expect(b.answer(REQ(1, true).subarray(0, 4), T0)).toBeNull();
  });

  it('same FCB repeats the telegram, toggled FCB gives a new one, SND_NKE resets', () => {
    const b = bus();
    const a = b.answer(REQ(1, true), T0)!;
    const repeat = b.answer(REQ(1, true), T0 + 1000)!;
    expect(toHex(repeat)).toBe(toHex(a));
    const next = b.answer(REQ(1, false), T0 + 2000)!;
    expect(decoded(next).accessNumber).toBe((decoded(a).accessNumber! + 1) & 0xff);
    expect(b.answer(NKE(1), T0)).toEqual(Uint8Array.of(ACK));
    // after a link reset the same FCB as before is a new request
    const fresh = b.answer(REQ(1, false), T0 + 3000)!;
    expect(decoded(fresh).accessNumber).toBe((decoded(next).accessNumber! + 1) & 0xff);
    // the same FCB long after the last answer (a master started afresh) is a new read too
    const later = b.answer(REQ(1, false), T0 + 3_600_000)!;
    expect(decoded(later).accessNumber).toBe((decoded(fresh).accessNumber! + 1) & 0xff);
    expect(rec(decoded(later), '0406') as number).toBeGreaterThan(rec(decoded(fresh), '0406') as number);
    // SND_NKE also restarts a multi-telegram read at its first telegram
    b.answer(REQ(2, true), T0);
    b.answer(REQ(2, false), T0);
    b.answer(NKE(2), T0);
    expect(decoded(b.answer(REQ(2, true), T0)).records[0].difvif).toBe('04FB00');
    // a multi-telegram read left half done and asked again much later starts over
    expect(decoded(b.answer(REQ(2, false), T0 + 1000)).records[0].difvif).toBe('046D');
    expect(decoded(b.answer(REQ(2, true), T0 + 3_600_000)).records[0].difvif).toBe('04FB00');
  });

  it('broadcast 254 reaches every meter: alone it answers, with others it collides', () => {
    const one = new SimBus({ meters: [meters[0]], startEpochMs: T0 });
    expect(decoded(one.answer(REQ(0xfe, true), T0)).address?.id).toBe('12345678');
    const b = bus();
    const out = b.answer(REQ(0xfe, true), T0);
    expect(b.lastExchange.collision).toBe(true);
    expect(units(out).every((u) => u.kind === 'garbage')).toBe(true);
  });

  it('set primary address (CI 51, 01 7A aa) moves the meter', () => {
    const b = bus();
    // protocols.md TV-15: set primary address 1 → 5
    expect(b.answer(fromHex('680606685301510' + '17A052516'), T0)).toEqual(Uint8Array.of(ACK));
    expect(b.answer(NKE(1), T0)).toBeNull();
    expect(decoded(b.answer(REQ(5, true), T0)).primaryAddress).toBe(5);
    expect(b.meters.find((m) => m.id === '12345678')?.primaryAddress).toBe(5);
  });

  it('application reset (CI 50) is acknowledged and restarts the multi-telegram sequence', () => {
    const b = bus();
    b.answer(REQ(2, true), T0);
    expect(b.answer(longFrame(C.SND_UD, 2, 0x50, Uint8Array.of(0)), T0)).toEqual(Uint8Array.of(ACK));
    expect(decoded(b.answer(REQ(2, false), T0)).records[0].difvif).toBe('04FB00');
    // broadcast 255 resets silently
    expect(b.answer(fromHex('68030368' + '53FF50A216'), T0)).toBeNull();
  });

  it('baud change (CI BD): E5 at the old rate, then the meter hears 9600 only', () => {
    const b = bus();
    // protocols.md TV-15: switch address 1 to 9600 baud
    expect(b.answer(fromHex('6803036853' + '01BD1116'), T0, 2400)).toEqual(Uint8Array.of(ACK));
    expect(b.answer(NKE(1), T0, 2400)).toBeNull();
    expect(b.answer(NKE(1), T0, 9600)).toEqual(Uint8Array.of(ACK));
    expect(b.meters.find((m) => m.id === '12345678')?.baud).toBe(9600);
    // the others are still auto-baud
    expect(b.answer(NKE(3), T0, 2400)).toEqual(Uint8Array.of(ACK));
  });

  it('a generic data write (CI 51, date/time record) is acknowledged', () => {
    const b = bus();
    expect(b.answer(longFrame(C.SND_UD, 3, 0x51, fromHex('046D2E2B0F31')), T0)).toEqual(Uint8Array.of(ACK));
    expect(b.answer(longFrame(C.SND_UD, 3, 0x99, fromHex('00')), T0)).toBeNull();
  });
});

describe('secondary addressing (protocols.md §8.5)', () => {
  it('selects by full address with CI 52, reads it at FD, deselects with SND_NKE to FD', () => {
    const b = bus();
    // protocols.md §8.5 example: select 12345678, everything else wildcard
    expect(b.answer(fromHex('680B0B6873FD5278563412FFFFFFFFD216'), T0)).toEqual(Uint8Array.of(ACK));
    expect(b.isSelected('12345678')).toBe(true);
    expect(b.isSelected('12345679')).toBe(false);
    expect(decoded(b.answer(REQ(0xfd, true), T0)).address?.id).toBe('12345678');
    expect(b.answer(NKE(0xfd), T0)).toEqual(Uint8Array.of(ACK));
    expect(b.isSelected('12345678')).toBe(false);
    expect(b.answer(REQ(0xfd, false), T0)).toBeNull();
  });

  it('matches wildcard nibbles and bytes; a mismatch deselects', () => {
    const b = bus();
    expect(b.answer(select(mask52('5550FFFFFFFFFFFF')), T0)).not.toBeNull();
    expect(b.lastExchange.answered.sort()).toEqual(['55501234', '55509876']);
    expect(b.lastExchange.collision).toBe(true);
    // manufacturer narrows it: DME = 0x1085? computed by the sim from the letters
    const water = b.secondaries[2];
    expect(water).toMatch(/^55501234[0-9A-F]{4}2007$/);
    expect(b.answer(select(mask52('5550FFFF' + water.slice(8, 12) + 'FFFF')), T0)).toEqual(Uint8Array.of(ACK));
    expect(b.lastExchange.answered).toEqual(['55501234']);
    expect(b.isSelected('55509876')).toBe(false);
    expect(b.answer(select(mask52('FFFFFFFFFFFFFF04')), T0)).not.toBeNull();
    expect(b.lastExchange.answered.sort()).toEqual(['12345678', '12345679', '55509876']);
    expect(b.isSelected('55501234')).toBe(false);
    // a selection of another length (enhanced, with a fabrication number) is ignored
    expect(b.answer(select(Uint8Array.from([...mask52('FFFFFFFFFFFFFF04'), 0x01, 0x02, 0x03, 0x04])), T0)).toBeNull();
    expect(b.lastExchange.answered).toEqual([]);
    expect(b.isSelected('12345678')).toBe(true);
    expect(b.answer(select(mask52('9FFFFFFFFFFFFFFF')), T0)).toBeNull();
    expect(meters.some((m) => b.isSelected(m.id))).toBe(false);
    // the TV-15 probe "1FFFFFFF"
    expect(b.answer(fromHex('680B0B6873FD52FFFFFF1FFFFFFFFFDA16'), T0)).not.toBeNull();
    expect(b.lastExchange.answered.sort()).toEqual(['12345678', '12345679']);
  });

  it('CI 56 takes the same fields most significant byte first', () => {
    const b = bus();
    const s = b.secondaries[3];
    const t = fromHex(s); // ID as printed, manufacturer low byte first: CI 56 sends its high byte first
    const bytes = Uint8Array.of(t[0], t[1], t[2], t[3], t[5], t[4], t[6], t[7]);
    expect(b.answer(select(bytes, 0x56), T0)).toEqual(Uint8Array.of(ACK));
    expect(b.lastExchange.answered).toEqual(['55509876']);
    expect(decoded(b.answer(REQ(0xfd, true), T0)).address?.id).toBe('55509876');
  });
});

describe('collisions and faults', () => {
  it('several answers are never a clean frame: duplicate primary addresses and wildcard probes', () => {
    const seg = simSegment(60, { seed: 7, duplicatePrimary: 10 });
    const b = new SimBus({ meters: seg, startEpochMs: T0 });
    let collisions = 0;
    for (let a = 1; a <= 10; a++) {
      for (const q of [NKE(a), REQ(a, true), REQ(a, false)]) {
        const out = b.answer(q, T0);
        expect(b.lastExchange.answered.length).toBe(2);
        expect(units(out).length).toBeGreaterThan(0);
        expect(units(out).every((u) => u.kind === 'garbage')).toBe(true);
        collisions++;
      }
    }
    for (const s of b.secondaries) {
      for (let k = 1; k <= 8; k++) {
        const out = b.answer(select(mask52(s.slice(0, k) + 'F'.repeat(16 - k))), T0);
        const n = b.lastExchange.answered.length;
        if (n > 1) {
          collisions++;
          expect(units(out).every((u) => u.kind === 'garbage')).toBe(true);
        } else expect(out).toEqual(Uint8Array.of(ACK));
      }
    }
    expect(collisions).toBeGreaterThan(100);
  });

  it('silence, garbled bytes and wrong checksums, repeatable from the seed', () => {
    const b = bus();
    b.setFaults({ silence: 1 });
    expect(b.answer(REQ(1, true), T0)).toBeNull();
    expect(b.lastExchange.fault).toBe('silence');
    b.setFaults({ badChecksum: 1 });
    const u = units(b.answer(REQ(1, false), T0));
    expect(u).toHaveLength(1);
    expect(u[0].kind === 'garbage' && u[0].reason).toMatch(/checksum/);
    b.setFaults({ garble: 1, seed: 3 });
    for (let i = 0; i < 20; i++) {
      const out = b.answer(REQ(1, i % 2 === 0), T0);
      expect(units(out).every((x) => x.kind === 'garbage')).toBe(true);
      expect(units(b.answer(NKE(1), T0)).every((x) => x.kind === 'garbage')).toBe(true);
    }
    const run = (): string[] => {
      const x = bus();
      x.setFaults({ seed: 42, silence: 0.2, garble: 0.2, badChecksum: 0.2 });
      return Array.from({ length: 60 }, () => {
        x.answer(NKE(3), T0);
        return x.lastExchange.fault ?? 'ok';
      });
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(new Set(first)).toEqual(new Set(['ok', 'silence', 'garble']));
    b.setFaults({});
    expect(b.answer(NKE(1), T0)).toEqual(Uint8Array.of(ACK));
    expect(() => b.setFaults({ garble: 2 })).toThrow(/faults.garble: expected a probability 0..1, got 2/);
  });
});

describe('the wildcard search of protocols.md §8.6 against a colliding segment', () => {
  it('finds all 250 meters, and has to go down to the last digit to separate them', () => {
    const seg = simSegment(250, { seed: 11 });
    const b = new SimBus({ meters: seg, startEpochMs: T0 });
    const found: string[] = [];
    let deepest = 0;
    let probes = 0;
    const search = (prefix: string): void => {
      for (let d = 0; d <= 9; d++) {
        const mask = prefix + String(d) + 'F'.repeat(15 - prefix.length);
        probes++;
        const out = b.answer(select(mask52(mask)), T0);
        if (out === null) continue;
        const u = units(out);
        if (u.length === 1 && u[0].kind === 'frame' && u[0].type === 'ack') {
          const f = decoded(b.answer(REQ(0xfd, true), T0));
          found.push(f.address!.id);
          deepest = Math.max(deepest, prefix.length + 1);
        } else {
          expect(u.every((x) => x.kind === 'garbage')).toBe(true);
          search(prefix + String(d));
        }
      }
    };
    search('');
    expect(found.sort()).toEqual(seg.map((m) => m.id).sort());
    expect(deepest).toBe(8);
    expect(probes).toBeGreaterThan(250);
  });
});

describe('valve (contract A GENERIC_DIGITAL_OUTPUT)', () => {
  it('SND_UD CI 51 01 FD 1A xx sets it, RSP_UD record 01 FD 1B carries it', () => {
    const b = bus();
    expect(b.valve('12345678')).toBe('open');
    expect(b.valve('55501234')).toBeUndefined();
    expect(b.answer(longFrame(withFcb(C.SND_UD, true), 1, 0x51, fromHex('01FD1A00')), T0)).toEqual(Uint8Array.of(ACK));
    expect(b.valve('12345678')).toBe('closed');
    expect(rec(decoded(b.answer(REQ(1, true), T0)), '01FD1B')).toBe(0);
    b.answer(longFrame(withFcb(C.SND_UD, false), 1, 0x51, fromHex('01FD1A01')), T0);
    expect(b.valve('12345678')).toBe('open');
    expect(rec(decoded(b.answer(REQ(1, false), T0)), '01FD1B')).toBe(1);
    // a meter without a valve acknowledges the write and has no state record
    expect(b.answer(longFrame(C.SND_UD, 3, 0x51, fromHex('01FD1A00')), T0)).toEqual(Uint8Array.of(ACK));
    expect(decoded(b.answer(REQ(3, true), T0)).records.some((r) => r.difvif === '01FD1B')).toBe(false);
  });
});

describe('simSegment', () => {
  it('250 meters, unique ids, primary 1..250, mixed models, repeatable from the seed', () => {
    const s = simSegment(250, { seed: 5 });
    expect(s).toHaveLength(250);
    expect(new Set(s.map((m) => m.id)).size).toBe(250);
    expect(s.map((m) => m.primaryAddress)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(new Set(s.map((m) => m.model))).toEqual(new Set(['multical-403', 'multical-603', 'oms-water', 'oms-heat']));
    expect(simSegment(250, { seed: 5 })).toEqual(s);
    expect(simSegment(250, { seed: 6 })).not.toEqual(s);
    const spread = simSegment(250, { seed: 5, collide: false });
    expect(new Set(spread.map((m) => m.id[0])).size).toBeGreaterThan(5);
    expect(new Set(s.map((m) => m.id.slice(0, 2))).size).toBe(1);
    expect(s.some((m) => m.valve)).toBe(true);
    // the wildcard tree must branch deep: many ids share 7 leading digits with another one
    const by7 = new Map<string, number>();
    for (const m of s) by7.set(m.id.slice(0, 7), (by7.get(m.id.slice(0, 7)) ?? 0) + 1);
    expect([...by7.values()].filter((n) => n > 1).length).toBeGreaterThan(20);
    expect(new SimBus({ meters: s, startEpochMs: T0 }).meters).toHaveLength(250);
  });

  it('duplicatePrimary puts two meters on the first k addresses', () => {
    const s = simSegment(20, { seed: 1, duplicatePrimary: 3 });
    const count = (a: number): number => s.filter((m) => m.primaryAddress === a).length;
    expect([count(1), count(2), count(3), count(4)]).toEqual([2, 2, 2, 1]);
  });

  it('refuses bad sizes with the numbers', () => {
    expect(() => simSegment(251)).toThrow('simSegment: n expected 1..250 meters, got 251');
    expect(() => new SimBus({ meters: [meters[0], meters[0]], startEpochMs: T0 })).toThrow('meters: id 12345678 appears twice');
    expect(() => new SimBus({ meters, startEpochMs: 0 })).toThrow(/startEpochMs: the meters' clock .* covers 1981..2080, got 1970-01-01T00:00:00.000Z/);
    expect(() => bus().answer(NKE(1), Number.NaN)).toThrow(/nowMs: .* got NaN/);
  });
});

describe('SimLine: the bus as a byte transport with line timing', () => {
  const timers = (): VirtualTimers => new VirtualTimers({ startMs: T0, idle: (f) => setImmediate(f) });

  /** Every byte the line delivers after `request` until it has been quiet for `quietMs`. */
  async function exchange(line: SimLine, request: Uint8Array, quietMs = 200): Promise<LinkUnit[]> {
    line.discard();
    await line.write(request);
    const bytes: number[] = [];
    for (let c = await line.read(quietMs); c; c = await line.read(quietMs)) bytes.push(...c);
    return units(Uint8Array.from(bytes));
  }

  it('answers SND_NKE with E5 and REQ_UD2 with a RSP_UD that arrives in several chunks', async () => {
    const b = bus();
    const line = new SimLine(b, { baud: 2400, timers: timers() });
    await line.write(NKE(1));
    expect(await line.read(1000)).toEqual(Uint8Array.of(ACK));
    await line.write(REQ(1, true));
    const r = new FrameReader();
    const got: LinkUnit[] = [];
    let chunks = 0;
    while (got.length === 0) {
      const c = await line.read(1000);
      expect(c).not.toBeNull();
      chunks++;
      expect(c!.length).toBeLessThanOrEqual(SIM_CHUNK_BYTES);
      r.push(c!);
      got.push(...r.take());
    }
    expect(chunks).toBeGreaterThan(3);
    expect(got[0].kind).toBe('frame');
    expect(decoded(got[0].bytes).address?.id).toBe('12345678');
  });

  it('the answer is not there before the line could carry it; silence is a null read', async () => {
    const t = timers();
    const line = new SimLine(bus(), { baud: 300, timers: t });
    await line.write(REQ(1, true));
    expect(await line.read(1)).toBeNull();
    const before = t.now();
    expect(await line.read(5000)).not.toBeNull();
    expect(t.now()).toBeGreaterThan(before);
    line.discard();
    await line.write(NKE(77));
    expect(await line.read(300)).toBeNull();
  });

  it('virtual time goes on when a timer callback throws', async () => {
    const t = timers();
    const errors: unknown[] = [];
    const onError = (e: unknown): void => void errors.push(e);
    process.on('uncaughtException', onError);
    try {
      t.setTimeout(() => {
        throw new Error('boom');
      }, 5);
      const fired = await new Promise<number>((resolve) => t.setTimeout(() => resolve(t.now()), 10));
      expect(fired).toBe(T0 + 10);
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(errors).toHaveLength(1);
  });

  it('a read rejects as soon as its signal aborts', async () => {
    const line = new SimLine(bus(), { baud: 2400, timers: timers() });
    const ac = new AbortController();
    const p = line.read(60_000, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    await expect(line.read(10, ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('collisions reach the master as garbage; a request written in pieces still counts', async () => {
    const seg = simSegment(10, { seed: 2, duplicatePrimary: 2 });
    const line = new SimLine(new SimBus({ meters: seg, startEpochMs: T0 }), { baud: 9600, timeScale: 10, timers: timers() });
    for (const q of [NKE(1), REQ(2, true)]) {
      const u = await exchange(line, q);
      expect(u.length).toBeGreaterThan(0);
      expect(u.every((x) => x.kind === 'garbage')).toBe(true);
    }
    const q = REQ(5, true);
    await line.write(q.subarray(0, 2));
    await line.write(q.subarray(2));
    const bytes: number[] = [];
    for (let c = await line.read(200); c; c = await line.read(200)) bytes.push(...c);
    const u = units(Uint8Array.from(bytes));
    expect(u).toHaveLength(1);
    expect(u[0].kind).toBe('frame');
    expect(decoded(u[0].bytes).primaryAddress).toBe(5);
  });

  it('baud change: after CI BD the meter is only heard on a 9600 line', async () => {
    const line = new SimLine(bus(), { baud: 2400, timers: timers() });
    await line.write(longFrame(C.SND_UD, 1, 0xbd));
    expect(await line.read(1000)).toEqual(Uint8Array.of(ACK));
    await line.write(NKE(1));
    expect(await line.read(500)).toBeNull();
    line.baud = 9600;
    await line.write(NKE(1));
    expect(await line.read(500)).toEqual(Uint8Array.of(ACK));
  });
});

describe('the project\'s master (shared/mbus/master.ts) on the simulated line', () => {
  const setup = (seg: SimMbusMeter[], baud: 300 | 2400 | 9600 = 2400) => {
    const bus = new SimBus({ meters: seg, startEpochMs: T0 });
    const timers = new VirtualTimers({ startMs: T0, idle: (f) => setImmediate(f) });
    const line = new SimLine(bus, { baud, timers });
    return { bus, timers, line, master: new MbusMaster(line, { baud }) };
  };

  it('primary scan: present meters, and collisions where two share an address', async () => {
    const seg = simSegment(30, { seed: 4, duplicatePrimary: 3 });
    const { master } = setup(seg);
    const hits = await master.scanPrimary({ from: 0, to: 40 });
    expect(hits.filter((h) => h.state === 'collision').map((h) => h.primaryAddress)).toEqual([1, 2, 3]);
    expect(hits.filter((h) => h.state === 'present').map((h) => h.primaryAddress)).toEqual(Array.from({ length: 24 }, (_, i) => i + 4));
  });

  it('reads a MULTICAL 603 over three telegrams and gets the values the meter holds', async () => {
    const { master, bus, timers } = setup(meters);
    const read = await master.read({ primary: 2 });
    expect(read.frames).toHaveLength(3);
    expect(read.address?.id).toBe('12345679');
    const r = bus.reading('12345679', timers.now());
    expect(rec(read.decoded[0], '04FB00')).toBe(r.energyKWh);
    expect(rec(read.decoded[1], '046D')).toBe(r.dateTime);
    // a second read goes through all three again
    const again = await master.read({ secondary: bus.secondaries[1] });
    expect(again.frames).toHaveLength(3);
  });

  it('the wildcard search finds every meter of a colliding 80-meter segment', async () => {
    const seg = simSegment(80, { seed: 9 });
    const { master, bus } = setup(seg, 9600);
    const hits = await master.searchSecondary();
    expect(hits.map((h) => h.secondary).sort()).toEqual([...bus.secondaries].sort());
    expect(seg.some((m) => bus.isSelected(m.id))).toBe(false);
  });

  it('valve: the generic profile closes and opens it and reads the state back', async () => {
    const { master, bus } = setup(meters);
    const closed = await switchValve(master, { primary: 1 }, GENERIC_DIGITAL_OUTPUT, 'close');
    expect(closed.state).toBe('closed');
    expect(bus.valve('12345678')).toBe('closed');
    expect((await switchValve(master, { primary: 1 }, GENERIC_DIGITAL_OUTPUT, 'open')).state).toBe('open');
    expect(bus.valve('12345678')).toBe('open');
  });

  it('noisy line: retries get the reading; a meter that never answers is a clear per-meter error', async () => {
    const { master: plain, bus, line } = setup(meters);
    const master = new MbusMaster(line, { baud: 2400, retries: 6 });
    bus.setFaults({ seed: 8, garble: 0.2, silence: 0.1, badChecksum: 0.1 });
    for (let i = 0; i < 5; i++) {
      const read = await master.read({ primary: 3 });
      expect(read.address?.id).toBe('55501234');
    }
    const { garble, silence, badChecksum } = bus.stats.faults;
    expect(garble).toBeGreaterThan(0);
    expect(silence + badChecksum).toBeGreaterThan(0);
    bus.setFaults({ silence: 1 });
    const err = await plain.read({ primary: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MbusError);
    expect((err as MbusError).code).toBe('timeout');
    expect((err as MbusError).message).toMatch(/primary address 3 did not answer .*3 attempts/);
  });

  it('baud change: the master switches the meter, the line follows, the meter answers at 9600', async () => {
    const { master, line, bus, timers } = setup(meters);
    await master.setBaudRate({ primary: 4 }, 9600);
    expect(bus.meters[3].baud).toBe(9600);
    expect(await master.ping(4)).toBe('absent');
    line.baud = 9600;
    const fast = new MbusMaster(line, { baud: 9600 });
    expect(await fast.ping(4)).toBe('present');
    expect(timers.pending).toBeGreaterThanOrEqual(0);
  });
});
