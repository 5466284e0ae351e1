// The reader's own position for the route map (W3C Geolocation API, watchPosition). Never required:
// every failure becomes a reason with a message, and the map works without it.

export type PositionFailure = 'unsupported' | 'insecure' | 'denied' | 'unavailable' | 'timeout';

export interface OwnPosition {
  lat: number;
  lon: number;
  /** 95 % radius as the device reports it, metres. */
  accuracyM: number;
  /** ms since epoch. */
  at: number;
}

export interface GeoEnv {
  geolocation?: Pick<Geolocation, 'watchPosition' | 'clearWatch'>;
  isSecureContext: boolean;
}

export const POSITION_HELP: Record<PositionFailure, string> = {
  unsupported: 'This browser cannot tell your position. The map works without it.',
  insecure: 'Your position is only available when the app is opened over https.',
  denied: 'Location is blocked for this site. Allow it in the browser\'s site settings to see yourself on the map.',
  unavailable: 'Your position is not available right now (no GPS fix). Still trying.',
  timeout: 'Finding your position takes long (no GPS fix yet). Still trying.'
};

/** GeolocationPositionError codes (W3C Geolocation API): PERMISSION_DENIED, POSITION_UNAVAILABLE, TIMEOUT. */
const BY_CODE: Record<number, PositionFailure> = { 1: 'denied', 2: 'unavailable', 3: 'timeout' };

export interface PositionWatch {
  stop(): void;
}

/**
 * Watches the position; `onFix` for every fix, `onFailure` for each problem. After 'denied',
 * 'unsupported' or 'insecure' nothing more comes; after 'unavailable' or 'timeout' the watch goes on.
 */
export function watchOwnPosition(
  env: GeoEnv,
  onFix: (p: OwnPosition) => void,
  onFailure: (reason: PositionFailure, message: string) => void
): PositionWatch {
  const fail = (reason: PositionFailure) => onFailure(reason, POSITION_HELP[reason]);
  const none = { stop: () => {} };
  if (!env.isSecureContext) return fail('insecure'), none;
  const geo = env.geolocation;
  if (!geo) return fail('unsupported'), none;
  let id: number | null = null;
  id = geo.watchPosition(
    (p) => onFix({ lat: p.coords.latitude, lon: p.coords.longitude, accuracyM: p.coords.accuracy, at: p.timestamp }),
    (e) => {
      const reason = BY_CODE[e.code] ?? 'unavailable';
      if (reason === 'denied' && id !== null) {
        geo.clearWatch(id);
        id = null;
      }
      fail(reason);
    },
    // a driving reader needs GPS, not the cell tower; a fix up to 5 s old is fine
    { enableHighAccuracy: true, maximumAge: 5000, timeout: 20_000 }
  );
  return {
    stop: () => {
      if (id !== null) geo.clearWatch(id);
      id = null;
    }
  };
}
