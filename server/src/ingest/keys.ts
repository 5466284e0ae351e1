import { KeyRing } from '../../../shared/wmbus/keyring.js';

// What the ingest pipeline needs from the key vault (server/src/store/keys.ts): a tenant's
// meter keys in clear, only ever into a KeyRing in memory, never into a log or a message.

export interface MeterKeyMaterial {
  meterId: number;
  manufacturer: string;
  serial: string;
  /** 16 bytes. */
  key: Uint8Array;
}

export interface KeySource {
  allKeys(tenantId: number): Iterable<MeterKeyMaterial>;
  keysForMeters(tenantId: number, meterIds: readonly number[]): Iterable<MeterKeyMaterial>;
}

/** No vault (yet): every encrypted frame waits with 'no-key'. */
export const NO_KEYS: KeySource = {
  allKeys: () => [],
  keysForMeters: () => []
};

/** Adds keys to a ring; a key whose meter id or length the ring refuses is skipped (counted). */
export function addKeys(ring: KeyRing, keys: Iterable<MeterKeyMaterial>): { added: number; skipped: number } {
  let added = 0;
  let skipped = 0;
  for (const k of keys) {
    try {
      ring.set({ manufacturer: k.manufacturer, id: k.serial }, k.key);
      added++;
    } catch {
      skipped++; // never say why with the key in the message
    }
  }
  return { added, skipped };
}
