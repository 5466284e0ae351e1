// Keeps the screen on while the reader is reading (Screen Wake Lock API, W3C "Screen Wake Lock"):
// a phone that dims and locks mid-street stops showing which meters are left. The browser releases
// the lock whenever the page is hidden (the spec ties the lock to a visible document), so it is
// taken again when the page is visible again, as long as it is still wanted. Browser objects are injected for tests.

export interface WakeSentinel {
  readonly released: boolean;
  release(): Promise<void>;
  addEventListener(type: 'release', listener: () => void): void;
}

export interface WakeEnv {
  wakeLock?: { request(type: 'screen'): Promise<WakeSentinel> };
  document: {
    readonly visibilityState: string;
    addEventListener(type: 'visibilitychange', listener: () => void): void;
    removeEventListener(type: 'visibilitychange', listener: () => void): void;
  };
}

/**
 * - off: not wanted, or dropped while the page is hidden (taken again when visible);
 * - held: the screen stays on;
 * - unsupported: this browser has no Wake Lock (or the page is not on https);
 * - refused: the browser said no (battery saver, policy), `message` says why.
 */
export type WakeState = 'off' | 'requesting' | 'held' | 'unsupported' | 'refused';

export const WAKE_TEXT: Record<WakeState, string> = {
  off: 'Screen may turn off',
  requesting: 'Keeping the screen on…',
  held: 'Screen stays on while reading',
  unsupported: 'This browser cannot keep the screen on. Set a longer screen timeout on the phone while reading.',
  refused: 'The browser did not keep the screen on'
};

export class ScreenWake {
  state: WakeState = 'off';
  message: string | null = null;
  #wanted = false;
  #sentinel: WakeSentinel | null = null;
  #pending: Promise<void> | null = null;
  readonly #onVisible = (): void => void this.#reacquire();

  constructor(
    readonly env: WakeEnv,
    readonly onChange: (state: WakeState, message: string | null) => void = () => {}
  ) {
    if (!env.wakeLock) this.#set('unsupported', null);
    env.document.addEventListener('visibilitychange', this.#onVisible);
  }

  get wanted(): boolean {
    return this.#wanted;
  }

  /** Wants the screen on (true) or lets it go (false). Never throws. */
  async set(wanted: boolean): Promise<void> {
    this.#wanted = wanted;
    if (!this.env.wakeLock) return;
    if (wanted) return this.#reacquire();
    await this.#pending;
    await this.#drop();
    this.#set('off', null);
  }

  /** Releases the lock and stops listening (leaving the screen). */
  async dispose(): Promise<void> {
    this.env.document.removeEventListener('visibilitychange', this.#onVisible);
    await this.set(false);
  }

  #reacquire(): Promise<void> {
    const wakeLock = this.env.wakeLock;
    if (!wakeLock || !this.#wanted || this.#sentinel || this.#pending) return this.#pending ?? Promise.resolve();
    // a hidden page cannot take the lock (NotAllowedError); visibilitychange brings us back
    if (this.env.document.visibilityState !== 'visible') return Promise.resolve();
    this.#set('requesting', null);
    this.#pending = (async () => {
      try {
        const sentinel = await wakeLock.request('screen');
        if (!this.#wanted) {
          await sentinel.release().catch(() => {});
          this.#set('off', null);
          return;
        }
        this.#sentinel = sentinel;
        sentinel.addEventListener('release', () => {
          if (this.#sentinel !== sentinel) return;
          this.#sentinel = null; // the browser dropped it (page hidden): taken again when visible
          if (this.#wanted) this.#set('off', null);
        });
        this.#set('held', null);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        this.#set('refused', `The browser did not keep the screen on: ${why}`);
      } finally {
        this.#pending = null;
      }
    })();
    return this.#pending;
  }

  async #drop(): Promise<void> {
    const s = this.#sentinel;
    this.#sentinel = null;
    if (s && !s.released) await s.release().catch(() => {});
  }

  #set(state: WakeState, message: string | null): void {
    this.state = state;
    this.message = message;
    this.onChange(state, message);
  }
}
