// Valves and remote disconnection on wired M-Bus (M11, protocols.md §8.9): a profile says which
// SND_UD opens and closes a model's valve and which record carries its state. The generic
// profile is EN 13757-3's digital output (VIF FD 1A) read back on digital input (FD 1B);
// models whose command is not public (Kamstrup's Thermal Disconnect) get a configured profile.

import { z } from 'zod';
import type { MbusFrame } from './frame.js';
import type { MbusMaster, MbusTarget } from './master.js';

export interface ValveProfile {
  id: string;
  name: string;
  open: { ci: number; data: string /* hex */ };
  close: { ci: number; data: string };
  /** The record that carries the state: DIF+VIF(+VIFE) as hex, and which bits mean open. */
  state: { difvif: string; mask: number; openValue: number };
}

export type ValveState = 'open' | 'closed' | 'unknown';

/** EN 13757-3 digital output / input (protocols.md §8.9): SND_UD CI 51 "01 FD 1A xx", state on "01 FD 1B". */
export const GENERIC_DIGITAL_OUTPUT: ValveProfile = Object.freeze({
  id: 'en13757-digital-output',
  name: 'EN 13757-3 digital output (VIF FD 1A, state on FD 1B)',
  open: Object.freeze({ ci: 0x51, data: '01FD1A01' }),
  close: Object.freeze({ ci: 0x51, data: '01FD1A00' }),
  state: Object.freeze({ difvif: '01FD1B', mask: 0x01, openValue: 0x01 })
}) as ValveProfile;

const Byte = z.number().int().min(0).max(255);
const Hex = (what: string, maxBytes: number) =>
  z
    .string()
    .transform((s) => s.replace(/\s+/g, '').toUpperCase())
    .refine((s) => /^(?:[0-9A-F]{2})*$/.test(s), { message: `${what}: expected hex bytes (pairs of 0-9/A-F)` })
    .refine((s) => s.length / 2 <= maxBytes, { message: `${what}: at most ${maxBytes} bytes fit one frame` });

const Command = (what: string) => z.object({ ci: Byte, data: Hex(`${what}.data`, 252) }).strict();

const Profile = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, { message: 'id: expected 1-64 characters a-z, 0-9, "." or "-", starting with a letter or digit' }),
    name: z.string().trim().min(1, { message: 'name: must not be empty' }).max(100),
    open: Command('open'),
    close: Command('close'),
    state: z
      .object({
        difvif: Hex('state.difvif', 22).refine((s) => s.length >= 4, { message: 'state.difvif: expected at least a DIF and a VIF (2 bytes)' }),
        mask: z.number().int().min(1).max(0xffffffff),
        openValue: z.number().int().min(0).max(0xffffffff)
      })
      .strict()
      .refine((s) => (s.openValue & ~s.mask) >>> 0 === 0, { message: 'state.openValue: has bits outside state.mask', path: ['openValue'] })
  })
  .strict()
  .refine((p) => p.open.ci !== p.close.ci || p.open.data !== p.close.data, { message: 'open and close send the same frame', path: ['close'] });

/**
 * Checks a configured profile (e.g. from settings) and normalises its hex. Throws RangeError
 * listing each bad field: "valve profile: open.data: expected hex bytes …".
 */
export function parseValveProfile(json: unknown): ValveProfile {
  const r = Profile.safeParse(json);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const path = i.path.join('.');
      return i.message.startsWith(path) || path === '' ? i.message : `${path}: ${i.message}`;
    });
    throw new RangeError(`valve profile: ${lines.join('; ')}`);
  }
  return r.data;
}

/**
 * The valve state a RSP_UD shows under a profile: the first record with the profile's DIF/VIF,
 * its integer value masked; 'unknown' when the frame has no such record.
 */
export function valveState(profile: ValveProfile, frame: MbusFrame): ValveState {
  const key = profile.state.difvif.toUpperCase();
  const rec = frame.records.find((r) => r.difvif === key);
  if (rec === undefined) return 'unknown';
  const v = rec.raw ?? rec.value;
  if (typeof v !== 'number' || !Number.isInteger(v)) return 'unknown';
  return ((v & profile.state.mask) >>> 0) === profile.state.openValue ? 'open' : 'closed';
}

function hexBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Opens or closes a valve with a profile's command, then reads the meter back and returns the
 * state it reports (the caller audits and stores it). MbusError on a failed exchange.
 */
export async function switchValve(
  master: MbusMaster,
  target: MbusTarget,
  profile: ValveProfile,
  action: 'open' | 'close',
  signal?: AbortSignal
): Promise<{ state: ValveState; frames: Uint8Array[] }> {
  const cmd = action === 'open' ? profile.open : profile.close;
  await master.sendUserData(target, cmd.ci, hexBytes(cmd.data), signal);
  const read = await master.read(target, { signal });
  let state: ValveState = 'unknown';
  for (const f of read.decoded) {
    const s = valveState(profile, f);
    if (s !== 'unknown') state = s;
  }
  return { state, frames: read.frames };
}
