// Start-up of the field screens, once per page load whichever screen is opened first: the
// simulated receivers when a test or demo asked for them (before anything asks for a port), the
// reading pipeline (route, frames a reload left undecoded), the decoder worker's keys and compact
// formats from the store, then the frames that waited for a key are decoded again. Once a route is
// on the device the browser is asked to keep its storage (architecture.md: offline first).

import { db } from '$lib/db';
import { installSimulationIfRequested } from '$lib/hardware/sim/install';
import { persistIfRoute } from '$lib/db/persist';
import { loadDecoder } from '$lib/sync/decoder-state';
import { reading } from './reading.svelte';

export interface FieldAppStart {
  /** Whether the simulated receivers replaced navigator.serial / navigator.bluetooth. */
  simulated: boolean;
  /** Keys the decoder holds, and meters whose stored key no longer unwraps. */
  keys: number;
  broken: string[];
  /** Frames queued again because keys arrived for them. */
  redecoding: number;
  /** Whether storage is persistent; null without a route yet (not asked) or without the API. */
  persisted: boolean | null;
}

let started: Promise<FieldAppStart> | null = null;

/** Idempotent: every caller gets the same start-up; a failed one may be tried again. */
export function startFieldApp(): Promise<FieldAppStart> {
  started ??= start().catch((e: unknown) => {
    started = null;
    throw e;
  });
  return started;
}

async function start(): Promise<FieldAppStart> {
  const simulated = await installSimulationIfRequested(db);
  await reading.start();
  const { keys, broken } = await loadDecoder(db);
  const redecoding = await reading.redecodePending();
  const persisted = await persistIfRoute();
  return { simulated, keys, broken, redecoding, persisted };
}
