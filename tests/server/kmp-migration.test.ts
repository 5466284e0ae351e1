// Migration 015 (issue 9): frame.link gains 'kmp' and frames gain meter_hint. SQLite cannot widen
// a CHECK in place, so the migration moves link through a new column: the frames stored before it
// (wireless and wired, with their receptions) must come through unchanged, on a real SQLite file.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { openDatabase } from '../../server/src/db/connection';
import { migrate, readMigrations } from '../../server/src/db/migrate';
import { migrationsDir } from '../../server/src/paths';
import { useTempDir } from './helpers';

const tempDir = useTempDir();

describe('migration 015 kmp-frames', () => {
  test('keeps every frame, its link and its receptions; accepts kmp with a meter hint; still refuses other links', () => {
    const all = readMigrations(migrationsDir);
    const at015 = all.findIndex((m) => m.version === 15);
    expect(all[at015].name).toBe('kmp-frames');
    const db = openDatabase(join(tempDir(), 'db.sqlite'));
    migrate(db, all.slice(0, at015));
    db.prepare("insert into tenant (name, created_at) values ('Before 015', 0)").run();
    const t = db.prepare("select id from tenant where name = 'Before 015'").pluck().get() as number;
    const add = db.prepare("insert into frame (tenant_id, digest, raw, received_at, source, status, link) values (?, x'AA', ?, ?, 's', 'failed', ?)");
    const wired = Number(add.run(t, Buffer.from([0x68, 1]), 1_000, 'mbus').lastInsertRowid);
    const radio = Number(add.run(t, Buffer.from([0x2e, 2]), 2_000, 'wmbus').lastInsertRowid);
    db.prepare("insert into frame_reception (frame_id, source, received_at, rssi) values (?, 'a', 1000, -70), (?, 'b', 1001, -60)").run(wired, wired);

    expect(migrate(db, all).applied.map((m) => m.version)).toEqual(all.slice(at015).map((m) => m.version));
    expect(db.prepare('select id, link, hex(raw) as raw, meter_hint as hint from frame order by id').all()).toEqual([
      { id: wired, link: 'mbus', raw: '6801', hint: null },
      { id: radio, link: 'wmbus', raw: '2E02', hint: null }
    ]);
    expect(db.prepare('select source from frame_reception where frame_id = ? order by source').pluck().all(wired)).toEqual(['a', 'b']);

    db.prepare(
      "insert into frame (tenant_id, digest, raw, received_at, source, status, link, meter_hint) values (?, x'BB', x'40', 3000, 's', 'unknown-meter', 'kmp', 'KAM 12345678')"
    ).run(t);
    expect(() => add.run(t, Buffer.from([1]), 4_000, 'lora')).toThrow(/CHECK constraint failed/);
    // a frame without link is still a radio telegram
    db.prepare("insert into frame (tenant_id, digest, raw, received_at, source, status) values (?, x'CC', x'2E', 5000, 's', 'failed')").run(t);
    expect(db.prepare('select link from frame order by id').pluck().all()).toEqual(['mbus', 'wmbus', 'kmp', 'wmbus']);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });
});
