import { wrap, type Remote } from 'comlink';
import type { DecoderApi } from './decoder.worker';

// Main-thread bridge: starts the worker on first use and ends it after a minute without calls,
// so a phone that is not reading does not keep a thread alive.
const IDLE_MS = 60_000;

let worker: Worker | null = null;
let remote: Remote<DecoderApi> | null = null;
let idle: ReturnType<typeof setTimeout> | undefined;
let pending = 0;

function start(): Remote<DecoderApi> {
  if (!remote) {
    worker = new Worker(new URL('./decoder.worker.ts', import.meta.url), { type: 'module', name: 'decoder' });
    remote = wrap<DecoderApi>(worker);
  }
  return remote;
}

export function stopDecoder(): void {
  clearTimeout(idle);
  worker?.terminate();
  worker = null;
  remote = null;
}

/** Call the worker; the worker stays up while calls are pending and stops when idle. */
export async function withDecoder<T>(call: (api: Remote<DecoderApi>) => Promise<T>): Promise<T> {
  clearTimeout(idle);
  pending++;
  try {
    return await call(start());
  } finally {
    if (--pending === 0) idle = setTimeout(stopDecoder, IDLE_MS);
  }
}
