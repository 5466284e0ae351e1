import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './connection.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrationReport {
  applied: Migration[];
  current: number;
}

const FILE = /^(\d{3})-([a-z0-9-]+)\.sql$/;

/** Read NNN-name.sql files in version order; a gap or a duplicate number is our own mistake. */
export function readMigrations(dir: string): Migration[] {
  const list = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => {
      const m = FILE.exec(file);
      if (!m) throw new Error(`migration file name "${file}": expected NNN-name.sql`);
      return { version: Number(m[1]), name: m[2], sql: readFileSync(join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.version}-${m.name}: expected version ${i + 1}`);
  });
  return list;
}

function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

/**
 * Apply the migrations the database has not seen, all in one transaction: either the
 * schema reaches the newest version or nothing changes. Applied migrations are recorded with
 * a checksum; an applied file that was edited afterwards stops the start instead of leaving
 * two databases with different schemas under one version number.
 */
export function migrate(db: Db, migrations: Migration[]): MigrationReport {
  db.exec(`create table if not exists schema_migration (
    version integer primary key,
    name text not null,
    checksum text not null,
    applied_at integer not null
  )`);
  const done = new Map<number, { name: string; checksum: string }>();
  for (const row of db.prepare('select version, name, checksum from schema_migration').all() as {
    version: number;
    name: string;
    checksum: string;
  }[]) {
    done.set(row.version, row);
  }
  for (const m of migrations) {
    const seen = done.get(m.version);
    if (seen && seen.checksum !== checksum(m.sql)) {
      throw new Error(
        `migration ${m.version}-${m.name} was changed after it was applied to this database; add a new migration instead`
      );
    }
  }
  const newest = migrations.length ? migrations[migrations.length - 1].version : 0;
  const beyond = [...done.keys()].filter((v) => v > newest);
  if (beyond.length) {
    throw new Error(`the database has schema version ${Math.max(...beyond)}, newer than this program knows (${newest})`);
  }
  const pending = migrations.filter((m) => !done.has(m.version));
  const record = db.prepare('insert into schema_migration (version, name, checksum, applied_at) values (?, ?, ?, ?)');
  db.transaction(() => {
    for (const m of pending) {
      db.exec(m.sql);
      record.run(m.version, m.name, checksum(m.sql), Date.now());
    }
  }).immediate();
  return { applied: pending, current: newest };
}
