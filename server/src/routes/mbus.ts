import type { Context } from 'hono';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { mbusSystemsChanged } from '../mbus/schedule.js';
import { mbusRunner, RunBusyError } from '../mbus/runner.js';
import { parseHostPort } from '../mbus/tcp-link.js';
import { deleteValveProfile, putValveProfile, valveProfile, valveProfiles } from '../mbus/valves.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { publicDevice, type MbusMay, type MbusSystemInput } from '../store/mbus.js';
import { auditAs, conflict, notFound } from '../store/registry.js';
import { parseJson, rejectField, unprocessable } from '../validate.js';
import { mediumOf } from '../../../shared/drivers/define.js';
import { MbusError } from '../../../shared/mbus/master.js';
import { actor } from './customers.js';
import { cron } from './export-jobs.js';
import { positiveId } from './metering-points.js';
import { idParam } from './params.js';

// Wired M-Bus systems (issue 8, contract C): configure a segment (gateway or local port, baud,
// addressing, schedule), scan it, read it, attach the meters found to metering points, and open or
// close valves (M11, permission "disconnect"). Scans and reads answer 202 with the run at once;
// GET /api/mbus/runs/:id follows it. One run per system at a time: the cable is one line (409).

const name = z.string({ error: 'expected a name' }).trim().min(1, 'enter a name').max(100, 'at most 100 characters');
const SystemFields = {
  name,
  transport: z.enum(['tcp', 'serial'], { error: 'expected tcp (an M-Bus gateway on the network) or serial (a level converter on this server)' }),
  address: z.string({ error: 'expected an address' }).trim().min(1, 'enter host:port (tcp) or a serial port such as /dev/ttyUSB0').max(200, 'at most 200 characters'),
  baud: z.union([z.literal(300), z.literal(2400), z.literal(9600)], { error: 'expected 300, 2400 or 9600 baud' }),
  addressing: z.enum(['primary', 'secondary'], { error: 'expected primary or secondary addressing' }),
  schedule: cron.nullable(),
  enabled: z.boolean({ error: 'expected true or false' })
};

const NewSystem = z.object({ ...SystemFields, schedule: SystemFields.schedule.default(null), enabled: SystemFields.enabled.default(true) }).strict();
const SystemPatch = z
  .object(SystemFields)
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' });

/** The address must suit the transport: host:port for a gateway, a device path for a serial port. */
function checkAddress(s: Pick<MbusSystemInput, 'transport' | 'address'>): void {
  if (s.transport === 'tcp') {
    try {
      parseHostPort(s.address);
    } catch (err) {
      rejectField('address', (err as Error).message.replace(/^address: /, ''));
    }
  } else if (!/^(\/[\w./:+-]+|COM\d{1,3})$/.test(s.address)) {
    // a device path (/dev/ttyUSB0, /dev/serial/by-id/…, a socat link such as /tmp/ttyV0) or a Windows port
    rejectField('address', `expected a serial port such as /dev/ttyUSB0 or COM3, got "${s.address.slice(0, 60)}"`);
  }
}

const Scan = z
  .object({
    mode: z.enum(['primary', 'secondary'], { error: 'expected primary (addresses 0-250) or secondary (wildcard search)' }),
    from: z.number({ error: 'expected a number' }).int('expected a whole number').min(0, 'expected 0-250').max(250, 'expected 0-250').optional(),
    to: z.number({ error: 'expected a number' }).int('expected a whole number').min(0, 'expected 0-250').max(250, 'expected 0-250').optional()
  })
  .strict()
  .refine((s) => (s.from ?? 0) <= (s.to ?? 250), { path: ['to'], message: 'expected to ≥ from' })
  .refine((s) => s.mode === 'primary' || (s.from === undefined && s.to === undefined), { path: ['from'], message: 'from/to are for a primary scan only' });

const Read = z.object({ deviceIds: z.array(positiveId, { error: 'expected a list of device ids' }).min(1, 'give at least one device, or leave deviceIds out for all').max(250).optional() }).strict();
const Attach = z.object({ meteringPointId: positiveId }).strict();
const Valve = z
  .object({
    action: z.enum(['open', 'close'], { error: 'expected open or close' }),
    profileId: z.string({ error: 'expected a profile id' }).min(1).max(64).optional()
  })
  .strict();
const ProfileId = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'expected 1-64 characters a-z, 0-9, "." or "-"') }).strict();
const ProfileBody = z.record(z.string(), z.unknown(), { error: 'expected a JSON object' });

function runner(c: Context<AppEnv>) {
  const { db, stores, now } = c.var.deps;
  return mbusRunner({ db, stores, now });
}

/** 409 for a busy line, 422 for a request the runner cannot carry out. */
function runError(err: unknown): never {
  if (err instanceof RunBusyError) throw conflict(err.message);
  if (err instanceof RangeError) {
    const m = /^(\w+): (.*)$/.exec(err.message);
    rejectField(m ? m[1] : 'request', m ? m[2] : err.message);
  }
  throw err;
}

function mayOf(c: Context<AppEnv>): MbusMay {
  const p = c.var.principal!.permissions;
  return { write: p.has('meters.write'), disconnect: p.has('disconnect'), settings: p.has('settings.manage') };
}

function systemDetail(c: Context<AppEnv>, id: number) {
  const { stores } = c.var.deps;
  const tenantId = c.var.principal!.tenantId;
  return { system: stores.mbus.get(tenantId, id), devices: stores.mbus.devices(tenantId, id).map(publicDevice), may: mayOf(c) };
}

/** The profile id of the path, or 422 naming the rule. */
function profileIdParam(c: Context<AppEnv>): string {
  const r = ProfileId.safeParse({ id: c.req.param('id') });
  if (!r.success) rejectField('id', r.error.issues[0].message);
  return r.data.id;
}

export const mbus = new Hono<AppEnv>()
  .get('/systems', requirePermission('meters.read'), (c) => {
    return c.json({ systems: c.var.deps.stores.mbus.list(c.var.principal!.tenantId), may: mayOf(c) });
  })
  .post('/systems', requirePermission('meters.write'), async (c) => {
    const body = await parseJson(c, NewSystem);
    checkAddress(body);
    const { stores, now, db } = c.var.deps;
    const system = stores.mbus.create(actor(c), body, now());
    mbusSystemsChanged(db);
    return c.json({ system }, 201);
  })
  .get('/systems/:id', requirePermission('meters.read'), (c) => {
    return c.json(systemDetail(c, idParam(c)));
  })
  .patch('/systems/:id', requirePermission('meters.write'), async (c) => {
    const id = idParam(c);
    const patch = await parseJson(c, SystemPatch);
    const { stores, now, db } = c.var.deps;
    const before = stores.mbus.get(c.var.principal!.tenantId, id);
    checkAddress({ transport: patch.transport ?? before.transport, address: patch.address ?? before.address });
    const system = stores.mbus.update(actor(c), id, patch, now());
    mbusSystemsChanged(db);
    return c.json({ system });
  })
  .delete('/systems/:id', requirePermission('meters.write'), (c) => {
    const id = idParam(c);
    const { stores, now, db } = c.var.deps;
    const system = stores.mbus.get(c.var.principal!.tenantId, id);
    if (runner(c).busy(id)) throw conflict(`M-Bus system "${system.name}" is busy with a run: cancel it before deleting the system.`);
    stores.mbus.delete(actor(c), id, now());
    mbusSystemsChanged(db);
    return c.body(null, 204);
  })
  .post('/systems/:id/scan', requirePermission('meters.write'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, Scan);
    try {
      return c.json({ run: runner(c).scan(actor(c), id, body) }, 202);
    } catch (err) {
      runError(err);
    }
  })
  .post('/systems/:id/read', requirePermission('meters.write'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, Read);
    try {
      return c.json({ run: runner(c).read(actor(c), id, c.var.principal!.tenantId, body.deviceIds) }, 202);
    } catch (err) {
      runError(err);
    }
  })
  .get('/runs/:id', requirePermission('meters.read'), (c) => {
    return c.json({ run: c.var.deps.stores.mbus.run(c.var.principal!.tenantId, idParam(c)) });
  })
  .post('/runs/:id/cancel', requirePermission('meters.write'), async (c) => {
    return c.json({ run: await runner(c).cancel(actor(c), idParam(c)) });
  })
  // Create or reuse the meter (manufacturer + serial) and install it at the point; the frames that
  // waited for that meter are decoded now.
  .post('/devices/:id/attach', requirePermission('meters.write'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, Attach);
    const { stores, now, db } = c.var.deps;
    const a = actor(c);
    const device = stores.mbus.device(a.tenantId, id);
    if (!device.manufacturer || !device.serial) {
      throw conflict(`Device ${id} has not been read yet, so its meter is not known: read it (or scan by secondary address) first.`);
    }
    const at = now();
    const meterId = db.transaction(() => {
      let meterId = stores.meters.idByIdentity(a.tenantId, device.manufacturer!, device.serial!);
      const created = meterId === undefined;
      if (meterId === undefined) {
        meterId = stores.meters.insert(
          a.tenantId,
          {
            manufacturer: device.manufacturer!,
            serial: device.serial!,
            version: device.version,
            deviceType: device.deviceType,
            medium: device.deviceType !== null ? mediumOf(device.deviceType) : null,
            readingMode: 'wired'
          },
          at
        );
      }
      if (stores.meters.currentPointOf(meterId) !== body.meteringPointId) stores.meters.install(a, meterId, body.meteringPointId, at, at);
      stores.mbus.linkMeter(id, meterId, at);
      auditAs(db, a, at, 'mbus.device.attached', { deviceId: id, meterId, meteringPointId: body.meteringPointId, meterCreated: created });
      return meterId;
    })();
    stores.ingest.metersChanged(a.tenantId, [meterId], at);
    return c.json({ device: publicDevice(stores.mbus.device(a.tenantId, id)) });
  })
  .post('/devices/:id/valve', requirePermission('disconnect'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, Valve);
    const { stores } = c.var.deps;
    const a = actor(c);
    const device = stores.mbus.device(a.tenantId, id);
    const profileId = body.profileId ?? device.valve?.profileId;
    if (!profileId) rejectField('profileId', `device ${id} has no known valve: choose the valve profile of its model`);
    const profile = valveProfile(stores.settings, a.tenantId, profileId);
    if (!profile) rejectField('profileId', `no valve profile "${profileId.slice(0, 64)}" in this utility`);
    try {
      const d = await runner(c).valve(a, id, body.action, profile, c.req.raw.signal);
      return c.json({ device: publicDevice(d) });
    } catch (err) {
      if (err instanceof MbusError) throw new HTTPException(502, { message: err.message });
      if (err instanceof Error && err.name === 'LinkError') throw new HTTPException(502, { message: err.message });
      runError(err);
    }
  })
  .get('/valve-profiles', requirePermission('meters.read'), (c) => {
    return c.json({ profiles: valveProfiles(c.var.deps.stores.settings, c.var.principal!.tenantId) });
  })
  .put('/valve-profiles/:id', requirePermission('settings.manage'), async (c) => {
    const id = profileIdParam(c);
    const body = await parseJson(c, ProfileBody);
    const { stores, now, db } = c.var.deps;
    try {
      return c.json({ profile: putValveProfile(db, stores.settings, actor(c), id, body, now()) });
    } catch (err) {
      if (err instanceof RangeError) {
        // parseValveProfile lists every bad field ("open.data: …; state.mask: …"): one entry each,
        // so the form shows each message at its own input
        const fields = err.message
          .replace(/^valve profile: /, '')
          .split('; ')
          .map((text) => {
            const m = /^([\w.]+): (.*)$/.exec(text);
            return { field: m ? m[1] : 'profile', message: m ? m[2] : text };
          });
        unprocessable(fields);
      }
      throw err;
    }
  })
  // A profile a device's valve is known by stays: the runner reads that valve's state with it.
  .delete('/valve-profiles/:id', requirePermission('settings.manage'), (c) => {
    const id = profileIdParam(c);
    const { stores, now, db } = c.var.deps;
    const a = actor(c);
    const uses = stores.mbus.valveProfileUses(a.tenantId, id);
    if (uses.count > 0) {
      const profile = valveProfile(stores.settings, a.tenantId, id);
      const meters = uses.count === 1 ? '1 meter' : `${uses.count} meters`;
      throw conflict(
        `Valve profile "${profile?.name ?? id}" is used by ${meters} on ${uses.systems.map((n) => `"${n}"`).join(', ')}: ` +
          'command their valves with another profile first, or delete those M-Bus systems.'
      );
    }
    try {
      if (!deleteValveProfile(db, stores.settings, a, id, now())) throw notFound('Valve profile', id);
    } catch (err) {
      if (err instanceof RangeError) rejectField('id', err.message.replace(/^id: /, ''));
      throw err;
    }
    return c.body(null, 204);
  });

const RUN = '{id, systemId, kind: scan|read, state: running|done|failed|cancelled, done, total, found, errors: [{deviceId, address, message}], message, startedAt, finishedAt}';
const SYSTEM = `{id, name, transport: tcp|serial, address, baud, addressing: primary|secondary, schedule, enabled, deviceCount, lastRun: ${RUN} | null}`;
const DEVICE =
  '{id, primaryAddress, secondary, manufacturer, serial, version, deviceType, meterId, meteringPoint: {id, name} | null, lastReadAt, lastError, valve: {profileId, state: open|closed|unknown, at} | null}';
const MAY = '{write, disconnect, settings} (booleans: what the signed-in principal may do here)';
const PROFILE = '{id, name, open: {ci, data}, close: {ci, data}, state: {difvif, mask, openValue}}';

describeRoute(
  { method: 'get', path: '/api/mbus/systems', tag: 'M-Bus', summary: 'Wired M-Bus systems with their last run', permission: 'meters.read', response: `{systems: [${SYSTEM}], may: ${MAY}}` },
  {
    method: 'post',
    path: '/api/mbus/systems',
    tag: 'M-Bus',
    summary: 'Add an M-Bus system',
    description:
      'A cable segment behind an M-Bus master: a gateway on the network (transport tcp, address host:port) or a level converter on this server (serial, e.g. /dev/ttyUSB0), 8E1 at the baud rate. ' +
      'schedule: a croner pattern for scheduled reads of its devices, or null.',
    permission: 'meters.write',
    body: NewSystem,
    response: `{system: ${SYSTEM}}; 409 when the name is taken`,
    status: 201
  },
  { method: 'get', path: '/api/mbus/systems/:id', tag: 'M-Bus', summary: 'One M-Bus system and the devices found on it', permission: 'meters.read', response: `{system: ${SYSTEM}, devices: [${DEVICE}], may: ${MAY}}` },
  { method: 'patch', path: '/api/mbus/systems/:id', tag: 'M-Bus', summary: 'Change an M-Bus system', permission: 'meters.write', body: SystemPatch, response: `{system: ${SYSTEM}}` },
  {
    method: 'delete',
    path: '/api/mbus/systems/:id',
    tag: 'M-Bus',
    summary: 'Delete an M-Bus system',
    description: 'Its devices and runs go; frames, readings and meters stay. 409 while a run is busy on it.',
    permission: 'meters.write',
    response: 'nothing',
    status: 204
  },
  {
    method: 'post',
    path: '/api/mbus/systems/:id/scan',
    tag: 'M-Bus',
    summary: 'Scan the system for meters',
    description:
      'primary: SND_NKE to each address from..to (default 0-250), present meters are read once; secondary: the wildcard search (collisions resolved). ' +
      'Answers at once with the run; follow it with GET /api/mbus/runs/:id. 409 while another run is busy on the system.',
    permission: 'meters.write',
    body: Scan,
    response: `{run: ${RUN}}`,
    status: 202
  },
  {
    method: 'post',
    path: '/api/mbus/systems/:id/read',
    tag: 'M-Bus',
    summary: 'Read the system\'s devices now',
    description: 'All devices, or those given. Every telegram is stored raw first; a multi-telegram read makes one reading. 409 while another run is busy.',
    permission: 'meters.write',
    body: Read,
    response: `{run: ${RUN}}`,
    status: 202
  },
  { method: 'get', path: '/api/mbus/runs/:id', tag: 'M-Bus', summary: 'A scan or read with its progress and per-meter errors', permission: 'meters.read', response: `{run: ${RUN}}` },
  { method: 'post', path: '/api/mbus/runs/:id/cancel', tag: 'M-Bus', summary: 'Cancel a running scan or read', permission: 'meters.write', response: `{run: ${RUN}}` },
  {
    method: 'post',
    path: '/api/mbus/devices/:id/attach',
    tag: 'M-Bus',
    summary: 'Attach a found meter to a metering point',
    description: 'Creates the meter (or reuses it by manufacturer and serial), installs it at the point and decodes the frames that waited for it.',
    permission: 'meters.write',
    body: Attach,
    response: `{device: ${DEVICE}}`
  },
  {
    method: 'post',
    path: '/api/mbus/devices/:id/valve',
    tag: 'M-Bus',
    summary: 'Open or close a meter\'s valve (remote disconnection)',
    description: 'Sends the profile\'s SND_UD, reads the meter back and stores the state it reports; audited as mbus.valve. 502 with the sentence when the meter did not take the command.',
    permission: 'disconnect',
    body: Valve,
    response: `{device: ${DEVICE}}`
  },
  { method: 'get', path: '/api/mbus/valve-profiles', tag: 'M-Bus', summary: 'Valve profiles: the EN 13757-3 one and configured ones', permission: 'meters.read', response: `{profiles: [${PROFILE}]}` },
  {
    method: 'put',
    path: '/api/mbus/valve-profiles/:id',
    tag: 'M-Bus',
    summary: 'Configure a valve profile',
    description: 'For models whose command is not public (e.g. Kamstrup Thermal Disconnect): the SND_UD CI and data for open and close, and the record (DIF/VIF hex, mask, open value) that carries the state.',
    permission: 'settings.manage',
    params: ProfileId,
    body: ProfileBody,
    response: `{profile: ${PROFILE}}`
  },
  {
    method: 'delete',
    path: '/api/mbus/valve-profiles/:id',
    tag: 'M-Bus',
    summary: 'Delete a configured valve profile',
    description: 'Audited as mbus.valve-profile.deleted. 409 with the sentence while a device\'s valve is known by the profile; the built-in EN 13757-3 profile cannot be deleted (422).',
    permission: 'settings.manage',
    params: ProfileId,
    response: 'nothing',
    status: 204
  }
);
