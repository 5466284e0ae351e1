// What this browser can reach, and why not when it cannot (architecture.md decision 11).

export interface HardwareSupport {
  secureContext: boolean;
  serial: boolean;
  bluetooth: boolean;
}

export function detectSupport(): HardwareSupport {
  return {
    secureContext: globalThis.isSecureContext === true,
    serial: typeof navigator !== 'undefined' && 'serial' in navigator,
    bluetooth: typeof navigator !== 'undefined' && 'bluetooth' in navigator
  };
}

/** One sentence a reader can act on, per API. */
export function supportText(api: 'serial' | 'bluetooth', s: HardwareSupport): string {
  if (!s.secureContext) return 'Needs the page to be opened over https (or on this computer as localhost).';
  if (api === 'serial') {
    return s.serial
      ? 'Available: USB receivers and optical heads on desktop Chrome/Edge; on Android only paired Bluetooth Classic devices.'
      : 'Not in this browser. Use Chrome or Edge on a computer, or Chrome on Android for paired Bluetooth Classic devices.';
  }
  return s.bluetooth
    ? 'Available: Bluetooth LE receivers and optical heads (Chrome on Android, desktop Chrome/Edge).'
    : 'Not in this browser. Use Chrome on Android or desktop Chrome/Edge, with Bluetooth switched on.';
}
