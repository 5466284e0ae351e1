// What the M-Bus pages are told a person may do (`may`), and configured valve profiles (M11):
// every bad field named, deletion audited and refused while a meter's valve is known by the
// profile. The real app on a real SQLite file; the valve commands go over a real TCP connection
// to a simulated segment (startSimBusServer) speaking the real bytes.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SimBus } from '../../shared/mbus/sim/bus';
import { configureMbusRunner, mbusRunner } from '../../server/src/mbus/runner';
import { startSimBusServer, type SimBusServer } from '../../server/src/mbus/sim-server';
import type { MbusDevice, MbusRun, MbusSystem } from '../../server/src/store/mbus';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let admin: string;
let sims: SimBusServer[] = [];

beforeEach(async () => {
  server = await makeTestServer(tempDir());
  admin = await server.as('administrator');
  configureMbusRunner(deps(), { masterOptionsFor: () => ({ timeScale: 5 }) });
});
afterEach(async () => {
  await mbusRunner(deps()).stop();
  for (const s of sims.splice(0)) await s.close();
  server.close();
});

function deps() {
  return { db: server.db, stores: server.stores, now: () => server.clock.now };
}

async function api<T = any>(method: string, path: string, body?: unknown, cookie = admin): Promise<{ status: number; body: T }> {
  const res = await request(server, method, path, { cookie, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function addSystem(address: string, name = 'Plant room'): Promise<MbusSystem> {
  const r = await api<{ system: MbusSystem }>('POST', '/api/mbus/systems', { name, transport: 'tcp', address, baud: 2400, addressing: 'primary', schedule: null });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.system;
}

// the bytes of the EN 13757-3 digital output (protocols.md §8.9), which the simulated valve meter implements
const bench = {
  name: 'Kamstrup Thermal Disconnect (bench)',
  open: { ci: 0x51, data: '01 FD 1A 01' },
  close: { ci: 0x51, data: '01FD1A00' },
  state: { difvif: '01FD1B', mask: 1, openValue: 1 }
};

const audits = (event: string) =>
  (server.db.prepare('select details from audit_entry where event = ? order by id').pluck().all(event) as string[]).map((d) => JSON.parse(d));

describe('may', () => {
  test('each role is told what it may do, from the permission matrix; a grant applies at once', async () => {
    const system = await addSystem('10.0.0.5:10001');
    const user = await server.as('user');
    const superuser = await server.as('superuser');
    const seen = async (cookie: string) => {
      const list = await api('GET', '/api/mbus/systems', undefined, cookie);
      const one = await api('GET', `/api/mbus/systems/${system.id}`, undefined, cookie);
      expect(list.status).toBe(200);
      expect(one.status).toBe(200);
      expect(one.body.may).toEqual(list.body.may);
      return one.body.may;
    };
    expect(await seen(admin)).toEqual({ write: true, disconnect: true, settings: true });
    expect(await seen(superuser)).toEqual({ write: true, disconnect: false, settings: false });
    expect(await seen(user)).toEqual({ write: false, disconnect: false, settings: false });

    // an administrator grants the superuser role "disconnect" in the matrix: its open session sees it
    const matrix = await api('GET', '/api/permissions');
    const granted = await api('PUT', '/api/permissions/superuser', { permissions: [...matrix.body.roles.superuser, 'disconnect'] });
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    expect(await seen(superuser)).toEqual({ write: true, disconnect: true, settings: false });
    // and a user given settings.manage without meters.write may manage profiles but not change systems
    expect((await api('PUT', '/api/permissions/user', { permissions: ['meters.read', 'settings.manage'] })).status).toBe(200);
    expect(await seen(user)).toEqual({ write: false, disconnect: false, settings: true });
    // the answer follows the permissions the routes check
    expect((await api('POST', `/api/mbus/systems/${system.id}/scan`, { mode: 'primary' }, user)).status).toBe(403);
  });
});

describe('valve profiles', () => {
  test('every bad field is named in the 422, each at its own field', async () => {
    const r = await api('PUT', '/api/mbus/valve-profiles/kamstrup-td', {
      ...bench,
      name: '',
      open: { ci: 0x51, data: 'XYZ' },
      state: { difvif: '01', mask: 1, openValue: 2 }
    });
    expect(r.status).toBe(422);
    const fields = Object.fromEntries((r.body.fields as { field: string; message: string }[]).map((f) => [f.field, f.message]));
    expect(fields).toEqual({
      name: 'must not be empty',
      'open.data': 'expected hex bytes (pairs of 0-9/A-F)',
      'state.difvif': 'expected at least a DIF and a VIF (2 bytes)',
      'state.openValue': 'has bits outside state.mask'
    });
    expect((await api('GET', '/api/mbus/valve-profiles')).body.profiles).toHaveLength(1);
  });

  test('deleted with settings.manage, audited; the built-in one and an unknown id are refused', async () => {
    expect((await api('PUT', '/api/mbus/valve-profiles/kamstrup-td', bench)).status).toBe(200);
    const superuser = await server.as('superuser');
    const refused = await api('DELETE', '/api/mbus/valve-profiles/kamstrup-td', undefined, superuser);
    expect(refused).toMatchObject({ status: 403, body: { error: 'Your role may not do this (needs "settings.manage").' } });

    const builtin = await api('DELETE', '/api/mbus/valve-profiles/en13757-digital-output');
    expect(builtin).toMatchObject({ status: 422, body: { error: 'id: "en13757-digital-output" is the built-in EN 13757-3 profile and cannot be deleted' } });
    expect(await api('DELETE', '/api/mbus/valve-profiles/Bad_Id')).toMatchObject({ status: 422, body: { error: expect.stringMatching(/^id: expected 1-64 characters/) } });

    server.clock.now += 1000;
    expect((await api('DELETE', '/api/mbus/valve-profiles/kamstrup-td')).status).toBe(204);
    const list = await api('GET', '/api/mbus/valve-profiles');
    expect(list.body.profiles.map((p: { id: string }) => p.id)).toEqual(['en13757-digital-output']);
    expect(await api('DELETE', '/api/mbus/valve-profiles/kamstrup-td')).toMatchObject({ status: 404, body: { error: 'Valve profile kamstrup-td not found.' } });

    const deleted = server.db.prepare("select user_id as userId, at, details from audit_entry where event = 'mbus.valve-profile.deleted'").all() as { userId: number; at: number; details: string }[];
    expect(deleted).toHaveLength(1);
    expect(deleted[0].at).toBe(server.clock.now);
    expect(JSON.parse(deleted[0].details)).toEqual({
      profileId: 'kamstrup-td',
      before: { id: 'kamstrup-td', name: bench.name, open: { ci: 0x51, data: '01FD1A01' }, close: { ci: 0x51, data: '01FD1A00' }, state: bench.state }
    });
  });

  test('a profile a meter\'s valve is known by cannot be deleted (409 with the sentence) until the valve uses another', async () => {
    const bus = new SimBus({ meters: [{ model: 'oms-heat', primaryAddress: 4, id: '71000004', valve: true }], startEpochMs: Date.now() - 86_400_000 });
    const sim = await startSimBusServer({ bus, baud: 2400, timeScale: 20 });
    sims.push(sim);
    const system = await addSystem(`127.0.0.1:${sim.port}`, 'Tower B');
    const scan = await api<{ run: MbusRun }>('POST', `/api/mbus/systems/${system.id}/scan`, { mode: 'primary', from: 4, to: 4 });
    expect(scan.status).toBe(202);
    await mbusRunner(deps()).idle(system.id);
    const [device] = (await api<{ devices: MbusDevice[] }>('GET', `/api/mbus/systems/${system.id}`)).body.devices;
    expect(device.valve?.profileId).toBe('en13757-digital-output');

    // the configured profile closes the simulated valve: the device's valve is now known by it
    expect((await api('PUT', '/api/mbus/valve-profiles/kamstrup-td', bench)).status).toBe(200);
    const closed = await api<{ device: MbusDevice }>('POST', `/api/mbus/devices/${device.id}/valve`, { action: 'close', profileId: 'kamstrup-td' });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(closed.body.device.valve).toMatchObject({ profileId: 'kamstrup-td', state: 'closed' });
    expect(bus.valve('71000004')).toBe('closed');

    const inUse = await api('DELETE', '/api/mbus/valve-profiles/kamstrup-td');
    expect(inUse).toMatchObject({
      status: 409,
      body: { error: 'Valve profile "Kamstrup Thermal Disconnect (bench)" is used by 1 meter on "Tower B": command their valves with another profile first, or delete those M-Bus systems.' }
    });
    expect(audits('mbus.valve-profile.deleted')).toEqual([]);
    // a read still judges the valve by it
    expect((await api('POST', `/api/mbus/systems/${system.id}/read`, {})).status).toBe(202);
    await mbusRunner(deps()).idle(system.id);
    expect((await api<{ devices: MbusDevice[] }>('GET', `/api/mbus/systems/${system.id}`)).body.devices[0].valve).toMatchObject({ profileId: 'kamstrup-td', state: 'closed' });

    // opened with the built-in profile, the valve is known by that one: the configured one may go
    const opened = await api<{ device: MbusDevice }>('POST', `/api/mbus/devices/${device.id}/valve`, { action: 'open', profileId: 'en13757-digital-output' });
    expect(opened.body.device.valve).toMatchObject({ profileId: 'en13757-digital-output', state: 'open' });
    expect((await api('DELETE', '/api/mbus/valve-profiles/kamstrup-td')).status).toBe(204);
    expect(audits('mbus.valve-profile.deleted').map((d) => d.profileId)).toEqual(['kamstrup-td']);
  }, 30_000);
});
