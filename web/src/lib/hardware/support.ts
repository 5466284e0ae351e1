// What this browser can reach, and why not when it cannot (architecture.md decision 11).

import type { TransportFailure } from './transport';

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

/** What to tell the user for each way a transport can fail: a title and concrete steps (style.md §4). */
export interface FailureHelp {
  title: string;
  steps: string[];
}

export function failureHelp(reason: TransportFailure, api: 'serial' | 'bluetooth'): FailureHelp {
  const serial = api === 'serial';
  switch (reason) {
    case 'unsupported':
      return {
        title: serial ? 'This browser cannot open serial ports' : 'This browser has no Bluetooth access',
        steps: serial
          ? [
              'Use Chrome or Edge on a computer for USB receivers and optical heads.',
              'On Android, Chrome 138+ reaches only Bluetooth Classic serial devices that are paired in Android settings.',
              'Safari, Firefox for Android and in-app browsers (WebView) cannot do it.'
            ]
          : [
              'Use Chrome on Android, or Chrome/Edge on Windows, macOS or ChromeOS.',
              'On Linux, enable chrome://flags/#enable-experimental-web-platform-features.',
              'iPhone/iPad browsers and in-app browsers cannot reach Bluetooth devices.',
              'If the device did connect but no UART service was found, it uses a profile we do not know yet: report its model.'
            ]
      };
    case 'insecure-context':
      return {
        title: 'The page must be opened securely',
        steps: [
          'Open the app over https:// (or as http://localhost on this computer).',
          'Ask your administrator to put the server behind https if the address starts with http://.'
        ]
      };
    case 'permission-denied':
      return {
        title: serial ? 'The browser blocked access to serial ports' : 'The browser blocked access to Bluetooth',
        steps: [
          'Start the connection with a tap or click on Connect: the browser asks only then.',
          serial
            ? 'Allow it again: tap the icon left of the address (padlock or sliders) → Site settings → Serial ports → Ask.'
            : 'Allow it again: tap the icon left of the address (padlock or sliders) → Site settings → Bluetooth devices → Ask.',
          serial
            ? 'On a managed computer a policy may forbid serial ports: ask your administrator.'
            : 'On Android allow Chrome "Nearby devices" (Android 12+) or Location (Android 11 and older) in the app settings.',
          'Opened inside another app or page (an embedded view)? Open the address in Chrome itself.'
        ]
      };
    case 'bluetooth-off':
      return {
        title: 'Bluetooth is off',
        steps: [
          'Switch Bluetooth on (quick settings on Android, the system tray on a computer).',
          'On Android also allow "Nearby devices" (or Location on Android 11 and older) for Chrome.',
          'Then try again.'
        ]
      };
    case 'nothing-picked':
      return {
        title: serial ? 'No port selected' : 'No device selected',
        steps: serial
          ? [
              'Plug in the receiver or optical head and click Connect again; choose it in the list.',
              'Not in the list? Use a data cable (some USB cables carry only power) and another USB socket.',
              'Install the driver of the USB-serial chip if your system needs one (CP210x, FTDI, CH340).',
              'Still missing: try "show all ports"; its USB chip may be one we do not filter for.'
            ]
          : [
              'Switch the receiver or head on, keep it within a few metres, and click Connect again.',
              'Not in the list? It may be connected to another phone or app: disconnect it there.',
              'Bluetooth Classic devices (many optical probes) do not appear here: pair them in Android settings and use Serial.'
            ]
      };
    case 'busy':
      return {
        title: serial ? 'The port is in use' : 'The device is busy',
        steps: serial
          ? [
              'Close other programs or browser tabs that use it (a serial monitor, wmbusmeters, the vendor tool).',
              'On Linux, add yourself to the dialout group (sudo usermod -aG dialout $USER), then log out and in.',
              'Unplug the device, wait 5 seconds, plug it in and try again.'
            ]
          : [
              'Disconnect it from other apps and phones, or switch it off and on.',
              'Then click Connect again.'
            ]
      };
    case 'lost':
      return {
        title: 'The connection was lost',
        steps: serial
          ? ['Check the cable and plug; avoid USB hubs without power.', 'Click Connect to open it again; readings received so far are saved.']
          : [
              'Keep the device closer and check its battery.',
              'Click Connect to open it again; readings received so far are saved.'
            ]
      };
    case 'io':
      return {
        title: 'The device does not answer as expected',
        steps: [
          'Check that you chose the right device type (iM871A, iU891A, Amber, CUL) for this stick.',
          'Unplug it and plug it in again, then reconnect.',
          serial
            ? 'An Amber stick whose speed was changed answers at another baud rate: reset it with the vendor tool.'
            : 'The module behind the Bluetooth bridge may use another speed than its receiver: check its settings.'
        ]
      };
  }
}
