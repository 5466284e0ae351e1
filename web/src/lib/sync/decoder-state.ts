// What the decoder worker holds comes from the store: the route's keys (wrapped in `keys`,
// unwrapped only on the way to the worker) and the compact-format table Send/Receive received
// (`meta` decoder.formats). Called after every Receive and once at app start.

import type { ReadoutDb } from '$lib/db';
import { KeyStore, toKeyEntry } from '$lib/db/keys';
import type { CompactFormatsJson } from '$shared/wmbus/compact';
import type { KeyEntry } from '../../workers/decoder.worker';
import { setDecoderFormats, setDecoderKeys } from '../../workers/decoder';

export const FORMATS_META = 'decoder.formats';

/** The decoder as loadDecoder sees it; the app's is the worker (decoder.ts), tests pass their own. */
export interface DecoderHooks {
  setKeys(entries: KeyEntry[]): Promise<number>;
  setFormats(json: CompactFormatsJson): Promise<number>;
}

export const workerHooks: DecoderHooks = { setKeys: setDecoderKeys, setFormats: setDecoderFormats };

export interface LoadedDecoder {
  /** Keys handed to the decoder. */
  keys: number;
  /** Meters whose stored key no longer unwraps (named, never the key): Send/Receive fetches them again. */
  broken: string[];
  /** Compact formats the decoder holds after loading; null when none were received yet. */
  formats: number | null;
}

export async function loadDecoder(db: ReadoutDb, decoder: DecoderHooks = workerHooks): Promise<LoadedDecoder> {
  const { keys, broken } = await new KeyStore(db).unwrapAll();
  const held = await decoder.setKeys(keys.map(toKeyEntry));
  const json = (await db.meta.get(FORMATS_META))?.value as CompactFormatsJson | undefined;
  const formats = json ? await decoder.setFormats(json) : null;
  return { keys: held, broken, formats };
}
