// The reader's position (geolocation.ts) with a fake navigator.geolocation: fixes, and each
// failure as a reason with a message; the map never depends on it.
import { describe, expect, it } from 'vitest';
import { POSITION_HELP, watchOwnPosition, type OwnPosition, type PositionFailure } from '../../../web/src/lib/util/geolocation';

class FakeGeolocation {
  watches = new Map<number, { ok: PositionCallback; fail?: PositionErrorCallback | null; options?: PositionOptions }>();
  #n = 0;
  watchPosition(ok: PositionCallback, fail?: PositionErrorCallback | null, options?: PositionOptions): number {
    this.watches.set(++this.#n, { ok, fail, options });
    return this.#n;
  }
  clearWatch(id: number) {
    this.watches.delete(id);
  }
  fix(lat: number, lon: number, accuracy: number, timestamp: number) {
    for (const w of this.watches.values()) w.ok({ coords: { latitude: lat, longitude: lon, accuracy }, timestamp } as GeolocationPosition);
  }
  error(code: number) {
    for (const w of [...this.watches.values()]) w.fail?.({ code, message: 'x' } as GeolocationPositionError);
  }
}

function watch(env: { geolocation?: FakeGeolocation; isSecureContext?: boolean }) {
  const fixes: OwnPosition[] = [];
  const failures: PositionFailure[] = [];
  const w = watchOwnPosition({ geolocation: env.geolocation, isSecureContext: env.isSecureContext ?? true }, (p) => fixes.push(p), (r, m) => {
    expect(m).toBe(POSITION_HELP[r]);
    failures.push(r);
  });
  return { w, fixes, failures };
}

describe('own position', () => {
  it('passes each fix on with its accuracy, asking for GPS', () => {
    const geo = new FakeGeolocation();
    const { w, fixes } = watch({ geolocation: geo });
    expect([...geo.watches.values()][0].options).toMatchObject({ enableHighAccuracy: true });
    geo.fix(56.0215, 9.284, 12, 1_773_480_600_000);
    expect(fixes).toEqual([{ lat: 56.0215, lon: 9.284, accuracyM: 12, at: 1_773_480_600_000 }]);
    w.stop();
    expect(geo.watches.size).toBe(0);
  });

  it('stops after the reader denied location, and says how to allow it', () => {
    const geo = new FakeGeolocation();
    const { failures } = watch({ geolocation: geo });
    geo.error(1);
    expect(failures).toEqual(['denied']);
    expect(geo.watches.size).toBe(0);
    expect(POSITION_HELP.denied).toMatch(/site settings/);
  });

  it('keeps trying when there is no fix yet', () => {
    const geo = new FakeGeolocation();
    const { failures, fixes } = watch({ geolocation: geo });
    geo.error(3);
    geo.error(2);
    expect(failures).toEqual(['timeout', 'unavailable']);
    expect(geo.watches.size).toBe(1);
    geo.fix(56, 9, 30, 1);
    expect(fixes).toHaveLength(1);
  });

  it('says when the browser has no geolocation or the page is not secure', () => {
    expect(watch({}).failures).toEqual(['unsupported']);
    const geo = new FakeGeolocation();
    expect(watch({ geolocation: geo, isSecureContext: false }).failures).toEqual(['insecure']);
    expect(geo.watches.size).toBe(0);
  });
});
