import { audit } from '../audit.js';
import type { Actor } from '../auth/principal.js';
import {
  ALL_PERMISSIONS,
  DEFAULT_PERMISSIONS,
  NOT_GRANTABLE,
  PERMISSIONS,
  type EditableRole,
  type Permission,
  type Role
} from '../auth/permissions.js';
import type { Db } from '../db/connection.js';

export type Matrix = Record<EditableRole, Permission[]>;

/** The permission matrix of a tenant: stored rows, or the defaults when a role has none. */
export class PermissionStore {
  readonly #cache = new Map<number, Matrix>();
  constructor(private readonly db: Db) {}

  matrix(tenantId: number): Matrix {
    const cached = this.#cache.get(tenantId);
    if (cached) return cached;
    const rows = this.db
      .prepare('select role, permission from role_permission where tenant_id = ?')
      .all(tenantId) as { role: EditableRole; permission: Permission }[];
    const m: Matrix = { user: [], superuser: [] };
    const stored = new Set(rows.map((r) => r.role));
    for (const r of rows) if (ALL_PERMISSIONS.has(r.permission)) m[r.role].push(r.permission);
    for (const role of ['user', 'superuser'] as const) if (!stored.has(role)) m[role] = [...DEFAULT_PERMISSIONS[role]];
    for (const role of ['user', 'superuser'] as const) m[role].sort((a, b) => PERMISSIONS.indexOf(a) - PERMISSIONS.indexOf(b));
    this.#cache.set(tenantId, m);
    return m;
  }

  permissionsOf(tenantId: number, role: Role): ReadonlySet<Permission> {
    if (role === 'administrator') return ALL_PERMISSIONS;
    return new Set(this.matrix(tenantId)[role]);
  }

  /** Replace what a role may do; audited in the same transaction. Throws RangeError on a permission that cannot be granted. */
  setRole(actor: Actor, role: EditableRole, permissions: Permission[], now: number): Matrix {
    const bad = permissions.filter((p) => NOT_GRANTABLE.has(p));
    if (bad.length) throw new RangeError(`permissions: ${bad.join(', ')} cannot be given to the role ${role}`);
    const unique = [...new Set(permissions)];
    const before = this.matrix(actor.tenantId)[role];
    this.db.transaction(() => {
      this.db.prepare('delete from role_permission where tenant_id = ? and role = ?').run(actor.tenantId, role);
      const insert = this.db.prepare('insert into role_permission (tenant_id, role, permission) values (?, ?, ?)');
      for (const p of unique) insert.run(actor.tenantId, role, p);
      // an empty set is stored as one marker-free state: no rows means defaults, so keep an explicit empty role
      if (!unique.length) insert.run(actor.tenantId, role, '-');
      audit(this.db, now, {
        tenantId: actor.tenantId,
        event: 'permissions.changed',
        userId: actor.userId,
        actor: actor.name,
        device: actor.device,
        details: { role, before, after: unique }
      });
    })();
    this.#cache.delete(actor.tenantId);
    return this.matrix(actor.tenantId);
  }
}
