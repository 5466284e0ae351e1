// A drive for the end-to-end tests and the field benchmarks: meters along streets, put on the
// server as an office would (CSV imports of metering points, meters and keys, groups, an authorised
// device with a route), and the same meters as the simulated receiver's config (SimSerialConfig
// of web/src/lib/hardware/sim/serial-shim.ts), so the telegrams it sends are those meters'.
// Plain ESM so both Playwright specs and bench/*.mjs import it.

/** Meter identities as the simulator's kinds send them (web/src/lib/hardware/sim/sample.ts IDENT). */
const KINDS = {
  'kamstrup-heat-403': { manufacturer: 'KAM', version: 0x34, deviceType: 0x04, mode: 'C1', medium: 'heat', model: 'MULTICAL 403' },
  'kamstrup-water-21': { manufacturer: 'KAM', version: 0x1b, deviceType: 0x16, mode: 'C1', medium: 'water', model: 'MULTICAL 21' },
  'oms-water': { manufacturer: 'DME', version: 0x70, deviceType: 0x07, mode: 'T1', medium: 'water', model: 'OMS water meter' }
};

const ORIGIN = { lat: 56.0215, lon: 9.284 };
const M_PER_DEG = 111_320;

function offset(eastM, northM) {
  return {
    lat: ORIGIN.lat + northM / M_PER_DEG,
    lon: ORIGIN.lon + eastM / (M_PER_DEG * Math.cos((ORIGIN.lat * Math.PI) / 180))
  };
}

/** xorshift32: the same seed gives the same drive. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const hex = (random, bytes) => Array.from({ length: bytes }, () => Math.floor(random() * 256).toString(16).padStart(2, '0')).join('');

/**
 * `count` meters on streets 120 m apart, houses every `spacingM` on both sides 12 m from the road
 * centre, `perStreet` meters per street; the car drives the streets in a serpentine.
 * Kinds cycle heat, water, heat, water, …, every `omsEvery`-th an OMS water meter (T1). Intervals:
 * 16 s for Kamstrup C1 (drive-by, protocols.md §9); OMS meters `omsIntervalS` (900 s in the field;
 * tests shorten it so a short drive hears them).
 */
export function makeDrive({ count, seed = 1, perStreet = 40, spacingM = 10, omsEvery = 7, omsIntervalS = 900, speedKmh = 25 }) {
  const random = rng(seed);
  const meters = [];
  const points = [];
  const streets = Math.ceil(count / perStreet);
  const length = (perStreet / 2) * spacingM + 20;
  for (let s = 0; s < streets; s++) {
    const north = s * 120;
    const ends = [offset(-10, north), offset(length, north)];
    points.push(...(s % 2 === 0 ? ends : ends.reverse()));
  }
  for (let i = 0; i < count; i++) {
    const street = Math.floor(i / perStreet);
    const k = i % perStreet;
    const kind = i % omsEvery === omsEvery - 1 ? 'oms-water' : i % 2 === 0 ? 'kamstrup-heat-403' : 'kamstrup-water-21';
    const { manufacturer, version, deviceType, mode } = KINDS[kind];
    meters.push({
      manufacturer,
      id: String(10_000_000 + seed * 100_000 + i).slice(-8),
      version,
      deviceType,
      kind,
      key: hex(random, 16).toUpperCase(),
      position: offset(Math.floor(k / 2) * spacingM + spacingM / 2, street * 120 + (k % 2 === 0 ? -12 : 12)),
      intervalS: kind === 'oms-water' ? omsIntervalS : 16,
      mode,
      placement: 'outdoor'
    });
  }
  return { meters, route: { points, speedKmh } };
}

const csvOf = (header, rows) => [header.join(','), ...rows.map((r) => r.join(','))].join('\n');

async function ok(res, what) {
  if (!res.ok()) throw new Error(`${what}: ${res.status()} ${await res.text()}`);
  return res.json();
}

/**
 * Puts the drive's meters on the server through `request` (a Playwright APIRequestContext signed
 * in as an administrator): metering points with positions, meters installed there, keys (the
 * meters in `wrongKeys` get another key than the one they send with), and groups.
 * `groups`: [{ name, from, to }] index ranges of the meters. Returns meter ids by serial and group ids.
 */
export async function seedDrive(request, { meters }, { groups, wrongKeys = [] }) {
  const points = meters.map((m, i) => [`MP-${m.id}`, `"Bench street ${Math.floor(i / 2) + 1}, house ${i}"`, m.position.lat.toFixed(7), m.position.lon.toFixed(7)]);
  await ok(await request.post('/api/imports/csv', { data: { kind: 'metering-points', csv: csvOf(['number', 'address', 'lat', 'lon'], points) } }), 'points');
  const meterRows = meters.map((m) => {
    const k = KINDS[m.kind];
    return [m.manufacturer, m.id, m.version, m.deviceType, k.medium, `"${k.model}"`, 'drive-by', m.intervalS, `MP-${m.id}`, '2025-01-01'];
  });
  const meterHeader = ['manufacturer', 'serial', 'version', 'deviceType', 'medium', 'model', 'readingMode', 'intervalS', 'meteringPointNumber', 'installedFrom'];
  await ok(await request.post('/api/imports/csv', { data: { kind: 'meters', csv: csvOf(meterHeader, meterRows) } }), 'meters');
  const wrong = new Set(wrongKeys);
  const keyRows = meters.map((m) => [m.id, m.manufacturer, wrong.has(m.id) ? 'A5'.repeat(16) : m.key]);
  await ok(await request.post('/api/imports/csv', { data: { kind: 'keys', csv: csvOf(['serial', 'manufacturer', 'key'], keyRows) } }), 'keys');

  const ids = new Map();
  for (let offset = 0; ; offset += 500) {
    const page = await ok(await request.get(`/api/meters?limit=500&offset=${offset}`), 'meter list');
    for (const m of page.items) ids.set(m.serial, m.id);
    if (page.items.length < 500) break;
  }
  const groupIds = [];
  for (const g of groups) {
    const { group } = await ok(await request.post('/api/groups', { data: { name: g.name } }), 'group');
    const members = meters.slice(g.from, g.to).map((m) => ids.get(m.id));
    for (let i = 0; i < members.length; i += 5000) {
      await ok(await request.post(`/api/groups/${group.id}/members`, { data: { meterIds: members.slice(i, i + 5000) } }), 'members');
    }
    groupIds.push(group.id);
  }
  return { ids, groupIds };
}

/** An administrator authorises the pending device named `name` and gives it the groups as its route. */
export async function authoriseDevice(request, name, groupIds) {
  const { devices } = await ok(await request.get('/api/devices?status=pending&limit=500'), 'devices');
  const device = devices.find((d) => d.name === name);
  if (!device) throw new Error(`no pending device named ${name} (pending: ${devices.map((d) => d.name).join(', ') || 'none'})`);
  await ok(await request.post(`/api/devices/${device.id}/authorise`), 'authorise');
  await ok(await request.post(`/api/devices/${device.id}/route`, { data: { groupIds } }), 'route');
  return device.id;
}
