// M-Bus systems on the server (issue 8, contract C) end to end below the browser: the real app on
// a real SQLite file, the runner on a real TCP connection to a simulated segment
// (startSimBusServer) speaking the real bytes. The simulated line runs SCALE× faster than a real
// 2400-baud cable; the master's waits are shortened less (MASTER_SCALE).
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SimBus } from '../../shared/mbus/sim/bus';
import type { SimMbusMeter } from '../../shared/mbus/sim/models';
import { simSegment } from '../../shared/mbus/sim/segment';
import { configureMbusRunner, mbusRunner } from '../../server/src/mbus/runner';
import { MbusSchedule } from '../../server/src/mbus/schedule';
import { startSimBusServer, type SimBusServer } from '../../server/src/mbus/sim-server';
import type { MbusDevice, MbusRun, MbusSystem } from '../../server/src/store/mbus';
import { SimLine } from '../../shared/mbus/sim/line';
import { SerialLink } from '../../server/src/mbus/serial-link';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';
import { ptyPair } from './mbus-pty';

const SCALE = 20;
/**
 * The master waits as on a line only MASTER_SCALE× faster: the bus shares a busy machine (test
 * files run in parallel on few cores), and a wait cut as fine as the simulated line would take a
 * late chunk for a silent meter or a broken frame.
 */
const MASTER_SCALE = 5;
const tempDir = useTempDir();
let server: TestServer;
let admin: string;
let sims: SimBusServer[] = [];
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  configureMbusRunner(deps(), { masterOptionsFor: () => ({ timeScale: MASTER_SCALE }) });
});
afterEach(async () => {
  await mbusRunner(deps()).stop();
  for (const s of sims.splice(0)) await s.close();
  for (const f of cleanups.splice(0).reverse()) await f();
  server.close();
});

function deps() {
  return { db: server.db, stores: server.stores, now: () => server.clock.now };
}

async function sim(meters: SimMbusMeter[], faults = {}): Promise<{ bus: SimBus; address: string }> {
  const bus = new SimBus({ meters, startEpochMs: Date.now() - 86_400_000, faults });
  const s = await startSimBusServer({ bus, baud: 2400, timeScale: SCALE });
  sims.push(s);
  return { bus, address: `127.0.0.1:${s.port}` };
}

async function api<T = any>(method: string, path: string, body?: unknown, cookie = admin): Promise<{ status: number; body: T }> {
  const res = await request(server, method, path, { cookie, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function addSystem(address: string, extra: Record<string, unknown> = {}): Promise<MbusSystem> {
  const r = await api<{ system: MbusSystem }>('POST', '/api/mbus/systems', {
    name: 'Plant room',
    transport: 'tcp',
    address,
    baud: 2400,
    addressing: 'primary',
    schedule: null,
    ...extra
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.system;
}

/** Starts a run through the API and waits for it to end. */
async function run(systemId: number, what: 'scan' | 'read', body: unknown): Promise<MbusRun> {
  const r = await api<{ run: MbusRun }>('POST', `/api/mbus/systems/${systemId}/${what}`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  expect(r.body.run.state).toBe('running');
  await mbusRunner(deps()).idle(systemId);
  return (await api<{ run: MbusRun }>('GET', `/api/mbus/runs/${r.body.run.id}`)).body.run;
}

async function devices(systemId: number): Promise<MbusDevice[]> {
  return (await api<{ devices: MbusDevice[] }>('GET', `/api/mbus/systems/${systemId}`)).body.devices;
}

const meters: SimMbusMeter[] = [
  { model: 'multical-403', primaryAddress: 1, id: '71000001' },
  { model: 'multical-603', primaryAddress: 2, id: '71000002' },
  { model: 'oms-water', primaryAddress: 3, id: '71000003' },
  { model: 'oms-heat', primaryAddress: 4, id: '71000004', valve: true }
];

describe('systems', () => {
  test('added with checked fields; a bad schedule, address or duplicate name is refused with a sentence', async () => {
    const system = await addSystem('10.0.0.5:10001', { schedule: '0 */6 * * *' });
    expect(system).toMatchObject({ name: 'Plant room', transport: 'tcp', baud: 2400, schedule: '0 */6 * * *', enabled: true, deviceCount: 0, lastRun: null });
    const list = await api('GET', '/api/mbus/systems');
    expect(list.body.systems.map((s: MbusSystem) => s.id)).toEqual([system.id]);

    const base = { name: 'Other', transport: 'tcp', address: '10.0.0.6:10001', baud: 2400, addressing: 'primary' };
    const badCron = await api('POST', '/api/mbus/systems', { ...base, schedule: 'every day' });
    expect(badCron.status).toBe(422);
    expect(badCron.body.error).toMatch(/^schedule: expected 5 fields .* got 2$/);
    const badCron2 = await api('POST', '/api/mbus/systems', { ...base, schedule: '61 * * * *' });
    expect(badCron2.status).toBe(422);
    expect(badCron2.body.error).toMatch(/^schedule: not a valid cron pattern/);
    const badAddress = await api('POST', '/api/mbus/systems', { ...base, address: '10.0.0.6' });
    expect(badAddress).toMatchObject({ status: 422, body: { error: 'address: expected host:port such as 10.0.0.5:10001, got "10.0.0.6"' } });
    const badSerial = await api('POST', '/api/mbus/systems', { ...base, transport: 'serial', address: 'ttyUSB0' });
    expect(badSerial.body.error).toBe('address: expected a serial port such as /dev/ttyUSB0 or COM3, got "ttyUSB0"');
    const badBaud = await api('POST', '/api/mbus/systems', { ...base, baud: 1200 });
    expect(badBaud.body.error).toBe('baud: expected 300, 2400 or 9600 baud');
    const dup = await api('POST', '/api/mbus/systems', { ...base, name: 'Plant room' });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toBe(`name: an M-Bus system "Plant room" exists already (system ${system.id}).`);

    const patched = await api('PATCH', `/api/mbus/systems/${system.id}`, { schedule: null, baud: 9600 });
    expect(patched.body.system).toMatchObject({ schedule: null, baud: 9600 });
    expect((await api('PATCH', `/api/mbus/systems/${system.id}`, { schedule: 'x' })).status).toBe(422);
    const audit = server.db.prepare("select event from audit_entry where event like 'mbus.%' order by id").pluck().all();
    expect(audit).toEqual(['mbus.system.created', 'mbus.system.changed']);
    expect((await api('DELETE', `/api/mbus/systems/${system.id}`)).status).toBe(204);
    expect((await api('GET', `/api/mbus/systems/${system.id}`)).status).toBe(404);
  });

  test('the last 20 runs of a system are kept; runs a stopped server left running are failed with a sentence', async () => {
    const system = await addSystem('10.0.0.5:10001');
    const tenantId = server.db.prepare('select tenant_id from mbus_system where id = ?').pluck().get(system.id) as number;
    const ids: number[] = [];
    for (let i = 0; i < 25; i++) {
      const r = server.stores.mbus.startRun(tenantId, system.id, 'read', null, 0, server.clock.now + i, null);
      server.stores.mbus.finishRun(r.id, 'done', null, server.clock.now + i);
      ids.push(r.id);
    }
    const kept = server.db.prepare('select id from mbus_run where system_id = ? order by id').pluck().all(system.id);
    expect(kept).toEqual(ids.slice(5));
    const left = server.stores.mbus.startRun(tenantId, system.id, 'scan', 'primary', 251, server.clock.now, null);
    expect(server.stores.mbus.failInterrupted(server.clock.now + 1)).toBe(1);
    expect(server.stores.mbus.run(tenantId, left.id)).toMatchObject({ state: 'failed', message: 'The server stopped during this run.', finishedAt: server.clock.now + 1 });
  });

  test('a scheduled read runs the read of the system\'s devices; only enabled systems with a schedule are scheduled', async () => {
    const { address } = await sim(meters.slice(0, 2));
    const system = await addSystem(address, { schedule: '0 3 * * *' });
    await addSystem('10.0.0.9:1', { name: 'No schedule' });
    await run(system.id, 'scan', { mode: 'primary', from: 1, to: 2 });
    const schedule = new MbusSchedule(deps()).start();
    try {
      expect(schedule.scheduledIds).toEqual([system.id]);
      server.clock.now += 3_600_000;
      const runId = schedule.fire(server.db.prepare('select tenant_id from mbus_system where id = ?').pluck().get(system.id) as number, system.id);
      expect(runId).not.toBeNull();
      await mbusRunner(deps()).idle(system.id);
      const r = (await api('GET', `/api/mbus/runs/${runId}`)).body.run as MbusRun;
      expect(r).toMatchObject({ kind: 'read', state: 'done', done: 2, total: 2, found: 2, errors: [] });
      await api('PATCH', `/api/mbus/systems/${system.id}`, { enabled: false });
      schedule.sync();
      expect(schedule.scheduledIds).toEqual([]);
    } finally {
      schedule.stop();
    }
  });
});

describe('scan', () => {
  test('primary scan finds each meter once with its identity; a second scan changes nothing', async () => {
    const { address } = await sim(meters);
    const system = await addSystem(address);
    const r = await run(system.id, 'scan', { mode: 'primary', from: 0, to: 6 });
    expect(r).toMatchObject({ kind: 'scan', state: 'done', done: 7, total: 7, found: 4, errors: [] });
    const found = await devices(system.id);
    expect(found.map((d) => [d.primaryAddress, d.manufacturer, d.serial, d.meterId])).toEqual([
      [1, 'KAM', '71000001', null],
      [2, 'KAM', '71000002', null],
      [3, 'DME', '71000003', null],
      [4, 'LUG', '71000004', null]
    ]);
    expect(found[0].secondary).toBe('710000012D2C3404');
    // the valve meter sends its state record: its valve is known from the scan's read
    expect(found[3].valve).toMatchObject({ profileId: 'en13757-digital-output', state: 'open' });
    const again = await run(system.id, 'scan', { mode: 'primary', from: 0, to: 6 });
    expect(again.found).toBe(4);
    expect((await devices(system.id)).map((d) => d.id)).toEqual(found.map((d) => d.id));
    expect((await api('GET', '/api/mbus/systems')).body.systems[0]).toMatchObject({ deviceCount: 4, lastRun: { id: again.id, state: 'done' } });
  });

  test('meters that swapped primary addresses stay one row each after a re-scan (same secondary, same row)', async () => {
    const first = await sim(meters.slice(0, 2));
    const system = await addSystem(first.address);
    await run(system.id, 'scan', { mode: 'primary', from: 1, to: 2 });
    const before = await devices(system.id);
    const swapped = await sim([{ ...meters[0], primaryAddress: 2 }, { ...meters[1], primaryAddress: 1 }]);
    await api('PATCH', `/api/mbus/systems/${system.id}`, { address: swapped.address });
    const r = await run(system.id, 'scan', { mode: 'primary', from: 1, to: 2 });
    expect(r).toMatchObject({ state: 'done', found: 2, errors: [] });
    const after = await devices(system.id);
    expect(after.map((d) => [d.id, d.serial, d.primaryAddress])).toEqual([
      [before[1].id, '71000002', 1],
      [before[0].id, '71000001', 2]
    ]);
    // a meter moved to a free address: still its own row, no empty row left behind
    const moved = await sim([{ ...meters[0], primaryAddress: 7 }, { ...meters[1], primaryAddress: 1 }]);
    await api('PATCH', `/api/mbus/systems/${system.id}`, { address: moved.address });
    await run(system.id, 'scan', { mode: 'primary', from: 1, to: 7 });
    expect((await devices(system.id)).map((d) => [d.id, d.serial, d.primaryAddress])).toEqual([
      [before[1].id, '71000002', 1],
      [before[0].id, '71000001', 7]
    ]);
  });

  test('two meters on one primary address are reported as a collision, not as a meter', async () => {
    const { address } = await sim([meters[0], { ...meters[2], primaryAddress: 1 }]);
    const system = await addSystem(address);
    const r = await run(system.id, 'scan', { mode: 'primary', from: 1, to: 2 });
    expect(r.state).toBe('done');
    expect(r.found).toBe(0);
    expect(r.errors).toEqual([
      { deviceId: null, address: 'primary 1', message: 'Two or more meters answer at primary address 1: give them different primary addresses (or scan by secondary address).' }
    ]);
  });

  test('secondary search with colliding ids finds every meter once, with its full secondary address', async () => {
    const segment = simSegment(12, { seed: 3, collide: true });
    const { bus, address } = await sim(segment);
    const system = await addSystem(address, { addressing: 'secondary' });
    const r = await run(system.id, 'scan', { mode: 'secondary' });
    expect(r).toMatchObject({ state: 'done', found: 12, errors: [] });
    const found = await devices(system.id);
    expect(found.map((d) => d.secondary).sort()).toEqual([...bus.secondaries].sort());
    expect(new Set(found.map((d) => d.serial))).toEqual(new Set(segment.map((m) => m.id)));
    // the ids share leading digits: the search had to resolve collisions
    expect(new Set(segment.map((m) => m.id.slice(0, 4))).size).toBeLessThan(12);
    const again = await run(system.id, 'scan', { mode: 'secondary' });
    expect(again.found).toBe(12);
    expect(await devices(system.id)).toHaveLength(12);
  }, 60_000);

  test('cancel mid-scan ends the run as cancelled, says who, and keeps what was found', async () => {
    const { address } = await sim(meters);
    const system = await addSystem(address);
    const started = await api<{ run: MbusRun }>('POST', `/api/mbus/systems/${system.id}/scan`, { mode: 'primary' });
    // a second run on the same cable is refused while this one runs
    const second = await api('POST', `/api/mbus/systems/${system.id}/read`, {});
    expect(second.status).toBe(409);
    expect(second.body.error).toBe(`M-Bus system "Plant room" is busy with run ${started.body.run.id}: one scan or read at a time on a cable; wait for it to end or cancel it.`);
    // wait until the scan is past the meters (addresses 1-4), then cancel
    const progress = () => server.db.prepare('select done from mbus_run where id = ?').pluck().get(started.body.run.id) as number;
    for (let i = 0; i < 400 && progress() < 6; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const cancelled = await api<{ run: MbusRun }>('POST', `/api/mbus/runs/${started.body.run.id}/cancel`);
    expect(cancelled.body.run.state).toBe('cancelled');
    expect(cancelled.body.run.message).toMatch(/^Cancelled by administrator@demo-utility after \d+ of 251\./);
    expect(cancelled.body.run.done).toBeLessThan(251);
    expect(await devices(system.id)).toHaveLength(4);
    const audit = server.db.prepare("select event from audit_entry where event like 'mbus.%' order by id").pluck().all();
    expect(audit).toEqual(['mbus.system.created', 'mbus.scan', 'mbus.run.cancelled']);
  });

  test('a gateway that goes away mid-scan fails the run with the sentence and frees the line', async () => {
    const { address } = await sim(meters);
    const system = await addSystem(address);
    const started = await api<{ run: MbusRun }>('POST', `/api/mbus/systems/${system.id}/scan`, { mode: 'primary' });
    const progress = () => server.db.prepare('select done from mbus_run where id = ?').pluck().get(started.body.run.id) as number;
    for (let i = 0; i < 400 && progress() < 2; i++) await new Promise((r) => setTimeout(r, 25));
    // deleting the system while its run holds the line is refused
    const del = await api('DELETE', `/api/mbus/systems/${system.id}`);
    expect(del).toMatchObject({ status: 409, body: { error: 'M-Bus system "Plant room" is busy with a run: cancel it before deleting the system.' } });
    await sims.pop()!.close();
    await mbusRunner(deps()).idle(system.id);
    const r = (await api<{ run: MbusRun }>('GET', `/api/mbus/runs/${started.body.run.id}`)).body.run;
    expect(r.state).toBe('failed');
    expect(r.message).toBe(`The M-Bus gateway ${address} closed the connection.`);
    expect(mbusRunner(deps()).busy(system.id)).toBe(false);
    expect((await api('DELETE', `/api/mbus/systems/${system.id}`)).status).toBe(204);
  });

  test('a gateway that refuses the connection fails the run with the sentence', async () => {
    const s = await sim(meters);
    const port = Number(s.address.split(':')[1]);
    await sims.pop()!.close();
    const system = await addSystem(s.address);
    const r = await run(system.id, 'scan', { mode: 'primary', from: 1, to: 2 });
    expect(r).toMatchObject({ state: 'failed', message: `Could not connect to the M-Bus gateway 127.0.0.1:${port}: connection refused.` });
    // the line is free again
    expect(mbusRunner(deps()).busy(system.id)).toBe(false);
  });
});

describe('read', () => {
  async function attached(address: string) {
    const system = await addSystem(address);
    await run(system.id, 'scan', { mode: 'primary', from: 1, to: 4 });
    const found = await devices(system.id);
    const point = await api('POST', '/api/metering-points', { address: 'Harbour Street 4, flat 1' });
    const att = await api<{ device: MbusDevice }>('POST', `/api/mbus/devices/${found[1].id}/attach`, { meteringPointId: point.body.meteringPoint.id });
    expect(att.status, JSON.stringify(att.body)).toBe(200);
    return { system, found, device: att.body.device, pointId: point.body.meteringPoint.id as number };
  }

  test('attach creates the meter at the point, decodes what the scan read, and a read stores raw frames and one reading per read', async () => {
    const { bus, address } = await sim(meters);
    const { system, device, pointId } = await attached(address);
    expect(device).toMatchObject({ manufacturer: 'KAM', serial: '71000002', meteringPoint: { id: pointId, name: 'Harbour Street 4, flat 1' } });
    const meter = (await api('GET', `/api/meters/${device.meterId}`)).body.meter;
    expect(meter).toMatchObject({ manufacturer: 'KAM', serial: '71000002', medium: 'heat', readingMode: 'wired', meteringPoint: { id: pointId } });
    // the scan's read (made before the meter existed) became a reading when the meter arrived
    const count = () => server.db.prepare('select count(*) from reading where meter_id = ?').pluck().get(device.meterId) as number;
    expect(count()).toBe(1);

    server.clock.now += 900_000;
    const before = bus.reading('71000002', Date.now());
    const r = await run(system.id, 'read', {});
    const after = bus.reading('71000002', Date.now());
    expect(r).toMatchObject({ kind: 'read', state: 'done', done: 4, total: 4, found: 4, errors: [], message: '4 of 4 meter(s) read.' });
    expect(count()).toBe(2);
    // MULTICAL 603: its answer comes in several telegrams, each stored raw with link 'mbus'
    const frames = server.db
      .prepare('select link, source, status from frame where meter_id = ? and received_at = ? order by id')
      .all(device.meterId, server.clock.now) as { link: string; source: string; status: string }[];
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) expect(f).toEqual({ link: 'mbus', source: `mbus:${system.id}`, status: 'decoded' });
    const reading = server.db.prepare('select energy, volume from reading where meter_id = ? and at = ?').get(device.meterId, server.clock.now) as { energy: number; volume: number };
    const kwh = reading.energy / 3.6e6;
    expect(kwh).toBeGreaterThanOrEqual(before.energyKWh!);
    expect(kwh).toBeLessThanOrEqual(after.energyKWh!);
    expect(reading.volume / 1e6).toBeGreaterThanOrEqual(before.volumeM3);
    expect(reading.volume / 1e6).toBeLessThanOrEqual(after.volumeM3);
    const d = (await devices(system.id)).find((x) => x.id === device.id)!;
    expect(d).toMatchObject({ lastReadAt: server.clock.now, lastError: null });
    // the meter's newest reading, as the meter page shows it
    const latest = await api('GET', `/api/meters/${device.meterId}/latest`);
    expect(latest.status).toBe(200);
    expect(latest.body.reading).toMatchObject({ meterId: device.meterId, at: server.clock.now });
    expect(latest.body.reading.values.energy).toBeCloseTo(kwh, 6);
  });

  test('answers with wrong checksums: retries, no frame or reading stored, the device says why', async () => {
    const { bus, address } = await sim(meters);
    const { system, device } = await attached(address);
    const frameCount = () => server.db.prepare('select count(*) from frame').pluck().get() as number;
    const readingCount = () => server.db.prepare('select count(*) from reading').pluck().get() as number;
    const frames0 = frameCount();
    const readings0 = readingCount();
    bus.setFaults({ seed: 1, badChecksum: 1 });
    server.clock.now += 900_000;
    const r = await run(system.id, 'read', { deviceIds: [device.id] });
    expect(r).toMatchObject({ state: 'done', found: 0, total: 1 });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ deviceId: device.id, address: 'primary 2' });
    expect(r.errors[0].message).toMatch(/checksum/);
    expect(r.errors[0].message).toMatch(/3 attempts/);
    expect(frameCount()).toBe(frames0);
    expect(readingCount()).toBe(readings0);
    const d = (await devices(system.id)).find((x) => x.id === device.id)!;
    expect(d.lastError).toBe(r.errors[0].message);
    // the line heals: the next read succeeds and clears the error
    bus.setFaults({});
    server.clock.now += 900_000;
    const ok = await run(system.id, 'read', { deviceIds: [device.id] });
    expect(ok).toMatchObject({ state: 'done', found: 1, errors: [] });
    expect((await devices(system.id)).find((x) => x.id === device.id)!.lastError).toBeNull();
    expect(readingCount()).toBe(readings0 + 1);
  });

  test('a meter that does not answer gets a per-meter error; the others are read', async () => {
    const { address } = await sim(meters);
    const system = await addSystem(address);
    await run(system.id, 'scan', { mode: 'primary', from: 1, to: 4 });
    const sim2 = await sim(meters.slice(0, 3)); // meter 4 has gone from this cable
    await api('PATCH', `/api/mbus/systems/${system.id}`, { address: sim2.address });
    server.clock.now += 900_000;
    const r = await run(system.id, 'read', {});
    expect(r).toMatchObject({ state: 'done', found: 3, total: 4 });
    expect(r.errors.map((e) => [e.address, e.message])).toEqual([['primary 4', expect.stringMatching(/^Meter at primary address 4 did not answer/)]]);
    expect(r.message).toBe('3 of 4 meter(s) read, 1 error(s).');
  });

  test('read asks for devices of this system only', async () => {
    const system = await addSystem('127.0.0.1:1');
    const r = await api('POST', `/api/mbus/systems/${system.id}/read`, { deviceIds: [999] });
    expect(r).toMatchObject({ status: 422, body: { error: `deviceIds: no device 999 on M-Bus system ${system.id}` } });
  });
});

describe('valve (M11)', () => {
  test('close and open round trip: the meter\'s state read back, stored, audited; without "disconnect" 403', async () => {
    const { bus, address } = await sim(meters);
    const system = await addSystem(address);
    await run(system.id, 'scan', { mode: 'primary', from: 4, to: 4 });
    const [valveMeter] = await devices(system.id);
    expect(bus.valve('71000004')).toBe('open');

    const superuser = await server.as('superuser');
    const refused = await api('POST', `/api/mbus/devices/${valveMeter.id}/valve`, { action: 'close' }, superuser);
    expect(refused).toMatchObject({ status: 403, body: { error: 'Your role may not do this (needs "disconnect").' } });
    expect(bus.valve('71000004')).toBe('open');

    server.clock.now += 60_000;
    const closed = await api<{ device: MbusDevice }>('POST', `/api/mbus/devices/${valveMeter.id}/valve`, { action: 'close' });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(closed.body.device.valve).toEqual({ profileId: 'en13757-digital-output', state: 'closed', at: server.clock.now });
    expect(bus.valve('71000004')).toBe('closed');
    server.clock.now += 60_000;
    const opened = await api<{ device: MbusDevice }>('POST', `/api/mbus/devices/${valveMeter.id}/valve`, { action: 'open' });
    expect(opened.body.device.valve).toMatchObject({ state: 'open' });
    expect(bus.valve('71000004')).toBe('open');

    const entries = server.db.prepare("select details from audit_entry where event = 'mbus.valve' order by id").pluck().all() as string[];
    expect(entries.map((e) => JSON.parse(e))).toEqual([
      { systemId: system.id, deviceId: valveMeter.id, meterId: null, address: 'primary 4', action: 'close', profileId: 'en13757-digital-output', state: 'closed' },
      { systemId: system.id, deviceId: valveMeter.id, meterId: null, address: 'primary 4', action: 'open', profileId: 'en13757-digital-output', state: 'open' }
    ]);
  });

  test('a valve meter that does not take the command: 502 with the sentence, the attempt audited, the device says why', async () => {
    const { bus, address } = await sim(meters);
    const system = await addSystem(address);
    await run(system.id, 'scan', { mode: 'primary', from: 4, to: 4 });
    const [valveMeter] = await devices(system.id);
    bus.setFaults({ silence: 1 });
    const r = await api('POST', `/api/mbus/devices/${valveMeter.id}/valve`, { action: 'close' });
    expect(r.status).toBe(502);
    expect(r.body.error).toMatch(/^Meter at primary address 4 did not answer/);
    const entry = JSON.parse(server.db.prepare("select details from audit_entry where event = 'mbus.valve'").pluck().get() as string);
    expect(entry).toMatchObject({ deviceId: valveMeter.id, action: 'close', state: 'failed', error: r.body.error });
    const d = (await devices(system.id))[0];
    expect(d.lastError).toBe(r.body.error);
    // the meter may have acted on the command without its answer arriving (here it did): unknown
    expect(d.valve).toEqual({ profileId: 'en13757-digital-output', state: 'unknown', at: server.clock.now });
    expect(bus.valve('71000004')).toBe('closed');
  });

  test('configured profiles: validated, listed after the generic one, the generic one cannot be replaced', async () => {
    const kam = { name: 'Kamstrup Thermal Disconnect (bench)', open: { ci: 0x51, data: '01FD1A01' }, close: { ci: 0x51, data: '01FD1A00' }, state: { difvif: '01FD1B', mask: 1, openValue: 1 } };
    const put = await api('PUT', '/api/mbus/valve-profiles/kamstrup-td', kam);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const list = await api('GET', '/api/mbus/valve-profiles');
    expect(list.body.profiles.map((p: { id: string }) => p.id)).toEqual(['en13757-digital-output', 'kamstrup-td']);
    const bad = await api('PUT', '/api/mbus/valve-profiles/kamstrup-td', { ...kam, open: { ci: 0x51, data: 'XYZ' } });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatch(/^open\.data: /);
    const builtin = await api('PUT', '/api/mbus/valve-profiles/en13757-digital-output', kam);
    expect(builtin.status).toBe(422);
    const superuser = await server.as('superuser');
    expect((await api('PUT', '/api/mbus/valve-profiles/x', kam, superuser)).status).toBe(403);
  });
});

describe('serial system', () => {
  /**
   * The simulated segment behind one end of a pseudo-terminal pair, as a level converter puts a
   * cable on a serial port: the server's system opens the other end.
   */
  async function serialSim(list: SimMbusMeter[]): Promise<{ bus: SimBus; path: string }> {
    const { a, b } = await ptyPair(tempDir(), cleanups);
    const bus = new SimBus({ meters: list, startEpochMs: Date.now() - 86_400_000 });
    const port = await SerialLink.open(b, 2400);
    const timers = { now: () => Date.now(), setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
    const line = new SimLine(bus, { baud: 2400, timeScale: SCALE, timers });
    const stop = new AbortController();
    const pump = async (from: { read(ms: number, s: AbortSignal): Promise<Uint8Array | null> }, to: { write(b: Uint8Array): Promise<void> }) => {
      while (!stop.signal.aborted) {
        try {
          const chunk = await from.read(60_000, stop.signal);
          if (chunk) await to.write(chunk);
        } catch {
          return;
        }
      }
    };
    void pump(port, line);
    void pump(line, port);
    cleanups.push(async () => {
      stop.abort();
      line.close();
      await port.close();
    });
    return { bus, path: a };
  }

  test('a system on a local serial port (8E1) scans and reads like one behind a gateway; a second system on the busy port fails with the sentence', async () => {
    const { path } = await serialSim(meters.slice(0, 2));
    const system = await addSystem(path, { transport: 'serial' });
    const scan = await run(system.id, 'scan', { mode: 'primary', from: 1, to: 3 });
    expect(scan).toMatchObject({ state: 'done', found: 2, errors: [] });
    expect((await devices(system.id)).map((d) => d.serial)).toEqual(['71000001', '71000002']);
    server.clock.now += 900_000;
    const read = await run(system.id, 'read', {});
    expect(read).toMatchObject({ state: 'done', found: 2, errors: [] });
    const stored = server.db.prepare("select count(*) from frame where link = 'mbus' and source = ? and received_at = ?").pluck().get(`mbus:${system.id}`, server.clock.now) as number;
    expect(stored).toBeGreaterThanOrEqual(2);

    // another program (or another system's run) has the port open: the run fails with the sentence
    const holder = await SerialLink.open(path, 2400);
    cleanups.push(() => holder.close());
    const blocked = await run(system.id, 'read', {});
    expect(blocked).toMatchObject({ state: 'failed', message: `The serial port ${path} is busy: another program (or another M-Bus system) has it open.` });
  }, 30_000);
});
