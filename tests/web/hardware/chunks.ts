// Helpers for framing tests: cut a stream anywhere, run rules or a TransformStream over the pieces.
import { Framer, type FrameEvent, type FrameRules } from '../../../web/src/lib/hardware/devices/framing.js';

/** Cut `bytes` at the given positions (taken modulo length + 1, sorted, duplicates kept: empty chunks too). */
export function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(bytes.subarray(prev));
  return out;
}

export function frameChunks<F>(rules: FrameRules<F>, chunks: Uint8Array[]): FrameEvent<F>[] {
  const framer = new Framer(rules);
  return [...chunks.flatMap((c) => framer.push(c)), ...framer.flush()];
}

export async function eventsOf<T>(stream: TransformStream<Uint8Array, T>, chunks: Uint8Array[]): Promise<T[]> {
  const source = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    }
  });
  const out: T[] = [];
  const reader = source.pipeThrough(stream).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}
