// The simulated receiver's model: real telegrams, each meter's interval, RSSI and range,
// collisions, determinism. Every telegram is decoded by the shared decoder with the meters'
// keys and must give back the values the simulated meter holds.
import { describe, expect, it } from 'vitest';
import { DriveBySimulation } from '../../../web/src/lib/hardware/sim/drive-by';
import { sampleDrive, sampleMeter, SAMPLE_ORIGIN } from '../../../web/src/lib/hardware/sim/sample';
import { airTimeMs } from '../../../web/src/lib/hardware/sim/radio';
import type { SimEvent, SimMeter } from '../../../web/src/lib/hardware/sim/types';
import { decodeTelegram } from '../../../shared/wmbus/telegram';
import { KeyRing } from '../../../shared/wmbus/keyring';
import { CompactFormatTable } from '../../../shared/wmbus/compact';
import { toHex } from '../../../shared/bytes/hex';

const START = Date.UTC(2026, 2, 14, 9, 30); // calendar time of virtual 0
const MIN = 60_000;

function ringOf(meters: readonly SimMeter[]): KeyRing {
  const ring = new KeyRing();
  for (const m of meters) ring.set({ manufacturer: m.manufacturer, id: m.id }, toHex(m.key));
  return ring;
}

/** East of the origin by `m` metres. */
const east = (m: number) => ({ lat: SAMPLE_ORIGIN.lat, lon: SAMPLE_ORIGIN.lon + m / (111_320 * Math.cos((SAMPLE_ORIGIN.lat * Math.PI) / 180)) });
const parked = { points: [SAMPLE_ORIGIN], speedKmh: 1 };

describe('telegrams', () => {
  const drive = sampleDrive(7);
  const sim = new DriveBySimulation({ seed: 7, meters: drive.meters, route: drive.route, startEpochMs: START });
  const events = sim.advance(sim.routeEndMs);

  it('hears a plausible share of the street', () => {
    expect(events.length).toBeGreaterThan(100);
    const kinds = new Set(events.map((e) => e.frame));
    expect(kinds).toEqual(new Set(['full', 'compact', 'oms']));
  });

  it('every telegram decodes with the meters keys to the simulated registers', () => {
    const keys = ringOf(drive.meters);
    // no table learning from full frames first: compact frames decode with the §4.2 formats
    const formats = new CompactFormatTable();
    for (const e of events) {
      const r = decodeTelegram(e.telegram, { keys, formats });
      if (!r.ok) throw new Error(`${e.meter.id} ${e.frame}: ${JSON.stringify(r.issues)}`);
      expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
      expect(r.value.address).toMatchObject({ manufacturer: e.meter.manufacturer, id: e.meter.id });
      expect(r.value.security.state).toBe('decrypted');
      const got = r.value.records.map((d) => ({ value: d.value, unit: d.unit, storage: d.storage }));
      const want = e.fields.map((f) => ({ value: typeof f.value === 'number' ? expect.closeTo(f.value, 9) : f.value, unit: f.unit, storage: f.storage }));
      expect(got).toEqual(want);
    }
  });

  it('Kamstrup C1: ELL CI 8D with AES-CTR, 7 compact frames to 1 full', () => {
    const m = sampleMeter('kamstrup-heat-403', 3, 0, SAMPLE_ORIGIN);
    const s = new DriveBySimulation({ seed: 3, meters: [m], route: parked, startEpochMs: START, radio: { lossRate: 0 } });
    const heard = s.advance(40 * 16_000);
    expect(heard.length).toBeGreaterThanOrEqual(38);
    expect(heard.every((e) => e.telegram[10] === 0x8d && (e.telegram[14] >> 5) === 1)).toBe(true);
    const fulls = heard.map((e, i) => (e.frame === 'full' ? i : -1)).filter((i) => i >= 0);
    expect(fulls.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < fulls.length; i++) expect(fulls[i] - fulls[i - 1]).toBe(8);
    // registers advance: energy and volume never fall, and rise over 10 minutes
    const energy = heard.map((e) => e.fields[0].value as number);
    const volume = heard.map((e) => e.fields[3].value as number);
    for (let i = 1; i < heard.length; i++) {
      expect(energy[i]).toBeGreaterThanOrEqual(energy[i - 1]);
      expect(volume[i]).toBeGreaterThanOrEqual(volume[i - 1]);
    }
    expect(volume.at(-1)!).toBeGreaterThan(volume[0]);
    expect(heard[0].fields.find((f) => f.unit === 'date' && f.storage === 0)!.value).toBe('2026-03-14');
    expect(heard[0].fields.find((f) => f.unit === 'date' && f.storage === 1)!.value).toBe('2026-03-01');
  });

  it('the same seed gives the same bytes, in one step or many', () => {
    const again = new DriveBySimulation({ seed: 7, meters: drive.meters, route: drive.route, startEpochMs: START });
    const stepped: SimEvent[] = [];
    for (let t = 1234; t < sim.routeEndMs + 1234; t += 1234) stepped.push(...again.advance(Math.min(t, sim.routeEndMs)));
    expect(stepped.map((e) => `${e.atMs} ${e.rssiDbm} ${toHex(e.telegram)}`)).toEqual(events.map((e) => `${e.atMs} ${e.rssiDbm} ${toHex(e.telegram)}`));
    const other = new DriveBySimulation({ seed: 8, meters: drive.meters, route: drive.route, startEpochMs: START }).advance(sim.routeEndMs);
    expect(other.map((e) => toHex(e.telegram))).not.toEqual(events.map((e) => toHex(e.telegram)));
  });

  it('delivers each transmission at most once', () => {
    // (M, ID, ACC) is unique while a meter sends fewer than 256 telegrams (§9 duplicates)
    const acc = (e: SimEvent) => e.telegram[e.telegram[10] === 0x8d ? 12 : 11];
    const seen = new Set(events.map((e) => `${e.meter.manufacturer} ${e.meter.id} ${acc(e)}`));
    expect(seen.size).toBe(events.length);
  });
});

describe('intervals', () => {
  const meters = [
    sampleMeter('kamstrup-water-21', 1, 0, SAMPLE_ORIGIN),
    { ...sampleMeter('kamstrup-water-21', 1, 1, SAMPLE_ORIGIN), intervalS: 96 },
    sampleMeter('oms-water', 1, 2, SAMPLE_ORIGIN),
  ];
  const sim = new DriveBySimulation({ seed: 1, meters, route: parked, startEpochMs: START, radio: { lossRate: 0 } });
  const tx = sim.transmissions(0, 120 * MIN);

  it.each([
    [0, 16],
    [1, 96],
    [2, 900],
  ])('meter %i sends every %i s (± 1 %)', (i, seconds) => {
    const starts = tx.filter((t) => t.meter === meters[i]).map((t) => t.startMs);
    expect(starts.length).toBeGreaterThanOrEqual(Math.floor((120 * 60) / seconds) - 1);
    for (let k = 1; k < starts.length; k++) expect(Math.abs(starts[k] - starts[k - 1] - seconds * 1000)).toBeLessThanOrEqual(seconds * 10 + 1);
  });

  it('air time: C1 compact ≈ 4 ms, T1 longer per byte', () => {
    expect(airTimeMs(40, 'C1')).toBeGreaterThan(3.5);
    expect(airTimeMs(40, 'C1')).toBeLessThan(4.5);
    expect(airTimeMs(40, 'T1')).toBeGreaterThan(airTimeMs(40, 'C1') * 1.4);
  });
});

describe('radio', () => {
  const distances = [5, 20, 50, 100, 200, 400, 800, 1600];
  const meters = distances.map((d, i) => ({ ...sampleMeter('kamstrup-water-21', 5, i, east(d)), placement: 'outdoor' as const }));
  const sim = new DriveBySimulation({ seed: 5, meters, route: parked, startEpochMs: START, radio: { lossRate: 0 } });
  const tx = sim.transmissions(0, 60 * MIN);

  it('RSSI falls with distance', () => {
    const mean = (m: SimMeter) => {
      const r = tx.filter((t) => t.meter === m).map((t) => t.rssiDbm);
      return r.reduce((a, b) => a + b, 0) / r.length;
    };
    const means = meters.map(mean);
    for (let i = 1; i < means.length; i++) expect(means[i]).toBeLessThan(means[i - 1]);
    // a log-distance law: doubling the distance costs 10·n·log10(2) ≈ 10.5 dB on average
    expect(means[0] - means[4]).toBeGreaterThan(40);
  });

  it('nothing is heard beyond range, nearly everything close by', () => {
    const heard = (m: SimMeter) => tx.filter((t) => t.meter === m && t.fate === 'heard').length / tx.filter((t) => t.meter === m).length;
    expect(heard(meters[0])).toBeGreaterThan(0.95);
    expect(heard(meters[7])).toBe(0);
    expect(tx.filter((t) => t.fate === 'heard').every((t) => t.rssiDbm > -112)).toBe(true);
  });

  it('a basement meter is weaker than the same meter indoors', () => {
    const base = sampleMeter('kamstrup-heat-403', 9, 0, east(60));
    const a = new DriveBySimulation({ seed: 9, meters: [{ ...base, placement: 'indoor' }], route: parked, startEpochMs: START });
    const b = new DriveBySimulation({ seed: 9, meters: [{ ...base, placement: 'basement' }], route: parked, startEpochMs: START });
    const ra = a.transmissions(0, 10 * MIN).map((t) => t.rssiDbm);
    const rb = b.transmissions(0, 10 * MIN).map((t) => t.rssiDbm);
    ra.forEach((r, i) => expect(r - rb[i]).toBeCloseTo(10, 5));
  });
});

describe('collisions', () => {
  function crowd(n: number): { share: number; collided: number } {
    // n meters all within 30 m, all on 16 s: offered load G = n · air time / 16 s
    const meters = Array.from({ length: n }, (_, i) => sampleMeter(i % 2 ? 'kamstrup-heat-403' : 'kamstrup-water-21', 11, i, east((i % 30) + 5)));
    const sim = new DriveBySimulation({ seed: 11, meters, route: parked, startEpochMs: START, radio: { lossRate: 0 } });
    const tx = sim.transmissions(0, 5 * MIN);
    const collided = tx.filter((t) => t.fate === 'collision').length;
    return { share: collided / tx.length, collided };
  }

  it('are rare with a few meters and significant with a thousand (pure ALOHA with capture)', () => {
    const few = crowd(10);
    const many = crowd(1000);
    expect(few.share).toBeLessThan(0.02);
    // 1000 meters × ~4-7 ms / 16 s: G ≈ 0.3; without capture 1 − e^(−2G) ≈ 45 % would be lost
    expect(many.share).toBeGreaterThan(0.15);
    expect(many.share).toBeLessThan(0.6);
  });
});
