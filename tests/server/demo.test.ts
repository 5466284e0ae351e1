// The demo utility (issue 4): a small demo (the generator takes a size) on the real schema and
// stores: consistent registers, plausible values, the registry around every meter, seeded events
// in the info codes the Kamstrup drivers read, the ingested sample equal to the bulk rows, and
// the same data for the same seed.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HOUR_MS, makeClimate } from '../../server/src/demo/climate';
import { parseEnv } from '../../server/src/env';
import { planFleet } from '../../server/src/demo/fleet';
import { DEMO_SOURCE, demoPlan, generateDemo, sampleIndexes, type DemoOptions, type DemoResult } from '../../server/src/demo/index';
import { HEAT_INFO, meterSeries, WATER_HEAT_CAPACITY, WATER_INFO, type Series } from '../../server/src/demo/model';
import { demoTelegram } from '../../server/src/demo/telegrams';
import { applyDriver, findDriver } from '../../shared/drivers/index';
import { KeyRing } from '../../shared/wmbus/keyring';
import { decodeTelegram } from '../../shared/wmbus/telegram';
import { makeTestServer, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir('readout-demo-test-');
// mid-January: the 30 days before are winter
const END = Date.UTC(2026, 0, 15, 12);
const OPTS = { seed: 'demo-test', meters: 50, days: 30, sampleMeters: 10, sampleHours: 24, end: END } as const;

interface Row {
  meter_id: number;
  at: number;
  energy: number | null;
  volume: number | null;
  flow: number | null;
  power: number | null;
  t_flow: number | null;
  t_return: number | null;
  info: number | null;
}

let server: TestServer;
let tenantId: number;
let result: DemoResult;
let meterIds: number[]; // by plan index

async function demoServer(opts: Omit<DemoOptions, 'tenantId'>): Promise<{ server: TestServer; tenantId: number; result: DemoResult }> {
  const s = await makeTestServer(tempDir());
  const t = (s.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  const r = await generateDemo(s.db, s.stores, { ...opts, tenantId: t });
  return { server: s, tenantId: t, result: r };
}

function rowsOf(meterId: number): Row[] {
  return server.db.prepare('select * from reading where meter_id = ? order by at').all(meterId) as Row[];
}

beforeAll(async () => {
  ({ server, tenantId, result } = await demoServer(OPTS));
  const { fleet } = demoPlan(OPTS);
  meterIds = fleet.meters.map(
    (m) => (server.db.prepare('select id from meter where tenant_id = ? and manufacturer = ? and serial = ?').get(tenantId, m.type.manufacturer, m.serial) as { id: number }).id
  );
});
afterAll(() => server.close());

describe('DEMO', () => {
  test('on by default (npm start), off with 0, a clear message otherwise', () => {
    expect(parseEnv({}).ok && (parseEnv({}) as { env: { DEMO: boolean } }).env.DEMO).toBe(true);
    const off = parseEnv({ DEMO: '0' });
    expect(off.ok && off.env.DEMO).toBe(false);
    const bad = parseEnv({ DEMO: 'yes' });
    expect(bad.ok ? [] : bad.errors).toEqual(['DEMO: expected 1 (demo data on first start) or 0 (none), got "yes"']);
  });
});

describe('registry', () => {
  test('the requested size, every meter at a metering point with a customer, address and position', () => {
    expect(result).toMatchObject({ meters: 50, meteringPoints: 50, telegrams: 240, decoded: 240 });
    expect(result.bulkReadings).toBe(50 * 30 * 24 - 240);
    const rows = server.db
      .prepare(
        `select m.id, p.address, p.postal_code, p.city, p.lat, p.lon, c.name
           from meter m left join installation i on i.meter_id = m.id and i.to_at is null
           left join metering_point p on p.id = i.metering_point_id left join customer c on c.id = p.customer_id
          where m.tenant_id = ?`
      )
      .all(tenantId) as { address: string | null; postal_code: string | null; city: string | null; lat: number | null; lon: number | null; name: string | null }[];
    expect(rows).toHaveLength(50);
    for (const r of rows) {
      expect(r.address).toMatch(/^\S.* \d+[AB]?$/);
      expect(r.postal_code).toMatch(/^748\d$/);
      expect(r.city).toBe('Lindebæk');
      expect(r.lat).toBeGreaterThan(55.9);
      expect(r.lat).toBeLessThan(56.1);
      expect(r.lon).toBeGreaterThan(9.2);
      expect(r.lon).toBeLessThan(9.4);
      expect(r.name).toBeTruthy();
    }
  });

  test("every meter's key is in the vault, the one its telegrams are encrypted with", () => {
    const { fleet } = demoPlan(OPTS);
    const keys = server.stores.keys.keysForMeters(tenantId, meterIds);
    expect(keys).toHaveLength(50);
    const byId = new Map(keys.map((k) => [k.meterId, k.key]));
    fleet.meters.forEach((m, i) => expect(Buffer.from(byId.get(meterIds[i])!).equals(Buffer.from(m.key))).toBe(true));
    // stored encrypted: no row holds the key in clear
    const stored = server.db.prepare('select ciphertext from meter_key').all() as { ciphertext: Buffer }[];
    for (const s of stored) for (const m of fleet.meters) expect(s.ciphertext.includes(Buffer.from(m.key))).toBe(false);
  });

  test('groups by district and by meter type; one audit entry for the demo', () => {
    const names = server.stores.groups.list(tenantId).groups.map((g) => g.name);
    expect(names.some((n) => n.startsWith('District '))).toBe(true);
    expect(names).toContain('MULTICAL 403 (heat)');
    const entries = server.db.prepare("select details from audit_entry where event = 'demo.created'").all() as { details: string }[];
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0].details)).toMatchObject({ meters: 50, seed: 'demo-test' });
  });
});

describe('readings', () => {
  test('every hour of every meter, registers monotonic (no negative consumption)', () => {
    const wrong: string[] = [];
    for (const id of meterIds) {
      const rows = rowsOf(id);
      expect(rows).toHaveLength(30 * 24);
      for (let i = 1; i < rows.length; i++) {
        if (rows[i].at - rows[i - 1].at !== HOUR_MS) wrong.push(`meter ${id} gap at ${rows[i].at}`);
        for (const k of ['energy', 'volume'] as const) {
          if (rows[i][k] !== null && !(rows[i][k]! >= rows[i - 1][k]!)) wrong.push(`meter ${id} ${k} falls at ${rows[i].at}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  test('heat meters in winter: flow 50-90 °C, ΔT positive, energy = volume · ΔT · c within rounding', () => {
    const { fleet } = demoPlan(OPTS);
    const heat = fleet.meters.filter((m) => m.heat);
    expect(heat.length).toBeGreaterThan(10);
    for (const m of heat) {
      const rows = rowsOf(meterIds[m.index]);
      let fromFlows = 0;
      for (const r of rows) {
        if (!(r.t_flow! >= 5000 && r.t_flow! <= 9000 && r.t_flow! > r.t_return!)) {
          expect.fail(`meter ${r.meter_id} at ${r.at}: flow ${r.t_flow! / 100} °C, return ${r.t_return! / 100} °C`);
        }
        fromFlows += (r.flow! / 1e6) * ((r.t_flow! - r.t_return!) / 100) * WATER_HEAT_CAPACITY; // kWh
      }
      const kWh = (rows[rows.length - 1].energy! - rows[0].energy!) / 3.6e6;
      // the first hour's energy is in rows[0] already; flows are rounded to 1 l/h
      expect(Math.abs(fromFlows - kWh)).toBeLessThan(0.03 * kWh + 5);
      // winter use of a building: more than 1 kW on average
      expect(kWh / rows.length).toBeGreaterThan(0.5);
    }
  });

  test('most installations cool about 30 K, poor ones 10-15 K at design load', () => {
    const fleet = planFleet('demo-test', 2000, 24).meters;
    const heat = fleet.filter((m) => m.heat).map((m) => m.heat!.designDeltaT);
    const good = heat.filter((d) => d >= 28 && d <= 36).length;
    const poor = heat.filter((d) => d >= 10 && d <= 15).length;
    expect(good + poor).toBe(heat.length);
    expect(good / heat.length).toBeGreaterThan(0.8);
    expect(poor).toBeGreaterThan(0);
  });

  test('water meters follow a daily pattern: quiet nights, busy mornings and evenings', () => {
    const { fleet } = demoPlan(OPTS);
    const byHour = new Array(24).fill(0);
    for (const m of fleet.meters.filter((x) => x.type.kind === 'mc21' && x.events.length === 0)) {
      for (const r of rowsOf(meterIds[m.index])) byHour[(new Date(r.at).getUTCHours() + 1) % 24] += r.flow!;
    }
    expect(byHour[2] + byHour[3]).toBe(0);
    expect(byHour[7]).toBeGreaterThan(3 * byHour[13]);
  });

  test('electricity: A+ rises with a daily profile, power in W', () => {
    const { fleet, climate } = demoPlan({ ...OPTS, meters: 400 });
    const m = fleet.meters.find((x) => x.type.kind === 'omnipower')!;
    const s = meterSeries('demo-test', m, climate);
    const evening = [] as number[];
    const night = [] as number[];
    for (let h = 0; h < climate.hours; h++) (climate.localHour[h] === 18 ? evening : climate.localHour[h] === 3 ? night : []).push(s.power![h]);
    expect(avg(evening)).toBeGreaterThan(2.5 * avg(night));
    expect(s.energy![climate.hours - 1]).toBeGreaterThan(s.energy![0]);
  });
});

const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('events in the info codes', () => {
  // Events are rare per meter: plan 2,000 meters over 60 days and compute only the meters with events.
  const days = 60;
  const end = Date.UTC(2026, 2, 1);
  const hours = days * 24;
  const fleet = planFleet('events', 2000, hours);
  const climate = makeClimate('events', end - (hours - 1) * HOUR_MS, hours);
  const seriesOf = new Map<number, Series>();
  const get = (i: number) => seriesOf.get(i) ?? seriesOf.set(i, meterSeries('events', fleet.meters[i], climate)).get(i)!;
  const withEvent = (kind: string) => fleet.meters.filter((m) => m.events.some((e) => e.kind === kind));

  test.each([
    ['leak', WATER_INFO.leak],
    ['burst', WATER_INFO.burst],
    ['dry', WATER_INFO.dry],
    ['reverse', WATER_INFO.reverse]
  ] as const)('MULTICAL 21 %s: the active bit while it lasts, its duration code afterwards', (kind, bit) => {
    const meters = withEvent(kind);
    expect(meters.length).toBeGreaterThan(0);
    for (const m of meters) {
      const s = get(m.index);
      for (const e of m.events.filter((x) => x.kind === kind)) {
        // a leak shows once a day has passed without an hour of zero flow
        const from = kind === 'leak' ? e.from + 24 : e.from;
        for (let h = from; h < e.to; h++) expect((s.info![h] >> bit) & 1).toBe(1);
        if (kind === 'burst') for (let h = e.from; h < e.to; h++) expect(s.flow![h] / 1000).toBeGreaterThanOrEqual(m.water!.burstLimit);
        if (kind === 'dry' || kind === 'reverse') for (let h = e.from; h < e.to; h++) expect(s.volume![h]).toBe(s.volume![e.from - 1]);
        if (e.to < hours) expect((s.info![e.to] >> (4 + 3 * bit)) & 7).toBeGreaterThan(0);
      }
    }
  });

  test('no leak or burst alarm on a water meter without a seeded leak or burst', () => {
    const quiet = fleet.meters.filter((m) => m.type.kind === 'mc21' && m.events.length === 0).slice(0, 60);
    expect(quiet.length).toBe(60);
    for (const m of quiet) expect(Array.from(get(m.index).info!).every((v) => v === 0)).toBe(true);
  });

  test.each([
    ['air', HEAT_INFO.air],
    ['heat-reverse', HEAT_INFO.reverse],
    ['supply-cut', HEAT_INFO.supplyCut]
  ] as const)('heat meter %s: info code bit set, nothing counted meanwhile', (kind, mask) => {
    const meters = withEvent(kind).filter((m) => m.type.manufacturer === 'KAM');
    expect(meters.length).toBeGreaterThan(0);
    for (const m of meters) {
      const s = get(m.index);
      for (const e of m.events.filter((x) => x.kind === kind)) {
        for (let h = e.from; h < e.to; h++) {
          expect(s.info![h] & mask).toBe(mask);
          expect(s.flow![h]).toBe(0);
        }
        expect(s.info![e.to] & mask).toBe(0);
      }
    }
  });

  test('the Kamstrup drivers read the seeded events as alarms', () => {
    const m = withEvent('leak')[0];
    const e = m.events.find((x) => x.kind === 'leak')!;
    const bytes = demoTelegram(m, get(m.index), e.to - 1, 7);
    const keys = new KeyRing();
    keys.set({ manufacturer: m.type.manufacturer, id: m.serial }, m.key);
    const d = decodeTelegram(bytes, { keys });
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const reading = applyDriver({ address: d.value.address, status: d.value.status, records: d.value.records, manufacturerData: null }, findDriver(d.value.address));
    expect(reading.driver).toBe('kamstrup-multical21');
    expect(reading.alarms.some((a) => a.kind === 'leak' && a.active)).toBe(true);
  });
});

describe('the sample through the ingest path', () => {
  test('its telegrams were stored raw and decoded into rows equal to the model, for every kind of meter', () => {
    const { fleet, climate } = demoPlan(OPTS);
    const sample = sampleIndexes(fleet.meters.length, OPTS.sampleMeters);
    const kinds = new Set([...sample].map((i) => fleet.meters[i].type.kind));
    expect(kinds.size).toBeGreaterThanOrEqual(4);
    const frames = server.db.prepare("select status, count(*) as n from frame where source = ? group by status").all(DEMO_SOURCE);
    expect(frames).toEqual([{ status: 'decoded', n: 240 }]);
    for (const i of sample) {
      const s = meterSeries(OPTS.seed, fleet.meters[i], climate);
      const rows = rowsOf(meterIds[i]);
      const lastFrame = server.db.prepare('select max(received_at) as at from frame where meter_id = ?').get(meterIds[i]) as { at: number };
      expect(lastFrame.at).toBe(rows[rows.length - 1].at);
      for (let h = 0; h < climate.hours; h++) {
        const r = rows[h];
        expect(r.at).toBe(climate.start + h * HOUR_MS);
        expect([r.energy, r.volume, r.flow, r.power, r.t_flow, r.t_return, r.info]).toEqual(
          [s.energy, s.volume, s.flow, s.power, s.tFlow, s.tReturn, s.info].map((c) => (c ? c[h] : null))
        );
      }
      const ingested = server.db.prepare('select extra from reading where meter_id = ? and at > ?').all(meterIds[i], climate.start + (climate.hours - 25) * HOUR_MS) as { extra: string | null }[];
      expect(ingested.every((r) => r.extra === null)).toBe(true);
    }
  });

  test('the readings store serves the series', () => {
    const s = server.stores.readings.series(tenantId, meterIds[0], END - 30 * 86_400_000, END + 1, 'hour');
    expect(s!.at.length).toBe(30 * 24);
    expect(s!.values.energy.every((v) => v === null || v > 0)).toBe(true);
  });
});

describe('determinism', () => {
  function fingerprint(db: TestServer['db']): string {
    const h = createHash('sha256');
    for (const r of db.prepare('select m.serial, r.* from reading r join meter m on m.id = r.meter_id order by r.meter_id, r.at').raw().iterate()) {
      h.update(JSON.stringify(r));
    }
    for (const r of db.prepare('select number, address, lat, lon from metering_point order by id').raw().iterate()) h.update(JSON.stringify(r));
    for (const r of db.prepare('select number, name, email from customer order by id').raw().iterate()) h.update(JSON.stringify(r));
    return h.digest('hex');
  }

  test('the same seed gives the same town, meters, keys and readings; another seed does not', async () => {
    const again = await demoServer(OPTS);
    const other = await demoServer({ ...OPTS, seed: 'another' });
    try {
      expect(fingerprint(again.server.db)).toBe(fingerprint(server.db));
      expect(fingerprint(other.server.db)).not.toBe(fingerprint(server.db));
      const k1 = server.stores.keys.allKeys(tenantId).map((k) => Buffer.from(k.key).toString('hex'));
      const k2 = again.server.stores.keys.allKeys(again.tenantId).map((k) => Buffer.from(k.key).toString('hex'));
      expect(k2).toEqual(k1);
    } finally {
      again.server.close();
      other.server.close();
    }
  });
});
