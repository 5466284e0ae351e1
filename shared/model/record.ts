// One EN 13757-3 data record, as decoded from DIF [DIFE…] VIF [VIFE…] DATA.
// The shape follows the decoder contract of ../shared/conformance/README.md so that the CLI
// prints records as they are.

export type RecordFunction = 'instantaneous' | 'maximum' | 'minimum' | 'error';

export interface DataRecord {
  /** Scaled to `unit`; strings for dates ("2019-10-31"), date-times, byte strings (hex) and text. */
  value: number | string;
  /** Canonical unit of the conformance README ("Wh", "m3", "°C", "date", "" …). */
  unit: string;
  /** What the value is, in words: "energy", "volume", "flow temperature" … */
  quantity: string;
  storage: number;
  tariff: number;
  subunit: number;
  function: RecordFunction;
  /** DIF, DIFEs, VIF and VIFEs as upper-case hex, e.g. "0C06" or "04FF23": a driver's fallback selector. */
  difvif: string;
  /** Byte offset of the DIF in the buffer the record was decoded from, and the record's length. */
  offset: number;
  length: number;
  /**
   * Orthogonal VIFEs of the record as short words ("backward", "per hour", "at phase L1",
   * "corrected", "manufacturer 21"), in frame order; undefined when there are none.
   * Those that change the meaning are also in `quantity` ("energy backward").
   */
  vife?: string[];
  /**
   * The number as sent in the data field (integer or BCD), before the VIF's scale and the
   * correction VIFEs; undefined for dates, text, floats and byte strings. Drivers whose source
   * defines a register "without VIF scaling" read this.
   */
  raw?: number | undefined;
}
