// The connection panel's choices without the UI: what is remembered on the device, why a choice
// cannot connect here (with the help the reader acts on), and the one status line.
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type ReadoutDb } from '../../../web/src/lib/db/index';
import { replaceRoute, type RouteMeter } from '../../../web/src/lib/db/route';
import { KeyStore } from '../../../web/src/lib/db/keys';
import {
  availability,
  CHOICE_META,
  DEFAULT_CHOICE,
  loadChoice,
  modesOf,
  normaliseChoice,
  saveChoice,
  helpFailure,
  simReadiness,
  statusText,
  type ConnectionView,
  type SimReadiness
} from '../../../web/src/lib/hardware/connect-options';
import { TransportError } from '../../../web/src/lib/hardware/transport';

const opened: ReadoutDb[] = [];
function open(): ReadoutDb {
  const d = openDb(`connect-options-${Math.random().toString(36).slice(2)}`, { indexedDB, IDBKeyRange });
  opened.push(d);
  return d;
}
afterEach(async () => {
  for (const d of opened.splice(0)) {
    d.close();
    await d.delete();
  }
});

const everywhere = { secureContext: true, serial: true, bluetooth: true };
const ready: SimReadiness = { routeMeters: 40, keys: 40, usable: 38 };

describe('the remembered choice', () => {
  it('is the default on a new device, and comes back as saved', async () => {
    const db = open();
    expect(await loadChoice(db)).toEqual(DEFAULT_CHOICE);
    await saveChoice(db, { via: 'bluetooth', kind: 'amb8465', mode: 'T1', showAllPorts: true, simSpeed: 5 });
    expect(await loadChoice(db)).toEqual({ via: 'bluetooth', kind: 'amb8465', mode: 'T1', showAllPorts: true, simSpeed: 5 });
  });

  it('a stored value from an older or broken version falls back field by field', async () => {
    const db = open();
    await db.meta.put({ key: CHOICE_META, value: { via: 'usb', kind: 'cul', mode: 'C1T1', simSpeed: 7 } });
    // CUL receives one mode at a time (protocols.md §6.4): C1+T1 becomes its first mode
    expect(await loadChoice(db)).toEqual({ via: 'serial', kind: 'cul', mode: 'C1', showAllPorts: false, simSpeed: 1 });
    await db.meta.put({ key: CHOICE_META, value: 'im871a' });
    expect(await loadChoice(db)).toEqual(DEFAULT_CHOICE);
  });

  it('a mode the receiver does not have is replaced; the simulated receiver is an iM871A', () => {
    expect(modesOf('cul')).toEqual(['C1', 'T1']);
    expect(modesOf('im871a')).toEqual(['C1', 'T1', 'C1T1']);
    expect(normaliseChoice({ ...DEFAULT_CHOICE, kind: 'cul', mode: 'T1' }).mode).toBe('T1');
    expect(normaliseChoice({ ...DEFAULT_CHOICE, kind: 'cul', mode: 'C1T1' }).mode).toBe('C1');
    expect(normaliseChoice({ ...DEFAULT_CHOICE, via: 'simulated', kind: 'cul', mode: 'C1T1' }).mode).toBe('C1T1');
  });
});

describe('why Connect is not available', () => {
  it('not https: the secure-context help, for either API', () => {
    const a = availability('serial', { ...everywhere, secureContext: false }, null);
    expect(a.ok).toBe(false);
    expect(!a.ok && a.reason).toMatch(/https/);
    expect(!a.ok && a.help?.title).toBe('The page must be opened securely');
    expect(availability('bluetooth', { ...everywhere, secureContext: false }, null)).toMatchObject({ ok: false, help: { title: 'The page must be opened securely' } });
  });

  it('no API: which browsers and devices work, and the unsupported help', () => {
    const serial = availability('serial', { ...everywhere, serial: false }, null);
    expect(serial).toMatchObject({ ok: false, help: { title: 'This browser cannot open serial ports' } });
    expect(!serial.ok && serial.reason).toMatch(/Chrome on Android for paired Bluetooth Classic/);
    const bt = availability('bluetooth', { ...everywhere, bluetooth: false }, null);
    expect(bt).toMatchObject({ ok: false, help: { title: 'This browser has no Bluetooth access' } });
    expect(availability('serial', everywhere, null)).toEqual({ ok: true });
    expect(availability('bluetooth', { ...everywhere, serial: false }, null)).toEqual({ ok: true });
  });

  it('the simulated receiver needs a route, keys and meters it can simulate', () => {
    const sim = (s: SimReadiness | null) => availability('simulated', everywhere, s);
    expect(sim(null)).toMatchObject({ ok: false, reason: expect.stringMatching(/Checking/) });
    expect(sim({ routeMeters: 0, keys: 0, usable: 0 })).toMatchObject({ ok: false, reason: expect.stringMatching(/No route on this device.*Send\/Receive/) });
    expect(sim({ routeMeters: 12, keys: 0, usable: 0 })).toMatchObject({ ok: false, reason: expect.stringMatching(/No meter keys/) });
    expect(sim({ routeMeters: 12, keys: 12, usable: 0 })).toMatchObject({ ok: false, reason: expect.stringMatching(/None of the 12 route meters/) });
    expect(sim(ready)).toEqual({ ok: true });
    // It runs without Web Serial or Bluetooth in the browser, but unlocking the keys needs https.
    expect(availability('simulated', { secureContext: true, serial: false, bluetooth: false }, ready)).toEqual({ ok: true });
    expect(availability('simulated', { ...everywhere, secureContext: false }, ready)).toMatchObject({ ok: false, help: { title: 'The page must be opened securely' } });
  });

  it('counts the route meters the simulated drive can read', async () => {
    const db = open();
    const m = (serial: string, make: string, position: RouteMeter['position'] = { lat: 56.02, lon: 9.28 }): RouteMeter => ({
      id: Number(serial),
      manufacturer: 'KAM',
      serial,
      position,
      group: 'A',
      make
    });
    expect(await simReadiness(db)).toEqual({ routeMeters: 0, keys: 0, usable: 0 });
    await replaceRoute(db, [m('10000001', 'Kamstrup MULTICAL 21'), m('10000002', 'Kamstrup MULTICAL 403'), m('10000003', 'Kamstrup OMNIPOWER'), m('10000004', 'Kamstrup MULTICAL 21', null), m('10000005', 'Kamstrup MULTICAL 21')]);
    const key = (serial: string) => ({ manufacturer: 'KAM', serial, key: new Uint8Array(16).fill(Number(serial.slice(-1))) });
    await new KeyStore(db).replaceAll(['10000001', '10000002', '10000003', '10000004'].map(key));
    // 03 is electricity, 04 has no position, 05 no key
    expect(await simReadiness(db)).toEqual({ routeMeters: 5, keys: 4, usable: 2 });
  });
});

describe('the status line', () => {
  const base: ConnectionView = { status: 'idle', name: null, mode: null, telegrams: 0, reconnecting: 0, attempts: 5, step: null, failure: null, dropped: null };

  it('says each state in words, with counts', () => {
    expect(statusText(base)).toBe('Not connected. Choose the receiver and press Connect.');
    expect(statusText({ ...base, status: 'opening' })).toBe('Connecting…');
    expect(statusText({ ...base, status: 'opening', step: 'looking for a UART service' })).toBe('Connecting: looking for a UART service…');
    const open = { ...base, status: 'open' as const, name: 'iM871A on Silicon Labs CP210x USB serial', mode: 'C1T1' as const };
    expect(statusText({ ...open, telegrams: 1 })).toBe('Connected to iM871A on Silicon Labs CP210x USB serial, C1 + T1 (both): 1 telegram received');
    expect(statusText({ ...open, telegrams: 230 })).toMatch(/: 230 telegrams received$/);
    expect(statusText({ ...base, status: 'lost', reconnecting: 2 })).toBe('Connection lost. Reconnecting (attempt 2 of 5)…');
    expect(statusText({ ...base, status: 'lost', reconnecting: 0 })).toBe('Connection lost. Gave up after 5 attempts.');
  });

  it('helps after a failed connect and once reconnecting gave up (with the drop, not the last reopen), not while it still tries', () => {
    const lost = new TransportError('lost', 'unplugged');
    const busy = new TransportError('busy', 'Failed to open serial port.');
    const picked = new TransportError('nothing-picked', 'closed');
    expect(helpFailure({ ...base })).toBeNull();
    expect(helpFailure({ ...base, failure: picked })).toBe(picked);
    expect(helpFailure({ ...base, status: 'lost', reconnecting: 3, failure: busy, dropped: lost })).toBeNull();
    expect(helpFailure({ ...base, status: 'lost', reconnecting: 0, failure: busy, dropped: lost })).toBe(lost);
    expect(helpFailure({ ...base, status: 'open', dropped: lost })).toBeNull();
  });
});
