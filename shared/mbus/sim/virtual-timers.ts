// Virtual time for the simulated line: timers fire in order of their due time and the clock
// jumps to each, as soon as the program has nothing else to do. Tests and benchmarks run a
// 250-meter segment in milliseconds, with the same ordering as real time. `idle` is how the
// host says "after the pending promise callbacks" (Node: setImmediate; browser: a
// MessageChannel or setTimeout 0): injected, since shared/ uses no global timers.

import type { SimTimers } from './line.js';

interface Entry {
  at: number;
  seq: number;
  f: () => void;
}

export class VirtualTimers implements SimTimers {
  #now: number;
  #seq = 0;
  #queue: Entry[] = [];
  #scheduled = false;
  readonly #idle: (f: () => void) => void;

  constructor(o: { startMs: number; idle: (f: () => void) => void }) {
    this.#now = o.startMs;
    this.#idle = o.idle;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(f: () => void, ms: number): unknown {
    const e: Entry = { at: this.#now + Math.max(0, ms), seq: this.#seq++, f };
    this.#queue.push(e);
    this.#kick();
    return e;
  }

  clearTimeout(h: unknown): void {
    const i = this.#queue.indexOf(h as Entry);
    if (i >= 0) this.#queue.splice(i, 1);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#queue.length;
  }

  #kick(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#idle(() => this.#tick());
  }

  #tick(): void {
    this.#scheduled = false;
    if (this.#queue.length === 0) return;
    let k = 0;
    for (let i = 1; i < this.#queue.length; i++) {
      const a = this.#queue[i];
      const b = this.#queue[k];
      if (a.at < b.at || (a.at === b.at && a.seq < b.seq)) k = i;
    }
    const [e] = this.#queue.splice(k, 1);
    if (e.at > this.#now) this.#now = e.at;
    e.f();
    if (this.#queue.length) this.#kick();
  }
}
