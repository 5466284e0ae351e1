import type { Principal } from './auth/principal.js';
import type { SessionUser } from './auth/sessions.js';
import type { Db } from './db/connection.js';
import type { Env } from './env.js';
import type { Stores } from './store/index.js';

export interface AppDeps {
  db: Db;
  env: Env;
  stores: Stores;
  /** Injected so tests can move time; the server passes Date.now. */
  now: () => number;
  startedAt: number;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    /** The signed-in person (cookie session), for /api/auth. */
    user: SessionUser | null;
    /** Whoever is calling: person, API token or field device. */
    principal: Principal | null;
  };
}
