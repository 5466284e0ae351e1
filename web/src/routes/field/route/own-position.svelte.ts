// The reader's position on the Route screen. Asked for only after the reader taps "Show my
// position" once (remembered), or when the browser already allows it: no prompt on page load.

import { watchOwnPosition, type OwnPosition, type PositionFailure, type PositionWatch } from '$lib/util/geolocation';

const WANTED = 'readout.route.position';

export class OwnPositionState {
  fix = $state<OwnPosition | null>(null);
  failure = $state<{ reason: PositionFailure; message: string } | null>(null);
  watching = $state(false);
  follow = $state(false);
  #watch: PositionWatch | null = null;

  /** Starts by itself when the reader chose it before or the permission is already granted. */
  async autoStart(): Promise<void> {
    let wanted = false;
    try {
      wanted = localStorage.getItem(WANTED) === 'on';
    } catch {
      // storage blocked: ask again next time
    }
    if (!wanted) {
      const state = await navigator.permissions?.query({ name: 'geolocation' }).then((s) => s.state, () => 'prompt');
      wanted = state === 'granted';
    }
    if (wanted) this.start();
  }

  start(): void {
    if (this.#watch) return;
    this.failure = null;
    this.watching = true;
    try {
      localStorage.setItem(WANTED, 'on');
    } catch {
      // not remembered
    }
    this.#watch = watchOwnPosition(
      { geolocation: navigator.geolocation, isSecureContext: window.isSecureContext },
      (p) => {
        this.fix = p;
        this.failure = null;
      },
      (reason, message) => {
        this.failure = { reason, message };
        if (reason === 'denied' || reason === 'unsupported' || reason === 'insecure') this.#stopped();
      }
    );
  }

  /** The reader does not want the position shown any more. */
  turnOff(): void {
    this.stop();
    this.fix = null;
    this.failure = null;
    try {
      localStorage.removeItem(WANTED);
    } catch {
      // nothing remembered
    }
  }

  /** Leaving the screen: stop watching, remember the choice. */
  stop(): void {
    this.#watch?.stop();
    this.#stopped();
  }

  #stopped(): void {
    this.#watch = null;
    this.watching = false;
    this.follow = false;
  }
}
