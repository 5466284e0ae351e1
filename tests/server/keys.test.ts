import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestServer, useTempDir, type TestServer } from './helpers';
import { kemFile } from './kem-file';
import { apiClient, auditText } from './registry-client';

const tempDir = useTempDir();
let server: TestServer;
let call: ReturnType<typeof apiClient>;
let admin: string;
let superuser: string;
let other: string;
let meterId: number;
let twinId: number;

// Test keys only, made up for these tests.
const KEY = '000102030405060708090A0B0C0D0E0F';
const KEY2 = 'A1B2C3D4E5F60718293A4B5C6D7E8F90';
const KEY3 = '55555555666666667777777788888888';

beforeAll(async () => {
  server = await makeTestServer(tempDir());
  call = apiClient(server);
  admin = await server.as('administrator');
  superuser = await server.as('superuser');
  other = await server.as('administrator', 'Other Utility');
  meterId = (await call(admin, 'POST', '/api/meters', { manufacturer: 'KAM', serial: '76348799' })).json.meter.id;
  twinId = (await call(admin, 'POST', '/api/meters', { manufacturer: 'KAM', serial: '76348800' })).json.meter.id;
});
afterAll(() => server.close());

/** Every answer and audit entry so far must not contain any test key, in any case. */
function expectNoKeyIn(text: string) {
  for (const k of [KEY, KEY2, KEY3]) {
    expect(text.toUpperCase()).not.toContain(k);
  }
}

/** A KEM file as Kamstrup builds it (protocols.md §4.8), from XML we write: AES-128-CBC, key = IV = password zero-padded. */

const KEM_XML = (meters: { serial: string; name: string; key: string }[]) =>
  `<?xml version="1.0" encoding="utf-8"?><MetersInOrder xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
  meters
    .map(
      (m) =>
        `<Meter><MeterName>${m.name}</MeterName><ConsumptionType>Heat</ConsumptionType><MeterNo>1234</MeterNo><SerialNo>${m.serial}</SerialNo>` +
        `<VendorId>KAM</VendorId><ConfigNo>123</ConfigNo><TypeNo>603T</TypeNo><DEK>${m.key}</DEK></Meter>`
    )
    .join('') +
  '</MetersInOrder>';

const KEM2_XML = (meters: { serial: string; name: string; key: string }[]) =>
  `<?xml version="1.0" encoding="utf-8"?><Devices>` +
  meters
    .map(
      (m) =>
        `<Device><ShortName>${m.name}</ShortName><ConsumptionTypeName>Cold water</ConsumptionTypeName><CustomerDeviceNumber>9</CustomerDeviceNumber>` +
        `<SerialNumber>${m.serial}</SerialNumber><ManufacturerId>KAM</ManufacturerId><ConfigNumber>1</ConfigNumber><TypeNumber>021</TypeNumber>` +
        `<DeviceKeys><Key><Value>${m.key}</Value></Key></DeviceKeys></Device>`
    )
    .join('') +
  '</Devices>';

describe('a meter key', () => {
  test('is set without ever being answered, flagged in lists, read in clear only with keys.read (audited)', async () => {
    const set = await call(superuser, 'PUT', `/api/meters/${meterId}/key`, { key: KEY.toLowerCase() });
    expect(set.status).toBe(200);
    expect(set.json).toEqual({ meterId, replaced: false, redecoded: { frames: 0, decoded: 0, waiting: 0 } });
    expect((await call(superuser, 'GET', `/api/meters/${meterId}/key`)).status).toBe(403);

    const list = await call(admin, 'GET', '/api/meters');
    expect(list.json.items.map((m: { serial: string; hasKey: boolean }) => [m.serial, m.hasKey])).toEqual([
      ['76348799', true],
      ['76348800', false]
    ]);
    expect((await call(admin, 'GET', '/api/meters?key=missing')).json.items.map((m: { id: number }) => m.id)).toEqual([twinId]);
    const detail = await call(admin, 'GET', `/api/meters/${meterId}`);
    expect(detail.json.meter.key).toEqual({ source: 'manual', updatedAt: server.clock.now });
    expectNoKeyIn(list.text + detail.text + set.text);

    const read = await call(admin, 'GET', `/api/meters/${meterId}/key`);
    expect(read.json).toEqual({ meterId, manufacturer: 'KAM', serial: '76348799', key: KEY });
    expect(auditText(server, 'key.read')).toContain(`"meterId":${meterId}`);
    expectNoKeyIn(auditText(server));
    // stored encrypted: the raw row does not hold the key
    const row = server.db.prepare('select ciphertext from meter_key where meter_id = ?').get(meterId) as { ciphertext: Buffer };
    expect(row.ciphertext.toString('hex').toUpperCase()).not.toContain(KEY);
  });

  test('a wrong key is refused without quoting it', async () => {
    for (const bad of [KEY.slice(0, 30), KEY + '00', KEY.slice(0, 31) + 'G']) {
      const res = await call(admin, 'PUT', `/api/meters/${twinId}/key`, { key: bad });
      expect(res.status).toBe(422);
      expect(res.json.error).toMatch(/^key: expected 32 hex digits/);
      expect(res.text).not.toContain(bad);
    }
    expect((await call(admin, 'GET', `/api/meters/${twinId}/key`)).status).toBe(404);
  });

  test('keysForMeters and allKeys give the bytes, only for the tenant', async () => {
    const tenant = (server.db.prepare('select tenant_id as t from meter where id = ?').get(meterId) as { t: number }).t;
    const keys = server.stores.keys.keysForMeters(tenant, [meterId, twinId, 424242]);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ meterId, manufacturer: 'KAM', serial: '76348799' });
    expect(Buffer.from(keys[0]!.key).toString('hex').toUpperCase()).toBe(KEY);
    expect(server.stores.keys.allKeys(tenant).map((k) => k.meterId)).toEqual([meterId]);
    expect(server.stores.keys.keysForMeters(tenant + 1, [meterId])).toEqual([]);
    expect(server.stores.keys.allKeys(tenant + 1)).toEqual([]);
  });

  test('a ciphertext moved to another meter does not open', () => {
    const tenant = (server.db.prepare('select tenant_id as t from meter where id = ?').get(meterId) as { t: number }).t;
    server.db
      .prepare(
        `insert into meter_key (meter_id, tenant_id, nonce, ciphertext, source, created_at, updated_at)
         select ?, tenant_id, nonce, ciphertext, source, created_at, created_at - 1 from meter_key where meter_id = ?`
      )
      .run(twinId, meterId);
    expect(() => server.stores.keys.keysForMeters(tenant, [twinId])).toThrow(/does not open/);
    server.db.prepare('delete from meter_key where meter_id = ?').run(twinId);
  });

  test("another tenant's meter is 404 on every key route", async () => {
    for (const [method, body] of [['GET'], ['PUT', { key: KEY2 }], ['DELETE']] as const) {
      const res = await call(other, method, `/api/meters/${meterId}/key`, body);
      expect(res.status, method).toBe(404);
      expectNoKeyIn(res.text);
    }
    expect((await call(admin, 'GET', `/api/meters/${meterId}/key`)).json.key).toBe(KEY);
  });
});

describe('key import', () => {
  test('CSV: a bad key on line 3 is reported as line 3, without the key; then the good file imports', async () => {
    const csv = `serial;key\n76348799;${KEY2}\n76348800;${KEY3.slice(0, 31)}\n99999999;${KEY3}\n`;
    const res = await call(admin, 'POST', '/api/imports/csv', { kind: 'keys', separator: ';', csv });
    expect(res.status).toBe(422);
    expect(res.json.errors).toEqual([
      { line: 3, field: 'key', message: 'expected 32 hex digits (16 bytes), got 31' },
      { line: 4, field: 'serial', message: 'no meter has this serial' }
    ]);
    expectNoKeyIn(res.text);
    expectNoKeyIn(res.text.replace(/-/g, ''));
    expect((await call(admin, 'GET', `/api/meters/${meterId}/key`)).json.key).toBe(KEY);

    const good = `serial,manufacturer,key\n76348799,KAM,${KEY2}\n76348800,kam,${KEY3}\n`;
    const ok = await call(superuser, 'POST', '/api/imports/csv', { kind: 'keys', csv: good });
    expect(ok.json).toMatchObject({ created: 1, updated: 1, imported: true });
    const again = await call(superuser, 'POST', '/api/imports/csv', { kind: 'keys', csv: good });
    expect(again.json).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    expect((await call(admin, 'GET', `/api/meters/${twinId}/key`)).json.key).toBe(KEY3);
    expectNoKeyIn(ok.text + again.text + auditText(server, 'import.csv') + auditText(server, 'key.set'));
  });

  test('KEM: meters created with model and driver, keys stored; the same file again changes nothing', async () => {
    const file = kemFile(
      KEM_XML([
        { serial: '76348799', name: 'MC603', key: KEY },
        { serial: '55000001', name: 'MC21', key: KEY2 }
      ]),
      'C123456'
    );
    const res = await call(superuser, 'POST', '/api/imports/kem', { file, password: 'C123456' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ format: 'kem', meters: 2, metersCreated: 1, keysCreated: 1, keysUpdated: 1, imported: true });
    const created = (await call(admin, 'GET', '/api/meters?q=55000001')).json.items[0];
    expect(created).toMatchObject({ manufacturer: 'KAM', model: 'MULTICAL 21', driver: 'kamstrup-multical21', medium: 'heat', hasKey: true });
    expect((await call(admin, 'GET', `/api/meters/${created.id}/key`)).json.key).toBe(KEY2);
    expect((await call(admin, 'GET', `/api/meters/${meterId}/key`)).json.key).toBe(KEY);
    const again = await call(superuser, 'POST', '/api/imports/kem', { file, password: 'C123456' });
    expect(again.json).toMatchObject({ metersCreated: 0, keysCreated: 0, keysUpdated: 0, keysUnchanged: 2 });
    expectNoKeyIn(res.text + again.text + auditText(server, 'import.kem'));
  });

  test('KEM2: Device elements, key in a nested Value, a UTF-8 password', async () => {
    const file = kemFile(KEM2_XML([{ serial: '55000002', name: 'flowIQ2200', key: KEY3 }]), 'Søren2026');
    const res = await call(admin, 'POST', '/api/imports/kem', { file, password: 'Søren2026' });
    expect(res.json).toMatchObject({ format: 'kem2', metersCreated: 1, keysCreated: 1 });
    const m = (await call(admin, 'GET', '/api/meters?q=55000002')).json.items[0];
    expect(m).toMatchObject({ model: 'flowIQ 2200', medium: 'water' });
  });

  test('KEM: a wrong password says so, never "damaged"; nothing is stored', async () => {
    const before = server.db.prepare('select count(*) as n from meter').get();
    const file = kemFile(KEM_XML([{ serial: '55000003', name: 'MC21', key: KEY }]), 'right');
    for (const password of ['wrong', 'Right', 'right ', 'x'.repeat(16)]) {
      const res = await call(admin, 'POST', '/api/imports/kem', { file, password });
      expect(res.status, password).toBe(422);
      expect(res.json.reason, password).toBe('wrong-password');
      expect(res.json.error).toMatch(/^Wrong password/);
    }
    expect((await call(admin, 'POST', '/api/imports/kem', { file, password: 'x'.repeat(17) })).json.error).toContain('password');
    expect(server.db.prepare('select count(*) as n from meter').get()).toEqual(before);
    const notKem = await call(admin, 'POST', '/api/imports/kem', { file: Buffer.from('<xml/>').toString('base64'), password: 'right' });
    expect(notKem.json.reason).toBe('not-kem');
  });

  test('KEM: wrong-length keys are reported per meter; all-or-nothing or valid-rows', async () => {
    const file = kemFile(
      KEM_XML([
        { serial: '55000010', name: 'MC403', key: KEY.slice(0, 30) },
        { serial: '55000011', name: 'MC403', key: KEY2 },
        { serial: '55000012', name: 'MC403', key: KEY3 + 'AB' }
      ]),
      'pw'
    );
    const strict = await call(admin, 'POST', '/api/imports/kem', { file, password: 'pw' });
    expect(strict.status).toBe(422);
    expect(strict.json.errors).toEqual([
      { index: 1, serial: '55000010', message: 'key: expected 32 hex digits (16 bytes), got 30' },
      { index: 3, serial: '55000012', message: 'key: expected 32 hex digits (16 bytes), got 34' }
    ]);
    expect((await call(admin, 'GET', '/api/meters?q=5500001')).json.total).toBe(0);
    const loose = await call(admin, 'POST', '/api/imports/kem', { file, password: 'pw', mode: 'valid-rows' });
    expect(loose.json).toMatchObject({ metersCreated: 1, keysCreated: 1, invalid: 2 });
    expectNoKeyIn(strict.text + loose.text);
  });

  test('KEM for another tenant creates its own meters; keys never cross tenants', async () => {
    const file = kemFile(KEM_XML([{ serial: '76348799', name: 'MC603', key: KEY3 }]), 'pw');
    const res = await call(other, 'POST', '/api/imports/kem', { file, password: 'pw' });
    expect(res.json).toMatchObject({ metersCreated: 1, keysCreated: 1 });
    expect((await call(admin, 'GET', `/api/meters/${meterId}/key`)).json.key).toBe(KEY);
  });

  test('no key in any answer or audit entry of this whole file, except the key reads', () => {
    expectNoKeyIn(auditText(server));
  });
});
