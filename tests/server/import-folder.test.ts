import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FolderScheduler, runFolderImport } from '../../server/src/jobs/import-folder';
import { makeTestServer, useTempDir, type TestServer } from './helpers';
import { apiClient, auditText } from './registry-client';

// Folder imports (M14): real files in the data folder, croner really firing.

const tempDir = useTempDir();
let server: TestServer;
let call: ReturnType<typeof apiClient>;
let admin: string;
let dataDir: string;
beforeAll(async () => {
  dataDir = tempDir();
  server = await makeTestServer(dataDir);
  call = apiClient(server);
  admin = await server.as('administrator');
});
afterAll(() => server.close());

const count = (sql: string) => (server.db.prepare(sql).get() as { n: number }).n;
const folderBody = (over: Record<string, unknown> = {}) => ({
  name: 'Customers from billing',
  path: 'billing/customers',
  kind: 'customers',
  separator: ';',
  mode: 'all-or-nothing',
  schedule: '0 0 3 * * *',
  ...over
});
const deps = () => ({ db: server.db, stores: server.stores, now: () => server.clock.now });

describe('folder imports', () => {
  test('paths stay below <DATA_DIR>/imports; bad schedules are named', async () => {
    for (const path of ['/etc', '../outside', 'a/../../b', 'C:/x', 'a\\b', 'x/done']) {
      const res = await call(admin, 'POST', '/api/imports/folders', folderBody({ path }));
      expect(res.status, path).toBe(422);
      expect(res.json.fields).toHaveLength(1); // one clear reason, not every rule at once
      expect(res.json.fields[0].field).toBe('path');
    }
    expect((await call(admin, 'POST', '/api/imports/folders', folderBody({ path: '../x' }))).json.fields[0].message).toBe('must not contain ".."');
    expect((await call(admin, 'POST', '/api/imports/folders', folderBody({ path: '/etc' }))).json.fields[0].message).toContain('not an absolute path');
    const bad = await call(admin, 'POST', '/api/imports/folders', folderBody({ schedule: 'every minute' }));
    expect(bad.status).toBe(422);
    expect(bad.json.fields[0]).toMatchObject({ field: 'schedule', message: expect.stringContaining('cron pattern') });
  });

  test('run now imports every file, moves it to done/ or failed/, records a run per file; the same file again is only moved', async () => {
    const map = await call(admin, 'POST', '/api/imports/mappings', { name: 'Kunder', kind: 'customers', separator: ';', mapping: { Kundenr: 'number', Navn: 'name' } });
    const created = await call(admin, 'POST', '/api/imports/folders', folderBody({ mappingId: map.json.mapping.id }));
    expect(created.status).toBe(201);
    const folder = created.json.folder;
    expect(folder.location).toBe(join(dataDir, 'imports', 'billing', 'customers'));
    expect(existsSync(join(folder.location, 'done'))).toBe(true);

    const good = 'Kundenr;Navn\nD1;Dagmar\nD2;Didrik\n';
    writeFileSync(join(folder.location, 'a-good.csv'), good);
    // malformed: line 3 lacks the name; all-or-nothing keeps D3 out
    writeFileSync(join(folder.location, 'b-bad.csv'), 'Kundenr;Navn\nD3;Dora\nD4;\n');
    writeFileSync(join(folder.location, 'c-busy.csv.part'), 'Kundenr;Navn\nD9;Half\n');
    const res = await call(admin, 'POST', `/api/imports/folders/${folder.id}/run`);
    expect(res.json.files).toMatchObject([
      { file: 'a-good.csv', status: 'ok', movedTo: 'done/a-good.csv' },
      { file: 'b-bad.csv', status: 'failed', movedTo: 'failed/b-bad.csv' }
    ]);
    expect(count(`select count(*) as n from customer where number in ('D1', 'D2')`)).toBe(2);
    expect(count(`select count(*) as n from customer where number in ('D3', 'D4')`)).toBe(0);
    expect(readdirSync(folder.location).sort()).toEqual(['c-busy.csv.part', 'done', 'failed']);
    expect(readFileSync(join(folder.location, 'done', 'a-good.csv'), 'utf8')).toBe(good);
    const bad = (await call(admin, 'GET', `/api/imports/runs/${res.json.files[1].runId}`)).json.run;
    expect(bad).toMatchObject({
      source: 'billing/customers/b-bad.csv',
      folderId: folder.id,
      status: 'failed',
      rejected: { items: [{ line: 3, field: 'name', message: 'required, but empty' }] }
    });

    // the same content again (another name, then the same name): skipped, moved, never overwritten
    writeFileSync(join(folder.location, 'a-good.csv'), good);
    const again = runFolderImport(deps(), server.stores.imports.folders.get(folder.tenantId, folder.id), null);
    expect(again).toMatchObject([{ file: 'a-good.csv', status: 'ok', movedTo: 'done/a-good (2).csv', message: expect.stringContaining('already imported') }]);
    expect(readdirSync(join(folder.location, 'done')).sort()).toEqual(['a-good (2).csv', 'a-good.csv']);
    expect(count(`select count(*) as n from audit_entry where event = 'import.csv'`)).toBe(1);
    const runs = (await call(admin, 'GET', `/api/imports/runs?folderId=${folder.id}`)).json;
    expect(runs.items[0]).toMatchObject({ trigger: 'scheduled', user: null, status: 'ok' });
    expect(runs.total).toBe(3);
    const list = (await call(admin, 'GET', '/api/imports/folders')).json.items;
    expect(list[0].lastRun).toMatchObject({ id: runs.items[0].id });
    expect(auditText(server, 'import.folder.create')).toContain('billing/customers');
  });

  test('croner fires on a seconds schedule; disabling and deleting stop it', async () => {
    const created = await call(admin, 'POST', '/api/imports/folders', folderBody({ name: 'Every second', path: 'fast', schedule: '* * * * * *' }));
    const folder = created.json.folder;
    const scheduler = new FolderScheduler({ db: server.db, stores: server.stores, now: Date.now }).start('* * * * * *');
    try {
      writeFileSync(join(folder.location, 'fast.csv'), 'number;name\nS1;Sofie\n');
      const deadline = Date.now() + 5000;
      while (!existsSync(join(folder.location, 'done', 'fast.csv')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(join(folder.location, 'done', 'fast.csv'))).toBe(true);
      expect(count(`select count(*) as n from customer where number = 'S1'`)).toBe(1);

      await call(admin, 'PUT', `/api/imports/folders/${folder.id}`, folderBody({ name: 'Every second', path: 'fast', schedule: '* * * * * *', enabled: false }));
      await new Promise((r) => setTimeout(r, 1200)); // the scheduler follows the change at its next sync
      writeFileSync(join(folder.location, 'later.csv'), 'number;name\nS2;Svend\n');
      await new Promise((r) => setTimeout(r, 2100));
      expect(existsSync(join(folder.location, 'later.csv'))).toBe(true);
    } finally {
      scheduler.stop();
    }
    expect((await call(admin, 'DELETE', `/api/imports/folders/${folder.id}`)).status).toBe(204);
    expect(existsSync(join(folder.location, 'later.csv'))).toBe(true);
  });

  test('a mapping in use cannot be deleted; keys folders need keys.write', async () => {
    const mapping = server.stores.imports.mappings.list(1).find((m) => m.name === 'Kunder')!;
    expect((await call(admin, 'DELETE', `/api/imports/mappings/${mapping.id}`)).status).toBe(409);
    const superuser = await server.as('superuser');
    mkdirSync(join(dataDir, 'imports'), { recursive: true });
    const res = await call(superuser, 'POST', '/api/imports/folders', folderBody({ name: 'K', path: 'keys', kind: 'keys' }));
    expect(res.status).toBe(201); // superuser has keys.write by default
    const user = await server.as('user');
    expect((await call(user, 'GET', '/api/imports/folders')).status).toBe(403);
  });
});
