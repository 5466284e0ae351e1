import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/connection.js';
import type { SettingStore } from '../store/settings.js';
import { auditAs } from '../store/registry.js';
import { GENERIC_DIGITAL_OUTPUT, parseValveProfile, type ValveProfile } from '../../../shared/mbus/valve.js';

// Valve profiles per utility (M11): the EN 13757-3 digital output profile everyone has, plus
// profiles the utility configures for models whose command is not public (Kamstrup's Thermal
// Disconnect: the SND_UD data and the state record come from Kamstrup, protocols.md §8.9),
// stored in the settings as one JSON object by id.

export const SETTING_VALVE_PROFILES = 'mbus-valve-profiles';

/** Configured profiles of a tenant, by id; damaged entries are left out. */
function configured(settings: SettingStore, tenantId: number): Map<string, ValveProfile> {
  const raw = settings.get(tenantId, SETTING_VALVE_PROFILES);
  const out = new Map<string, ValveProfile>();
  if (!raw || typeof raw !== 'object') return out;
  for (const v of Object.values(raw as Record<string, unknown>)) {
    try {
      const p = parseValveProfile(v);
      out.set(p.id, p);
    } catch {
      // a profile that no longer validates is not offered
    }
  }
  return out;
}

/** The generic profile first, then the configured ones by name. */
export function valveProfiles(settings: SettingStore, tenantId: number): ValveProfile[] {
  const own = [...configured(settings, tenantId).values()].sort((a, b) => a.name.localeCompare(b.name));
  return [GENERIC_DIGITAL_OUTPUT, ...own];
}

export function valveProfile(settings: SettingStore, tenantId: number, id: string): ValveProfile | undefined {
  if (id === GENERIC_DIGITAL_OUTPUT.id) return GENERIC_DIGITAL_OUTPUT;
  return configured(settings, tenantId).get(id);
}

/**
 * Adds or replaces a configured profile (audited). RangeError naming the field for a profile that
 * does not validate, or for the built-in id.
 */
export function putValveProfile(db: Db, settings: SettingStore, actor: Actor, id: string, body: Record<string, unknown>, now: number): ValveProfile {
  if (id === GENERIC_DIGITAL_OUTPUT.id) throw new RangeError(`id: "${id}" is the built-in EN 13757-3 profile and cannot be changed; give your profile another id`);
  if (body.id !== undefined && body.id !== id) throw new RangeError(`id: the body says "${String(body.id).slice(0, 64)}", the path "${id}"`);
  const profile = parseValveProfile({ ...body, id });
  db.transaction(() => {
    const all = Object.fromEntries(configured(settings, actor.tenantId));
    const before = all[id] ?? null;
    all[id] = profile;
    settings.putInternal(actor.tenantId, SETTING_VALVE_PROFILES, all);
    auditAs(db, actor, now, 'mbus.valve-profile.saved', { profileId: id, before, after: profile });
  })();
  return profile;
}

/**
 * Removes a configured profile (audited with what it was). RangeError for the built-in id;
 * undefined when the tenant has no such profile. The caller refuses while a device uses it.
 */
export function deleteValveProfile(db: Db, settings: SettingStore, actor: Actor, id: string, now: number): ValveProfile | undefined {
  if (id === GENERIC_DIGITAL_OUTPUT.id) throw new RangeError(`id: "${id}" is the built-in EN 13757-3 profile and cannot be deleted`);
  return db.transaction(() => {
    const all = Object.fromEntries(configured(settings, actor.tenantId));
    const before = all[id];
    if (!before) return undefined;
    delete all[id];
    settings.putInternal(actor.tenantId, SETTING_VALVE_PROFILES, all);
    auditAs(db, actor, now, 'mbus.valve-profile.deleted', { profileId: id, before });
    return before;
  })();
}
