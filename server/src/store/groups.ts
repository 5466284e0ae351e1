import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { lastImportRun } from './meters.js';
import { auditAs, conflict, notFound } from './registry.js';

export interface Group {
  id: number;
  name: string;
  /** Number of member meters. */
  meters: number;
  createdAt: number;
}

export interface GroupList {
  groups: Group[];
  /** Meters of the tenant that are in no group. */
  ungrouped: number;
  /** All meters of the tenant. */
  meters: number;
  /** The newest import run that named meters, and how many of them still exist ("Last imported"). */
  lastImported: { runId: number; startedAt: number; source: string; kind: string; meters: number } | null;
}

export const MAX_MEMBERS_PER_CALL = 5000;

export class GroupStore {
  constructor(private readonly db: Db) {}

  list(tenantId: number): GroupList {
    const groups = this.db
      .prepare(
        `select g.id, g.name, (select count(*) from group_member gm where gm.group_id = g.id) as meters, g.created_at as createdAt
           from meter_group g where g.tenant_id = ? order by g.name, g.id`
      )
      .all(tenantId) as Group[];
    // meters in some group, counted from the membership index rather than per meter (100,000 meters)
    const meters = (this.db.prepare('select count(*) from meter where tenant_id = ?').pluck().get(tenantId) as number);
    const grouped = this.db
      .prepare('select count(distinct gm.meter_id) from group_member gm join meter_group g on g.id = gm.group_id where g.tenant_id = ?')
      .pluck()
      .get(tenantId) as number;
    const run = lastImportRun(this.db, tenantId);
    const lastImported = run
      ? {
          runId: run.id,
          startedAt: run.startedAt,
          source: run.source,
          kind: run.kind,
          meters: this.db.prepare('select count(*) from import_run_meter where run_id = ?').pluck().get(run.id) as number
        }
      : null;
    return { groups, meters, ungrouped: meters - grouped, lastImported };
  }

  get(tenantId: number, id: number): Group {
    const g = this.db
      .prepare(
        `select g.id, g.name, (select count(*) from group_member gm where gm.group_id = g.id) as meters, g.created_at as createdAt
           from meter_group g where g.tenant_id = ? and g.id = ?`
      )
      .get(tenantId, id) as Group | undefined;
    if (!g) throw notFound('Group', id);
    return g;
  }

  create(actor: Actor, name: string, now: number): Group {
    return this.db.transaction(() => {
      this.#checkNameFree(actor.tenantId, name, null);
      const { id } = this.db
        .prepare('insert into meter_group (tenant_id, name, created_at) values (?, ?, ?) returning id')
        .get(actor.tenantId, name, now) as { id: number };
      auditAs(this.db, actor, now, 'group.created', { groupId: id, name });
      return this.get(actor.tenantId, id);
    })();
  }

  rename(actor: Actor, id: number, name: string, now: number): Group {
    return this.db.transaction(() => {
      const before = this.get(actor.tenantId, id);
      if (before.name === name) return before;
      this.#checkNameFree(actor.tenantId, name, id);
      this.db.prepare('update meter_group set name = ? where id = ?').run(name, id);
      auditAs(this.db, actor, now, 'group.renamed', { groupId: id, before: before.name, after: name });
      return this.get(actor.tenantId, id);
    })();
  }

  /** Deletes the group and its memberships; the meters stay. */
  delete(actor: Actor, id: number, now: number): void {
    this.db.transaction(() => {
      const g = this.get(actor.tenantId, id);
      this.db.prepare('delete from group_member where group_id = ?').run(id);
      this.db.prepare('delete from meter_group where id = ?').run(id);
      auditAs(this.db, actor, now, 'group.deleted', { groupId: id, name: g.name, members: g.meters });
    })();
  }

  addMembers(actor: Actor, id: number, meterIds: number[], now: number): { added: number; alreadyMembers: number; group: Group } {
    return this.db.transaction(() => {
      this.get(actor.tenantId, id);
      const ids = this.#ownMeters(actor.tenantId, meterIds);
      const added = this.db
        .prepare('insert or ignore into group_member (group_id, meter_id) select ?, value from json_each(?)')
        .run(id, JSON.stringify(ids)).changes;
      auditAs(this.db, actor, now, 'group.members-added', { groupId: id, added, meterIds: ids.length <= 50 ? ids : undefined, requested: ids.length });
      return { added, alreadyMembers: ids.length - added, group: this.get(actor.tenantId, id) };
    })();
  }

  removeMembers(actor: Actor, id: number, meterIds: number[], now: number): { removed: number; group: Group } {
    return this.db.transaction(() => {
      this.get(actor.tenantId, id);
      const ids = this.#ownMeters(actor.tenantId, meterIds);
      const removed = this.db
        .prepare('delete from group_member where group_id = ? and meter_id in (select value from json_each(?))')
        .run(id, JSON.stringify(ids)).changes;
      auditAs(this.db, actor, now, 'group.members-removed', { groupId: id, removed, meterIds: ids.length <= 50 ? ids : undefined, requested: ids.length });
      return { removed, group: this.get(actor.tenantId, id) };
    })();
  }

  /** The distinct ids, all of them the tenant's meters; otherwise 404 naming the first missing ones. */
  #ownMeters(tenantId: number, meterIds: number[]): number[] {
    const ids = [...new Set(meterIds)];
    const found = new Set(
      this.db
        .prepare('select m.id from json_each(?) j cross join meter m on m.id = j.value where m.tenant_id = ?')
        .pluck()
        .all(JSON.stringify(ids), tenantId) as number[]
    );
    const missing = ids.filter((i) => !found.has(i));
    if (missing.length) {
      throw notFound(missing.length === 1 ? 'Meter' : 'Meters', missing.slice(0, 10).join(', ') + (missing.length > 10 ? ` and ${missing.length - 10} more` : ''));
    }
    return ids;
  }

  #checkNameFree(tenantId: number, name: string, self: number | null): void {
    const other = this.db.prepare('select id from meter_group where tenant_id = ? and name = ?').get(tenantId, name) as { id: number } | undefined;
    if (other && other.id !== self) throw conflict(`name: a group named "${name}" already exists (group ${other.id}).`);
  }
}
