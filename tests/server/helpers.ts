import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createApp } from '../../server/src/app';
import { hashPassword } from '../../server/src/auth/password';
import type { Role } from '../../server/src/auth/permissions';
import { openDatabase, type Db } from '../../server/src/db/connection';
import { migrate, readMigrations } from '../../server/src/db/migrate';
import { parseEnv, type Env } from '../../server/src/env';
import { ensureFirstStart } from '../../server/src/first-start';
import { migrationsDir } from '../../server/src/paths';
import { createStores, type Stores } from '../../server/src/store/index';

/** A fresh data folder per test, removed afterwards. */
export function useTempDir(prefix = 'readout-test-'): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

export const ADMIN_PASSWORD = 'correct horse battery';

export interface RequestOptions {
  cookie?: string;
  /** An API token (rdt_…) or device secret (rdd_…). */
  bearer?: string;
  body?: unknown;
}

/** One request to the in-process app as a field tablet would send it. */
export function request(server: TestServer, method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
  return Promise.resolve(
    server.app.request(path, {
      method,
      headers: {
        'user-agent': 'Field tablet (Android 15)',
        ...(opts.cookie ? { cookie: opts.cookie } : {}),
        ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {})
      },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined
    })
  );
}

export interface TestServer {
  app: ReturnType<typeof createApp>;
  db: Db;
  stores: Stores;
  env: Env;
  clock: { now: number };
  /** Sign in and return the cookie header value. */
  signIn(login: string, password?: string): Promise<string>;
  /** A user of the given role in the given tenant (created on first use); returns its cookie. */
  as(role: Role, tenant?: string): Promise<string>;
  close(): void;
}

/** The real app on a real SQLite file in `dir`, with "Demo Utility" and its administrator. */
export async function makeTestServer(dir: string, envOverrides: Record<string, string> = {}): Promise<TestServer> {
  const parsed = parseEnv({ DATA_DIR: dir, ...envOverrides });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const env = parsed.env;
  const clock = { now: 1_790_000_000_000 };
  const db = openDatabase(join(dir, 'readout.sqlite'));
  migrate(db, readMigrations(migrationsDir));
  await ensureFirstStart(db, { login: 'admin', password: ADMIN_PASSWORD, now: clock.now });
  const stores = createStores(db, { env, dataDir: dir });
  const app = createApp({ db, env, stores, now: () => clock.now, startedAt: clock.now }, { log: () => {} });
  const cookies = new Map<string, string>();

  async function signIn(login: string, password = ADMIN_PASSWORD): Promise<string> {
    const res = await app.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'vitest' },
      body: JSON.stringify({ login, password })
    });
    if (res.status !== 200) throw new Error(`sign-in of ${login}: ${res.status} ${await res.text()}`);
    return (res.headers.get('set-cookie') ?? '').split(';')[0];
  }

  async function as(role: Role, tenant = 'Demo Utility'): Promise<string> {
    const key = `${tenant}/${role}`;
    const known = cookies.get(key);
    if (known) return known;
    const login = `${role}@${tenant.toLowerCase().replace(/\W+/g, '-')}`;
    if (!db.prepare('select 1 from app_user where login = ?').get(login)) {
      const t =
        (db.prepare('select id from tenant where name = ?').get(tenant) as { id: number } | undefined) ??
        (db.prepare('insert into tenant (name, created_at) values (?, ?) returning id').get(tenant, clock.now) as { id: number });
      db.prepare(
        'insert into app_user (tenant_id, login, display_name, password_hash, role, created_at) values (?, ?, ?, ?, ?, ?)'
      ).run(t.id, login, `${role} of ${tenant}`, await hashPassword(ADMIN_PASSWORD), role, clock.now);
    }
    const cookie = await signIn(login);
    cookies.set(key, cookie);
    return cookie;
  }

  return { app, db, stores, env, clock, signIn, as, close: () => db.close() };
}
