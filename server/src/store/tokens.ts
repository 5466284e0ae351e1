import { randomBytes } from 'node:crypto';
import { audit } from '../audit.js';
import type { Permission } from '../auth/permissions.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { secretHash, TOKEN_PREFIX } from '../middleware/principal.js';

// API tokens (M16): `rdt_` + 32 random bytes (base64url), shown once; only the SHA-256 is kept.
// middleware/principal.ts resolves them and refuses revoked or expired ones.

export type TokenStatus = 'active' | 'expired' | 'revoked';

export interface TokenInfo {
  id: number;
  name: string;
  scopes: Permission[];
  createdBy: { id: number; login: string } | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
  status: TokenStatus;
}

interface Row {
  id: number;
  name: string;
  scopes: string;
  createdById: number | null;
  createdByLogin: string | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

const SELECT = `select k.id, k.name, k.scopes, k.created_by as createdById, u.login as createdByLogin, k.created_at as createdAt,
                       k.expires_at as expiresAt, k.revoked_at as revokedAt, k.last_used_at as lastUsedAt
                  from api_token k left join app_user u on u.id = k.created_by`;

function info(r: Row, now: number): TokenInfo {
  return {
    id: r.id,
    name: r.name,
    scopes: JSON.parse(r.scopes) as Permission[],
    createdBy: r.createdById !== null ? { id: r.createdById, login: r.createdByLogin ?? '' } : null,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    revokedAt: r.revokedAt,
    lastUsedAt: r.lastUsedAt,
    status: r.revokedAt !== null ? 'revoked' : r.expiresAt !== null && r.expiresAt <= now ? 'expired' : 'active'
  };
}

export class TokenStore {
  constructor(private readonly db: Db) {}

  list(tenantId: number, q: { includeRevoked: boolean; limit: number; offset: number }, now: number): { tokens: TokenInfo[]; total: number } {
    const where = `k.tenant_id = ?${q.includeRevoked ? '' : ' and k.revoked_at is null'}`;
    const rows = this.db.prepare(`${SELECT} where ${where} order by k.id desc limit ? offset ?`).all(tenantId, q.limit, q.offset) as Row[];
    const total = (this.db.prepare(`select count(*) as n from api_token k where ${where}`).get(tenantId) as { n: number }).n;
    return { tokens: rows.map((r) => info(r, now)), total };
  }

  get(tenantId: number, id: number, now: number): TokenInfo | null {
    const row = this.db.prepare(`${SELECT} where k.tenant_id = ? and k.id = ?`).get(tenantId, id) as Row | undefined;
    return row ? info(row, now) : null;
  }

  /** Make a token; the secret is returned here and nowhere else. Scopes are checked by the caller. */
  create(actor: Actor, t: { name: string; scopes: Permission[]; expiresAt: number | null }, now: number): { token: TokenInfo; secret: string } {
    const secret = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const scopes = [...new Set(t.scopes)];
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare('insert into api_token (tenant_id, name, token_hash, scopes, created_by, created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?)')
          .run(actor.tenantId, t.name, secretHash(secret), JSON.stringify(scopes), actor.userId, now, t.expiresAt).lastInsertRowid
      );
      this.#audit(actor, now, 'token.created', { tokenId: id, name: t.name, scopes, expiresAt: t.expiresAt });
      return { token: this.get(actor.tenantId, id, now)!, secret };
    })();
  }

  /** Revoke; null when the tenant has no such token. Revoking twice changes nothing. */
  revoke(actor: Actor, id: number, now: number): TokenInfo | null {
    return this.db.transaction(() => {
      const token = this.get(actor.tenantId, id, now);
      if (!token || token.revokedAt !== null) return token;
      this.db.prepare('update api_token set revoked_at = ? where id = ?').run(now, id);
      this.#audit(actor, now, 'token.revoked', { tokenId: id, name: token.name });
      return this.get(actor.tenantId, id, now)!;
    })();
  }

  #audit(actor: Actor, now: number, event: string, details: Record<string, unknown>): void {
    audit(this.db, now, { tenantId: actor.tenantId, event, userId: actor.userId, actor: actor.name, device: actor.device, details });
  }
}
