import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { auditAs, changes, conflict, notFound } from './registry.js';

// Saved column mappings and watched import folders (M14, tables of 009). Every change is
// audited with the name. A folder's path is relative to <DATA_DIR>/imports (checked by the
// route: no absolute path, no ".."); saving a folder creates it with done/ and failed/.

export interface MappingInput {
  name: string;
  kind: string;
  separator: string;
  mapping: Record<string, string | null>;
}

export interface ImportMapping extends MappingInput {
  id: number;
  createdAt: number;
  updatedAt: number;
}

interface MappingRow extends Omit<ImportMapping, 'mapping'> {
  mapping: string;
}

const MAPPING_SELECT = 'select id, name, kind, separator, mapping, created_at as createdAt, updated_at as updatedAt from import_mapping';
const toMapping = (r: MappingRow): ImportMapping => ({ ...r, mapping: JSON.parse(r.mapping) as Record<string, string | null> });

export class ImportMappingStore {
  constructor(private readonly db: Db) {}

  list(tenantId: number, kind?: string): ImportMapping[] {
    const rows = kind
      ? this.db.prepare(`${MAPPING_SELECT} where tenant_id = ? and kind = ? order by name, id`).all(tenantId, kind)
      : this.db.prepare(`${MAPPING_SELECT} where tenant_id = ? order by name, id`).all(tenantId);
    return (rows as MappingRow[]).map(toMapping);
  }

  get(tenantId: number, id: number): ImportMapping {
    const r = this.db.prepare(`${MAPPING_SELECT} where tenant_id = ? and id = ?`).get(tenantId, id) as MappingRow | undefined;
    if (!r) throw notFound('Import mapping', id);
    return toMapping(r);
  }

  create(actor: Actor, input: MappingInput, now: number): ImportMapping {
    return this.db.transaction(() => {
      this.#nameFree(actor.tenantId, input.name, null);
      const { id } = this.db
        .prepare('insert into import_mapping (tenant_id, name, kind, separator, mapping, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?) returning id')
        .get(actor.tenantId, input.name, input.kind, input.separator, JSON.stringify(input.mapping), now, now) as { id: number };
      auditAs(this.db, actor, now, 'import.mapping.create', { id, name: input.name, kind: input.kind });
      return this.get(actor.tenantId, id);
    })();
  }

  update(actor: Actor, id: number, input: MappingInput, now: number): ImportMapping {
    return this.db.transaction(() => {
      const before = this.get(actor.tenantId, id);
      this.#nameFree(actor.tenantId, input.name, id);
      if (before.kind !== input.kind && this.#usedBy(id).length) {
        throw conflict(`Mapping "${before.name}" is used by folder import(s) ${this.#usedBy(id).join(', ')} for ${before.kind}; its kind cannot change.`);
      }
      this.db
        .prepare('update import_mapping set name = ?, kind = ?, separator = ?, mapping = ?, updated_at = ? where id = ?')
        .run(input.name, input.kind, input.separator, JSON.stringify(input.mapping), now, id);
      const changed = changes({ name: before.name, kind: before.kind, separator: before.separator }, input);
      delete changed.mapping;
      auditAs(this.db, actor, now, 'import.mapping.update', { id, name: input.name, changes: changed });
      return this.get(actor.tenantId, id);
    })();
  }

  delete(actor: Actor, id: number, now: number): void {
    this.db.transaction(() => {
      const m = this.get(actor.tenantId, id);
      const users = this.#usedBy(id);
      if (users.length) throw conflict(`Mapping "${m.name}" is used by folder import(s) ${users.join(', ')}; choose another mapping there first.`);
      this.db.prepare('delete from import_mapping where id = ?').run(id);
      auditAs(this.db, actor, now, 'import.mapping.delete', { id, name: m.name, kind: m.kind });
    })();
  }

  #usedBy(id: number): string[] {
    return (this.db.prepare('select name from import_folder where mapping_id = ? order by name').pluck().all(id) as string[]).map((n) => `"${n}"`);
  }

  #nameFree(tenantId: number, name: string, self: number | null): void {
    const other = this.db.prepare('select id from import_mapping where tenant_id = ? and name = ?').pluck().get(tenantId, name) as number | undefined;
    if (other !== undefined && other !== self) throw conflict(`A mapping named "${name}" exists already (id ${other}).`);
  }
}

export interface FolderInput {
  name: string;
  path: string;
  kind: string;
  separator: string;
  mappingId: number | null;
  mode: 'all-or-nothing' | 'valid-rows';
  schedule: string;
  enabled: boolean;
}

export interface ImportFolder extends FolderInput {
  id: number;
  tenantId: number;
  /** Absolute folder on the server: files dropped here are imported. */
  location: string;
  createdBy: number | null;
  createdAt: number;
  updatedAt: number;
}

type FolderRow = Omit<ImportFolder, 'location' | 'enabled'> & { enabled: number };

const FOLDER_SELECT = `select id, tenant_id as tenantId, name, path, kind, separator, mapping_id as mappingId, mode, schedule, enabled,
    created_by as createdBy, created_at as createdAt, updated_at as updatedAt from import_folder`;

export class ImportFolderStore {
  constructor(
    private readonly db: Db,
    private readonly root: string
  ) {}

  #toFolder = (r: FolderRow): ImportFolder => ({ ...r, enabled: r.enabled === 1, location: join(this.root, r.path) });

  list(tenantId: number): ImportFolder[] {
    return (this.db.prepare(`${FOLDER_SELECT} where tenant_id = ? order by name, id`).all(tenantId) as FolderRow[]).map(this.#toFolder);
  }

  /** Every enabled folder of every utility, for the scheduler. */
  allEnabled(): ImportFolder[] {
    return (this.db.prepare(`${FOLDER_SELECT} where enabled = 1 order by id`).all() as FolderRow[]).map(this.#toFolder);
  }

  get(tenantId: number, id: number): ImportFolder {
    const r = this.db.prepare(`${FOLDER_SELECT} where tenant_id = ? and id = ?`).get(tenantId, id) as FolderRow | undefined;
    if (!r) throw notFound('Folder import', id);
    return this.#toFolder(r);
  }

  create(actor: Actor, input: FolderInput, now: number): ImportFolder {
    return this.db.transaction(() => {
      this.#check(actor.tenantId, input, null);
      const { id } = this.db
        .prepare(
          `insert into import_folder (tenant_id, name, path, kind, separator, mapping_id, mode, schedule, enabled, created_by, created_at, updated_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`
        )
        .get(actor.tenantId, input.name, input.path, input.kind, input.separator, input.mappingId, input.mode, input.schedule, input.enabled ? 1 : 0, actor.userId, now, now) as {
        id: number;
      };
      auditAs(this.db, actor, now, 'import.folder.create', { id, name: input.name, path: input.path, kind: input.kind, schedule: input.schedule });
      const folder = this.get(actor.tenantId, id);
      this.#makeFolders(folder.location);
      return folder;
    })();
  }

  update(actor: Actor, id: number, input: FolderInput, now: number): ImportFolder {
    return this.db.transaction(() => {
      const before = this.get(actor.tenantId, id);
      this.#check(actor.tenantId, input, id);
      this.db
        .prepare('update import_folder set name = ?, path = ?, kind = ?, separator = ?, mapping_id = ?, mode = ?, schedule = ?, enabled = ?, updated_at = ? where id = ?')
        .run(input.name, input.path, input.kind, input.separator, input.mappingId, input.mode, input.schedule, input.enabled ? 1 : 0, now, id);
      const { location: _l, ...rest } = before;
      auditAs(this.db, actor, now, 'import.folder.update', { id, name: input.name, changes: changes(rest, input) });
      const folder = this.get(actor.tenantId, id);
      this.#makeFolders(folder.location);
      return folder;
    })();
  }

  /** The files in it stay where they are; the runs stay in the history. */
  delete(actor: Actor, id: number, now: number): void {
    this.db.transaction(() => {
      const f = this.get(actor.tenantId, id);
      this.db.prepare('delete from import_folder where id = ?').run(id);
      auditAs(this.db, actor, now, 'import.folder.delete', { id, name: f.name, path: f.path });
    })();
  }

  #check(tenantId: number, input: FolderInput, self: number | null): void {
    const same = (column: string, value: string) =>
      this.db.prepare(`select id from import_folder where tenant_id = ? and ${column} = ?`).pluck().get(tenantId, value) as number | undefined;
    const byName = same('name', input.name);
    if (byName !== undefined && byName !== self) throw conflict(`A folder import named "${input.name}" exists already (id ${byName}).`);
    const byPath = same('path', input.path);
    if (byPath !== undefined && byPath !== self) throw conflict(`Folder "${input.path}" is watched by another folder import already (id ${byPath}).`);
    // another utility's folder: the same place on disk must not be read by two utilities
    const elsewhere = this.db.prepare('select id from import_folder where tenant_id <> ? and path = ?').pluck().get(tenantId, input.path);
    if (elsewhere !== undefined) throw conflict(`Folder "${input.path}" is used by another utility; choose another folder.`);
    if (input.mappingId !== null) {
      const m = this.db.prepare('select kind from import_mapping where tenant_id = ? and id = ?').get(tenantId, input.mappingId) as { kind: string } | undefined;
      if (!m) throw notFound('Import mapping', input.mappingId);
      if (m.kind !== input.kind) throw conflict(`The chosen mapping is for ${m.kind}, the folder imports ${input.kind}.`);
    }
  }

  #makeFolders(location: string): void {
    for (const sub of ['done', 'failed']) mkdirSync(join(location, sub), { recursive: true });
  }
}
