import type { ValveProfile } from '../mbus-api';

// The valve profile form's text fields to the wire profile (shared/mbus/valve.ts). Byte values
// (CI, mask, open value) are typed as hex, as manufacturers print them; only what cannot become a
// number is refused here, every other rule is the server's (parseValveProfile) and its word is
// shown at the field.

export interface ProfileText {
  name: string;
  openCi: string;
  openData: string;
  closeCi: string;
  closeData: string;
  difvif: string;
  mask: string;
  openValue: string;
}

/** Field names as the server names them in its 422 (open.ci, state.mask, …). */
export type ProfileField = 'id' | 'name' | 'open.ci' | 'open.data' | 'close.ci' | 'close.data' | 'close' | 'state.difvif' | 'state.mask' | 'state.openValue';

export function textOf(p: ValveProfile | null): ProfileText {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
  return {
    name: p?.name ?? '',
    openCi: p ? hex(p.open.ci) : '51',
    openData: p?.open.data ?? '',
    closeCi: p ? hex(p.close.ci) : '51',
    closeData: p?.close.data ?? '',
    difvif: p?.state.difvif ?? '',
    mask: p ? hex(p.state.mask) : '',
    openValue: p ? hex(p.state.openValue) : ''
  };
}

/** "51", "0x51" → 81; null for anything else. At most 8 hex digits (a 32-bit mask). */
export function parseHexNumber(text: string): number | null {
  const t = text.trim().replace(/^0x/i, '');
  return /^[0-9a-f]{1,8}$/i.test(t) ? parseInt(t, 16) : null;
}

/** A new profile's id from its name: "Kamstrup TD 403" → "kamstrup-td-403", unique among `taken`. */
export function idFromName(name: string, taken: readonly string[]): string {
  const base =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9.]+/g, '-')
      .replace(/^[-.]+|-+$/g, '')
      .slice(0, 58) || 'profile';
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}-${n}`;
  return id;
}

/** The profile to send, or the fields that are not numbers. */
export function profileOf(id: string, t: ProfileText): { profile: ValveProfile } | { errors: Partial<Record<ProfileField, string>> } {
  const errors: Partial<Record<ProfileField, string>> = {};
  const byte = (field: ProfileField, text: string, what: string) => {
    const n = parseHexNumber(text);
    if (n === null || n > 0xff) errors[field] = `${what}: expected one byte in hex, 00–FF (got "${text.trim().slice(0, 20)}")`;
    return n ?? 0;
  };
  const word = (field: ProfileField, text: string, what: string) => {
    const n = parseHexNumber(text);
    if (n === null) errors[field] = `${what}: expected hex, e.g. 01 (got "${text.trim().slice(0, 20)}")`;
    return n ?? 0;
  };
  const profile: ValveProfile = {
    id,
    name: t.name.trim(),
    open: { ci: byte('open.ci', t.openCi, 'CI'), data: t.openData },
    close: { ci: byte('close.ci', t.closeCi, 'CI'), data: t.closeData },
    state: { difvif: t.difvif, mask: word('state.mask', t.mask, 'mask'), openValue: word('state.openValue', t.openValue, 'open value') }
  };
  return Object.keys(errors).length ? { errors } : { profile };
}
