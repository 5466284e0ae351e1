// Puts the simulated receivers in place of navigator.serial and navigator.bluetooth when an init
// script asked for it (globalThis.__READOUT_SIM__, serial-shim.ts simInitScript), before anything
// asks for a port. The shims are loaded only then, so a normal start carries none of their code.
// A config with `source: 'route'` drives through the device's own route (from-route.ts); one with
// an `mbus` part puts a simulated M-Bus level converter on the serial port instead (mbus-shim.ts),
// one with a `kmp` part a simulated optical head on a MULTICAL 603 (kmp-shim.ts).

import type { ReadoutDb } from '$lib/db';
import { SIM_GLOBAL } from './control';

let installing: Promise<boolean> | null = null;

/** Idempotent; true when the simulated receivers were installed. */
export function installSimulationIfRequested(db: ReadoutDb): Promise<boolean> {
  installing ??= (async () => {
    const g = globalThis as Record<string, unknown>;
    if (g[SIM_GLOBAL] === null || typeof g[SIM_GLOBAL] !== 'object') return false;
    if (typeof (g[SIM_GLOBAL] as { kmp?: unknown }).kmp === 'object') {
      // a simulated optical head on a MULTICAL 603, on the serial port and/or Bluetooth (kmp-shim.ts)
      (await import('./kmp-shim')).installSimulatedKmp();
      return true;
    }
    if (typeof (g[SIM_GLOBAL] as { mbus?: unknown }).mbus === 'object') {
      // a simulated M-Bus level converter on the serial port instead of the iM871A (mbus-shim.ts)
      (await import('./mbus-shim')).installSimulatedMbusSerial();
      return true;
    }
    const [serial, bluetooth, fromRoute] = await Promise.all([import('./serial-shim'), import('./bluetooth-shim'), import('./from-route')]);
    const seed = (g[SIM_GLOBAL] as { seed?: number }).seed ?? 1;
    const drive = async () => {
      const d = await fromRoute.routeDrive(db, { seed });
      if (d.meters.length === 0) {
        throw new RangeError(`simulated receiver: none of the route's ${d.skipped.length} meters has a position, a key and a medium the simulation sends`);
      }
      return d;
    };
    serial.installSimulatedSerial(undefined, { drive });
    bluetooth.installSimulatedBluetooth(undefined, { drive });
    return true;
  })();
  return installing;
}
