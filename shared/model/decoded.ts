// Results of decoding bytes from outside: never an exception, always the raw bytes back,
// what could be decoded, and specific issues with numbers in their messages (style.md §3).

export type IssueCode =
  | 'truncated'
  | 'bad-crc'
  | 'bad-checksum'
  | 'bad-frame'
  | 'unknown-ci'
  | 'no-key'
  | 'wrong-key'
  | 'bad-mac'
  | 'unsupported-security'
  | 'unknown-format'
  | 'unknown-dif'
  | 'unknown-vif'
  | 'bad-value'
  | 'trailing-bytes';

export interface Issue {
  code: IssueCode;
  severity: 'error' | 'warning';
  /** Byte position in `raw`, for the hex inspector. */
  offset?: number;
  /** What was wrong, with the numbers: "payload CRC e1d6, computed a528". */
  message: string;
  /** The likely cause: "check the AES key for meter 76348799". */
  hint?: string;
}

/** One stretch of bytes explained, like a line of a byte map. */
export interface Span {
  offset: number;
  length: number;
  label: string;
  text: string;
}

export type Decoded<T> =
  | { ok: true; raw: Uint8Array; value: T; issues: Issue[]; spans: Span[] }
  | { ok: false; raw: Uint8Array; partial: Partial<T>; issues: Issue[]; spans: Span[] };
