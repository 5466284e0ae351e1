// Incremental framing of a byte stream into device frames (style.md §4): every byte that comes
// in leaves exactly once, inside a frame, an error event (a frame that failed its check) or a
// discarded run, each with its offset in the stream; only protocol filler (a SLIP END, an empty
// text line) is dropped without an event. Output depends only on the bytes, never on
// how they were chunked (tests/web/hardware/*.test.ts checks this with fast-check).

export type FrameErrorCode = 'bad-crc' | 'bad-checksum' | 'bad-frame';

export type FrameEvent<F> =
  | { type: 'frame'; offset: number; frame: F }
  /** Bytes that could not start a frame (noise, a stream joined mid-frame, an unfinished frame at the end). */
  | { type: 'discarded'; offset: number; bytes: Uint8Array }
  /** A frame-shaped run that failed its check: consumed as a whole, the stream goes on after it. */
  | { type: 'error'; offset: number; bytes: Uint8Array; code: FrameErrorCode; message: string };

/** What a device's rules say about the bytes starting at one position. */
export type Scan<F> =
  | { kind: 'no' } // no frame starts here
  | { kind: 'more' } // could be a frame: the answer needs more bytes
  | { kind: 'skip'; length: number } // protocol filler (a SLIP delimiter, an empty line): consumed, not reported
  | { kind: 'frame'; length: number; frame: F }
  | { kind: 'error'; length: number; code: FrameErrorCode; message: string };

export interface FrameRules<F> {
  /** When every frame starts with this byte, positions holding another byte are skipped fast. */
  readonly sync?: number;
  /** Look at `view` (from a candidate position to the end of what has arrived). Must answer 'more'
   *  only when more bytes could change the answer, so the result never depends on chunking.
   *  `view` is reused afterwards: copy what a frame keeps. */
  scan(view: Uint8Array): Scan<F>;
}

/** Bytes of noise held back at most before they are reported, to bound memory on a wrong baud rate. */
export const MAX_DISCARD_RUN = 4096;

export class Framer<F> {
  #buf = new Uint8Array(512);
  #len = 0;
  #base = 0; // stream offset of #buf[0]
  #resume = 0; // where scanning goes on; #buf[0..#resume) is pending noise
  readonly #rules: FrameRules<F>;

  constructor(rules: FrameRules<F>) {
    this.#rules = rules;
  }

  push(chunk: Uint8Array): FrameEvent<F>[] {
    if (this.#len + chunk.length > this.#buf.length) {
      const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + chunk.length));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
    return this.#drain(false);
  }

  /** End of stream: unfinished frames become discarded bytes (and later complete frames still count). */
  flush(): FrameEvent<F>[] {
    return this.#drain(true);
  }

  #drain(final: boolean): FrameEvent<F>[] {
    const out: FrameEvent<F>[] = [];
    const buf = this.#buf;
    const len = this.#len;
    const sync = this.#rules.sync;
    let start = 0;
    let i = this.#resume;
    const noise = (end: number): void => {
      if (end > start) out.push({ type: 'discarded', offset: this.#base + start, bytes: buf.slice(start, end) });
      start = end;
    };
    while (i < len) {
      if (i - start >= MAX_DISCARD_RUN) noise(i);
      if (sync !== undefined && buf[i] !== sync) {
        const next = buf.indexOf(sync, i);
        i = Math.min(next < 0 ? len : next, start + MAX_DISCARD_RUN);
        continue;
      }
      const r = this.#rules.scan(buf.subarray(i, len));
      if (r.kind === 'no') {
        i++;
        continue;
      }
      if (r.kind === 'more') {
        if (final) {
          i++;
          continue;
        }
        break;
      }
      noise(i);
      const at = this.#base + i;
      if (r.kind === 'frame') out.push({ type: 'frame', offset: at, frame: r.frame });
      else if (r.kind === 'error') {
        out.push({ type: 'error', offset: at, bytes: buf.slice(i, i + r.length), code: r.code, message: r.message });
      }
      i += r.length;
      start = i;
    }
    if (final) {
      noise(len);
      i = len;
    }
    // Keep the pending noise and any unfinished frame; forget the rest.
    buf.copyWithin(0, start, len);
    this.#len = len - start;
    this.#base += start;
    this.#resume = Math.min(i, len) - start;
    return out;
  }
}

/** The rules as a TransformStream: chunks in, frame events out. */
export class FramerStream<F> extends TransformStream<Uint8Array, FrameEvent<F>> {
  constructor(rules: FrameRules<F>) {
    const framer = new Framer(rules);
    super({
      transform(chunk, controller) {
        for (const e of framer.push(chunk)) controller.enqueue(e);
      },
      flush(controller) {
        for (const e of framer.flush()) controller.enqueue(e);
      }
    });
  }
}

/** All events of a complete capture at once (tests, uploads of recorded serial logs). */
export function frameAll<F>(rules: FrameRules<F>, bytes: Uint8Array): FrameEvent<F>[] {
  const framer = new Framer(rules);
  return [...framer.push(bytes), ...framer.flush()];
}

/** "0x1a2b" style, for messages with numbers. */
export function hex16(n: number): string {
  return n.toString(16).padStart(4, '0');
}
