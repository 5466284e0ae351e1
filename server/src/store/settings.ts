import { audit } from '../audit.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';

// Per-tenant settings, one JSON value per key (table `setting`). Settings people change are
// audited; state the system keeps for itself (the learnt compact formats, the thinning
// watermark) is written with `putInternal` inside the transaction of the work that produced it.

/** Thinning (M18): all readings for `keepAllDays`, then the last of each day up to `keepDailyYears`. */
export interface ThinningSettings {
  keepAllDays: number;
  keepDailyYears: number;
  /** Local time of day ("03:00", the tenant's time zone) after which the daily run starts. */
  runAt: string;
}

export const DEFAULT_THINNING: ThinningSettings = { keepAllDays: 396, keepDailyYears: 5, runAt: '03:00' };

export const SETTING_THINNING = 'thinning';
export const SETTING_COMPACT_FORMATS = 'compact-formats';
export const SETTING_THINNING_STATE = 'thinning-state';

export class SettingStore {
  readonly #get;
  readonly #put;
  readonly #zone;

  constructor(private readonly db: Db) {
    this.#get = db.prepare('select value from setting where tenant_id = ? and key = ?').pluck();
    this.#put = db.prepare(
      'insert into setting (tenant_id, key, value) values (?, ?, ?) on conflict (tenant_id, key) do update set value = excluded.value'
    );
    this.#zone = db.prepare('select time_zone from tenant where id = ?').pluck();
  }

  /** The stored JSON value, or undefined. A damaged value reads as undefined (the default applies). */
  get(tenantId: number, key: string): unknown {
    const raw = this.#get.get(tenantId, key) as string | undefined;
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return undefined;
    }
  }

  /** The raw JSON text, for callers that parse it themselves. */
  getText(tenantId: number, key: string): string | undefined {
    return this.#get.get(tenantId, key) as string | undefined;
  }

  /** System state, not audited: call inside the transaction of the work that produced it. */
  putInternal(tenantId: number, key: string, value: unknown): void {
    this.#put.run(tenantId, key, JSON.stringify(value));
  }

  timeZone(tenantId: number): string {
    return (this.#zone.get(tenantId) as string | undefined) ?? 'UTC';
  }

  thinning(tenantId: number): ThinningSettings {
    const v = this.get(tenantId, SETTING_THINNING) as Partial<ThinningSettings> | undefined;
    return { ...DEFAULT_THINNING, ...(v && typeof v === 'object' ? v : {}) };
  }

  setThinning(actor: Actor, value: ThinningSettings, now: number): ThinningSettings {
    const before = this.thinning(actor.tenantId);
    this.db.transaction(() => {
      this.#put.run(actor.tenantId, SETTING_THINNING, JSON.stringify(value));
      audit(this.db, now, {
        tenantId: actor.tenantId,
        event: 'settings.changed',
        userId: actor.userId,
        actor: actor.name,
        device: actor.device,
        details: { key: SETTING_THINNING, before, after: value }
      });
    })();
    return this.thinning(actor.tenantId);
  }
}
