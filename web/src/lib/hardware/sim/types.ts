// The simulated receiver's inputs and outputs (types only): meters and a route in, timed telegrams out (drive-by.ts).

import type { RecordSpec } from '$shared/mbus/encode-records';

export interface LatLon {
  lat: number;
  lon: number;
}

/**
 * What the meter's telegrams carry (protocols.md §4.3/§4.4, §4.7):
 * - kamstrup-heat-403: MULTICAL 403, C1, ELL CI 8D AES-CTR, full frame then 7 compact (FSIG 4D B3)
 * - kamstrup-water-21: MULTICAL 21, C1, ELL CI 8D AES-CTR, full frame then 7 compact (FSIG ED A8)
 * - oms-water / oms-heat: an OMS meter, short TPL header with security mode 5 (AES-CBC), no compact frames
 */
export type SimMeterKind = 'kamstrup-heat-403' | 'kamstrup-water-21' | 'oms-water' | 'oms-heat';

/** Where the meter hangs: walls and floors cost signal (our planning numbers, not a source). */
export type SimPlacement = 'outdoor' | 'indoor' | 'basement';

export interface SimMeter {
  manufacturer: string;
  /** 8 digits as printed, "76348799". */
  id: string;
  version: number;
  deviceType: number;
  kind: SimMeterKind;
  /** The meter's AES-128 key, 16 bytes. */
  key: Uint8Array;
  position: LatLon;
  /** Nominal transmit interval: 16 (drive-by), 96 (fixed network), 900 (T1 OMS); protocols.md §9. */
  intervalS: number;
  mode: 'C1' | 'T1';
  /** Default 'indoor'. */
  placement?: SimPlacement;
  /** Radiated power; default 10 dBm, 14 dBm for fixed-network intervals (≥ 60 s, "higher output power" §9). */
  txPowerDbm?: number;
}

/** A drive: the car follows the polyline at `speedKmh` (one value, or one per segment), then stands at the end. */
export interface SimRoute {
  points: readonly LatLon[];
  speedKmh: number | readonly number[];
}

/** One register as the simulated meter holds it: the record sent, and the value a decoder must read. */
export interface SimField {
  record: RecordSpec;
  /** Value in the decoder's canonical unit (DataRecord.value), e.g. 3591.16 for 359116 × 10 l. */
  value: number | string;
  unit: string;
  storage: number;
}

export type SimFrameKind = 'full' | 'compact' | 'oms';

/** Why a transmission did not reach the host. */
export type SimFate = 'heard' | 'too-weak' | 'lost' | 'collision';

/** One transmission and what became of it at the receiver. */
export interface SimTransmission {
  meter: SimMeter;
  /** The meter's transmission number since the start of the simulation (0, 1, …). */
  count: number;
  /** Start and end of the frame on air, virtual ms since the simulation started. */
  startMs: number;
  endMs: number;
  mode: 'C1' | 'T1';
  /** Receiver to meter, metres, at the start of the frame. */
  distanceM: number;
  /** Signal strength at the receiver (path loss, placement, shadowing and fading). */
  rssiDbm: number;
  fate: SimFate;
}

/** A telegram the receiver hands over: at the end of the frame, from the L field, without CRCs. */
export interface SimEvent {
  atMs: number;
  telegram: Uint8Array;
  rssiDbm: number;
  mode: 'C1' | 'T1';
  meter: SimMeter;
  frame: SimFrameKind;
  /** The registers the telegram carries, with the values a decoder must read back. */
  fields: SimField[];
}
