// Counter-based randomness for the simulated receiver: every random draw is a pure function of
// (seed, what it is for, which meter, which transmission), so the same seed gives the same bytes
// whatever order or step size the simulation is advanced in. No Math.random, no clock.

/** murmur3's 32-bit finaliser: a good avalanche for small integer inputs. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a list of integers (each taken modulo 2^32). */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) h = fmix((h ^ fmix(p >>> 0)) + 0x6d2b79f5);
  return h;
}

/** FNV-1a of a text: a stable number for a meter ("KAM 76348799") independent of list order. */
export function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Uniform in [0, 1) from the parts. */
export function uniform(...parts: number[]): number {
  return hash32(...parts) / 2 ** 32;
}

/** Standard normal (Box–Muller) from the parts. */
export function normal(...parts: number[]): number {
  const u = 1 - uniform(...parts, 1); // (0, 1]
  const v = uniform(...parts, 2);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Uniform in [lo, hi). */
export function between(lo: number, hi: number, ...parts: number[]): number {
  return lo + (hi - lo) * uniform(...parts);
}

/** A sequential generator (mulberry32) for things with no natural counter, like USB chunk sizes. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}
