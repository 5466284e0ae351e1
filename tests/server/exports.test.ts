// Billing exports over the API (M13): the billing reading at the cut-off, interpolated water
// volumes marked estimated, saved formats, the preview, the download's exact bytes and its
// audit entry, and who may do what.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Actor } from '../../server/src/auth/principal';
import type { ExportFormatInput } from '../../server/src/export/format';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let s: TestServer;
let admin: string;
let actor: Actor;
const ids: Record<string, number> = {};

const CUTOFF = Date.UTC(2026, 11, 31, 23, 0); // 1 January 2027 00:00 in Copenhagen
const kWh = (v: number) => Math.round(v * 3.6e6);
const m3 = (v: number) => Math.round(v * 1e6);
const cols = (c: { energy?: number; volume?: number; info?: number }) => ({
  energy: c.energy ?? null,
  volume: c.volume ?? null,
  flow: null,
  power: null,
  tFlow: null,
  tReturn: null,
  info: c.info ?? null,
  extra: null
});

const FORMAT: ExportFormatInput = {
  kind: 'delimited',
  separator: ';',
  decimalMark: ',',
  dateFormat: 'DD.MM.YYYY HH:mm',
  columns: [
    { field: 'customer.number', header: 'Kunde' },
    { field: 'customer.name', header: 'Navn' },
    { field: 'point.address', header: 'Adresse' },
    { field: 'meter.serial', header: 'Måler' },
    { field: 'reading.at', header: 'Aflæst' },
    { field: 'reading.energy', header: 'kWh' },
    { field: 'reading.volume', header: 'm3' },
    { field: 'estimated', header: 'Est' }
  ]
};

const HEADER = 'Kunde;Navn;Adresse;Måler;Aflæst;kWh;m3;Est\r\n';
const LAST_ROWS =
  ';;Torvet 3;12345679;31.12.2026 13:00;;5,500;0\r\n' + //   read on the cut-off day: never estimated
  'C-100;Jens Hansen;Algade 1;76348799;01.01.2027 00:00;1001;50,600;0\r\n' + // the reading at the cut-off itself
  ';;;99999999;;;;0\r\n'; //                                   no installation, no reading

beforeAll(async () => {
  s = await makeTestServer(tempDir());
  admin = await s.as('administrator');
  const tenantId = (s.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  actor = { tenantId, userId: null, name: 'test setup', device: null };
  const now = s.clock.now;
  const { customers, meteringPoints, meters, readings } = s.stores;
  const jens = customers.create(actor, { number: 'C-100', name: 'Jens Hansen' }, now);
  const anna = customers.create(actor, { number: 'C-200', name: 'Anna Berg; Jensen' }, now);
  const p1 = meteringPoints.create(actor, { number: 'MP-1', address: 'Algade 1', postalCode: '4000', city: 'Roskilde', customerId: jens.id }, now);
  const p2 = meteringPoints.create(actor, { number: 'MP-2', address: 'Kirkevej 2', customerId: anna.id }, now);
  const p3 = meteringPoints.create(actor, { number: 'MP-3', address: 'Torvet 3' }, now);
  const heat = meters.create(actor, { manufacturer: 'KAM', serial: '76348799', medium: 'heat', model: 'MULTICAL 603' }, now);
  const water = meters.create(actor, { manufacturer: 'DME', serial: '12345678', medium: 'water', model: 'HYDRUS' }, now);
  const waterRead = meters.create(actor, { manufacturer: 'DME', serial: '12345679', deviceType: 0x16 }, now);
  const bare = meters.create(actor, { manufacturer: 'KAM', serial: '99999999', medium: 'heat' }, now);
  Object.assign(ids, { heat: heat.id, water: water.id, waterRead: waterRead.id, bare: bare.id });
  const installed = Date.UTC(2026, 0, 1);
  meters.install(actor, heat.id, p1.id, installed, now);
  meters.install(actor, water.id, p2.id, installed, now);
  meters.install(actor, waterRead.id, p3.id, installed, now);

  readings.put(heat.id, Date.UTC(2026, 11, 31, 20, 0), cols({ energy: kWh(1000), volume: m3(50.5) }));
  readings.put(heat.id, CUTOFF, cols({ energy: kWh(1001), volume: m3(50.6) }));
  readings.put(heat.id, Date.UTC(2027, 0, 1, 1, 0), cols({ energy: kWh(1002), volume: m3(50.7) }));
  // 11 of 21 days from 100 m3 to 121 m3: 111 m3 at the cut-off
  readings.put(water.id, Date.UTC(2026, 11, 20, 23, 0), cols({ volume: m3(100) }));
  readings.put(water.id, Date.UTC(2027, 0, 10, 23, 0), cols({ volume: m3(121) }));
  readings.put(waterRead.id, Date.UTC(2026, 11, 31, 12, 0), cols({ volume: m3(5.5) }));
  readings.put(waterRead.id, Date.UTC(2027, 0, 2, 12, 0), cols({ volume: m3(6) }));
});
afterAll(() => s.close());

async function json(res: Response): Promise<any> {
  return res.json();
}

describe('preview', () => {
  test('each meter with its billing reading: the last at or before the cut-off', async () => {
    const res = await request(s, 'POST', '/api/exports/preview', { cookie: admin, body: { format: FORMAT, selection: { kind: 'all' }, at: CUTOFF } });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toEqual({
      text: HEADER + 'C-200;"Anna Berg; Jensen";Kirkevej 2;12345678;21.12.2026 00:00;;100,000;0\r\n' + LAST_ROWS,
      rows: 4,
      meters: 4,
      estimated: 0,
      errors: []
    });
  });

  test('with interpolation, a water meter without a reading on the cut-off day is estimated', async () => {
    const res = await request(s, 'POST', '/api/exports/preview', {
      cookie: admin,
      body: { format: { ...FORMAT, interpolate: true }, selection: { kind: 'all' }, at: new Date(CUTOFF).toISOString() }
    });
    const body = await json(res);
    expect(body.text).toBe(HEADER + 'C-200;"Anna Berg; Jensen";Kirkevej 2;12345678;01.01.2027 00:00;;111,000;1\r\n' + LAST_ROWS);
    expect(body.estimated).toBe(1);
  });

  test('a maximum gap: no estimate across a longer gap, the value stays empty and is marked missing', async () => {
    // the water meter's readings around the cut-off are 21 days apart (20 Dec 23:00 and 10 Jan 23:00 UTC)
    const format = { ...FORMAT, interpolate: true, columns: [...FORMAT.columns, { field: 'reading.status', header: 'Status' }] };
    const preview = async (maxGapDays: number) =>
      json(await request(s, 'POST', '/api/exports/preview', { cookie: admin, body: { format: { ...format, maxGapDays }, selection: { kind: 'meters', meterIds: [ids.water, ids.bare] }, at: CUTOFF } }));
    const within = await preview(21);
    expect(within.text.split('\r\n')[1]).toBe('C-200;"Anna Berg; Jensen";Kirkevej 2;12345678;01.01.2027 00:00;;111,000;1;estimated');
    expect(within.estimated).toBe(1);
    const longer = await preview(20);
    expect(longer.text.split('\r\n').slice(1)).toEqual(['C-200;"Anna Berg; Jensen";Kirkevej 2;12345678;;;;0;missing', ';;;99999999;;;;0;missing', '']);
    expect(longer.estimated).toBe(0);
    const bad = await request(s, 'POST', '/api/exports/preview', { cookie: admin, body: { format: { ...format, maxGapDays: 0 }, selection: { kind: 'all' }, at: CUTOFF } });
    expect(bad.status).toBe(422);
    expect((await json(bad)).error).toBe('format.maxGapDays: at least 1 day');
  });

  test('limit, a group selection, and too-long values listed as errors', async () => {
    const g = await json(await request(s, 'POST', '/api/groups', { cookie: admin, body: { name: 'Heat' } }));
    await request(s, 'POST', `/api/groups/${g.group.id}/members`, { cookie: admin, body: { meterIds: [ids.heat, ids.bare] } });
    const fixed = { kind: 'fixed', header: false, lineEnd: 'LF', columns: [{ field: 'meter.serial', width: 8 }, { field: 'customer.name', width: 5 }] };
    const body = await json(
      await request(s, 'POST', '/api/exports/preview', { cookie: admin, body: { format: fixed, selection: { kind: 'group', groupId: g.group.id }, at: CUTOFF, limit: 20 } })
    );
    expect(body.meters).toBe(2);
    expect(body.text).toBe('99999999     \n');
    expect(body.errors).toEqual([
      {
        row: 1,
        column: 2,
        field: 'customer.name',
        message: 'row 1 (meter KAM 76348799), column 2 (customer.name): "Jens Hansen" is 11 characters, the column is 5 wide'
      }
    ]);
    const one = await json(await request(s, 'POST', '/api/exports/preview', { cookie: admin, body: { format: FORMAT, selection: { kind: 'all' }, at: CUTOFF, limit: 1 } }));
    expect(one.rows).toBe(1);
    expect(one.meters).toBe(4);
    const tooMany = await request(s, 'POST', '/api/exports/preview', { cookie: admin, body: { format: FORMAT, selection: { kind: 'all' }, at: CUTOFF, limit: 21 } });
    expect(tooMany.status).toBe(422);
    expect((await json(tooMany)).error).toBe('limit: at most 20');
  });

  test('names a missing group, unknown meters, and a format both given and saved', async () => {
    const group = await request(s, 'POST', '/api/exports/preview', { cookie: admin, body: { format: FORMAT, selection: { kind: 'group', groupId: 999 }, at: CUTOFF } });
    expect(group.status).toBe(404);
    expect((await json(group)).error).toBe('Group 999 not found.');
    const meters = await request(s, 'POST', '/api/exports/preview', {
      cookie: admin,
      body: { format: FORMAT, selection: { kind: 'meters', meterIds: [ids.heat, 5000, 5001] }, at: CUTOFF }
    });
    expect(meters.status).toBe(404);
    expect((await json(meters)).error).toBe('Meters 5000, 5001 not found.');
    const both = await request(s, 'POST', '/api/exports/preview', { cookie: admin, body: { format: FORMAT, formatId: 1, selection: { kind: 'all' }, at: CUTOFF } });
    expect(both.status).toBe(422);
    expect((await json(both)).error).toBe('format: give either formatId (a saved format) or format (a definition), not both');
  });
});

describe('saved formats and the download', () => {
  test('create, list, get, rename, the download by formatId with its exact bytes and audit entry, delete', async () => {
    const created = await request(s, 'POST', '/api/exports/formats', { cookie: admin, body: { name: 'Fakturering Q4', format: { ...FORMAT, bom: true } } });
    expect(created.status).toBe(201);
    const { format } = await json(created);
    expect(format).toMatchObject({ name: 'Fakturering Q4', format: { kind: 'delimited', separator: ';', bom: true, lineEnd: 'CRLF' } });
    expect(format.format.columns).toEqual(FORMAT.columns);

    const dup = await request(s, 'POST', '/api/exports/formats', { cookie: admin, body: { name: 'Fakturering Q4', format: FORMAT } });
    expect(dup.status).toBe(409);

    const list = await json(await request(s, 'GET', '/api/exports/formats', { cookie: admin }));
    expect(list.formats.map((f: any) => f.name)).toEqual(['Fakturering Q4']);
    expect((await json(await request(s, 'GET', `/api/exports/formats/${format.id}`, { cookie: admin }))).format).toEqual(format);

    const res = await request(s, 'POST', '/api/exports/run', {
      cookie: admin,
      body: { formatId: format.id, selection: { kind: 'meters', meterIds: [ids.bare, ids.heat] }, at: CUTOFF }
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="readout-fakturering-q4-2027-01-01.csv"; filename*=UTF-8''readout-fakturering-q4-2027-01-01.csv`
    );
    const bytes = Buffer.from(await res.arrayBuffer());
    const expected = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(HEADER + 'C-100;Jens Hansen;Algade 1;76348799;01.01.2027 00:00;1001;50,600;0\r\n;;;99999999;;;;0\r\n', 'utf8')
    ]);
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));

    const entry = s.db.prepare("select actor, details from audit_entry where event = 'export.downloaded' order by id desc limit 1").get() as {
      actor: string;
      details: string;
    };
    expect(entry.actor).toBe('administrator@demo-utility');
    expect(JSON.parse(entry.details)).toEqual({
      formatId: format.id,
      formatName: 'Fakturering Q4',
      kind: 'delimited',
      columns: FORMAT.columns.map((c) => c.field),
      selection: { kind: 'meters', count: 2, meterIds: [ids.bare, ids.heat] },
      at: CUTOFF,
      rows: 2,
      estimated: 0,
      bytes: expected.length
    });

    const renamed = await request(s, 'PATCH', `/api/exports/formats/${format.id}`, { cookie: admin, body: { name: 'Billing' } });
    expect((await json(renamed)).format.name).toBe('Billing');
    const broken = await request(s, 'PATCH', `/api/exports/formats/${format.id}`, {
      cookie: admin,
      body: { format: { kind: 'delimited', columns: [{ field: 'reading.volume', unit: 'GJ' }] } }
    });
    expect(broken.status).toBe(422);
    expect((await json(broken)).error).toBe('format.columns.0.unit: "reading.volume" cannot be given in GJ (units: m3, l)');
    expect(s.db.prepare("select count(*) from audit_entry where event like 'export-format.%'").pluck().get()).toBe(2);
    expect((await request(s, 'DELETE', `/api/exports/formats/${format.id}`, { cookie: admin })).status).toBe(200);
    expect((await request(s, 'GET', `/api/exports/formats/${format.id}`, { cookie: admin })).status).toBe(404);
    expect(s.db.prepare("select count(*) from audit_entry where event = 'export-format.deleted'").pluck().get()).toBe(1);
  });

  test('a fixed-width download that does not fit is refused naming row and column, and not audited', async () => {
    const before = s.db.prepare("select count(*) from audit_entry where event = 'export.downloaded'").pluck().get();
    const res = await request(s, 'POST', '/api/exports/run', {
      cookie: admin,
      body: { format: { kind: 'fixed', columns: [{ field: 'point.address', width: 8 }] }, selection: { kind: 'all' }, at: CUTOFF }
    });
    expect(res.status).toBe(422);
    const body = await json(res);
    expect(body.fields).toEqual([
      { field: 'header.columns.1', message: 'header, column 1 (point.address): "point.address" is 13 characters, the column is 8 wide' },
      { field: 'rows.1.columns.1', message: 'row 1 (meter DME 12345678), column 1 (point.address): "Kirkevej 2" is 10 characters, the column is 8 wide' }
    ]);
    expect(s.db.prepare("select count(*) from audit_entry where event = 'export.downloaded'").pluck().get()).toBe(before);
  });

  test('an ad hoc fixed-width download: text/plain, named after the export', async () => {
    const res = await request(s, 'POST', '/api/exports/run', {
      cookie: admin,
      body: {
        format: { kind: 'fixed', header: false, lineEnd: 'LF', columns: [{ field: 'meter.serial', width: 10 }, { field: 'reading.volume', width: 10, decimals: 1, pad: '0' }] },
        selection: { kind: 'meters', meterIds: [ids.waterRead] },
        at: CUTOFF
      }
    });
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-disposition')).toContain('filename="readout-export-2027-01-01.txt"');
    expect(await res.text()).toBe('12345679  00000005.5\n');
  });

  test('another utility sees none of these meters, groups or formats', async () => {
    const other = await s.as('administrator', 'Other Utility');
    const all = await json(await request(s, 'POST', '/api/exports/preview', { cookie: other, body: { format: FORMAT, selection: { kind: 'all' }, at: CUTOFF } }));
    expect(all).toMatchObject({ meters: 0, text: HEADER });
    const mine = await request(s, 'POST', '/api/exports/preview', { cookie: other, body: { format: FORMAT, selection: { kind: 'meters', meterIds: [ids.heat] }, at: CUTOFF } });
    expect(mine.status).toBe(404);
  });

  test('rows past a chunk of 1,000 meters keep their order', async () => {
    const t = s.db.prepare("insert into tenant (name, created_at) values ('Big Utility', 0) returning id").pluck().get() as number;
    const put = s.db.prepare("insert into meter (tenant_id, manufacturer, serial, medium, created_at, updated_at) values (?, 'KAM', ?, 'water', 0, 0) returning id");
    const read = s.db.prepare('insert into reading (meter_id, at, volume) values (?, ?, ?)');
    s.db.transaction(() => {
      for (let i = 0; i < 1205; i++) read.run(put.pluck().get(t, String(i).padStart(8, '0')), CUTOFF - 1000, i * 1000);
    })();
    const { exportRowsOf } = await import('../../server/src/export/rows');
    const source = exportRowsOf(s.db);
    const rows = source.rows(t, source.meterIds(t, { kind: 'all' }), CUTOFF, 'UTC');
    expect(rows.length).toBe(1205);
    expect(rows.every((r, i) => r.meter.serial === String(i).padStart(8, '0') && r.reading?.volume === i * 1000)).toBe(true);
  });
});

describe('a large download', () => {
  test('10,000 meters stream in pieces to the exact bytes, with one audit entry', async () => {
    const t = s.db.prepare("insert into tenant (name, created_at) values ('Streaming Utility', 0) returning id").pluck().get() as number;
    const put = s.db.prepare("insert into meter (tenant_id, manufacturer, serial, medium, created_at, updated_at) values (?, 'KAM', ?, 'heat', 0, 0) returning id");
    const read = s.db.prepare('insert into reading (meter_id, at, energy) values (?, ?, ?)');
    let expected = 'serial,kWh\r\n';
    s.db.transaction(() => {
      for (let i = 0; i < 10_000; i++) {
        const serial = String(i).padStart(8, '0');
        read.run(put.pluck().get(t, serial), CUTOFF - 1000, kWh(i) + 1_800_000); // i kWh + 0.5 kWh: rounds up
        expected += `${serial},${i + 1}\r\n`;
      }
    })();
    const cookie = await s.as('administrator', 'Streaming Utility');
    const res = await request(s, 'POST', '/api/exports/run', {
      cookie,
      body: { format: { kind: 'delimited', separator: ',', columns: [{ field: 'meter.serial', header: 'serial' }, { field: 'reading.energy', header: 'kWh' }] }, selection: { kind: 'all' }, at: CUTOFF }
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-export-rows')).toBe('10000');
    const reader = res.body!.getReader();
    const pieces: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) pieces.push(r.value);
    expect(pieces.length).toBeGreaterThan(10); // the header and one piece per 1,000 meters, not one block
    expect(Buffer.concat(pieces).toString('utf8')).toBe(expected);
    const entries = s.db.prepare("select details from audit_entry where event = 'export.downloaded' and tenant_id = ?").pluck().all(t) as string[];
    expect(entries.length).toBe(1);
    expect(JSON.parse(entries[0])).toMatchObject({ rows: 10_000, bytes: Buffer.byteLength(expected) });
  });
});

describe('permissions', () => {
  test('a user may run and preview exports and read formats, but not save them', async () => {
    const user = await s.as('user');
    expect((await request(s, 'GET', '/api/exports/fields', { cookie: user })).status).toBe(200);
    expect((await request(s, 'GET', '/api/exports/formats', { cookie: user })).status).toBe(200);
    const save = await request(s, 'POST', '/api/exports/formats', { cookie: user, body: { name: 'Mine', format: FORMAT } });
    expect(save.status).toBe(403);
    expect((await json(save)).error).toBe('Your role may not do this (needs "settings.manage").');
    const run = await request(s, 'POST', '/api/exports/run', { cookie: user, body: { format: FORMAT, selection: { kind: 'all' }, at: CUTOFF } });
    expect(run.status).toBe(200);
  });

  test('without "export" in the matrix, a user may neither preview nor download', async () => {
    const user = await s.as('superuser');
    s.stores.permissions.setRole(actor, 'superuser', ['meters.read', 'readings.read'], s.clock.now);
    for (const path of ['/api/exports/preview', '/api/exports/run']) {
      const res = await request(s, 'POST', path, { cookie: user, body: { format: FORMAT, selection: { kind: 'all' }, at: CUTOFF } });
      expect(res.status, path).toBe(403);
    }
    expect((await request(s, 'GET', '/api/exports/fields', { cookie: user })).status).toBe(403);
  });

  test('the catalogue lists every variable with its group, and units for registers', async () => {
    const body = await json(await request(s, 'GET', '/api/exports/fields', { cookie: admin }));
    const energy = body.fields.find((f: any) => f.id === 'reading.energy');
    expect(energy).toEqual({
      id: 'reading.energy',
      label: 'Energy',
      group: 'reading',
      type: 'number',
      units: ['kWh', 'MWh', 'GJ', 'MJ', 'Wh'],
      defaultDecimals: { kWh: 0, MWh: 3, GJ: 3, MJ: 0, Wh: 0 }
    });
    expect(new Set(body.fields.map((f: any) => f.group))).toEqual(new Set(['meter', 'customer', 'metering point', 'reading', 'info']));
  });
});
