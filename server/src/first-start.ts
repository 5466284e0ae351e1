import type { Db } from './db/connection.js';
import { audit } from './audit.js';
import { generatePassword, hashPassword } from './auth/password.js';

export const DEMO_TENANT = 'Demo Utility';

export interface FirstStart {
  created: boolean;
  login: string;
  /** Set only when the password was generated now: it is shown once and never stored in clear. */
  generatedPassword?: string;
}

/**
 * On an empty database: the tenant "Demo Utility" and its first administrator.
 * The password comes from ADMIN_PASSWORD or is generated and returned to be printed once.
 */
export async function ensureFirstStart(
  db: Db,
  opts: { login: string; password?: string; now: number }
): Promise<FirstStart> {
  const existing = db.prepare("select login from app_user where role = 'administrator' order by id limit 1").get() as
    | { login: string }
    | undefined;
  if (existing) return { created: false, login: existing.login };

  const generated = opts.password ? undefined : generatePassword();
  const passwordHash = await hashPassword(opts.password ?? generated!);
  db.transaction(() => {
    // Re-check inside the write transaction: two servers starting on one file create one admin.
    if (db.prepare("select 1 from app_user where role = 'administrator'").get()) return;
    const tenant = db
      .prepare('insert into tenant (name, created_at) values (?, ?) on conflict (name) do update set name = name returning id')
      .get(DEMO_TENANT, opts.now) as { id: number };
    const user = db
      .prepare(
        "insert into app_user (tenant_id, login, display_name, password_hash, role, created_at) values (?, ?, 'Administrator', ?, 'administrator', ?)"
      )
      .run(tenant.id, opts.login, passwordHash, opts.now);
    audit(db, opts.now, {
      tenantId: tenant.id,
      event: 'user.created',
      actor: 'first start',
      details: { userId: Number(user.lastInsertRowid), login: opts.login, role: 'administrator' }
    });
    // Demo meters, readings and alarms for this tenant are added by server/src/demo after the
    // stores (and the key vault) exist: startServer calls generateDemo when DEMO=1 (the default).
  }).immediate();
  return { created: true, login: opts.login, generatedPassword: generated };
}
