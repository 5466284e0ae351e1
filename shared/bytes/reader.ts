// Bounds-checked little-endian cursor over a frame. Reading past the end throws OutOfBounds,
// which decoders catch and turn into a 'truncated' Issue at `offset` (style.md §3).

/** A read of `wanted` bytes at `offset` where only `available` remain. */
export class OutOfBounds extends RangeError {
  constructor(
    /** Where the read started (index into the reader's buffer). */
    readonly offset: number,
    readonly wanted: number,
    readonly available: number,
  ) {
    super(`read of ${wanted} byte${wanted === 1 ? '' : 's'} at offset ${offset}: only ${available} left`);
    this.name = 'OutOfBounds';
  }
}

export class ByteReader {
  /** The whole buffer; offsets are indices into it. */
  readonly data: Uint8Array;
  /** Exclusive end of the readable range. */
  readonly end: number;
  #pos: number;

  /** Reads `bytes[start..end)`; offsets reported stay indices into `bytes`. */
  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > bytes.length) {
      throw new RangeError(
        `ByteReader: expected 0 <= start <= end <= ${bytes.length}, got start ${start}, end ${end}`,
      );
    }
    this.data = bytes;
    this.end = end;
    this.#pos = start;
  }

  /** Index of the next byte to read. */
  get offset(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.end - this.#pos;
  }

  #need(n: number): number {
    const at = this.#pos;
    if (this.end - at < n) throw new OutOfBounds(at, n, this.end - at);
    this.#pos = at + n;
    return at;
  }

  u8(): number {
    return this.data[this.#need(1)]!;
  }

  u16le(): number {
    const i = this.#need(2);
    const b = this.data;
    return b[i]! | (b[i + 1]! << 8);
  }

  u24le(): number {
    const i = this.#need(3);
    const b = this.data;
    return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
  }

  u32le(): number {
    const i = this.#need(4);
    const b = this.data;
    return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
  }

  /**
   * The next `n` bytes as a view into the same buffer (no copy: frames are not mutated
   * after receipt; `.slice()` the result if you need to own it).
   */
  bytes(n: number): Uint8Array {
    this.#checkCount(n);
    const i = this.#need(n);
    return this.data.subarray(i, i + n);
  }

  /** Everything up to `end`, as a view. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  skip(n: number): void {
    this.#checkCount(n);
    this.#need(n);
  }

  /** The next byte without consuming it. */
  peekU8(): number {
    if (this.#pos >= this.end) throw new OutOfBounds(this.#pos, 1, 0);
    return this.data[this.#pos]!;
  }

  #checkCount(n: number): void {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`n: expected a non-negative integer, got ${n}`);
    }
  }
}
