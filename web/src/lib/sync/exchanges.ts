// Meter exchanges done in the field (M12): queued on the device (an exchanges row and an
// 'exchanges' outbox entry in one transaction, so neither exists without the other) and sent by
// Send/Receive to POST /api/sync/exchanges. The server applies each exchange once by its client
// id: a batch whose answer was lost is sent again and answered 'duplicate', so an exchange lands
// exactly once. An outbox entry is removed only once the server answered for its exchange.

import { ApiError, request } from '$lib/api/client';
import type { ExchangeRow, ReadoutDb } from '$lib/db';
import { checkDraft, rowFields, type ExchangeDraft } from './exchange-draft';

/** Exchanges per POST (server/src/routes/sync-exchanges.ts MAX_EXCHANGES). */
export const EXCHANGE_BATCH = 100;

export interface ExchangeSendContext {
  db: ReadoutDb;
  fetch: typeof fetch;
  /** The device's own secret (rdd_…), sent as "Authorization: Bearer …". */
  token: string;
  now: () => number;
}

/** What the server answers per exchange (store/sync-exchanges.ts FieldExchangeResult). */
interface ExchangeResult {
  clientId: string;
  status: 'done' | 'duplicate' | 'rejected';
  reason?: string;
  fields?: { field: string; message: string }[];
  meteringPointId: number | null;
  newMeterId: number | null;
  newMeterNeedsKey: boolean | null;
  newMeterCreated?: boolean;
}

export class ExchangeDraftError extends Error {
  constructor(readonly problems: { field: string; message: string }[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }
}

/** Queues a checked exchange; throws ExchangeDraftError when the draft has problems (the form shows them first). */
export async function queueExchange(db: ReadoutDb, draft: ExchangeDraft, old: { manufacturer: string; serial: string }, now: number): Promise<ExchangeRow> {
  const problems = checkDraft(draft, old, now);
  if (problems.length) throw new ExchangeDraftError(problems);
  const row: ExchangeRow = { ...rowFields(draft), clientId: crypto.randomUUID(), createdAt: now, status: 'queued' };
  return db.transaction('rw', db.exchanges, db.outbox, async () => {
    const id = (await db.exchanges.add(row)) as number; // ++id: always a number once added
    row.id = id;
    await db.outbox.add({ kind: 'exchanges', ref: id, queuedAt: now });
    return row;
  });
}

/**
 * A rejected exchange, corrected and queued again under a NEW client id: the server answered for
 * the old one, and the corrected exchange is another one. Only a rejected row can be corrected.
 */
export async function requeueExchange(
  db: ReadoutDb,
  id: number,
  draft: ExchangeDraft,
  old: { manufacturer: string; serial: string },
  now: number
): Promise<ExchangeRow> {
  const problems = checkDraft(draft, old, now);
  if (problems.length) throw new ExchangeDraftError(problems);
  return db.transaction('rw', db.exchanges, db.outbox, async () => {
    const was = await db.exchanges.get(id);
    if (!was) throw new RangeError(`exchange ${id}: not on this device`);
    if (was.status !== 'rejected') throw new RangeError(`exchange ${id}: only a refused exchange can be corrected, this one is ${was.status}`);
    const row: ExchangeRow = { ...rowFields(draft), id, clientId: crypto.randomUUID(), createdAt: was.createdAt, status: 'queued' };
    await db.exchanges.put(row);
    await db.outbox.add({ kind: 'exchanges', ref: id, queuedAt: now });
    return row;
  });
}

/** Removes an exchange that was refused, or is still queued, with its outbox entries. A done one stays as the record. */
export async function discardExchange(db: ReadoutDb, id: number): Promise<void> {
  await db.transaction('rw', db.exchanges, db.outbox, async () => {
    const row = await db.exchanges.get(id);
    if (row?.status === 'done') throw new RangeError(`exchange ${id}: the server applied it; it can no longer be discarded here`);
    await db.outbox.where('kind').equals('exchanges').filter((e) => e.ref === id).delete();
    await db.exchanges.delete(id);
  });
}

/** The exchanges on this device, newest first. */
export async function listExchanges(db: ReadoutDb): Promise<ExchangeRow[]> {
  return (await db.exchanges.toArray()).sort((a, b) => b.createdAt - a.createdAt || (b.id ?? 0) - (a.id ?? 0));
}

function toWire(r: ExchangeRow) {
  return {
    clientId: r.clientId,
    meterId: r.meterId,
    at: r.at,
    final: { register: r.final.register, value: r.final.value, unit: r.final.unit, source: r.final.source },
    newMeter: { manufacturer: r.newMeter.manufacturer, serial: r.newMeter.serial },
    start: { register: r.start.register, value: r.start.value, unit: r.start.unit },
    ...(r.note ? { note: r.note } : {})
  };
}

/**
 * Sends every queued exchange, oldest first, in batches. Each answer is written (row status,
 * outbox entry removed) before the next batch; a network failure or a refused token throws an
 * ApiError and leaves what was not answered queued for the next Send/Receive.
 */
export async function sendExchanges(ctx: ExchangeSendContext): Promise<{ sent: number; rejected: number }> {
  const { db } = ctx;
  const out = { sent: 0, rejected: 0 };
  const entries = await db.outbox.where('kind').equals('exchanges').sortBy('id');
  if (entries.length === 0) return out;
  const rows = await db.exchanges.bulkGet([...new Set(entries.map((e) => e.ref))]);
  const queued = rows.filter((r): r is ExchangeRow & { id: number } => r?.status === 'queued' && r.id !== undefined);
  // entries whose exchange was discarded or already answered: nothing to send
  const live = new Set(queued.map((r) => r.id));
  const stale = entries.filter((e) => !live.has(e.ref)).map((e) => e.id!);
  if (stale.length) await db.outbox.bulkDelete(stale);

  for (let i = 0; i < queued.length; i += EXCHANGE_BATCH) {
    const batch = queued.slice(i, i + EXCHANGE_BATCH);
    const results = await post(ctx, batch);
    const byClient = new Map(results.map((r) => [r.clientId, r]));
    const at = ctx.now();
    await db.transaction('rw', db.exchanges, db.outbox, async () => {
      const answered: number[] = [];
      for (const row of batch) {
        const r = byClient.get(row.clientId);
        if (!r) continue; // not answered: stays queued
        answered.push(row.id);
        if (r.status === 'rejected') {
          out.rejected++;
          await db.exchanges.update(row.id, {
            status: 'rejected',
            error: r.reason ?? 'The server refused this exchange.',
            fields: r.fields ?? [],
            answeredAt: at
          });
        } else {
          out.sent++;
          await db.exchanges.update(row.id, {
            status: 'done',
            error: undefined,
            fields: undefined,
            answeredAt: at,
            answer: {
              meteringPointId: r.meteringPointId ?? 0,
              newMeterId: r.newMeterId ?? 0,
              newMeterNeedsKey: r.newMeterNeedsKey ?? false,
              newMeterCreated: r.newMeterCreated ?? false,
              duplicate: r.status === 'duplicate'
            }
          });
        }
      }
      const ids = new Set(answered);
      await db.outbox.where('kind').equals('exchanges').filter((e) => ids.has(e.ref)).delete();
    });
  }
  return out;
}

/**
 * One POST. The server answers malformed exchanges one by one; it refuses the whole batch (422)
 * only for client ids it cannot answer under (exchanges.N.clientId): those are answered here as
 * rejected and the rest is sent once more, so one broken row never blocks the others.
 */
async function post(ctx: ExchangeSendContext, batch: readonly ExchangeRow[]): Promise<ExchangeResult[]> {
  const send = (rows: readonly ExchangeRow[]) =>
    request<{ results: ExchangeResult[] }>('POST', '/sync/exchanges', { exchanges: rows.map(toWire) }, { token: ctx.token, fetch: ctx.fetch });
  try {
    return (await send(batch)).results;
  } catch (e) {
    const bad = itemErrors(e);
    if (bad.size === 0 || [...bad.keys()].some((i) => i >= batch.length)) throw e;
    const refused: ExchangeResult[] = [...bad].map(([i, message]) => ({
      clientId: batch[i].clientId,
      status: 'rejected',
      reason: message,
      fields: [{ field: 'clientId', message }],
      meteringPointId: null,
      newMeterId: null,
      newMeterNeedsKey: null
    }));
    const rest = batch.filter((_, i) => !bad.has(i));
    return rest.length ? [...refused, ...(await send(rest)).results] : refused;
  }
}

/** Index → message of a 422's `exchanges.N.…` errors; empty for anything else. */
function itemErrors(e: unknown): Map<number, string> {
  const bad = new Map<number, string>();
  if (!(e instanceof ApiError && e.status === 422)) return bad;
  const fields = (e.body as { fields?: { field: string; message: string }[] } | null)?.fields ?? [];
  for (const f of fields) {
    const m = /^exchanges\.(\d+)\.(.+)$/.exec(f.field);
    if (!m) return new Map(); // the batch itself is wrong, not one exchange
    bad.set(Number(m[1]), `${m[2]}: ${f.message}`);
  }
  return bad;
}
