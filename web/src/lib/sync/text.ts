// Words and numbers for the Send/Receive screen and button ("Sending 3,000 of 12,400 telegrams…").

import { ApiError } from '$lib/api/client';
import { isAbort } from './context';
import type { SyncRun } from './log';

const NUMBER = new Intl.NumberFormat('en-US');

export const count = (n: number): string => NUMBER.format(n);

/** "1 telegram", "3,000 telegrams". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

export type SyncPhase = 'idle' | 'checking' | 'sending' | 'exchanges' | 'receiving' | 'storing' | 'decoding';

export function phaseText(phase: SyncPhase, done: number, total: number): string {
  switch (phase) {
    case 'checking':
      return 'Checking this device with the server…';
    case 'sending':
      return total === 0 ? 'Nothing to send…' : `Sending ${count(done)} of ${plural(total, 'telegram')}…`;
    case 'exchanges':
      return 'Sending meter exchanges…';
    case 'receiving':
      return total === 0 ? 'Receiving the route…' : `Receiving the route: ${count(done)} of ${plural(total, 'meter')}…`;
    case 'storing':
      return 'Storing the route and keys…';
    case 'decoding':
      return 'Decoding telegrams that waited for a key…';
    default:
      return '';
  }
}

/** A failure as a person reads it; `device` names this device. */
export function errorText(e: unknown, device: string): string {
  if (isAbort(e)) return 'Cancelled. What the server had confirmed stays confirmed; the rest goes with the next Send/Receive.';
  if (e instanceof ApiError) {
    switch (e.reason) {
      case 'offline':
        return `${e.message} Nothing is lost: what was not confirmed stays on this device for the next Send/Receive.`;
      case 'unauthorised':
        return `The server no longer accepts "${device}": an administrator revoked it, or it was removed. Register this device anew.`;
      case 'forbidden':
        return `"${device}" is not authorised yet: ask an administrator to authorise it in the Manager (Configuration → Field devices).`;
      default:
        return `The server refused: ${e.message}`;
    }
  }
  return `Send/Receive stopped: ${e instanceof Error ? e.message : String(e)}`;
}

/** What went each way, one line per direction, for the log and the last run. */
export function runLines(run: SyncRun): string[] {
  const s = run.sent;
  const lines: string[] = [];
  const went = s.fresh + s.duplicate + s.rejected;
  if (went === 0 && s.unsendable === 0) lines.push(s.waiting === 0 ? 'Sent: no telegrams waiting.' : `Sent: none of the ${plural(s.waiting, 'telegram')} waiting.`);
  else {
    const parts = [`${count(s.fresh)} new`];
    if (s.duplicate) parts.push(`${count(s.duplicate)} already on the server`);
    if (s.rejected) parts.push(`${count(s.rejected)} refused`);
    if (s.unsendable) parts.push(`${count(s.unsendable)} not sendable`);
    lines.push(`Sent ${plural(went + s.unsendable, 'telegram')}: ${parts.join(', ')}.`);
    const statuses = Object.entries(s.byStatus).filter(([k]) => k !== 'decoded');
    if (statuses.length > 0) lines.push(`The server keeps ${statuses.map(([k, n]) => `${count(n)} ${statusWords(k)}`).join(', ')} to decode later.`);
  }
  if (s.heldBack) lines.push(`${plural(s.heldBack, 'telegram')} held back (${s.heldBackReason ?? 'the server did not take them'}).`);
  if (run.exchanges && (run.exchanges.sent || run.exchanges.rejected)) {
    lines.push(`Exchanges: ${count(run.exchanges.sent)} sent${run.exchanges.rejected ? `, ${count(run.exchanges.rejected)} refused` : ''}.`);
  }
  if (run.received) {
    const r = run.received;
    lines.push(`Received ${plural(r.meters, 'meter')} in ${plural(r.groups, 'group')}, ${plural(r.keys, 'key')}, ${plural(r.formats, 'compact format')}.`);
    if (r.badKeys) lines.push(`${plural(r.badKeys, 'key')} from the server were not 16 bytes and were left out.`);
  }
  return lines;
}

function statusWords(status: string): string {
  switch (status) {
    case 'no-key':
      return 'without a key';
    case 'unknown-meter':
      return 'of unknown meters';
    case 'unknown-format':
      return 'in an unknown compact format';
    case 'failed':
      return 'that did not decode';
    default:
      return status;
  }
}

/** "Waiting to be sent: 1,234 telegrams, 2 exchanges." */
export function waitingText(w: { frames: number; exchanges: number }): string {
  const parts: string[] = [];
  if (w.frames) parts.push(plural(w.frames, 'telegram'));
  if (w.exchanges) parts.push(plural(w.exchanges, 'exchange'));
  return parts.length === 0 ? 'Nothing waiting to be sent.' : `Waiting to be sent: ${parts.join(', ')}.`;
}

/** "14 Mar, 10:32" in the browser's zone. */
export function when(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}
