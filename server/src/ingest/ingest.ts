import { hash } from 'node:crypto';
import { audit } from '../audit.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import type { FrameLink, FrameStatus, FrameStore, WaitingFrame } from '../store/frames.js';
import { WAITING_STATUSES } from '../store/frames.js';
import type { ReadingStore } from '../store/readings.js';
import { SETTING_COMPACT_FORMATS, type SettingStore } from '../store/settings.js';
import { driverById, findDriver, type Driver } from '../../../shared/drivers/index.js';
import { decodeMbusFrame, type MbusFrame } from '../../../shared/mbus/frame.js';
import { planReading, readPlanned, type ReadingPlan } from '../../../shared/drivers/plan.js';
import type { Issue } from '../../../shared/model/decoded.js';
import type { DataRecord } from '../../../shared/model/record.js';
import { CompactFormatTable, type CompactFormatsJson } from '../../../shared/wmbus/compact.js';
import { manufacturerName, stripCrcs } from '../../../shared/wmbus/dll.js';
import { KeyRing } from '../../../shared/wmbus/keyring.js';
import { decodeTelegram } from '../../../shared/wmbus/telegram.js';
import { readingColumns, type ReadingColumns } from './columns.js';
import { addKeys, NO_KEYS, type KeySource } from './keys.js';
import { decodeKmp, kmpDigestInput, kmpIdentity, ReadingMerge } from './kmp.js';
import { mbusIdentity, mergeTelegrams } from './wired.js';

// Raw-frame ingest (R3, R4; architecture.md decisions 3 and 6). Per batch, one transaction:
// each frame is stored raw first, merged with the same telegram heard by other receivers
// (digest of the CRC-free frame, ±DEDUPE_WINDOW_MS), then decoded with the owning tenant's
// key ring and compact-format table; a decoded frame becomes a reading of its meter.
// Undecodable frames wait with their status and are decoded again when a key, a format or the
// meter arrives.

export const MAX_BATCH = 10_000;
export const DEDUPE_WINDOW_MS = 10 * 60_000;
/** Waiting frames re-decoded at once after a key or format arrives; the rest on the next call. */
const REDECODE_LIMIT = 10_000;
/** Driver plans kept per driver; more record layouts than this (garbage frames) start the cache over. */
const MAX_PLANS = 1000;

export interface IncomingFrame {
  bytes: Uint8Array;
  receivedAt: number;
  source: string;
  rssi: number | null;
  /**
   * 'mbus': a wired RSP_UD long frame (EN 13757-2), identified by its CI 72 header. The
   * telegrams of one multi-telegram read carry the same source and receivedAt and make one
   * reading (their records merged); each is stored as its own frame.
   * 'kmp': one Kamstrup KMP answer from the optical eye (40 … 0D, protocols.md §5), of the meter
   * `meter` names. Default 'wmbus'.
   */
  link?: FrameLink;
  /**
   * For link 'kmp' only, and required there: the meter the answer came from, "KAM 12345678" (a KMP
   * answer does not name its meter; the serial comes from GetSerialNo in the same session).
   */
  meter?: string;
}

export type FrameOutcome = FrameStatus | 'duplicate';

export interface FrameResult {
  index: number;
  status: FrameOutcome;
  frameId: number | null;
  /** "KAM 76348799" when the header could be read. */
  meter: string | null;
  meterId: number | null;
  reason?: string;
}

export interface RedecodeCounts {
  frames: number;
  decoded: number;
  waiting: number;
}

interface TenantState {
  ring: KeyRing;
  formats: CompactFormatTable;
  formatCount: number;
  /** Count and newest change of the tenant's stored keys when the ring was built. */
  keyStamp: string;
  checkedAt: number;
}

/** How often a cached key ring is compared with the vault, in case a key change was not announced. */
const KEY_CHECK_MS = 60_000;

export interface Identity {
  manufacturer: string;
  serial: string;
  text: string;
}

interface Meter {
  id: number;
  driver: string | null;
}

/** The decoded telegrams of one wired read in a batch (same tenant, meter, source and time). */
interface MbusRead {
  tenantId: number;
  meter: Meter;
  at: number;
  frames: MbusFrame[];
  frameIds: number[];
}

interface TenantTally {
  frames: number;
  stored: number;
  duplicates: number;
  receptions: number;
  decoded: number;
  waiting: number;
}

const HEX = '0123456789ABCDEF';
const hex2 = (n: number) => HEX[n >> 4] + HEX[n & 15];

/**
 * The meter a CRC-free frame names: the long transport header's address when the frame has one
 * right after the link header (CI 72/73: the link address is then a radio converter's), else
 * the link-layer M and A fields. Null for a frame too short to have them.
 */
export function frameIdentity(f: Uint8Array): Identity | null {
  if (f.length < 10) return null;
  let m = f[2] | (f[3] << 8);
  let at = 4;
  if (f.length >= 19 && (f[10] === 0x72 || f[10] === 0x73)) {
    m = f[15] | (f[16] << 8);
    at = 11;
  }
  const manufacturer = manufacturerName(m);
  const serial = hex2(f[at + 3]) + hex2(f[at + 2]) + hex2(f[at + 1]) + hex2(f[at]);
  return { manufacturer, serial, text: `${manufacturer} ${serial}` };
}

/** The identity of a stored frame, by its link: from its bytes, or for KMP the meter its sender named. */
function identityOf(raw: Uint8Array, link: FrameLink, meterHint: string | null): Identity | null {
  if (link === 'kmp') return kmpIdentity(meterHint);
  return link === 'mbus' ? mbusIdentity(raw) : frameIdentity(stripCrcs(raw, 'auto').frame);
}

/**
 * A Uint8Array view of the same memory. Node Buffers' slice() shares memory where
 * Uint8Array's copies, and the decoder relies on copies: never hand it a Buffer.
 */
export function plainBytes(b: Uint8Array): Uint8Array {
  return Buffer.isBuffer(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : b;
}

function parseIdentity(address: string | null): Identity | null {
  const m = address ? /^([A-Z@[\\\]^_]{3}) ([0-9A-F]{8})$/.exec(address) : null;
  return m ? { manufacturer: m[1], serial: m[2], text: address! } : null;
}

/** What a failed decode waits for, from its issues. */
function classify(issues: readonly Issue[]): { status: FrameStatus; reason: string } {
  let first: Issue | undefined;
  for (const i of issues) {
    if (i.severity !== 'error') continue;
    first ??= i;
    if (i.code === 'no-key' || i.code === 'wrong-key' || i.code === 'bad-mac') return { status: 'no-key', reason: clean(i.message) };
    if (i.code === 'unknown-format') return { status: 'unknown-format', reason: clean(i.message) };
  }
  return { status: 'failed', reason: clean(first?.message ?? 'not decodable') };
}

/** Reasons are stored and shown: never let anything that looks like key material through. */
function clean(message: string): string {
  return message.replace(/[0-9A-Fa-f]{32,}/g, '[…]').slice(0, 500);
}

/** The record layout of a telegram as a map key: its records' DIF/VIF hex, in order. */
function layoutKey(records: readonly DataRecord[]): string {
  let key = '';
  for (const r of records) key += r.difvif + ' ';
  return key;
}

/**
 * Told after a batch commits which of a tenant's meters got new or rewritten readings (consumption
 * alerts and notifications evaluate them as readings arrive, M9/M10). Runs after the commit, so
 * what it reads is stored; a listener that throws is logged and never fails the ingest.
 */
export type ReadingsListener = (tenantId: number, meterIds: readonly number[], now: number) => void;

export class Ingest {
  readonly #tenants = new Map<number, TenantState>();
  /** Meters that got readings in the running transaction, by tenant (see ReadingsListener). */
  readonly #written = new Map<number, Set<number>>();
  readonly #listeners = new Set<ReadingsListener>();
  /** Each driver compiled per record layout (shared/drivers/plan.ts): meters repeat their layout. */
  readonly #plans = new Map<Driver, Map<string, ReadingPlan>>();
  readonly #meterById;
  readonly #keyStamp;
  /** KMP logger records and register answers: merged into the reading at their instant (kmp.ts). */
  readonly #merge;

  constructor(
    private readonly db: Db,
    private readonly frames: FrameStore,
    private readonly readings: ReadingStore,
    private readonly settings: SettingStore,
    /** The key vault; a function because the vault may be created after this store. */
    private readonly keySource: () => KeySource | undefined
  ) {
    this.#meterById = db.prepare('select id, driver from meter where id = ? and tenant_id = ?');
    this.#merge = new ReadingMerge(db);
    this.#keyStamp = db
      .prepare("select count(*) || ':' || coalesce(max(updated_at), 0) from meter_key where tenant_id = ?")
      .pluck();
  }

  /**
   * Stores, merges and decodes one batch in one transaction. `actor` is the caller (its tenant
   * posts; a frame from a gateway shared with other tenants goes to the tenant that has the meter).
   * Returns one result per frame, in input order.
   */
  ingest(actor: Actor, batch: readonly IncomingFrame[], now: number): FrameResult[] {
    if (batch.length > MAX_BATCH) throw new RangeError(`frames: expected at most ${MAX_BATCH}, got ${batch.length}`);
    batch.forEach((f, i) => {
      if (f.link === 'kmp' && kmpIdentity(f.meter) === null) {
        throw new RangeError(`frames[${i}].meter: expected the meter of a KMP answer such as "KAM 12345678", got ${JSON.stringify(f.meter ?? null)}`);
      }
    });
    return this.#notifying(now, () => {
      const results: FrameResult[] = new Array(batch.length);
      const byFrame = new Map<number, FrameResult>();
      const tally = new Map<number, TenantTally>();
      const tenantsBySource = new Map<string, number[]>();
      const learnt = new Set<number>();
      /** Wired reads of this batch: their decoded telegrams, merged into one reading after the loop. */
      const reads = new Map<string, MbusRead>();

      for (let index = 0; index < batch.length; index++) {
        const f = batch[index];
        const bytes = plainBytes(f.bytes);
        const link = f.link ?? 'wmbus';
        // a wired frame has no link-layer CRCs: its digest is of the bytes as they came; a KMP
        // answer's is of the bytes and the meter named (two meters of one type answer GetType alike)
        const kmp = link === 'kmp' ? kmpIdentity(f.meter) : null;
        const norm = link === 'mbus' ? bytes : link === 'kmp' ? kmpDigestInput(kmp!, bytes) : stripCrcs(bytes, 'auto').frame;
        const digest = hash('sha256', norm, 'buffer').subarray(0, 16);
        const ident = link === 'kmp' ? kmp : link === 'mbus' ? mbusIdentity(bytes) : frameIdentity(norm);

        let candidates = tenantsBySource.get(f.source);
        if (candidates === undefined) {
          candidates = this.frames.tenantsFor(actor.tenantId, f.source);
          tenantsBySource.set(f.source, candidates);
        }
        let tenantId = actor.tenantId;
        let meter: Meter | undefined;
        if (ident !== null) {
          for (const t of candidates) {
            meter = this.frames.meterByAddress(t, ident.manufacturer, ident.serial);
            if (meter) {
              tenantId = t;
              break;
            }
          }
        }
        let t = tally.get(tenantId);
        if (t === undefined) {
          t = { frames: 0, stored: 0, duplicates: 0, receptions: 0, decoded: 0, waiting: 0 };
          tally.set(tenantId, t);
        }
        t.frames++;

        const dup = this.frames.findDuplicate(tenantId, digest, f.receivedAt - DEDUPE_WINDOW_MS, f.receivedAt + DEDUPE_WINDOW_MS);
        if (dup) {
          // Heard before: by this receiver (a retried batch: nothing changes) or by another one.
          let added: boolean;
          if (this.frames.receptionCount(dup.id) === 0) {
            added = dup.source !== f.source;
            if (added) {
              this.frames.addReception(dup.id, dup.source, dup.receivedAt, dup.rssi);
              this.frames.addReception(dup.id, f.source, f.receivedAt, f.rssi);
            }
          } else {
            added = this.frames.addReception(dup.id, f.source, f.receivedAt, f.rssi);
          }
          if (added) {
            t.receptions++;
            if (f.rssi !== null && (dup.rssi === null || f.rssi > dup.rssi)) this.frames.setBest(dup.id, f.rssi, f.source);
          }
          t.duplicates++;
          results[index] = { index, status: 'duplicate', frameId: dup.id, meter: ident?.text ?? null, meterId: meter?.id ?? null };
          continue;
        }

        // Raw first (decision 3): the frame row is written whatever the decoder makes of the bytes
        // (it returns issues, never throws; a bug in it is caught and the frame kept as 'failed'),
        // and before the reading made from it.
        let out: { status: FrameStatus; reason: string | null; columns: ReadingColumns | null };
        let wired: MbusFrame | null = null;
        let logged: { at: number; columns: ReadingColumns }[] = [];
        if (link === 'kmp') {
          const k = this.#decodeKmp(tenantId, bytes, meter, ident!, f.receivedAt);
          out = { status: k.status, reason: k.reason, columns: null };
          logged = k.readings;
        } else if (link === 'mbus') {
          const w = this.#decodeWired(bytes, meter, ident);
          out = { status: w.status, reason: w.reason, columns: null };
          wired = w.frame;
        } else {
          out = this.#decode(tenantId, bytes, meter, ident, learnt, now);
        }
        const frameId = this.frames.insert({
          tenantId,
          link,
          digest,
          raw: bytes,
          meterId: meter?.id ?? null,
          address: meter ? null : (ident?.text ?? null),
          meterHint: link === 'kmp' ? ident!.text : null,
          receivedAt: f.receivedAt,
          rssi: f.rssi,
          source: f.source,
          status: out.status,
          reason: out.reason
        }, out.status === 'decoded' ? now : null);
        if (out.columns) {
          this.readings.put(meter!.id, f.receivedAt, out.columns);
          this.#wrote(tenantId, meter!.id);
        }
        for (const r of logged) this.#merge.put(meter!.id, r.at, r.columns);
        if (logged.length) this.#wrote(tenantId, meter!.id);
        t.stored++;
        t.receptions++;
        if (out.status === 'decoded') t.decoded++;
        else t.waiting++;
        const r: FrameResult = { index, status: out.status, frameId, meter: ident?.text ?? null, meterId: meter?.id ?? null };
        if (out.reason) r.reason = out.reason;
        results[index] = r;
        byFrame.set(frameId, r);
        if (wired) {
          const key = `${tenantId} ${meter!.id} ${f.source} ${f.receivedAt}`;
          let read = reads.get(key);
          if (read === undefined) reads.set(key, (read = { tenantId, meter: meter!, at: f.receivedAt, frames: [], frameIds: [] }));
          read.frames.push(wired);
          read.frameIds.push(frameId);
        }
      }

      // One reading per wired read: the records of all its telegrams (protocols.md §8.7).
      for (const read of reads.values()) {
        const made = this.#wiredReading(read.meter, read.frames);
        if (made.columns) {
          this.readings.put(read.meter.id, read.at, made.columns);
          this.#wrote(read.tenantId, read.meter.id);
        } else if (made.reason) {
          const t = tally.get(read.tenantId)!;
          for (const id of read.frameIds) {
            this.frames.setStatus(id, 'failed', made.reason, read.meter.id, null);
            const r = byFrame.get(id)!;
            r.status = 'failed';
            r.reason = made.reason;
            t.decoded--;
            t.waiting++;
          }
        }
      }

      // A full frame taught a compact format: keep it for every receiver, decode what waited for it.
      for (const tenantId of learnt) {
        const st = this.#tenants.get(tenantId)!;
        this.settings.putInternal(tenantId, SETTING_COMPACT_FORMATS, st.formats.toJSON());
        const waiting = this.frames.waiting(tenantId, { statuses: ['unknown-format'], limit: REDECODE_LIMIT });
        this.#redecodeRows(tenantId, waiting, now, (frameId, status, reason) => {
          const r = byFrame.get(frameId);
          if (!r) return;
          const t = tally.get(tenantId)!;
          if (status === 'decoded') {
            t.decoded++;
            t.waiting--;
          }
          r.status = status;
          if (reason) r.reason = reason;
          else delete r.reason;
        });
      }

      for (const [tenantId, t] of tally) {
        if (t.stored === 0 && t.receptions === 0) continue;
        const own = tenantId === actor.tenantId;
        audit(this.db, now, {
          tenantId,
          event: 'frames.ingested',
          userId: own ? actor.userId : null,
          actor: own ? actor.name : `${actor.name} (shared gateway)`,
          device: actor.device,
          details: { ...t }
        });
      }
      return results;
    });
  }

  /** Manufacturer and serial of the tenant's meters among `meterIds` (others' ids are skipped). */
  #identities(tenantId: number, meterIds: readonly number[]): { manufacturer: string; serial: string }[] {
    if (!meterIds.length) return [];
    // cross join: walk the id list, not the tenant's meters (see KeyStore.keysForMeters)
    return this.db
      .prepare('select m.manufacturer, m.serial from json_each(?) j cross join meter m on m.id = j.value where m.tenant_id = ?')
      .all(JSON.stringify([...new Set(meterIds)]), tenantId) as { manufacturer: string; serial: string }[];
  }

  /**
   * Keys of these meters were imported, changed or removed: update the tenant's ring and decode
   * again the frames of those meters that waited with 'no-key'. The key vault calls this after
   * its transaction commits.
   */
  keysChanged(tenantId: number, meterIds: readonly number[], now: number): RedecodeCounts {
    const st = this.#tenants.get(tenantId);
    if (st) {
      for (const m of this.#identities(tenantId, meterIds)) {
        try {
          st.ring.delete({ manufacturer: m.manufacturer, id: m.serial });
        } catch {
          // a serial the ring cannot hold never had a key in it
        }
      }
      addKeys(st.ring, this.#keys().keysForMeters(tenantId, meterIds));
      st.keyStamp = this.#keyStamp.get(tenantId) as string;
    }
    return this.#notifying(now, () => {
      const rows = this.frames.waiting(tenantId, { statuses: ['no-key'], meterIds, limit: REDECODE_LIMIT });
      return this.#redecodeRows(tenantId, rows, now);
    });
  }

  /**
   * Meters were created (or their identity changed): decode the tenant's frames that waited
   * with 'unknown-meter' for them. The meter registry and imports call this after committing.
   */
  metersChanged(tenantId: number, meterIds: readonly number[], now: number): RedecodeCounts {
    const wanted = new Set<string>();
    for (const m of this.#identities(tenantId, meterIds)) wanted.add(`${m.manufacturer} ${m.serial}`);
    if (wanted.size === 0) return { frames: 0, decoded: 0, waiting: 0 };
    return this.#notifying(now, () => {
      const rows = this.frames
        .waitingForMeters(tenantId, [...wanted], REDECODE_LIMIT)
        .filter((r) => wanted.has(r.address ?? identityOf(plainBytes(r.raw), r.link, r.meterHint)?.text ?? ''));
      return this.#redecodeRows(tenantId, rows, now);
    });
  }

  /**
   * Decode again the tenant's waiting frames (all waiting statuses unless given), with the key
   * ring and formats reloaded from the vault and settings. Audited with the counts.
   */
  redecode(actor: Actor, opts: { statuses?: readonly FrameStatus[]; meterIds?: readonly number[]; limit: number }, now: number): RedecodeCounts {
    this.#tenants.delete(actor.tenantId);
    return this.#notifying(now, () => {
      const rows = this.frames.waiting(actor.tenantId, {
        statuses: opts.statuses ?? WAITING_STATUSES,
        ...(opts.meterIds ? { meterIds: opts.meterIds } : {}),
        limit: opts.limit
      });
      const counts = this.#redecodeRows(actor.tenantId, rows, now);
      audit(this.db, now, {
        tenantId: actor.tenantId,
        event: 'frames.redecoded',
        userId: actor.userId,
        actor: actor.name,
        device: actor.device,
        details: { ...counts }
      });
      return counts;
    });
  }

  /** Calls `listener` after every committed batch that wrote readings; returns its removal. */
  onReadings(listener: ReadingsListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #wrote(tenantId: number, meterId: number): void {
    let set = this.#written.get(tenantId);
    if (set === undefined) this.#written.set(tenantId, (set = new Set()));
    set.add(meterId);
  }

  /** `work` in one transaction, then the listeners with the meters it gave readings. */
  #notifying<T>(now: number, work: () => T): T {
    this.#written.clear();
    let result: T;
    try {
      result = this.db.transaction(work)();
    } catch (err) {
      this.#written.clear();
      throw err;
    }
    const written = [...this.#written].map(([tenantId, ids]) => [tenantId, [...ids]] as const);
    this.#written.clear();
    for (const [tenantId, ids] of written) {
      for (const listener of this.#listeners) {
        try {
          listener(tenantId, ids, now);
        } catch (err) {
          console.error(`readings listener failed for tenant ${tenantId}:`, err);
        }
      }
    }
    return result;
  }

  /** Drops a tenant's cached key ring and formats (they are rebuilt on the next frame). */
  forget(tenantId: number): void {
    this.#tenants.delete(tenantId);
  }

  #keys(): KeySource {
    return this.keySource() ?? NO_KEYS;
  }

  #state(tenantId: number, now: number): TenantState {
    let st = this.#tenants.get(tenantId);
    if (st !== undefined && now - st.checkedAt >= KEY_CHECK_MS) {
      // a safety net: keys changed without keysChanged() (another process, a forgotten call)
      st.checkedAt = now;
      const stamp = this.#keyStamp.get(tenantId) as string;
      if (stamp !== st.keyStamp) {
        st.ring.clear();
        addKeys(st.ring, this.#keys().allKeys(tenantId));
        st.keyStamp = stamp;
      }
    }
    if (st === undefined) {
      const keyStamp = this.#keyStamp.get(tenantId) as string;
      const ring = new KeyRing();
      addKeys(ring, this.#keys().allKeys(tenantId));
      let formats: CompactFormatTable;
      try {
        const saved = this.settings.get(tenantId, SETTING_COMPACT_FORMATS) as CompactFormatsJson | undefined;
        formats = saved ? CompactFormatTable.fromJSON(saved) : new CompactFormatTable();
      } catch {
        formats = new CompactFormatTable(); // a damaged setting: start from the published formats again
      }
      st = { ring, formats, formatCount: formats.size, keyStamp, checkedAt: now };
      this.#tenants.set(tenantId, st);
    }
    return st;
  }

  /** What the decoder makes of a frame: its status, and the reading row when it decoded. Writes nothing. */
  #decode(
    tenantId: number,
    raw: Uint8Array,
    meter: Meter | undefined,
    ident: Identity | null,
    learnt: Set<number>,
    now: number
  ): { status: FrameStatus; reason: string | null; columns: ReadingColumns | null } {
    if (!meter && ident) return { status: 'unknown-meter', reason: `no meter ${ident.text} in this utility`, columns: null };
    const st = this.#state(tenantId, now);
    try {
      const r = decodeTelegram(raw, { keys: st.ring, formats: st.formats, explain: false });
      if (st.formats.size !== st.formatCount) {
        st.formatCount = st.formats.size;
        learnt.add(tenantId);
      }
      if (!r.ok) return { ...classify(r.issues), columns: null };
      if (!meter) return { status: 'failed', reason: 'the header names no meter', columns: null };
      const v = r.value;
      const address = v.tpl?.address ?? v.address;
      // the transport CI too: some drivers match on it (Techem MK radio, CI A2)
      const driver = (meter.driver ? driverById(meter.driver) : undefined) ?? findDriver(address, v.tpl?.ci);
      const input = { address, status: v.status, records: v.records, manufacturerData: v.manufacturerData ?? null };
      const reading = readPlanned(this.#plan(driver, v.records), input);
      const c = readingColumns(reading, v.status);
      const empty =
        c.energy === null && c.volume === null && c.flow === null && c.power === null && c.tFlow === null && c.tReturn === null && c.info === null && c.extra === null;
      return { status: 'decoded', reason: null, columns: empty ? null : c };
    } catch (err) {
      // our decoder's bug, not the frame's: keep the frame, say so
      return { status: 'failed', reason: clean(`decoder error: ${err instanceof Error ? err.message : String(err)}`), columns: null };
    }
  }

  /**
   * One KMP answer of the meter its sender named (kmp.ts): 'unknown-meter' while the tenant has no
   * such meter, 'failed' for bad bytes (a wrong CRC never becomes a reading, protocols.md §5.2) or
   * an answer naming another serial, else 'decoded' with its readings: a register answer at
   * `receivedAt`, logger records at their own time on the utility's clock.
   */
  #decodeKmp(
    tenantId: number,
    raw: Uint8Array,
    meter: Meter | undefined,
    ident: Identity | null,
    receivedAt: number
  ): { status: FrameStatus; reason: string | null; readings: { at: number; columns: ReadingColumns }[] } {
    if (!ident) return { status: 'failed', reason: 'no meter named for this KMP answer', readings: [] };
    try {
      const d = decodeKmp(raw, ident, this.readings.timeZone(tenantId));
      if (d.status === 'failed') return { status: 'failed', reason: clean(d.reason ?? 'not decodable'), readings: [] };
      if (!meter) return { status: 'unknown-meter', reason: `no meter ${ident.text} in this utility`, readings: [] };
      return { status: 'decoded', reason: d.reason, readings: d.readings.map((r) => ({ at: r.at ?? receivedAt, columns: r.columns })) };
    } catch (err) {
      // our decoder's bug, not the frame's: keep the frame, say so
      return { status: 'failed', reason: clean(`decoder error: ${err instanceof Error ? err.message : String(err)}`), readings: [] };
    }
  }

  /**
   * One wired telegram on its own: 'failed' when it is not a valid RSP_UD (a wrong checksum never
   * becomes a reading, EN 13757-2 via protocols.md §8.2), 'unknown-meter' while the tenant has no
   * meter with its header's identity, else 'decoded' with the frame (its reading is made per read).
   */
  #decodeWired(raw: Uint8Array, meter: Meter | undefined, ident: Identity | null): { status: FrameStatus; reason: string | null; frame: MbusFrame | null } {
    const d = decodeMbusFrame(raw);
    if (!d.ok) return { ...classify(d.issues), frame: null };
    if (!meter && ident) return { status: 'unknown-meter', reason: `no meter ${ident.text} in this utility`, frame: null };
    if (!meter || !d.value.address) return { status: 'failed', reason: 'the frame has no long transport header (CI 72) naming a meter', frame: null };
    return { status: 'decoded', reason: null, frame: d.value };
  }

  /**
   * The reading of one wired read: the records of its telegrams in order (DIF 1F "more records
   * follow" ends all but the last, EN 13757-3 via protocols.md §8.7) read by the meter's driver.
   * `reason` when the driver failed (our bug: the frames are kept as 'failed').
   */
  #wiredReading(meter: Meter, frames: readonly MbusFrame[]): { columns: ReadingColumns | null; reason: string | null } {
    try {
      const input = mergeTelegrams(frames);
      const driver = (meter.driver ? driverById(meter.driver) : undefined) ?? findDriver(input.address);
      const reading = readPlanned(this.#plan(driver, input.records), input);
      const c = readingColumns(reading, input.status);
      const empty =
        c.energy === null && c.volume === null && c.flow === null && c.power === null && c.tFlow === null && c.tReturn === null && c.info === null && c.extra === null;
      return { columns: empty ? null : c, reason: null };
    } catch (err) {
      return { columns: null, reason: clean(`decoder error: ${err instanceof Error ? err.message : String(err)}`) };
    }
  }

  /**
   * Decodes again the wired read `row` belongs to: every stored telegram with its source, time and
   * identity, so that the read still makes one reading. Marks them in `done`.
   */
  #redecodeWired(
    tenantId: number,
    row: WaitingFrame,
    now: number,
    done: Set<number>,
    counts: RedecodeCounts,
    onResult?: (frameId: number, status: FrameStatus, reason: string | null) => void
  ): void {
    const ident = parseIdentity(row.address) ?? mbusIdentity(plainBytes(row.raw));
    let meter: Meter | undefined;
    if (row.meterId !== null) meter = this.#meterById.get(row.meterId, tenantId) as Meter | undefined;
    if (!meter && ident) meter = this.frames.meterByAddress(tenantId, ident.manufacturer, ident.serial);
    const group = ident
      ? this.frames.mbusRead(tenantId, row.source, row.receivedAt).filter((f) => {
          if (meter && f.meterId === meter.id) return true;
          return (parseIdentity(f.address) ?? mbusIdentity(plainBytes(f.raw)))?.text === ident.text;
        })
      : [row];
    const decoded: MbusFrame[] = [];
    const ids: number[] = [];
    for (const f of group) {
      done.add(f.id);
      const out = this.#decodeWired(plainBytes(f.raw), meter, ident);
      this.frames.setStatus(f.id, out.status, out.reason, meter?.id ?? null, out.status === 'decoded' ? now : null);
      counts.frames++;
      if (out.frame) {
        decoded.push(out.frame);
        ids.push(f.id);
      } else {
        counts.waiting++;
        onResult?.(f.id, out.status, out.reason);
      }
    }
    if (!decoded.length) return;
    const made = this.#wiredReading(meter!, decoded);
    if (made.columns) {
      this.readings.put(meter!.id, row.receivedAt, made.columns);
      this.#wrote(tenantId, meter!.id);
    }
    for (const id of ids) {
      if (made.reason) {
        this.frames.setStatus(id, 'failed', made.reason, meter!.id, null);
        counts.waiting++;
      } else counts.decoded++;
      onResult?.(id, made.reason ? 'failed' : 'decoded', made.reason);
    }
  }

  /** The driver's plan for this record layout (readPlanned gives what applyDriver would). */
  #plan(driver: Driver, records: readonly DataRecord[]): ReadingPlan {
    let byLayout = this.#plans.get(driver);
    if (byLayout === undefined) {
      byLayout = new Map();
      this.#plans.set(driver, byLayout);
    }
    const key = layoutKey(records);
    let plan = byLayout.get(key);
    if (plan === undefined) {
      if (byLayout.size >= MAX_PLANS) byLayout.clear();
      plan = planReading(driver, records);
      byLayout.set(key, plan);
    }
    return plan;
  }

  /** Decodes stored frames again; `onResult` sees each new outcome. Call inside a transaction. */
  #redecodeRows(
    tenantId: number,
    rows: readonly WaitingFrame[],
    now: number,
    onResult?: (frameId: number, status: FrameStatus, reason: string | null) => void
  ): RedecodeCounts {
    const counts: RedecodeCounts = { frames: 0, decoded: 0, waiting: 0 };
    const learnt = new Set<number>();
    const done = new Set<number>();
    for (const row of rows) {
      if (done.has(row.id)) continue;
      if (row.link === 'mbus') {
        this.#redecodeWired(tenantId, row, now, done, counts, onResult);
        continue;
      }
      counts.frames++;
      let meter: Meter | undefined;
      if (row.meterId !== null) meter = this.#meterById.get(row.meterId, tenantId) as Meter | undefined;
      const raw = plainBytes(row.raw);
      // the address column is empty while a meter is linked; a frame unlinked since reads it from its bytes
      const ident = row.link === 'kmp' ? kmpIdentity(row.meterHint) : (parseIdentity(row.address) ?? identityOf(raw, row.link, null));
      if (!meter && ident) meter = this.frames.meterByAddress(tenantId, ident.manufacturer, ident.serial);
      if (row.link === 'kmp') {
        const k = this.#decodeKmp(tenantId, raw, meter, ident, row.receivedAt);
        this.frames.setStatus(row.id, k.status, k.reason, meter?.id ?? null, k.status === 'decoded' ? now : null);
        for (const r of k.readings) this.#merge.put(meter!.id, r.at, r.columns);
        if (k.readings.length) this.#wrote(tenantId, meter!.id);
        if (k.status === 'decoded') counts.decoded++;
        else counts.waiting++;
        onResult?.(row.id, k.status, k.reason);
        continue;
      }
      const out = this.#decode(tenantId, raw, meter, ident, learnt, now);
      this.frames.setStatus(row.id, out.status, out.reason, meter?.id ?? null, out.status === 'decoded' ? now : null);
      if (out.columns) {
        this.readings.put(meter!.id, row.receivedAt, out.columns);
        this.#wrote(tenantId, meter!.id);
      }
      if (out.status === 'decoded') counts.decoded++;
      else counts.waiting++;
      onResult?.(row.id, out.status, out.reason);
    }
    for (const t of learnt) this.settings.putInternal(t, SETTING_COMPACT_FORMATS, this.#tenants.get(t)!.formats.toJSON());
    return counts;
  }
}
