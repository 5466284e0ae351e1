// What every Send/Receive step is given: the store, the network and the clock, so each step runs
// headless in tests against the in-process server (a fetch that calls app.request).

import type { ReadoutDb } from '$lib/db';

export interface SyncContext {
  db: ReadoutDb;
  fetch: typeof fetch;
  /** ms since epoch. */
  now: () => number;
  /** Cancels the run; a cancelled request rejects with an AbortError, and what was confirmed stays confirmed. */
  signal?: AbortSignal;
}

/** The error a cancelled step throws (fetch's own AbortError, or this between batches). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DOMException('Send/Receive was cancelled.', 'AbortError');
}

export function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}
