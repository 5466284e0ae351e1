import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestServer, useTempDir, type TestServer } from './helpers';
import { kemFile } from './kem-file';
import { apiClient, auditText } from './registry-client';

// Import runs (M14): every import that is not a dry run leaves a run with its counts, every
// rejected line and the meters it touched, in the same transaction as the import.

const tempDir = useTempDir();
let server: TestServer;
let call: ReturnType<typeof apiClient>;
let admin: string;
let other: string;
beforeAll(async () => {
  server = await makeTestServer(tempDir());
  call = apiClient(server);
  admin = await server.as('administrator');
  other = await server.as('administrator', 'Other Utility');
});
afterAll(() => server.close());

const count = (sql: string) => (server.db.prepare(sql).get() as { n: number }).n;
const importCsv = (body: Record<string, unknown>, cookie = admin) => call(cookie, 'POST', '/api/imports/csv', body);

describe('import runs', () => {
  test('a dry run records nothing; an import records its run and the meters it created or changed', async () => {
    await importCsv({ kind: 'customers', csv: 'number,name\nR1,Rita\n' });
    await importCsv({ kind: 'metering-points', csv: 'number,address,customerNumber\nRP1,Havnegade 1,R1\n' });
    const before = count('select count(*) as n from import_run');
    const csv = 'Maker,Nr,Point\nKAM,71000001,RP1\nKAM,71000002,\nKAM,bad serial!,\n';
    const mapping = { Maker: 'manufacturer', Nr: 'serial', Point: 'meteringPointNumber' };
    const dry = await importCsv({ kind: 'meters', csv, mapping, dryRun: true, fileName: 'meters.csv' });
    expect(dry.json).toMatchObject({ runId: null, invalid: 1 });
    expect(count('select count(*) as n from import_run')).toBe(before);

    const res = await importCsv({ kind: 'meters', csv, mapping, mode: 'valid-rows', fileName: 'meters.csv' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ created: 2, status: 'partial' });
    const run = (await call(admin, 'GET', `/api/imports/runs/${res.json.runId}`)).json.run;
    expect(run).toMatchObject({
      kind: 'meters',
      source: 'meters.csv',
      trigger: 'manual',
      user: 'administrator@demo-utility',
      status: 'partial',
      summary: { rows: 3, valid: 2, invalid: 1, created: 2 },
      rejectedCount: 1,
      meters: 2,
      rejected: { total: 1, items: [{ line: 4, field: 'serial', message: expect.stringContaining('letters, digits') }] }
    });
    const meterIds = server.db.prepare('select meter_id from import_run_meter where run_id = ? order by meter_id').pluck().all(res.json.runId);
    const expected = server.db.prepare(`select id from meter where serial in ('71000001', '71000002') order by id`).pluck().all();
    expect(meterIds).toEqual(expected);

    // the same file again: still partial (its bad line), and no meter was touched
    const again = await importCsv({ kind: 'meters', csv, mapping, mode: 'valid-rows', fileName: 'meters.csv' });
    expect(again.json).toMatchObject({ created: 0, unchanged: 2, status: 'partial' });
    expect((await call(admin, 'GET', `/api/imports/runs/${again.json.runId}`)).json.run.meters).toBe(0);

    // "Last imported" (group panel): the newest run that touched meters, not the unchanged re-import
    const tenant = (name: string) => server.db.prepare('select id from tenant where name = ?').pluck().get(name) as number;
    expect(server.stores.imports.lastImported(tenant('Demo Utility'))).toEqual({ runId: res.json.runId, meterIds: expected });
    expect(server.stores.imports.lastImported(tenant('Other Utility'))).toEqual({ runId: null, meterIds: [] });

    const list = (await call(admin, 'GET', '/api/imports/runs?limit=2')).json;
    expect(list.items.map((r: { id: number }) => r.id)).toEqual([again.json.runId, res.json.runId]);
    expect(list.total).toBeGreaterThanOrEqual(4);
    expect((await call(other, 'GET', `/api/imports/runs/${res.json.runId}`)).status).toBe(404);
    expect((await call(other, 'GET', '/api/imports/runs')).json.total).toBe(0);
  });

  test('all-or-nothing with a bad line: a failed run, nothing imported; a refused file: a failed run with the reason', async () => {
    const res = await importCsv({ kind: 'customers', csv: 'number,name\nF1,Frida\nF2,\n', fileName: 'c.csv' });
    expect(res.status).toBe(422);
    expect(res.json.status).toBe('failed');
    const run = (await call(admin, 'GET', `/api/imports/runs/${res.json.runId}`)).json.run;
    expect(run).toMatchObject({ status: 'failed', message: expect.stringContaining('1 of 2 rows have errors'), rejected: { items: [{ line: 3, field: 'name' }] } });
    expect(count(`select count(*) as n from customer where number = 'F1'`)).toBe(0);

    const refused = await importCsv({ kind: 'customers', separator: ';', csv: 'number,name\nG1,Gerd\n', fileName: 'wrong-sep.csv' });
    expect(refused.status).toBe(422);
    expect(refused.json.error).toContain('no column is mapped to the required field "number"');
    expect(refused.json.runId).toEqual(expect.any(Number));
    const failed = (await call(admin, 'GET', `/api/imports/runs/${refused.json.runId}`)).json.run;
    expect(failed).toMatchObject({ status: 'failed', source: 'wrong-sep.csv', message: expect.stringContaining('"number"') });
  });

  test('rejected lines are paged and searchable', async () => {
    const lines = Array.from({ length: 450 }, (_, i) => `P${i},`).join('\n');
    const res = await importCsv({ kind: 'customers', csv: `number,name\nOK1,Fine\n${lines}\n`, mode: 'valid-rows' });
    expect(res.json).toMatchObject({ invalid: 450, created: 1, status: 'partial' });
    const all = (await call(admin, 'GET', `/api/imports/runs/${res.json.runId}`)).json.run.rejected;
    expect(all.items).toHaveLength(450); // all of them by default
    const page = (await call(admin, 'GET', `/api/imports/runs/${res.json.runId}?limit=100&offset=400`)).json.run.rejected;
    expect(page).toMatchObject({ total: 450, offset: 400 });
    expect(page.items).toHaveLength(50);
    expect(page.items[0].line).toBe(403);
    const one = (await call(admin, 'GET', `/api/imports/runs/${res.json.runId}?q=77`)).json.run.rejected;
    expect(one.items).toEqual([{ line: 77, field: 'name', message: 'required, but empty' }]);
    expect((await call(admin, 'GET', `/api/imports/runs/${res.json.runId}?limit=0`)).status).toBe(422);
  });
});

describe('key-file runs', () => {
  const xml = (serial: string) =>
    `<?xml version="1.0" encoding="utf-8"?><MetersInOrder><Meter><MeterName>MC21</MeterName><ConsumptionType>Heat</ConsumptionType>` +
    `<SerialNo>${serial}</SerialNo><VendorId>KAM</VendorId><DEK>000102030405060708090A0B0C0D0E0F</DEK></Meter></MetersInOrder>`;

  test('a KEM import records its run with the meter; a wrong password records a failed run saying so', async () => {
    const file = kemFile(xml('72000001'), 'secret1');
    const res = await call(admin, 'POST', '/api/imports/kem', { file, password: 'secret1', fileName: 'route 7.kem' });
    expect(res.json).toMatchObject({ metersCreated: 1, status: 'ok' });
    const run = (await call(admin, 'GET', `/api/imports/runs/${res.json.runId}`)).json.run;
    expect(run).toMatchObject({ kind: 'kem', source: 'route 7.kem', status: 'ok', meters: 1, summary: { created: 1, keysCreated: 1 } });
    expect(JSON.stringify(run)).not.toContain('0102030405');

    const wrong = await call(admin, 'POST', '/api/imports/kem', { file, password: 'secret2', fileName: 'route 7.kem' });
    expect(wrong.status).toBe(422);
    expect(wrong.json).toMatchObject({ reason: 'wrong-password', runId: expect.any(Number) });
    const failed = (await call(admin, 'GET', `/api/imports/runs/${wrong.json.runId}`)).json.run;
    expect(failed).toMatchObject({ status: 'failed', message: expect.stringMatching(/^Wrong password/) });
  });
});

describe('saved mappings', () => {
  test('CRUD, audited, unique names, used by an upload through mappingId', async () => {
    const body = { name: 'Billing customers', kind: 'customers', separator: ';', mapping: { Kundenr: 'number', Navn: 'name', Note: null } };
    const created = await call(admin, 'POST', '/api/imports/mappings', body);
    expect(created.status).toBe(201);
    const id = created.json.mapping.id;
    expect((await call(admin, 'POST', '/api/imports/mappings', body)).status).toBe(409);
    expect((await call(admin, 'POST', '/api/imports/mappings', { ...body, name: 'x', kind: 'readings' })).status).toBe(422);
    expect((await call(admin, 'GET', '/api/imports/mappings?kind=customers')).json.items).toMatchObject([{ id, name: 'Billing customers' }]);
    expect((await call(admin, 'GET', '/api/imports/mappings?kind=meters')).json.items).toEqual([]);
    expect((await call(other, 'GET', '/api/imports/mappings')).json.items).toEqual([]);

    const res = await importCsv({ kind: 'customers', separator: ';', mappingId: id, csv: 'Kundenr;Navn;Note\nM1;Mette;x\n' });
    expect(res.json).toMatchObject({ created: 1, status: 'ok' });
    expect((await importCsv({ kind: 'meters', mappingId: id, csv: 'a\n1\n' })).json.error).toContain('is for customers');

    const renamed = await call(admin, 'PUT', `/api/imports/mappings/${id}`, { ...body, name: 'Customers (billing)' });
    expect(renamed.json.mapping.name).toBe('Customers (billing)');
    expect((await call(admin, 'DELETE', `/api/imports/mappings/${id}`)).status).toBe(204);
    expect((await call(admin, 'GET', `/api/imports/mappings`)).json.items).toEqual([]);
    const audit = auditText(server);
    expect(audit).toContain('import.mapping.create');
    expect(audit).toContain('import.mapping.update');
    expect(audit).toContain('import.mapping.delete');
  });

  test('the fields of each kind, with the size limits', async () => {
    const res = (await call(admin, 'GET', '/api/imports/fields')).json;
    expect(res.kinds.customers).toEqual([
      { name: 'number', required: true },
      { name: 'name', required: true },
      { name: 'email', required: false },
      { name: 'phone', required: false }
    ]);
    expect(res.maxCsvBytes).toBe(20 * 1024 * 1024);
  });
});
