import type { Db } from './db/connection.js';
import type { SessionUser } from './auth/sessions.js';
import type { Env } from './env.js';

export interface AppDeps {
  db: Db;
  env: Env;
  /** Injected so tests can move time; the server passes Date.now. */
  now: () => number;
  startedAt: number;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    user: SessionUser | null;
  };
}
