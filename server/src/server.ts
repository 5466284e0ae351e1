import { serve, type ServerType } from '@hono/node-server';
import { join } from 'node:path';
import { createApp } from './app.js';
import { openDatabase, type Db } from './db/connection.js';
import { migrate, readMigrations } from './db/migrate.js';
import type { Env } from './env.js';
import { ensureFirstStart, type FirstStart } from './first-start.js';
import { buildDir, migrationsDir, resolveDataDir } from './paths.js';

export interface Running {
  url: string;
  port: number;
  db: Db;
  firstStart: FirstStart;
  close(): Promise<void>;
}

/** Open the data folder, bring the schema up to date, create the first administrator if needed, listen. */
export async function startServer(env: Env, opts: { log?: (line: string) => void } = {}): Promise<Running> {
  const dataDir = resolveDataDir(env.DATA_DIR);
  const db = openDatabase(join(dataDir, 'readout.sqlite'));
  try {
    migrate(db, readMigrations(migrationsDir));
    const startedAt = Date.now();
    const firstStart = await ensureFirstStart(db, { login: env.ADMIN_LOGIN, password: env.ADMIN_PASSWORD, now: startedAt });
    const app = createApp({ db, env, now: Date.now, startedAt }, { buildDir, log: opts.log });
    const server = await listen(app.fetch, env.PORT, env.HOST);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : env.PORT;
    let closing: Promise<void> | null = null;
    return {
      url: `http://localhost:${port}`,
      port,
      db,
      firstStart,
      close: () =>
        (closing ??= new Promise<void>((resolve) => {
          server.close(() => {
            db.close();
            resolve();
          });
          // keep-alive connections would hold close() open; end idle ones now and the rest shortly
          (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          setTimeout(() => (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.(), 3000).unref();
        }))
    };
  } catch (err) {
    db.close();
    throw err;
  }
}

function listen(fetch: (req: Request) => Response | Promise<Response>, port: number, hostname: string): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname }, () => resolve(server));
    server.once('error', reject);
  });
}
