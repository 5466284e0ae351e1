// The screen wake lock (wake-lock.ts) with a fake navigator.wakeLock and document: taken while
// wanted, taken again after the page was hidden, released on pause, and honest when unsupported.
import { describe, expect, it } from 'vitest';
import { ScreenWake, type WakeEnv, type WakeSentinel, type WakeState } from '../../../web/src/lib/util/wake-lock';

class FakeSentinel implements WakeSentinel {
  released = false;
  #listeners: (() => void)[] = [];
  addEventListener(_type: 'release', l: () => void) {
    this.#listeners.push(l);
  }
  async release() {
    if (this.released) return;
    this.released = true;
    for (const l of this.#listeners) l();
  }
}

/** A browser tab: visibility, its listeners, and a wake lock that may refuse. */
class FakeTab {
  visibilityState = 'visible';
  listeners = new Set<() => void>();
  sentinels: FakeSentinel[] = [];
  refuse: string | null = null;
  requests = 0;
  document: WakeEnv['document'] = {
    get visibilityState() {
      return tab.visibilityState;
    },
    addEventListener: (_t, l) => void this.listeners.add(l),
    removeEventListener: (_t, l) => void this.listeners.delete(l)
  };
  wakeLock = {
    request: async (type: 'screen') => {
      expect(type).toBe('screen');
      this.requests++;
      if (this.refuse) throw Object.assign(new Error(this.refuse), { name: 'NotAllowedError' });
      const s = new FakeSentinel();
      this.sentinels.push(s);
      return s;
    }
  };
  /** The browser hides the page: it releases the lock (as Chrome does), then tells the page. */
  async hide() {
    this.visibilityState = 'hidden';
    for (const s of this.sentinels) await s.release();
    this.fire();
  }
  show() {
    this.visibilityState = 'visible';
    this.fire();
  }
  fire() {
    for (const l of this.listeners) l();
  }
  get held() {
    return this.sentinels.filter((s) => !s.released).length;
  }
}
let tab: FakeTab;
const settle = () => new Promise((r) => setTimeout(r, 0));

function setup() {
  tab = new FakeTab();
  const states: WakeState[] = [];
  const wake = new ScreenWake({ wakeLock: tab.wakeLock, document: tab.document }, (s) => states.push(s));
  return { wake, states };
}

describe('screen wake lock', () => {
  it('holds the screen while wanted and lets it go on pause', async () => {
    const { wake, states } = setup();
    await wake.set(true);
    expect(wake.state).toBe('held');
    expect(tab.held).toBe(1);
    await wake.set(true); // asked again (every progress change): still one lock
    expect(tab.requests).toBe(1);
    await wake.set(false);
    expect(tab.held).toBe(0);
    expect(wake.state).toBe('off');
    expect(states).toEqual(['requesting', 'held', 'off']);
  });

  it('takes the lock again when the page is visible again', async () => {
    const { wake } = setup();
    await wake.set(true);
    await tab.hide();
    expect(tab.held).toBe(0);
    expect(wake.state).toBe('off');
    expect(tab.requests).toBe(1); // not while hidden
    tab.show();
    await settle();
    expect(wake.state).toBe('held');
    expect(tab.held).toBe(1);
    expect(tab.requests).toBe(2);
  });

  it('does not take it again after a pause, nor while hidden', async () => {
    const { wake } = setup();
    await wake.set(true);
    await wake.set(false);
    await tab.hide();
    tab.show();
    await settle();
    expect(tab.held).toBe(0);
    tab.visibilityState = 'hidden';
    await wake.set(true);
    expect(tab.requests).toBe(1);
    tab.show();
    await settle();
    expect(tab.held).toBe(1);
  });

  it('releases a lock granted after reading was paused', async () => {
    const { wake } = setup();
    const asking = wake.set(true);
    const pausing = wake.set(false);
    await Promise.all([asking, pausing]);
    expect(tab.requests).toBe(1);
    expect(tab.held).toBe(0);
    expect(wake.state).toBe('off');
  });

  it('says when the browser refuses, and tries again when visible again', async () => {
    const { wake } = setup();
    tab.refuse = 'Wake Lock permission request denied (battery saver)';
    await wake.set(true);
    expect(wake.state).toBe('refused');
    expect(wake.message).toBe('The browser did not keep the screen on: Wake Lock permission request denied (battery saver)');
    tab.refuse = null;
    tab.show();
    await settle();
    expect(wake.state).toBe('held');
  });

  it('says when the browser has no Wake Lock, and never throws', async () => {
    tab = new FakeTab();
    const wake = new ScreenWake({ document: tab.document });
    expect(wake.state).toBe('unsupported');
    await wake.set(true);
    expect(wake.state).toBe('unsupported');
    await wake.dispose();
  });

  it('releases and stops listening when the screen is left', async () => {
    const { wake } = setup();
    await wake.set(true);
    await wake.dispose();
    expect(tab.held).toBe(0);
    expect(tab.listeners.size).toBe(0);
  });
});
