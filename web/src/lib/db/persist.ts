// Persistent storage (architecture.md: offline first): once the device holds a route, its unsent
// telegrams and keys must not be evicted when the browser runs short of space.

import { db as appDb, type ReadoutDb } from './index';

type Storage = Pick<StorageManager, 'persist' | 'persisted'>;

/**
 * Asks for persistent storage once the device holds a route; null while there is no route (not
 * asked: a browser may prompt) or without the API. Called at start-up and after each Receive.
 */
export async function persistIfRoute(
  db: ReadoutDb = appDb,
  storage: Storage | undefined = globalThis.navigator?.storage
): Promise<boolean | null> {
  if ((await db.route.count()) === 0) return null;
  if (!storage?.persist) return null;
  if (await storage.persisted?.()) return true;
  return storage.persist();
}
