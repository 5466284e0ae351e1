// Send (issue 5): the outbox's raw frames to POST /api/sync/frames in batches, each frame under
// the clientId it got when it was stored. Each batch is confirmed before the next, and an outbox
// entry is removed only for a frame the server answered for, so a connection lost half-way
// leaves the rest for the next Send/Receive; a batch whose answer was lost is sent again and the
// server answers 'duplicate' for what it holds: every frame lands on the server exactly once.
// Readings are not sent (the server decodes the raw frames itself, routes/sync.ts): a reading's
// entry is done once its frame is delivered.

import { ApiError, request } from '$lib/api/client';
import type { FrameRow, OutboxRow, ReadoutDb } from '$lib/db';
import { toHex } from '$shared/bytes/hex';
import { throwIfAborted, type SyncContext } from './context';
import { addProblems, emptySent, type SentFrames, type SyncProblem } from './log';

/** Frames per POST; the server takes up to 10,000 (ingest.ts MAX_BATCH), smaller batches lose less to a drop. */
export const DEFAULT_BATCH = 1000;
/** routes/sync.ts SyncFrameSchema: hex of at most 512 bytes, times after 2000-01-01, rssi -200…50 dBm, source ≤ 60 characters, link for wired frames. */
const MAX_FRAME_BYTES = 512;
const EARLIEST = 946_684_800_000;

interface WireFrame {
  clientId: string;
  hex: string;
  receivedAt: number;
  rssi: number | null;
  source?: string;
  /** Only for wired frames (routes/sync.ts): 'mbus', or 'kmp' for an optical head's answer; a radio telegram goes without it. */
  link?: 'mbus' | 'kmp';
  /** With link 'kmp' (required there): "KAM 12345678", the serial read with GetSerialNo. */
  meter?: string;
}

interface Answer {
  results: { clientId: string; status: string; reason?: string }[];
}

export interface SendOptions {
  batchSize?: number;
  /** Outbox frame entries handled so far (sent, refused or held back) of those waiting at the start. */
  onProgress?: (done: number, total: number) => void;
  /** Counts go here as each batch is confirmed, so a run cut off half-way still reports what went. */
  into?: SentFrames;
}

/** The frame as the server takes it, or why it can never take it. */
export function toWire(f: FrameRow & { clientId: string }): WireFrame | { unsendable: string } {
  if (f.link === 'kmp' && !f.meter) return { unsendable: 'a KMP answer without the meter serial it was read from: the server cannot tell which meter it is' };
  if (f.raw.length === 0 || f.raw.length > MAX_FRAME_BYTES) return { unsendable: `${f.raw.length} bytes: the server takes 1 to ${MAX_FRAME_BYTES} bytes from the L field` };
  const receivedAt = Math.round(f.receivedAt);
  if (!(receivedAt >= EARLIEST)) return { unsendable: `received at ${new Date(f.receivedAt).toISOString()}: the device clock was wrong` };
  const rssi = f.rssi === null || !Number.isFinite(f.rssi) ? null : Math.round(f.rssi);
  const source = f.source.trim().slice(0, 60).trim();
  return { clientId: f.clientId, hex: toHex(f.raw), receivedAt, rssi: rssi !== null && rssi >= -200 && rssi <= 50 ? rssi : null, ...(source ? { source } : {}), ...linkOf(f) };
}

/** The link fields of a wired frame: 'mbus' alone, 'kmp' with the meter its session read. */
function linkOf(f: FrameRow): Pick<WireFrame, 'link' | 'meter'> {
  if (f.link === 'mbus') return { link: 'mbus' };
  if (f.link === 'kmp') return { link: 'kmp', ...(f.meter ? { meter: f.meter } : {}) };
  return {};
}

/** Every 'frames' outbox entry, oldest first, in batches; returns what went and what the server said. */
export async function sendFrames(ctx: SyncContext, token: string, o: SendOptions = {}): Promise<SentFrames> {
  const { db } = ctx;
  const size = o.batchSize ?? DEFAULT_BATCH;
  if (!(size >= 1 && size <= 10_000)) throw new RangeError(`batchSize: expected 1 to 10000, got ${size}`);
  const sent = o.into ?? emptySent();
  const total = await db.outbox.where('kind').equals('frames').count();
  sent.waiting = total;
  let done = 0;
  let after = 0; // outbox id cursor: entries held back stay behind it, so a run never loops on them
  o.onProgress?.(0, total);
  for (;;) {
    throwIfAborted(ctx.signal);
    const entries = await db.outbox.where(':id').above(after).filter((e) => e.kind === 'frames').limit(size).toArray();
    if (entries.length === 0) return sent;
    after = entries[entries.length - 1].id!;
    const batch = await prepare(ctx, entries);
    const problems: SyncProblem[] = batch.unsendable.map(({ frame, reason }) => problemOf(ctx, frame, reason));
    sent.unsendable += batch.unsendable.length;
    const answered = new Map<string, { status: string; reason?: string }>();
    if (batch.wire.length > 0) {
      const { results, heldBack } = await post(ctx, token, batch.wire);
      sent.batches++;
      if (heldBack.length > 0) {
        sent.heldBack += heldBack.length;
        sent.heldBackReason ??= heldBack[0];
      }
      for (const r of results) answered.set(r.clientId, r);
    }
    const remove: number[] = [...batch.drop];
    for (const e of entries) {
      const f = batch.frames.get(e.ref);
      if (!f || batch.drop.includes(e.id!)) continue;
      const r = answered.get(f.clientId);
      if (!r) continue; // held back, or not answered: stays in the outbox
      remove.push(e.id!);
    }
    for (const f of batch.frames.values()) {
      const r = answered.get(f.clientId);
      if (!r) continue;
      if (r.status === 'duplicate') sent.duplicate++;
      else if (r.status === 'rejected') {
        sent.rejected++;
        problems.push(problemOf(ctx, f, r.reason ?? 'the server refused this frame'));
      } else {
        sent.fresh++;
        sent.byStatus[r.status] = (sent.byStatus[r.status] ?? 0) + 1;
      }
    }
    await db.transaction('rw', db.outbox, db.meta, async () => {
      await db.outbox.bulkDelete(remove);
      await addProblems(db, problems);
    });
    done += entries.length;
    o.onProgress?.(Math.min(done, total), Math.max(total, done));
  }
}

interface Prepared {
  /** Frames of the batch by id, each with its clientId. */
  frames: Map<number, FrameRow & { id: number; clientId: string }>;
  wire: WireFrame[];
  unsendable: { frame: FrameRow & { id: number; clientId: string }; reason: string }[];
  /** Outbox entries to remove without asking the server: the frame is gone or can never be sent. */
  drop: number[];
}

async function prepare(ctx: SyncContext, entries: readonly OutboxRow[]): Promise<Prepared> {
  const refs = [...new Set(entries.map((e) => e.ref))]; // one frame queued twice goes once (the server refuses a clientId twice in a batch)
  const rows = await ctx.db.frames.bulkGet(refs);
  const out: Prepared = { frames: new Map(), wire: [], unsendable: [], drop: [] };
  const unsendable = new Set<number>();
  for (const row of rows) {
    if (!row || row.id === undefined) continue;
    if (!row.clientId) {
      // frames stored before v3 got one in the upgrade; this is a guard, written once so a retry reuses it
      row.clientId = crypto.randomUUID();
      await ctx.db.frames.update(row.id, { clientId: row.clientId });
    }
    const f = row as FrameRow & { id: number; clientId: string };
    out.frames.set(f.id, f);
    const w = toWire(f);
    if ('unsendable' in w) {
      out.unsendable.push({ frame: f, reason: w.unsendable });
      unsendable.add(f.id);
    } else out.wire.push(w);
  }
  for (const e of entries) if (!out.frames.has(e.ref) || unsendable.has(e.ref)) out.drop.push(e.id!);
  return out;
}

/**
 * One POST. A 422 naming single frames (e.g. a receive time more than a day ahead of the
 * server's clock) holds those frames back and sends the rest once more, so one odd frame does
 * not stop every Send/Receive.
 */
async function post(ctx: SyncContext, token: string, frames: WireFrame[]): Promise<{ results: Answer['results']; heldBack: string[] }> {
  const send = (list: WireFrame[]) =>
    request<Answer>('POST', '/sync/frames', { batchId: crypto.randomUUID(), frames: list }, { token, fetch: ctx.fetch, signal: ctx.signal });
  try {
    return { results: (await send(frames)).results, heldBack: [] };
  } catch (e) {
    const bad = frameFieldErrors(e);
    if (bad.size === 0) throw e;
    const rest = frames.filter((_, i) => !bad.has(i));
    const heldBack = [...bad.values()];
    if (rest.length === 0) return { results: [], heldBack };
    return { results: (await send(rest)).results, heldBack };
  }
}

/** Index → message of a 422's `frames.N.<field>` errors; empty for anything else. */
function frameFieldErrors(e: unknown): Map<number, string> {
  const bad = new Map<number, string>();
  if (!(e instanceof ApiError && e.status === 422)) return bad;
  const fields = (e.body as { fields?: { field: string; message: string }[] } | null)?.fields ?? [];
  for (const f of fields) {
    const m = /^frames\.(\d+)\.(\w+)$/.exec(f.field);
    if (!m) return new Map(); // the batch itself is wrong: not a frame to hold back
    bad.set(Number(m[1]), `${m[2]}: ${f.message}`);
  }
  return bad;
}

function problemOf(ctx: SyncContext, f: FrameRow & { id: number; clientId: string }, reason: string): SyncProblem {
  return { at: ctx.now(), frameId: f.id, clientId: f.clientId, ...(f.meterKey ? { meterKey: f.meterKey } : {}), reason };
}

/**
 * Removes 'readings' entries whose frame is no longer waiting to be sent (the server has the
 * raw frame and decodes it itself). Returns how many were removed.
 */
export async function settleReadings(db: ReadoutDb): Promise<number> {
  return db.transaction('rw', db.outbox, db.readings, async () => {
    const waiting = new Set((await db.outbox.where('kind').equals('frames').toArray()).map((e) => e.ref));
    const entries = await db.outbox.where('kind').equals('readings').toArray();
    if (entries.length === 0) return 0;
    const readings = await db.readings.bulkGet(entries.map((e) => e.ref));
    const done = entries.filter((_, i) => !readings[i] || !waiting.has(readings[i]!.frameId)).map((e) => e.id!);
    await db.outbox.bulkDelete(done);
    return done.length;
  });
}
