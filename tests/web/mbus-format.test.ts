// The M-Bus pages' own checks and words (web/src/routes/manager/operation/mbus/format.ts): what the
// add-system form refuses before asking the server, how a schedule and a run read to a person.
import { describe, expect, test } from 'vitest';
import {
  checkSystem,
  deviceTypeText,
  deviceWhere,
  presetOf,
  runSummary,
  scheduleText,
  shortWhen,
  versionText
} from '../../web/src/routes/manager/operation/mbus/format';
import { GENERIC_PROFILE_ID, type MbusRun, type SystemInput } from '../../web/src/routes/manager/operation/mbus/mbus-api';
import { GENERIC_DIGITAL_OUTPUT } from '../../shared/mbus/valve';

const tcp = (address: string, extra: Partial<SystemInput> = {}): SystemInput => ({
  name: 'Tower B',
  transport: 'tcp',
  address,
  baud: 2400,
  addressing: 'primary',
  schedule: null,
  ...extra
});

describe('checkSystem', () => {
  test('a gateway by IP or host name with a port, or a serial port path, passes', () => {
    expect(checkSystem(tcp('192.168.1.50:10001'))).toEqual({});
    expect(checkSystem(tcp('mbus-gw.plant.local:502'))).toEqual({});
    expect(checkSystem(tcp('[fe80::1]:10001'))).toEqual({});
    expect(checkSystem(tcp('/dev/ttyUSB0', { transport: 'serial' }))).toEqual({});
    expect(checkSystem(tcp('COM3', { transport: 'serial' }))).toEqual({});
    expect(checkSystem(tcp('/dev/serial/by-id/usb-FTDI_FT232R-if00-port0', { transport: 'serial' }))).toEqual({});
  });

  test('each bad field gets its own sentence naming what was typed', () => {
    expect(checkSystem(tcp('192.168.1.50'))).toEqual({ address: '"192.168.1.50" has no port: write host:port, e.g. 192.168.1.50:10001.' });
    expect(checkSystem(tcp('10.0.0.1:70000')).address).toBe('Port 70000 is outside 1–65535.');
    expect(checkSystem(tcp('bad host:10')).address).toBe('"bad host" is not a host name or IP address.');
    expect(checkSystem(tcp('ttyUSB0', { transport: 'serial' })).address).toBe('"ttyUSB0" is not a serial port: write e.g. /dev/ttyUSB0 or COM3.');
    expect(checkSystem(tcp('/dev/tty USB0', { transport: 'serial' })).address).toBe('"/dev/tty USB0" is not a serial port: write e.g. /dev/ttyUSB0 or COM3.');
    expect(Object.keys(checkSystem(tcp('', { name: '  ' }))).sort()).toEqual(['address', 'name']);
  });

  test('a custom schedule must look like a croner pattern; none or a preset passes', () => {
    expect(checkSystem(tcp('h:1', { schedule: '0 */6 * * *' }))).toEqual({});
    expect(checkSystem(tcp('h:1', { schedule: '0 0 */6 * * *' }))).toEqual({});
    expect(checkSystem(tcp('h:1', { schedule: 'every hour' })).schedule).toMatch(/^"every hour" is not a croner pattern/);
    expect(checkSystem(tcp('h:1', { schedule: '' })).schedule).toMatch(/^Write a croner pattern/);
  });
});

describe('schedules', () => {
  test('presets are recognised, anything else is custom and shown as typed', () => {
    expect(presetOf(null)).toBe('none');
    expect(presetOf('0 * * * *')).toBe('hourly');
    expect(presetOf('*/15 * * * *')).toBe('quarter');
    expect(scheduleText('0 2 * * *')).toBe('Daily at 02:00');
    expect(scheduleText('5 4 * * 1')).toBe('Custom: 5 4 * * 1');
    expect(scheduleText(null)).toBe('Not scheduled');
  });
});

describe('runs and devices in words', () => {
  const run = (o: Partial<MbusRun>): MbusRun => ({
    id: 1, systemId: 1, kind: 'scan', state: 'done', done: 251, total: 251, found: 3, errors: [], message: null, startedAt: 0, finishedAt: 1, ...o
  });

  test('a scan says how many meters it found; a read how many of how many were read and the errors', () => {
    expect(runSummary(run({}))).toBe('Scan finished: 3 meters found.');
    expect(runSummary(run({ state: 'running', done: 40, found: 1 }))).toBe('Scanning: 40 of 251, 1 meter found.');
    expect(runSummary(run({ state: 'cancelled', done: 12, found: 0 }))).toBe('Scan cancelled after 12 of 251: 0 meters found.');
    const err = { deviceId: 7, address: 'primary 12', message: 'Meter at primary address 12 did not answer REQ_UD2 (3 attempts, 0.6 s timeout each)' };
    expect(runSummary(run({ kind: 'read', done: 5, total: 5, found: 4, errors: [err] }))).toBe('Read finished: 4 of 5 read, 1 error.');
    expect(runSummary(run({ state: 'failed', message: 'Cannot connect to 127.0.0.1:1' }))).toBe('Scan failed: Cannot connect to 127.0.0.1:1.');
    expect(runSummary(run({ state: 'failed', message: 'Port busy.' }))).toBe('Scan failed: Port busy.');
  });

  test('a device is named by manufacturer and serial, and where it sits on the cable', () => {
    const d = { manufacturer: 'KAM', serial: '12345678', primaryAddress: 5, secondary: '123456782D2C3404' };
    expect(deviceWhere(d)).toBe('KAM 12345678 at primary address 5');
    expect(deviceWhere({ ...d, primaryAddress: 253 })).toBe('KAM 12345678 (secondary 123456782D2C3404)');
    expect(deviceWhere({ manufacturer: null, serial: null, primaryAddress: 9, secondary: null })).toBe('unknown meter at primary address 9');
    expect(deviceTypeText(0x04)).toBe('Heat (0x04)');
    expect(deviceTypeText(0x99)).toBe('0x99');
    expect(deviceTypeText(null)).toBe('');
    expect(versionText(0x34)).toBe('0x34');
    expect(versionText(0x0a)).toBe('0x0A');
    expect(versionText(null)).toBe('');
  });

  test('a read time this year leaves the year out; an older one keeps it', () => {
    const now = new Date(2026, 10, 26, 12, 0).getTime();
    expect(shortWhen(new Date(2026, 2, 14, 10, 32).getTime(), now)).not.toContain('2026');
    expect(shortWhen(new Date(2025, 2, 14, 10, 32).getTime(), now)).toContain('2025');
  });
});

test('the page knows the built-in valve profile by the id shared/mbus/valve.ts gives it', () => {
  expect(GENERIC_PROFILE_ID).toBe(GENERIC_DIGITAL_OUTPUT.id);
});
