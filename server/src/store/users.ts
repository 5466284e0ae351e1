import { audit } from '../audit.js';
import type { Role } from '../auth/permissions.js';
import type { Actor } from '../auth/principal.js';
import { deleteUserSessions } from '../auth/sessions.js';
import type { Db } from '../db/connection.js';

// People of a tenant (M20, M21 personal logins). Never deleted: audit entries refer to them, so
// leaving is `disabled_at`, which ends their sessions and API tokens at once.

export interface UserInfo {
  id: number;
  login: string;
  displayName: string;
  role: Role;
  createdAt: number;
  disabledAt: number | null;
}

/** A person in the list, with their latest successful sign-in (ms) or null. */
export interface ListedUser extends UserInfo {
  lastSignInAt: number | null;
}

export interface UserListQuery {
  /** Part of the login or display name, matched literally (no wildcards). */
  q?: string;
  role?: Role;
  includeDisabled?: boolean;
  limit: number;
  offset: number;
}

export interface NewUser {
  login: string;
  displayName: string;
  role: Role;
  passwordHash: string;
}

/** A change the store refuses because of the data (409): the message is meant for the person. */
export class ConflictError extends Error {}

const COLUMNS = `id, login, display_name as displayName, role, created_at as createdAt, disabled_at as disabledAt`;

/** `%`, `_` and the escape character itself taken literally in a LIKE pattern (escape '\\'). */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

export class UserStore {
  constructor(private readonly db: Db) {}

  list(tenantId: number, q: UserListQuery): { users: ListedUser[]; total: number } {
    const where = ['tenant_id = ?'];
    const args: unknown[] = [tenantId];
    if (q.q) {
      where.push("(login like ? escape '\\' or display_name like ? escape '\\')");
      args.push(likeContains(q.q), likeContains(q.q));
    }
    if (q.role) {
      where.push('role = ?');
      args.push(q.role);
    }
    if (!q.includeDisabled) where.push('disabled_at is null');
    const w = where.join(' and ');
    // the latest sign-in per listed person: one indexed lookup each (audit_entry_tenant_user_at)
    const users = this.db
      .prepare(
        `select ${COLUMNS},
                (select max(at) from audit_entry a where a.tenant_id = app_user.tenant_id and a.user_id = app_user.id
                   and a.event = 'auth.sign-in') as lastSignInAt
           from app_user where ${w} order by login collate nocase, id limit ? offset ?`
      )
      .all(...args, q.limit, q.offset) as ListedUser[];
    const total = (this.db.prepare(`select count(*) as n from app_user where ${w}`).get(...args) as { n: number }).n;
    return { users, total };
  }

  get(tenantId: number, id: number): UserInfo | null {
    return (this.db.prepare(`select ${COLUMNS} from app_user where tenant_id = ? and id = ?`).get(tenantId, id) as UserInfo) ?? null;
  }

  /** The stored password hash of an active user, for checking the current password. */
  passwordHash(tenantId: number, id: number): string | null {
    const row = this.db
      .prepare('select password_hash as h from app_user where tenant_id = ? and id = ? and disabled_at is null')
      .get(tenantId, id) as { h: string } | undefined;
    return row?.h ?? null;
  }

  create(actor: Actor, u: NewUser, now: number): UserInfo {
    return this.db.transaction(() => {
      // logins are unique across tenants (sign-in names no tenant), compared without case
      if (this.db.prepare('select 1 from app_user where login = ?').get(u.login)) {
        throw new ConflictError(`login: "${u.login}" is already in use; choose another user name.`);
      }
      const id = Number(
        this.db
          .prepare('insert into app_user (tenant_id, login, display_name, password_hash, role, created_at) values (?, ?, ?, ?, ?, ?)')
          .run(actor.tenantId, u.login, u.displayName, u.passwordHash, u.role, now).lastInsertRowid
      );
      this.#audit(actor, now, 'user.created', { userId: id, login: u.login, role: u.role });
      return this.get(actor.tenantId, id)!;
    })();
  }

  /** Change role and/or display name; null when there is no such user in the tenant. */
  update(actor: Actor, id: number, change: { displayName?: string; role?: Role }, now: number): UserInfo | null {
    return this.db.transaction(() => {
      const before = this.get(actor.tenantId, id);
      if (!before) return null;
      const after = { displayName: change.displayName ?? before.displayName, role: change.role ?? before.role };
      if (after.displayName === before.displayName && after.role === before.role) return before;
      if (before.role === 'administrator' && after.role !== 'administrator' && before.disabledAt === null) {
        this.#keepAnAdministrator(actor.tenantId, id, 'change the role of');
      }
      this.db.prepare('update app_user set display_name = ?, role = ? where id = ?').run(after.displayName, after.role, id);
      const diff: Record<string, { before: string; after: string }> = {};
      if (after.displayName !== before.displayName) diff.displayName = { before: before.displayName, after: after.displayName };
      if (after.role !== before.role) diff.role = { before: before.role, after: after.role };
      this.#audit(actor, now, 'user.changed', { userId: id, login: before.login, ...diff });
      return this.get(actor.tenantId, id)!;
    })();
  }

  /** Disable: sessions end and the person's API tokens are revoked in the same transaction. */
  disable(actor: Actor, id: number, now: number): UserInfo | null {
    return this.db.transaction(() => {
      const user = this.get(actor.tenantId, id);
      if (!user) return null;
      if (user.disabledAt !== null) return user;
      if (user.role === 'administrator') this.#keepAnAdministrator(actor.tenantId, id, 'disable');
      this.db.prepare('update app_user set disabled_at = ? where id = ?').run(now, id);
      const sessionsEnded = deleteUserSessions(this.db, id);
      const tokensRevoked = this.db
        .prepare('update api_token set revoked_at = ? where tenant_id = ? and created_by = ? and revoked_at is null')
        .run(now, actor.tenantId, id).changes;
      this.#audit(actor, now, 'user.disabled', { userId: id, login: user.login, sessionsEnded, tokensRevoked });
      return this.get(actor.tenantId, id)!;
    })();
  }

  enable(actor: Actor, id: number, now: number): UserInfo | null {
    return this.db.transaction(() => {
      const user = this.get(actor.tenantId, id);
      if (!user) return null;
      if (user.disabledAt === null) return user;
      this.db.prepare('update app_user set disabled_at = null where id = ?').run(id);
      this.#audit(actor, now, 'user.enabled', { userId: id, login: user.login });
      return this.get(actor.tenantId, id)!;
    })();
  }

  /**
   * Set a new password hash and end the user's sessions, except the one presenting `keepToken`
   * (a person changing their own password stays signed in where they did it).
   */
  setPassword(actor: Actor, id: number, passwordHash: string, now: number, keepToken: string | null): UserInfo | null {
    return this.db.transaction(() => {
      const user = this.get(actor.tenantId, id);
      if (!user) return null;
      this.db.prepare('update app_user set password_hash = ? where id = ?').run(passwordHash, id);
      const sessionsEnded = deleteUserSessions(this.db, id, keepToken);
      this.#audit(actor, now, 'user.password-changed', {
        userId: id,
        login: user.login,
        by: actor.userId === id ? 'self' : 'administrator',
        sessionsEnded
      });
      return user;
    })();
  }

  /** Refuse a change that would leave the tenant without an active administrator. */
  #keepAnAdministrator(tenantId: number, id: number, verb: string): void {
    const others = this.db
      .prepare("select count(*) as n from app_user where tenant_id = ? and role = 'administrator' and disabled_at is null and id <> ?")
      .get(tenantId, id) as { n: number };
    if (others.n === 0) {
      throw new ConflictError(
        `You cannot ${verb} the last active administrator of this utility: make another person an administrator first.`
      );
    }
  }

  #audit(actor: Actor, now: number, event: string, details: Record<string, unknown>): void {
    audit(this.db, now, { tenantId: actor.tenantId, event, userId: actor.userId, actor: actor.name, device: actor.device, details });
  }
}
