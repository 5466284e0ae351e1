// Per-meter AES keys. A key is expanded once when it is added; looking one up is a hash-table probe
// on numbers read from the meter's bytes, so the cost per telegram does not depend on how
// many keys the ring holds. The ring belongs to its caller: nothing here is global.

import type { AesKey } from '../crypto/aes.js';
import { aesKey } from '../crypto/aes.js';
import { tryFromHex } from '../bytes/hex.js';
import { manufacturerCode } from './dll.js';

/** Which meter a key is for: manufacturer and id, or the id alone (any manufacturer). */
export interface KeyRingMeter {
  /** "KAM"; leave out to match the id with any manufacturer. */
  manufacturer?: string;
  /** 8 digits as printed on the meter, "76348799". */
  id: string;
}

const ID_RE = /^[0-9A-Fa-f]{8}$/;

/** The 4 id bytes as transmitted (LE BCD), read as a LE uint32: "76348799" → 0x76348799. */
function idNumber(id: string): number {
  if (!ID_RE.test(id)) throw new RangeError(`id: expected 8 digits, got "${id}"`);
  return parseInt(id, 16) >>> 0;
}

function tagOf(meter: KeyRingMeter): number {
  return meter.manufacturer === undefined ? ANY : manufacturerCode(meter.manufacturer) + 1;
}

const ANY = 0x20000; // tag of an id-only entry; a (manufacturer, id) entry has tag M + 1
const EMPTY = 0;
const DELETED = -1;

/**
 * Open-addressing hash table from (tag, id) to a key: slot i holds id and tag side by side in
 * one Int32Array, so a lookup reads one cache line before the key itself (a Map keyed by the
 * 48-bit number M·2^32 + id boxes each key and costs an extra miss with 100,000 meters).
 */
class MeterTable {
  #slots = new Int32Array(2 * 16);
  #values: (AesKey | undefined)[] = new Array<AesKey | undefined>(16);
  #mask = 15;
  #size = 0;
  #used = 0; // live entries and tombstones

  get size(): number {
    return this.#size;
  }

  #slotOf(tag: number, id: number): number {
    let h = Math.imul(id ^ Math.imul(tag, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    return h & this.#mask;
  }

  #find(tag: number, id: number): number {
    const slots = this.#slots;
    const idi = id | 0;
    for (let i = this.#slotOf(tag, id); ; i = (i + 1) & this.#mask) {
      const t = slots[2 * i + 1];
      if (t === EMPTY) return -1;
      if (t === tag && slots[2 * i] === idi) return i;
    }
  }

  get(tag: number, id: number): AesKey | undefined {
    const i = this.#find(tag, id);
    return i < 0 ? undefined : this.#values[i];
  }

  set(tag: number, id: number, v: AesKey): void {
    const at = this.#find(tag, id);
    if (at >= 0) {
      this.#values[at] = v;
      return;
    }
    if (2 * (this.#used + 1) > this.#mask + 1) this.#grow();
    const slots = this.#slots;
    let i = this.#slotOf(tag, id);
    while (slots[2 * i + 1] !== EMPTY && slots[2 * i + 1] !== DELETED) i = (i + 1) & this.#mask;
    if (slots[2 * i + 1] === EMPTY) this.#used++;
    slots[2 * i] = id | 0;
    slots[2 * i + 1] = tag;
    this.#values[i] = v;
    this.#size++;
  }

  delete(tag: number, id: number): boolean {
    const i = this.#find(tag, id);
    if (i < 0) return false;
    this.#slots[2 * i + 1] = DELETED;
    this.#values[i] = undefined;
    this.#size--;
    return true;
  }

  clear(): void {
    this.#slots = new Int32Array(2 * 16);
    this.#values = new Array<AesKey | undefined>(16);
    this.#mask = 15;
    this.#size = 0;
    this.#used = 0;
  }

  #grow(): void {
    const old = this.#slots;
    const oldValues = this.#values;
    let cap = this.#mask + 1;
    while (2 * (this.#size + 1) > cap / 2) cap *= 2; // load factor at most 1/2 after growing
    if (cap === this.#mask + 1) cap *= 2;
    this.#slots = new Int32Array(2 * cap);
    this.#values = new Array<AesKey | undefined>(cap);
    this.#mask = cap - 1;
    this.#size = 0;
    this.#used = 0;
    for (let i = 0; i < old.length / 2; i++) {
      const t = old[2 * i + 1];
      if (t !== EMPTY && t !== DELETED) this.set(t, old[2 * i] >>> 0, oldValues[i]!);
    }
  }
}

export class KeyRing {
  readonly #table = new MeterTable();
  #idOnly = 0;
  readonly #expanded = new Map<string, AesKey>();

  /** Adds or replaces the key of a meter: 16 bytes or 32 hex digits, expanded here, once. */
  set(meter: KeyRingMeter, key: Uint8Array | string): this {
    return this.setExpanded(meter, this.#expand(key));
  }

  /** Adds or replaces the key of a meter with a key already expanded by aesKey(). */
  setExpanded(meter: KeyRingMeter, k: AesKey): this {
    const tag = tagOf(meter);
    const id = idNumber(meter.id);
    if (tag === ANY && this.#table.get(ANY, id) === undefined) this.#idOnly++;
    this.#table.set(tag, id, k);
    return this;
  }

  delete(meter: KeyRingMeter): boolean {
    const tag = tagOf(meter);
    const gone = this.#table.delete(tag, idNumber(meter.id));
    if (gone && tag === ANY) this.#idOnly--;
    return gone;
  }

  has(meter: KeyRingMeter): boolean {
    return this.#table.get(tagOf(meter), idNumber(meter.id)) !== undefined;
  }

  get size(): number {
    return this.#table.size;
  }

  clear(): void {
    this.#table.clear();
    this.#idOnly = 0;
    this.#expanded.clear();
  }

  /**
   * Key for the meter whose M field value is `m` and whose 4 id bytes, read LE, are `idLE`
   * (the hot path: no strings). A (manufacturer, id) entry wins over an id-only one.
   */
  find(m: number, idLE: number): AesKey | undefined {
    const k = this.#table.get((m & 0xffff) + 1, idLE);
    if (k !== undefined || this.#idOnly === 0) return k;
    return this.#table.get(ANY, idLE);
  }

  /** Key for a meter given by its bytes: M (2, LE) at `at`, the id (4) right after it. */
  findAt(bytes: Uint8Array, at: number): AesKey | undefined {
    const m = bytes[at] | (bytes[at + 1] << 8);
    const id = bytes[at + 2] | (bytes[at + 3] << 8) | (bytes[at + 4] << 16) | (bytes[at + 5] << 24);
    return this.find(m, id);
  }

  /**
   * An expanded key for 32 hex digits, expanded once per distinct text and kept in this ring
   * (for callers such as the JSONL decoder that receive a key with every telegram).
   * Returns null for text that is not 32 hex digits.
   */
  keyFromHex(hex: string): AesKey | null {
    let k = this.#expanded.get(hex);
    if (k === undefined) {
      if (hex.length !== 32) return null;
      const raw = tryFromHex(hex);
      if (raw === null) return null;
      k = aesKey(raw);
      this.#expanded.set(hex, k);
    }
    return k;
  }

  #expand(key: Uint8Array | string): AesKey {
    if (typeof key === 'string') {
      const k = this.keyFromHex(key);
      if (k === null) throw new RangeError(`key: expected 32 hex digits, got ${key.length} characters`);
      return k;
    }
    return aesKey(key); // aesKey throws RangeError for a length other than 16
  }
}
