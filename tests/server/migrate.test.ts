import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { openDatabase } from '../../server/src/db/connection';
import { migrate, readMigrations, type Migration } from '../../server/src/db/migrate';
import { migrationsDir } from '../../server/src/paths';
import { useTempDir } from './helpers';

const tempDir = useTempDir();
const tables = (db: ReturnType<typeof openDatabase>) =>
  (db.prepare("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[]).map((r) => r.name);

describe('migrations', () => {
  test('the project migrations apply once, and a second run changes nothing', () => {
    const file = join(tempDir(), 'db.sqlite');
    const all = readMigrations(migrationsDir);
    expect(all.length).toBeGreaterThan(0);

    const db = openDatabase(file);
    const first = migrate(db, all);
    expect(first.applied.map((m) => m.version)).toEqual(all.map((m) => m.version));
    expect(tables(db)).toEqual(expect.arrayContaining(['tenant', 'app_user', 'session', 'audit_entry', 'schema_migration']));
    db.close();

    const again = openDatabase(file);
    const before = tables(again);
    const second = migrate(again, all);
    expect(second.applied).toEqual([]);
    expect(second.current).toBe(all[all.length - 1].version);
    expect(tables(again)).toEqual(before);
    expect((again.prepare('select count(*) as n from schema_migration').get() as { n: number }).n).toBe(all.length);
    again.close();
  });

  test('a failing migration leaves the database as it was', () => {
    const db = openDatabase(join(tempDir(), 'db.sqlite'));
    const good: Migration = { version: 1, name: 'one', sql: 'create table a (x integer);' };
    migrate(db, [good]);
    db.prepare('insert into a values (1)').run();
    const broken: Migration[] = [
      good,
      { version: 2, name: 'two', sql: 'create table b (y integer);' },
      { version: 3, name: 'three', sql: 'insert into nowhere values (1);' }
    ];
    expect(() => migrate(db, broken)).toThrow(/nowhere/);
    expect(tables(db)).not.toContain('b');
    expect((db.prepare('select max(version) as v from schema_migration').get() as { v: number }).v).toBe(1);
    expect(db.prepare('select x from a').all()).toEqual([{ x: 1 }]);
    db.close();
  });

  test('an applied migration that was edited afterwards stops the start', () => {
    const db = openDatabase(join(tempDir(), 'db.sqlite'));
    migrate(db, [{ version: 1, name: 'one', sql: 'create table a (x integer);' }]);
    expect(() => migrate(db, [{ version: 1, name: 'one', sql: 'create table a (x text);' }])).toThrow(
      /migration 1-one was changed after it was applied/
    );
    db.close();
  });

  test('a database newer than the program is refused', () => {
    const db = openDatabase(join(tempDir(), 'db.sqlite'));
    const two: Migration[] = [
      { version: 1, name: 'one', sql: 'create table a (x integer);' },
      { version: 2, name: 'two', sql: 'create table b (x integer);' }
    ];
    migrate(db, two);
    expect(() => migrate(db, two.slice(0, 1))).toThrow(/schema version 2, newer than this program knows \(1\)/);
    db.close();
  });
});
