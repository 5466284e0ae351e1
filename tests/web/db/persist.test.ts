// Persistent storage is asked for once a route is on the device, not before (a browser may prompt).
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../../web/src/lib/db/index';
import { persistIfRoute } from '../../../web/src/lib/db/persist';
import { replaceRoute } from '../../../web/src/lib/db/route';

function fakeStorage(persisted: boolean, grants: boolean) {
  const calls: string[] = [];
  return {
    calls,
    persisted: async () => (calls.push('persisted'), persisted),
    persist: async () => (calls.push('persist'), grants)
  };
}

describe('persistIfRoute', () => {
  it('does not ask without a route, asks once one arrived, and reports an existing grant', async () => {
    const db = openDb(`persist-${Math.random()}`, { indexedDB, IDBKeyRange });
    const storage = fakeStorage(false, true);
    expect(await persistIfRoute(db, storage)).toBeNull();
    expect(storage.calls).toEqual([]);

    await replaceRoute(db, [{ id: 1, manufacturer: 'KAM', serial: '76348799', position: null, group: 'North', make: 'MULTICAL 21' }]);
    expect(await persistIfRoute(db, storage)).toBe(true);
    expect(storage.calls).toEqual(['persisted', 'persist']);

    const granted = fakeStorage(true, false);
    expect(await persistIfRoute(db, granted)).toBe(true);
    expect(granted.calls).toEqual(['persisted']);
    expect(await persistIfRoute(db, undefined)).toBeNull();
    db.close();
  });
});
