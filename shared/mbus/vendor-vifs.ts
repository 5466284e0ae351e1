// Manufacturer-specific VIFs (VIF 7F/FF, EN 13757-3 §3.5 "manufacturer specific"): what the
// first VIFE after FF means for one manufacturer. Only meanings a manufacturer or a published
// driver documents; everything else stays a raw "manufacturer specific" value.

import type { VifEntry } from './vif-table.js';

function entry(quantity: string, unit: string, exp = 0): VifEntry {
  return { quantity, unit, kind: 'number', exp, mul: 1, div: 1, known: true };
}

/** First VIFE after FF (VIFE & 0x7F, extension bit clear) → meaning, per three-letter manufacturer code. */
const VENDOR_VIFS: Readonly<Record<string, ReadonlyMap<number, VifEntry>>> = {
  // Kamstrup heat meters: E8 = Σ V1·t1, E9 = Σ V1·t2 in m³·°C (protocols.md §4.4; KMP registers
  // 97 and 110; wmbusmeters drivers/src/kamheat.xmq forward_energy_m3c / return_energy_m3c).
  KAM: new Map([
    [0x07, entry('volume × flow temperature (E8)', 'm3C')],
    [0x08, entry('volume × return temperature (E9)', 'm3C')],
  ]),
};

/**
 * The manufacturer's table, or undefined. Only VIFE codes without the extension bit are looked
 * up: `04 FF 07` is E8, while `04 FF 87 …` would be another (undocumented) code.
 */
export function vendorVifs(manufacturer: string | undefined): ReadonlyMap<number, VifEntry> | undefined {
  return manufacturer === undefined ? undefined : VENDOR_VIFS[manufacturer];
}
