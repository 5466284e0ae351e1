import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import { auditAs } from '../store/registry.js';
import type { SettingStore } from '../store/settings.js';
import { DEFAULT_POOR_BELOW } from './performance.js';

// The utility's saved "poor" threshold of the reading-performance report (M7), one setting per
// tenant; a change is audited as settings.changed like the other settings people change.

export const SETTING_PERFORMANCE = 'reports.performance';

export interface PerformanceSettings {
  /** Share of expected messages (%) below which a meter counts as a poor performer. */
  poorBelow: number;
}

export function performanceSettings(settings: SettingStore, tenantId: number): PerformanceSettings {
  const v = settings.get(tenantId, SETTING_PERFORMANCE) as Partial<PerformanceSettings> | undefined;
  const poorBelow = v && typeof v.poorBelow === 'number' && v.poorBelow >= 0 && v.poorBelow <= 100 ? v.poorBelow : DEFAULT_POOR_BELOW;
  return { poorBelow };
}

export function setPerformanceSettings(db: Db, settings: SettingStore, actor: Actor, value: PerformanceSettings, now: number): PerformanceSettings {
  db.transaction(() => {
    const before = performanceSettings(settings, actor.tenantId);
    db.prepare(
      'insert into setting (tenant_id, key, value) values (?, ?, ?) on conflict (tenant_id, key) do update set value = excluded.value'
    ).run(actor.tenantId, SETTING_PERFORMANCE, JSON.stringify(value));
    auditAs(db, actor, now, 'settings.changed', { key: SETTING_PERFORMANCE, before, after: value });
  })();
  return performanceSettings(settings, actor.tenantId);
}
