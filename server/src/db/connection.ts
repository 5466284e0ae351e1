import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/** Open (creating if needed) the SQLite file with the settings every connection needs. */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL'); // safe with WAL: a crash loses at most the last commits, never corrupts
  // Ingest writes each batch's readings into one page per meter (reading and frame_meter_at are
  // by meter): a page cache that holds those pages, and fewer checkpoints, each writing a page
  // that many commits changed only once (together about +5 % on bench ingest.rate at 1 M
  // telegrams). The cache is a ceiling, not an allocation; the WAL file grows to ~40 MB between
  // checkpoints. mmap_size and temp_store = MEMORY did not help ingest: left at their defaults.
  db.pragma('cache_size = -65536'); // KiB: 64 MiB
  db.pragma('wal_autocheckpoint = 10000'); // pages
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}
