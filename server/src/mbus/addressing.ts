import type { FoundDevice, MbusDeviceRow, MbusSystem } from '../store/mbus.js';
import type { MbusTarget } from '../../../shared/mbus/master.js';
import { secondaryOf } from '../../../shared/mbus/master.js';
import type { MeterAddress } from '../../../shared/model/address.js';

// How the server names and addresses the meters on an M-Bus system: the source of their frames in
// the raw store, the target of a request (primary address, or secondary address through the
// network layer, protocols.md §8.4/§8.5) and the identity a CI 72 header gives a device row.

/** The source of a system's frames in the raw store. */
export const mbusSource = (systemId: number) => `mbus:${systemId}`;

export function targetLabel(t: MbusTarget): string {
  return 'primary' in t ? `primary ${t.primary}` : `secondary ${t.secondary}`;
}

export function identityOf(a: MeterAddress): Omit<FoundDevice, 'foundBy' | 'primaryAddress'> {
  return { secondary: secondaryOrNull(a), manufacturer: a.manufacturer, serial: a.id, version: a.version, deviceType: a.deviceType };
}

/** How to address a device: by secondary on a secondary system (or when no primary is known), else by primary. */
export function deviceTarget(system: MbusSystem, d: MbusDeviceRow): MbusTarget | null {
  if (d.secondary && (system.addressing === 'secondary' || d.primaryAddress === null)) return { secondary: d.secondary };
  if (d.primaryAddress !== null) return { primary: d.primaryAddress };
  if (d.secondary) return { secondary: d.secondary };
  return null;
}


/** The 16-character secondary address of a CI 72 header, null for a header that cannot be one (not BCD, odd manufacturer). */
function secondaryOrNull(a: MeterAddress): string | null {
  try {
    return secondaryOf(a);
  } catch {
    return null;
  }
}
