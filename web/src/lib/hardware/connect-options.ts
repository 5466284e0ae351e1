// The choices of the connection panel (ConnectPanel.svelte) without the UI: how the receiver is
// reached, which receiver, which link mode; what is remembered for next time; why a choice is
// not available here; and the one status line the panel shows.

import type { ReadoutDb } from '$lib/db';
import type { ReceiverKind, ReceiverLink } from '$lib/state/connection.svelte';
import { amberProtocol } from './devices/amb8465';
import { culProtocol } from './devices/cul';
import { im871aProtocol } from './devices/im871a';
import { iu891aProtocol } from './devices/iu891a';
import type { RadioMode } from './devices/receiver';
import { simKindOf } from './sim/from-route';
import { failureHelp, supportText, type FailureHelp, type HardwareSupport } from './support';
import type { TransportError } from './transport';

/** A real link, or the simulated iM871A driving the device's route (no hardware). */
export type ConnectVia = ReceiverLink | 'simulated';

export interface ConnectChoice {
  via: ConnectVia;
  kind: ReceiverKind;
  mode: RadioMode;
  /** Serial chooser without the USB-chip filter, for a stick whose chip we do not list. */
  showAllPorts: boolean;
  /** Simulated drive: virtual seconds per real second. */
  simSpeed: number;
}

export const CHOICE_META = 'connect.choice';

export const RECEIVER_CHOICES: ReadonlyArray<{ kind: ReceiverKind; label: string; modes: readonly RadioMode[] }> = [
  { kind: 'im871a', label: 'IMST iM871A', modes: im871aProtocol.modes },
  { kind: 'iu891a', label: 'IMST iU891A', modes: iu891aProtocol.modes },
  { kind: 'amb8465', label: 'Amber AMB8465 / Metis-II', modes: amberProtocol().modes },
  { kind: 'cul', label: 'CUL / nanoCUL (culfw)', modes: culProtocol.modes }
];

/** protocols.md §9: Kamstrup drive-by meters send C1 every 16 s; OMS meters in T1 every 15 min. */
export const MODE_LABEL: Record<RadioMode, string> = {
  C1: 'C1 (Kamstrup drive-by)',
  T1: 'T1 (OMS meters)',
  C1T1: 'C1 + T1 (both)'
};

export const SIM_SPEEDS: readonly number[] = [1, 5, 20];

export const DEFAULT_CHOICE: ConnectChoice = { via: 'serial', kind: 'im871a', mode: 'C1T1', showAllPorts: false, simSpeed: 1 };

export function modesOf(kind: ReceiverKind): readonly RadioMode[] {
  return RECEIVER_CHOICES.find((r) => r.kind === kind)?.modes ?? ['C1'];
}

/** The simulated receiver is an iM871A: its kind whatever was chosen for real hardware. */
export const kindUsed = (c: ConnectChoice): ReceiverKind => (c.via === 'simulated' ? 'im871a' : c.kind);

/** A stored or edited choice made whole: unknown values fall back, the mode is one the receiver has. */
export function normaliseChoice(raw: unknown): ConnectChoice {
  const r = (raw !== null && typeof raw === 'object' ? raw : {}) as Partial<Record<keyof ConnectChoice, unknown>>;
  const via = r.via === 'serial' || r.via === 'bluetooth' || r.via === 'simulated' ? r.via : DEFAULT_CHOICE.via;
  const kind = RECEIVER_CHOICES.some((c) => c.kind === r.kind) ? (r.kind as ReceiverKind) : DEFAULT_CHOICE.kind;
  const modes = modesOf(via === 'simulated' ? 'im871a' : kind);
  const mode = modes.includes(r.mode as RadioMode) ? (r.mode as RadioMode) : modes.includes('C1T1') ? 'C1T1' : modes[0];
  const simSpeed = SIM_SPEEDS.includes(r.simSpeed as number) ? (r.simSpeed as number) : DEFAULT_CHOICE.simSpeed;
  return { via, kind, mode, showAllPorts: r.showAllPorts === true, simSpeed };
}

export async function loadChoice(db: ReadoutDb): Promise<ConnectChoice> {
  return normaliseChoice((await db.meta.get(CHOICE_META))?.value);
}

export async function saveChoice(db: ReadoutDb, choice: ConnectChoice): Promise<void> {
  await db.meta.put({ key: CHOICE_META, value: normaliseChoice(choice) });
}

/** What the simulated drive would have to work with on this device. */
export interface SimReadiness {
  routeMeters: number;
  keys: number;
  /** Route meters with a position, a stored key and a medium the simulation sends (heat, water). */
  usable: number;
}

export async function simReadiness(db: ReadoutDb): Promise<SimReadiness> {
  const [rows, keyed] = await Promise.all([db.route.toArray(), db.keys.toCollection().primaryKeys()]);
  const keys = new Set(keyed);
  const usable = rows.filter((r) => r.position !== null && keys.has(r.meterKey) && simKindOf(r) !== null).length;
  return { routeMeters: rows.length, keys: keys.size, usable };
}

export type Availability = { ok: true } | { ok: false; reason: string; help: FailureHelp | null };

/** Which API's help applies (the simulated receiver runs through the Web Serial adapter). */
export const apiOf = (via: ConnectVia): 'serial' | 'bluetooth' => (via === 'bluetooth' ? 'bluetooth' : 'serial');

/** Whether Connect can work for `via` here; if not, the reason in one sentence and the steps. */
export function availability(via: ConnectVia, support: HardwareSupport, sim: SimReadiness | null): Availability {
  if (via !== 'simulated') {
    if (!support.secureContext) return { ok: false, reason: supportText(via, support), help: failureHelp('insecure-context', via) };
    if (!support[via]) return { ok: false, reason: supportText(via, support), help: failureHelp('unsupported', via) };
    return { ok: true };
  }
  // The keys are unwrapped with WebCrypto, which exists only in a secure context.
  if (!support.secureContext) return { ok: false, reason: 'The simulated receiver needs the page over https (or localhost) to unlock the meter keys.', help: failureHelp('insecure-context', 'serial') };
  if (sim === null) return { ok: false, reason: 'Checking the route on this device…', help: null };
  if (sim.routeMeters === 0) return { ok: false, reason: 'No route on this device yet: get one with Send/Receive, then drive it here without hardware.', help: null };
  if (sim.keys === 0) return { ok: false, reason: 'No meter keys on this device: the simulated meters encrypt with the route’s keys. Get them with Send/Receive.', help: null };
  if (sim.usable === 0) {
    return { ok: false, reason: `None of the ${sim.routeMeters} route meters has a position, a key and a medium the simulation sends (heat or water).`, help: null };
  }
  return { ok: true };
}

/** What the panel needs of the connection (state/connection.svelte.ts). */
export interface ConnectionView {
  status: 'idle' | 'opening' | 'open' | 'lost';
  name: string | null;
  mode: RadioMode | null;
  telegrams: number;
  reconnecting: number;
  attempts: number;
  step: string | null;
  failure: TransportError | null;
  /** Why the open connection went away (the reconnect attempts may fail for other reasons). */
  dropped: TransportError | null;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** The one status line: opening with its step, open with device, mode and count, reconnecting n of m, gave up. */
export function statusText(c: ConnectionView): string {
  switch (c.status) {
    case 'idle':
      return c.failure ? 'Not connected' : 'Not connected. Choose the receiver and press Connect.';
    case 'opening':
      return c.step ? `Connecting: ${c.step}…` : 'Connecting…';
    case 'open':
      return `Connected to ${c.name ?? 'the receiver'}${c.mode ? `, ${MODE_LABEL[c.mode]}` : ''}: ${plural(c.telegrams, 'telegram', 'telegrams')} received`;
    case 'lost':
      return c.reconnecting > 0
        ? `Connection lost. Reconnecting (attempt ${c.reconnecting} of ${c.attempts})…`
        : `Connection lost. Gave up after ${plural(c.attempts, 'attempt', 'attempts')}.`;
  }
}

/**
 * The failure whose help belongs on screen: a failed connect's; once reconnecting gave up, the
 * drop's (after an unplug, "the port is in use" from the last reopen would send the reader the
 * wrong way); none while it still tries or runs.
 */
export function helpFailure(c: Pick<ConnectionView, 'status' | 'reconnecting' | 'failure' | 'dropped'>): TransportError | null {
  const settled = c.status === 'idle' || (c.status === 'lost' && c.reconnecting === 0);
  return settled ? (c.dropped ?? c.failure) : null;
}
