import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestServer, useTempDir, type TestServer } from './helpers';
import { apiClient } from './registry-client';

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

const count = (table: string) => (server.db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
const importCsv = (cookie: string, body: Record<string, unknown>) => call(cookie, 'POST', '/api/imports/csv', body);

// BOM, CRLF, ';' separator, a quoted field with the separator and one spanning two lines
const CUSTOMERS =
  '\uFEFFKundenr;Navn;E-mail;Note\r\n' +
  'C100;Anna Jensen;anna@example.org;x\r\n' +
  'C101;"Hansen; Bo";;x\r\n' +
  'C102;"Multi\r\nLine Name";;x\r\n' +
  'C103;Dorte;;x\r\n';
const MAPPING = { Kundenr: 'number', Navn: 'name', 'E-mail': 'email' };

describe('CSV import of customers', () => {
  test('a dry run reports and writes nothing; the real run imports; the same file again changes nothing', async () => {
    const dry = await importCsv(admin, { kind: 'customers', separator: ';', mapping: MAPPING, csv: CUSTOMERS, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ rows: 4, valid: 4, invalid: 0, imported: false });
    expect(count('customer')).toBe(0);

    const first = await importCsv(admin, { kind: 'customers', separator: ';', mapping: MAPPING, csv: CUSTOMERS });
    expect(first.json).toMatchObject({ rows: 4, created: 4, updated: 0, unchanged: 0, imported: true });
    const names = (await call(admin, 'GET', '/api/customers?sort=number')).json.items.map((c: { name: string }) => c.name);
    expect(names).toEqual(['Anna Jensen', 'Hansen; Bo', 'Multi\nLine Name', 'Dorte']);

    const again = await importCsv(admin, { kind: 'customers', separator: ';', mapping: MAPPING, csv: CUSTOMERS });
    expect(again.json).toMatchObject({ created: 0, updated: 0, unchanged: 4, imported: true });
    expect(count('customer')).toBe(4);
    const changed = await importCsv(admin, { kind: 'customers', separator: ';', mapping: MAPPING, csv: CUSTOMERS.replace('Dorte', 'Dorte Lund') });
    expect(changed.json).toMatchObject({ created: 0, updated: 1, unchanged: 3 });

    const audits = server.db.prepare(`select details from audit_entry where event = 'import.csv'`).all() as { details: string }[];
    expect(audits).toHaveLength(3);
    expect(JSON.parse(audits[0]!.details)).toMatchObject({ kind: 'customers', rows: 4, created: 4 });
  });

  test('each bad row is reported by line number and field; all-or-nothing imports nothing', async () => {
    const csv = 'number,name\nB1,Good\nB2,\nB1,Twin\nB4,Broken,extra\nB5,Fine\n';
    const res = await importCsv(admin, { kind: 'customers', csv });
    expect(res.status).toBe(422);
    expect(res.json.imported).toBe(false);
    expect(res.json.errors).toEqual([
      { line: 3, field: 'name', message: 'required, but empty' },
      { line: 4, field: 'number', message: 'the same customer number is also on line 2' },
      { line: 5, field: null, message: expect.stringContaining('3 fields') }
    ]);
    expect(res.json.error).toContain('nothing was imported');
    expect((await call(admin, 'GET', '/api/customers?q=B')).json.items.filter((c: { number: string }) => /^B\d$/.test(c.number))).toEqual([]);

    const partial = await importCsv(admin, { kind: 'customers', csv, mode: 'valid-rows' });
    expect(partial.status).toBe(200);
    expect(partial.json).toMatchObject({ rows: 5, valid: 2, invalid: 3, created: 2, imported: true });
  });

  test('line numbers count the lines of quoted fields', async () => {
    const csv = 'number;name\r\nL1;"two\r\nlines"\r\nL2;"three\r\n\r\nlines"\r\nL3;\r\n';
    const res = await importCsv(admin, { kind: 'customers', separator: ';', csv, dryRun: true });
    expect(res.json.errors).toEqual([{ line: 7, field: 'name', message: 'required, but empty' }]);
    const unclosed = await importCsv(admin, { kind: 'customers', csv: 'number,name\nU1,ok\nU2,"open\n' });
    expect(unclosed.status).toBe(422);
    expect(unclosed.json.error).toMatch(/line \d+: a quoted field is not closed/);
  });

  test('mapping and body problems are 422 naming the field; oversize is 413', async () => {
    const unknownField = await importCsv(admin, { kind: 'customers', mapping: { number: 'number', name: 'fullName' }, csv: 'number,name\n1,a\n' });
    expect(unknownField.status).toBe(422);
    expect(unknownField.json.error).toContain('mapping.name');
    expect(unknownField.json.error).toContain('fullName');
    const noColumn = await importCsv(admin, { kind: 'customers', mapping: { Nummer: 'number', name: 'name' }, csv: 'number,name\n1,a\n' });
    expect(noColumn.json.error).toContain('no column "Nummer"');
    const required = await importCsv(admin, { kind: 'customers', mapping: { name: 'name' }, csv: 'number,name\n1,a\n' });
    expect(required.json.error).toContain('"number"');
    expect((await importCsv(admin, { kind: 'customers', csv: 'number,name\n1,a\n', extra: true })).status).toBe(422);
    expect((await importCsv(admin, { kind: 'readings', csv: 'number,name\n1,a\n' })).status).toBe(422);
    expect((await importCsv(admin, { kind: 'customers', separator: ':', csv: 'number,name\n1,a\n' })).status).toBe(422);
    const big = await importCsv(admin, { kind: 'customers', csv: 'number,name\n' + 'x'.repeat(20 * 1024 * 1024) });
    expect(big.status).toBe(413);
    expect(big.json.error).toContain('20 MB');
  });
});

describe('CSV import of metering points and meters', () => {
  test('points link to customers by number, meters install at points by number, tab separated', async () => {
    await importCsv(admin, { kind: 'customers', csv: 'number,name\nK1,Karen\nK2,Knud\n' });
    const points = 'number\taddress\tpostalCode\tcustomerNumber\tlat\nP1\tSkolevej 1\t8000\tK1\t56,15\nP2\tSkolevej 2\t8000\tK9\t56.1\nP3\tSkolevej 3\t8000\t\t91\n';
    const bad = await importCsv(admin, { kind: 'metering-points', separator: '\t', csv: points });
    expect(bad.json.errors).toEqual([
      { line: 3, field: 'customerNumber', message: expect.stringContaining('no customer') },
      { line: 4, field: 'lat', message: 'expected a number from -90 to 90' }
    ]);
    const good = await importCsv(admin, { kind: 'metering-points', separator: '\t', csv: points.split('\n').slice(0, 2).join('\n') + '\nP2\tSkolevej 2\t8000\tK2\t\n' });
    expect(good.json).toMatchObject({ created: 2, imported: true });

    const meters =
      'Mfr|Serial|Model|Point|From\nkam|80000001|MULTICAL 603|P1|2025-01-01\nKAM|80000002|MULTICAL 21|P2|\nKAM|80000003|MULTICAL 21|P1|\nKAMX|1|x||\n';
    const mapping = { Mfr: 'manufacturer', Serial: 'serial', Model: 'model', Point: 'meteringPointNumber', From: 'installedFrom' };
    const res = await importCsv(admin, { kind: 'meters', separator: '|', mapping, csv: meters, mode: 'valid-rows' });
    expect(res.json.errors).toEqual([
      { line: 4, field: 'meteringPointNumber', message: expect.stringContaining('same metering point') },
      { line: 5, field: 'manufacturer', message: expect.stringContaining('3-letter') }
    ]);
    expect(res.json).toMatchObject({ created: 2, installed: 2 });
    const found = (await call(admin, 'GET', '/api/meters?q=karen')).json.items;
    expect(found).toMatchObject([{ serial: '80000001', customer: { name: 'Karen' }, meteringPoint: { address: 'Skolevej 1' } }]);
    const again = await importCsv(admin, { kind: 'meters', separator: '|', mapping, csv: meters.split('\n').slice(0, 3).join('\n') });
    expect(again.json).toMatchObject({ created: 0, updated: 0, unchanged: 2, installed: 0 });
    expect((await call(other, 'GET', '/api/meters?q=8000')).json.total).toBe(0);
  });

  test("another tenant's numbers are not found", async () => {
    const res = await importCsv(other, { kind: 'metering-points', csv: 'number,address,customerNumber\nX1,Vej,K1\n' });
    expect(res.status).toBe(422);
    expect(res.json.errors[0]).toMatchObject({ line: 2, field: 'customerNumber' });
  });
});

describe('CSV import of installations (customer, metering point and meter on one line)', () => {
  const MAP = { Kunde: 'customerNumber', Navn: 'customerName', Malepunkt: 'meteringPointNumber', Adresse: 'address', Fabrikat: 'manufacturer', Serienr: 'serial' };
  const HEAD = 'Kunde;Navn;Malepunkt;Adresse;Fabrikat;Serienr\n';

  test('creates all three, links them, installs the meter; the same file again changes nothing', async () => {
    const csv = HEAD + 'I1;Inge;IP1;Toldbodgade 1;KAM;73000001\nI1;Inge;IP2;Toldbodgade 2;KAM;73000002\n;;IP3;Toldbodgade 3;KAM;73000003\n';
    const res = await importCsv(admin, { kind: 'installations', separator: ';', mapping: MAP, csv });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ rows: 3, created: 3, installed: 3, status: 'ok' });
    const found = (await call(admin, 'GET', '/api/meters?q=Inge')).json.items.map((m: { serial: string }) => m.serial).sort();
    expect(found).toEqual(['73000001', '73000002']);
    const third = (await call(admin, 'GET', '/api/meters?q=73000003')).json.items[0];
    expect(third).toMatchObject({ meteringPoint: { address: 'Toldbodgade 3' }, customer: null });
    const again = await importCsv(admin, { kind: 'installations', separator: ';', mapping: MAP, csv });
    expect(again.json).toMatchObject({ created: 0, updated: 0, unchanged: 3, installed: 0 });
    const renamed = await importCsv(admin, { kind: 'installations', separator: ';', mapping: MAP, csv: csv.replaceAll('Inge', 'Inge Lund') });
    // the customer is renamed by its first line; its second line finds it renamed already
    expect(renamed.json).toMatchObject({ created: 0, updated: 1, unchanged: 2 });
    expect((await call(admin, 'GET', '/api/meters?q=Inge%20Lund')).json.total).toBe(2);
  });

  test('each line problem is named: name without number, twice the same point, a meter installed elsewhere', async () => {
    const csv =
      HEAD +
      ';Nobody;JP1;Vej 1;KAM;73100001\n' + // line 2: a name without a customer number
      'J1;Jens;JP2;Vej 2;KAM;73100002\n' +
      'J1;Jens;JP2;Vej 2;KAM;73100003\n' + // line 4: JP2 again
      'J2;Jonna;JP5;Vej 5;KAM;73000001\n' + // line 5: installed at IP1 since the test above
      'J3;;JP6;Vej 6;KAM;73100006\n'; // line 6: a number without a name
    const res = await importCsv(admin, { kind: 'installations', separator: ';', mapping: MAP, csv, dryRun: true });
    expect(res.json.errors).toEqual([
      { line: 2, field: 'customerNumber', message: 'required when a customer name is given' },
      { line: 4, field: 'meteringPointNumber', message: 'the same metering point is also on line 3' },
      { line: 5, field: 'meteringPointNumber', message: expect.stringContaining('installed at another metering point') },
      { line: 6, field: 'customerName', message: 'required when a customer number is given' }
    ]);
    expect(res.json).toMatchObject({ valid: 1, invalid: 4 });
  });
});
