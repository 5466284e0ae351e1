import type { RedecodeCounts } from '../ingest/ingest.js';
import type { Stores } from '../store/index.js';

// After a change that a waiting raw frame may have been waiting for has COMMITTED: tell the
// ingest, so its in-memory key ring follows the vault and the tenant's frames waiting for these
// meters are decoded now (ingest/ingest.ts keysChanged, metersChanged).

/** Meter ids per call: the ingest's waiting-frame query binds one parameter per id. */
const CHUNK = 5_000;

export interface DecodingInputs {
  /** Meters whose key was set, replaced or deleted. */
  keys?: readonly number[];
  /** Meters created, or whose manufacturer or serial changed. */
  meters?: readonly number[];
}

export const NOTHING_REDECODED: RedecodeCounts = { frames: 0, decoded: 0, waiting: 0 };

/**
 * Keys first, so frames that waited for a new meter are decoded with that meter's key when an
 * import brought both. Returns what was decoded again, summed.
 */
export function decodeWaiting(stores: Stores, tenantId: number, changed: DecodingInputs, now: number): RedecodeCounts {
  const sum = { ...NOTHING_REDECODED };
  const add = (r: RedecodeCounts) => {
    sum.frames += r.frames;
    sum.decoded += r.decoded;
    sum.waiting += r.waiting;
  };
  const keys = [...new Set(changed.keys ?? [])];
  for (let i = 0; i < keys.length; i += CHUNK) add(stores.ingest.keysChanged(tenantId, keys.slice(i, i + CHUNK), now));
  const meters = [...new Set(changed.meters ?? [])];
  for (let i = 0; i < meters.length; i += CHUNK) add(stores.ingest.metersChanged(tenantId, meters.slice(i, i + CHUNK), now));
  return sum;
}
