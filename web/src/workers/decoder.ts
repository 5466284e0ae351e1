import { wrap, type Remote } from 'comlink';
import { fromHex } from '$shared/bytes/hex';
import { CompactFormatTable, type CompactFormatsJson } from '$shared/wmbus/compact';
import type { BatchAnswer, BatchFrame } from './decode-batch';
import type { DecoderApi, KeyEntry } from './decoder.worker';

// Main-thread bridge: starts the worker on first use and ends it after a minute without calls,
// so a phone that is not reading does not keep a thread alive. What the worker holds (the keys,
// the compact formats it learnt) is kept here too and handed to a restarted worker first.
const IDLE_MS = 60_000;

let worker: Worker | null = null;
let remote: Remote<DecoderApi> | null = null;
let primed: Promise<void> | null = null;
let idle: ReturnType<typeof setTimeout> | undefined;
let pending = 0;
let keyEntries: KeyEntry[] | null = null;
let learnt: CompactFormatsJson | null = null;
let batches: Promise<unknown> = Promise.resolve();

function start(): Remote<DecoderApi> {
  if (!remote) {
    worker = new Worker(new URL('./decoder.worker.ts', import.meta.url), { type: 'module', name: 'decoder' });
    const r = wrap<DecoderApi>(worker);
    remote = r;
    primed = (async () => {
      if (keyEntries) await r.setKeys(keyEntries);
      if (learnt) await r.setFormats(learnt);
    })();
  }
  return remote;
}

export function stopDecoder(): void {
  clearTimeout(idle);
  worker?.terminate();
  worker = null;
  remote = null;
  primed = null;
}

/** Call the worker; the worker stays up while calls are pending and stops when idle. */
export async function withDecoder<T>(call: (api: Remote<DecoderApi>) => Promise<T>): Promise<T> {
  clearTimeout(idle);
  pending++;
  try {
    const api = start();
    await primed;
    return await call(api);
  } finally {
    if (--pending === 0) idle = setTimeout(stopDecoder, IDLE_MS);
  }
}

/** Loads the route's keys into the worker (and into any worker started later). Returns how many it holds. */
export function setDecoderKeys(entries: KeyEntry[]): Promise<number> {
  keyEntries = entries;
  return withDecoder((api) => api.setKeys(entries));
}

/**
 * Loads the utility's compact-format table (Send/Receive) into the worker, and into any worker
 * started later. Formats the worker learnt from full frames are kept: the table is the union.
 * Returns how many formats the worker holds.
 */
export function setDecoderFormats(json: CompactFormatsJson): Promise<number> {
  return withDecoder(async (api) => {
    const table = CompactFormatTable.fromJSON(json);
    for (const f of (await api.formats()).formats) table.add(fromHex(f.format), f.source);
    const merged = table.toJSON();
    await api.setFormats(merged);
    learnt = merged;
    return merged.formats.length;
  });
}

/**
 * The pipeline's decoder: batches run one after the other in call order (a burst waits its
 * turn, nothing is dropped); formats learnt from full frames survive an idle restart.
 */
export const workerDecoder = {
  decodeFrames(frames: BatchFrame[]): Promise<BatchAnswer> {
    const run = batches.then(() =>
      withDecoder(async (api) => {
        const answer = await api.decodeFrames(frames);
        if (answer.formatsLearned > 0) learnt = await api.formats();
        return answer;
      })
    );
    batches = run.catch(() => undefined);
    return run;
  }
};
