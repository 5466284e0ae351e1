// What a test (or a curious reader at the console) can do to the simulated receivers while the
// app runs: drop the link as if the stick was unplugged or the car drove out of Bluetooth range,
// and keep it down for some reconnect attempts or some time. Reachable from the page as
// `globalThis.__READOUT_SIM_CONTROL__` once a shim is installed, e.g. in Playwright:
//
//   await page.evaluate(() => globalThis.__READOUT_SIM_CONTROL__.dropLink({ refuse: 1 }));

/** Where an e2e init script leaves the simulation's config (serial-shim.ts simInitScript). */
export const SIM_GLOBAL = '__READOUT_SIM__';
export const SIM_CONTROL_GLOBAL = '__READOUT_SIM_CONTROL__';

/**
 * How many times faster than a cable the simulated M-Bus converter runs (mbus-shim.ts): the page's
 * master divides its waits by it. 1 without a simulated converter (a real one runs at line pace).
 */
export function simMbusSpeed(): number {
  const c = (globalThis as Record<string, unknown>)[SIM_GLOBAL] as { mbus?: { speed?: unknown } } | null | undefined;
  const speed = c !== null && typeof c === 'object' ? c.mbus?.speed : undefined;
  return typeof speed === 'number' && speed > 0 ? speed : 1;
}

/**
 * How many times faster than real the simulated optical head runs (kmp-shim.ts): the page's
 * KmpClient divides its waits by it (timeScale). 1 without a simulated head.
 */
export function simKmpSpeed(): number {
  const c = (globalThis as Record<string, unknown>)[SIM_GLOBAL] as { kmp?: { speed?: unknown } } | null | undefined;
  const speed = c !== null && typeof c === 'object' ? c.kmp?.speed : undefined;
  return typeof speed === 'number' && speed > 0 ? speed : 1;
}

export interface DropOptions {
  /** Connection attempts refused after the drop (port.open / gatt.connect fail); default 0. Infinity: gone for good. */
  refuse?: number;
  /** And/or refused until this many real ms after the drop; default 0. */
  downMs?: number;
}

/** One simulated link (the serial port or the Bluetooth bridge) as the control sees it. */
export interface SimLink {
  readonly name: 'serial' | 'bluetooth';
  /** Whether the host has it open (port open / GATT connected). */
  isOpen(): boolean;
  /** Drops it now; returns false when it was not open. */
  drop(o: DropOptions): boolean;
}

export interface SimControl {
  /** Drops every open simulated link; returns the names of those dropped. */
  dropLink(o?: DropOptions): Array<SimLink['name']>;
  /** Names of the links the host has open now. */
  openLinks(): Array<SimLink['name']>;
}

/** Refusal after a drop: counts attempts and/or waits for a time. */
export class Outage {
  #refuse = 0;
  #until = 0;

  constructor(readonly now: () => number = Date.now) {}

  start(o: DropOptions): void {
    this.#refuse = Math.max(0, o.refuse ?? 0);
    this.#until = this.now() + Math.max(0, o.downMs ?? 0);
  }

  /** Called per connection attempt: true when this one is to fail. */
  refuses(): boolean {
    const timed = this.now() < this.#until;
    if (this.#refuse > 0) {
      this.#refuse--;
      return true;
    }
    return timed;
  }
}

const links = new Set<SimLink>();

/** Registers a link and puts the control on globalThis; returns the unregister function. */
export function registerSimLink(link: SimLink): () => void {
  links.add(link);
  (globalThis as Record<string, unknown>)[SIM_CONTROL_GLOBAL] = simControl;
  return () => {
    links.delete(link);
    if (links.size === 0) delete (globalThis as Record<string, unknown>)[SIM_CONTROL_GLOBAL];
  };
}

export const simControl: SimControl = {
  dropLink(o = {}) {
    const dropped: Array<SimLink['name']> = [];
    for (const l of links) if (l.drop(o)) dropped.push(l.name);
    return dropped;
  },
  openLinks() {
    return [...links].filter((l) => l.isOpen()).map((l) => l.name);
  }
};
