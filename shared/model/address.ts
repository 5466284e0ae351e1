// The identity a meter sends in its link-layer (or long transport-layer) header.
export interface MeterAddress {
  /** Three-letter manufacturer code, e.g. "KAM" (EN 13757-4 / FLAG association). */
  manufacturer: string;
  /** Identification number as printed on the meter: 8 BCD digits, most significant first. */
  id: string;
  version: number;
  /** Device type (medium) byte, EN 13757-3: 4 heat, 7 water, 2 electricity … */
  deviceType: number;
}
