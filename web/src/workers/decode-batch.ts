// Bulk decoding for the receive pipeline, kept apart from the Comlink wiring so it runs in Node
// tests too. The key ring and the compact-format table belong to the caller (the worker holds
// them for as long as it lives): keys are loaded once, not sent with every batch.

import { applyDriver } from '$shared/drivers/index';
import type { MeterAddress } from '$shared/model/address';
import type { IssueCode } from '$shared/model/decoded';
import type { Reading } from '$shared/model/reading';
import type { CompactFormatTable } from '$shared/wmbus/compact';
import type { KeyRing } from '$shared/wmbus/keyring';
import { decodeTelegram } from '$shared/wmbus/telegram';

export interface BatchFrame {
  /** wM-Bus frame from its L field. */
  bytes: Uint8Array;
  /** 'absent' when the stick removed the link-layer CRCs; unknown: detected. */
  crcs?: 'present' | 'absent';
}

/** What the pipeline needs of one decoded frame (small: no spans, no records). */
export interface BatchResult {
  ok: boolean;
  /** The link-layer address, also without a key; null when even that could not be read. */
  meter: MeterAddress | null;
  /** Code of the first error issue: 'no-key', 'bad-crc', …; null when ok. */
  reason: IssueCode | null;
  /** Every issue code, errors and warnings, in order. */
  issues: IssueCode[];
  reading: Reading | null;
}

export interface BatchAnswer {
  results: BatchResult[];
  /** Compact formats the full frames of this batch taught the table. */
  formatsLearned: number;
}

export function decodeFrames(frames: readonly BatchFrame[], keys: KeyRing, formats: CompactFormatTable): BatchAnswer {
  const before = formats.size;
  const results = frames.map((f): BatchResult => {
    const r = decodeTelegram(f.bytes, { keys, formats, crcs: f.crcs ?? 'auto' });
    const issues = r.issues.map((i) => i.code);
    if (r.ok) {
      let reading: Reading | null = null;
      try {
        reading = applyDriver(r.value);
      } catch {
        // A driver bug must not lose the frame: it stays 'failed' with its raw bytes.
        return { ok: false, meter: r.value.address, reason: 'bad-value', issues, reading: null };
      }
      return { ok: true, meter: r.value.address, reason: null, issues, reading };
    }
    const reason = r.issues.find((i) => i.severity === 'error')?.code ?? r.issues[0]?.code ?? 'bad-frame';
    return { ok: false, meter: r.partial.address ?? null, reason, issues, reading: null };
  });
  return { results, formatsLearned: formats.size - before };
}
