import { serve, type ServerType } from '@hono/node-server';
import { join } from 'node:path';
import { createApp } from './app.js';
import { openDatabase, type Db } from './db/connection.js';
import { migrate, readMigrations } from './db/migrate.js';
import type { Env } from './env.js';
import { generateDemo, type DemoResult } from './demo/index.js';
import { DEMO_TENANT, ensureFirstStart, type FirstStart } from './first-start.js';
import { buildDir, migrationsDir, resolveDataDir } from './paths.js';
import { startScheduler } from './jobs/scheduler.js';
import { createStores } from './store/index.js';
import { createDemoMbusSystem, startDemoMbus, type DemoMbus } from './demo/mbus.js';
import { existingMbusRunner } from './mbus/runner.js';

export interface Running {
  url: string;
  port: number;
  db: Db;
  firstStart: FirstStart;
  /** What the demo generator made on this (first) start, or null. */
  demo: DemoResult | null;
  close(): Promise<void>;
}

/** Open the data folder, bring the schema up to date, create the first administrator if needed, listen. */
export async function startServer(env: Env, opts: { log?: (line: string) => void; progress?: (line: string) => void } = {}): Promise<Running> {
  const dataDir = resolveDataDir(env.DATA_DIR);
  const db = openDatabase(join(dataDir, 'readout.sqlite'));
  try {
    migrate(db, readMigrations(migrationsDir));
    const startedAt = Date.now();
    const firstStart = await ensureFirstStart(db, { login: env.ADMIN_LOGIN, password: env.ADMIN_PASSWORD, now: startedAt });
    const stores = createStores(db, { env, dataDir });
    // First start with DEMO=1 (the default for `npm start`): the demo utility's meters and readings.
    let demo: DemoResult | null = null;
    if (firstStart.created && env.DEMO) {
      const tenant = db.prepare('select id from tenant where name = ?').get(DEMO_TENANT) as { id: number };
      demo = await generateDemo(db, stores, {
        tenantId: tenant.id,
        end: startedAt,
        log: opts.progress ?? ((line) => process.stderr.write(line + '\n'))
      });
      createDemoMbusSystem(db, tenant.id, startedAt);
    }
    // With demo data: the simulated M-Bus segment behind the demo's M-Bus system (every start).
    let demoMbus: DemoMbus | null = null;
    if (env.DEMO) {
      const tenant = db.prepare('select id from tenant where name = ?').get(DEMO_TENANT) as { id: number } | undefined;
      if (tenant) demoMbus = await startDemoMbus({ db, stores, now: Date.now, log: opts.log }, tenant.id);
    }
    const app = createApp({ db, env, stores, now: Date.now, startedAt }, { buildDir, log: opts.log });
    const server = await listen(app.fetch, env.PORT, env.HOST);
    // daily thinning (M18) and the other scheduled jobs; it never keeps the process alive
    const scheduler = startScheduler({ db, stores, env, now: Date.now, log: opts.log });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : env.PORT;
    let closing: Promise<void> | null = null;
    return {
      url: `http://localhost:${port}`,
      port,
      db,
      firstStart,
      demo,
      close: () =>
        (closing ??= new Promise<void>((resolve) => {
          scheduler.stop();
          server.close(() => {
            // runs on M-Bus cables end (cancelled) before the database closes
            void Promise.all([existingMbusRunner(db)?.stop(), demoMbus?.close()])
              .catch(() => {})
              .then(() => {
                db.close();
                resolve();
              });
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
