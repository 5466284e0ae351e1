// The thin driver that moves the simulated receiver through time, kept apart from the pure
// model: a virtual clock for tests (time jumps, nothing waits) and a real one for the demo and
// e2e (setTimeout, optionally faster than real time).

import { abortableSleep } from '../../util/sleep';

export interface SimClock {
  /** Virtual ms since the simulation started. */
  now(): number;
  /** Resolves when virtual time reaches `ms` (at once if it has); rejects with the signal's reason when aborted. */
  waitUntil(ms: number, signal: AbortSignal): Promise<void>;
}

/** Time jumps to whatever is awaited: a whole drive runs as fast as the CPU allows. */
export function virtualClock(): SimClock {
  let now = 0;
  return {
    now: () => now,
    async waitUntil(ms, signal) {
      signal.throwIfAborted();
      now = Math.max(now, ms);
      await Promise.resolve(); // let the reader run between frames
    },
  };
}

export interface RealClockOptions {
  /** Virtual ms per real ms; default 1 (real time), 10 for a quick e2e pass. */
  speed?: number;
  /** Real time source in ms; default performance.now. */
  realNow?: () => number;
}

/** Virtual time follows the wall clock from the first call, `speed` times faster. */
export function realClock(o: RealClockOptions = {}): SimClock {
  const speed = o.speed ?? 1;
  if (!(speed > 0)) throw new RangeError(`speed: expected > 0, got ${speed}`);
  const realNow = o.realNow ?? (() => performance.now());
  let origin: number | null = null;
  const now = (): number => {
    origin ??= realNow();
    return (realNow() - origin) * speed;
  };
  return {
    now,
    waitUntil(ms, signal) {
      signal.throwIfAborted();
      return abortableSleep(Math.max(0, (ms - now()) / speed), signal);
    },
  };
}
