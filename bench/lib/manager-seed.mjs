// A utility's register for the Manager benchmarks (issue 6): 100,000 meters, each with a customer
// and a metering point (address, postal code, city, position) in a town of about 6 × 4 km, put on
// a running server as an office would: CSV imports of customers, metering points and meters (in
// chunks under the import size limit), then ten groups of 2,000-20,000 meters. Nothing is cached
// between runs. Plain ESM for bench/*.mjs and Playwright specs.

const ORIGIN = { lat: 56.1357, lon: 8.9766 }; // a town-sized area in Jutland
const M_PER_DEG = 111_320;
const STREETS = ['Nørregade', 'Søndergade', 'Østergade', 'Vestergade', 'Bredgade', 'Kirkevej', 'Skolevej', 'Møllevej', 'Parkvej', 'Engvej', 'Birkevej', 'Egevej', 'Bøgevej', 'Granvej', 'Lindevej', 'Ahornvej'];
const FIRST = ['Anna', 'Bo', 'Camilla', 'Dorte', 'Erik', 'Freja', 'Gustav', 'Hanne', 'Ida', 'Jens', 'Karen', 'Lars', 'Mette', 'Niels', 'Ole', 'Pia'];
const LAST = ['Jensen', 'Nielsen', 'Hansen', 'Pedersen', 'Andersen', 'Christensen', 'Larsen', 'Sørensen', 'Rasmussen', 'Jørgensen', 'Petersen', 'Madsen'];
const MODELS = [
  { manufacturer: 'KAM', medium: 'heat', model: 'MULTICAL 403' },
  { manufacturer: 'KAM', medium: 'water', model: 'MULTICAL 21' },
  { manufacturer: 'KAM', medium: 'heat', model: 'MULTICAL 603' },
  { manufacturer: 'DME', medium: 'water', model: 'OMS water meter' },
  { manufacturer: 'LAS', medium: 'electricity', model: 'E350' }
];
/** Ten groups, 85,000 meters in all; the other 15,000 are in no group. */
export const MANAGER_GROUPS = [20_000, 15_000, 12_000, 10_000, 8_000, 6_000, 5_000, 4_000, 3_000, 2_000];
const CHUNK = 20_000;

/** xorshift32: the same seed gives the same town. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** The register: row i is customer C{i}, metering point MP{i} and meter serial 30000000+i. */
export function makeRegister(count = 100_000, seed = 6) {
  const random = rng(seed);
  const perRow = Math.ceil(Math.sqrt(count * 1.5)); // houses along a street; streets 4/6 as many
  const rows = [];
  for (let i = 0; i < count; i++) {
    const street = Math.floor(i / perRow);
    const house = i % perRow;
    const eastM = house * 16 + (random() - 0.5) * 6;
    const northM = street * 16 + (random() - 0.5) * 6;
    const m = MODELS[i % 7 === 6 ? 3 + (i % 2) : i % 3];
    rows.push({
      customer: `C${100_000 + i}`,
      name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`,
      point: `MP${100_000 + i}`,
      address: `${STREETS[street % STREETS.length]} ${house + 1}${street >= STREETS.length ? ` (${Math.floor(street / STREETS.length) + 1})` : ''}`,
      postalCode: String(7400 + (street % 20)),
      city: 'Herning',
      lat: ORIGIN.lat + northM / M_PER_DEG,
      lon: ORIGIN.lon + eastM / (M_PER_DEG * Math.cos((ORIGIN.lat * Math.PI) / 180)),
      serial: String(30_000_000 + i),
      ...m
    });
  }
  return rows;
}

const cell = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
const csvOf = (header, rows) => [header.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n');

async function ok(res, what) {
  if (!res.ok()) throw new Error(`${what}: ${res.status()} ${(await res.text()).slice(0, 500)}`);
  return res.json();
}

async function importChunks(request, kind, header, rows, toCells) {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const part = rows.slice(i, i + CHUNK);
    const report = await ok(await request.post('/api/imports/csv', { data: { kind, csv: csvOf(header, part.map(toCells)) }, timeout: 120_000 }), kind);
    if (report.invalid) throw new Error(`${kind}: ${report.invalid} rows rejected`);
  }
}

/**
 * Puts the register on the server through `request` (a Playwright APIRequestContext signed in as
 * an administrator). Returns the groups ({id, name, size}) and the meter ids in register order.
 */
export async function seedManager(request, { count = 100_000, seed = 6, log = () => {} } = {}) {
  const t0 = Date.now();
  const rows = makeRegister(count, seed);
  await importChunks(request, 'customers', ['number', 'name'], rows, (r) => [r.customer, r.name]);
  log(`customers ${Date.now() - t0} ms`);
  await importChunks(request, 'metering-points', ['number', 'address', 'postalCode', 'city', 'lat', 'lon', 'customerNumber'], rows, (r) => [
    r.point,
    r.address,
    r.postalCode,
    r.city,
    r.lat.toFixed(6),
    r.lon.toFixed(6),
    r.customer
  ]);
  log(`metering points ${Date.now() - t0} ms`);
  await importChunks(
    request,
    'meters',
    ['manufacturer', 'serial', 'medium', 'model', 'readingMode', 'meteringPointNumber', 'installedFrom'],
    rows,
    (r) => [r.manufacturer, r.serial, r.medium, r.model, 'drive-by', r.point, '2024-01-01']
  );
  log(`meters ${Date.now() - t0} ms`);

  // serial → id through the meter list, sorted by serial (the register's order)
  const ids = [];
  for (let offset = 0; ids.length < count; offset += 500) {
    const page = await ok(await request.get(`/api/meters?sort=serial&limit=500&offset=${offset}`), 'meter list');
    for (const m of page.items) if (m.serial === rows[ids.length]?.serial) ids.push(m.id);
    if (page.items.length < 500) break;
  }
  if (ids.length !== count) throw new Error(`meter list: found ${ids.length} of ${count} seeded meters in order`);

  const groups = [];
  let from = 0;
  for (const [k, size] of MANAGER_GROUPS.entries()) {
    if (from >= count) break;
    const name = `District ${k + 1}`;
    const { group } = await ok(await request.post('/api/groups', { data: { name } }), 'group');
    const members = ids.slice(from, Math.min(from + size, count));
    for (let i = 0; i < members.length; i += 5000) {
      await ok(await request.post(`/api/groups/${group.id}/members`, { data: { meterIds: members.slice(i, i + 5000) } }), 'members');
    }
    groups.push({ id: group.id, name, size: members.length });
    from += size;
  }
  log(`groups ${Date.now() - t0} ms`);
  return { groups, ids, rows };
}
