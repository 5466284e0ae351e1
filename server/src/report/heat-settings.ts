import { audit } from '../audit.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import type { SettingStore } from '../store/settings.js';

// The utility's thresholds for the heat reports (M5) and heat-network analytics (B3), one JSON
// setting per tenant; a report run may override them. Changes are audited (settings.changed).

export interface HeatThresholds {
  /** ΔT (K) at or above which a heat installation cools well. */
  good: number;
  /** ΔT (K) below which it cools poorly; between poor and good is fair. */
  poor: number;
  /** Mean return temperature (°C) above which an installation is flagged. */
  returnMax: number;
  /** Volume per energy (m3/MWh) above which an installation is flagged for excess flow. */
  flowMax: number;
}

export const SETTING_HEAT = 'reports.heat';

/**
 * Defaults: ΔT 30 K and more is good cooling and under 20 K poor on a network supplied at
 * 70-80 °C; returns above 45 °C waste supply capacity and raise losses; 35 m3/MWh is the flow a
 * ΔT of about 25 K needs (1 MWh / (1.16 kWh/(m3·K) · 25 K) ≈ 34 m3).
 */
export const DEFAULT_HEAT: HeatThresholds = { good: 30, poor: 20, returnMax: 45, flowMax: 35 };

export function heatThresholds(settings: SettingStore, tenantId: number): HeatThresholds {
  const v = settings.get(tenantId, SETTING_HEAT);
  const out = { ...DEFAULT_HEAT };
  if (v && typeof v === 'object') {
    for (const k of Object.keys(DEFAULT_HEAT) as (keyof HeatThresholds)[]) {
      const x = (v as Record<string, unknown>)[k];
      if (typeof x === 'number' && Number.isFinite(x)) out[k] = x;
    }
  }
  return out;
}

/** Saves the thresholds with one audit entry (before and after) in the same transaction. */
export function setHeatThresholds(db: Db, settings: SettingStore, actor: Actor, value: HeatThresholds, now: number): HeatThresholds {
  const before = heatThresholds(settings, actor.tenantId);
  db.transaction(() => {
    settings.putInternal(actor.tenantId, SETTING_HEAT, value);
    audit(db, now, {
      tenantId: actor.tenantId,
      event: 'settings.changed',
      userId: actor.userId,
      actor: actor.name,
      device: actor.device,
      details: { key: SETTING_HEAT, before, after: value }
    });
  })();
  return heatThresholds(settings, actor.tenantId);
}
