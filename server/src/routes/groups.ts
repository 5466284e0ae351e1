import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { MAX_MEMBERS_PER_CALL } from '../store/groups.js';
import { parseJson } from '../validate.js';
import { actor } from './customers.js';
import { positiveId } from './metering-points.js';
import { idParam } from './params.js';

// Meter groups (M4): named sets of meters, with counts and the "ungrouped" count. Members are
// added and removed in bulk (up to 5,000 meter ids per call).

const name = z.string({ error: 'expected a name' }).trim().min(1, 'enter a name').max(100, 'at most 100 characters');
const NewGroup = z.object({ name }).strict();
const Members = z
  .object({
    meterIds: z
      .array(positiveId, { error: 'expected a list of meter ids' })
      .min(1, 'give at least one meter id')
      .max(MAX_MEMBERS_PER_CALL, `at most ${MAX_MEMBERS_PER_CALL} meter ids per call`)
  })
  .strict();

export const groups = new Hono<AppEnv>()
  .get('/', requirePermission('meters.read'), (c) => {
    return c.json(c.var.deps.stores.groups.list(c.var.principal!.tenantId));
  })
  .get('/:id', requirePermission('meters.read'), (c) => {
    return c.json({ group: c.var.deps.stores.groups.get(c.var.principal!.tenantId, idParam(c)) });
  })
  .post('/', requirePermission('groups.write'), async (c) => {
    const body = await parseJson(c, NewGroup);
    const { stores, now } = c.var.deps;
    return c.json({ group: stores.groups.create(actor(c), body.name, now()) }, 201);
  })
  .patch('/:id', requirePermission('groups.write'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, NewGroup);
    const { stores, now } = c.var.deps;
    return c.json({ group: stores.groups.rename(actor(c), id, body.name, now()) });
  })
  .delete('/:id', requirePermission('groups.write'), (c) => {
    const { stores, now } = c.var.deps;
    stores.groups.delete(actor(c), idParam(c), now());
    return c.json({ ok: true });
  })
  .post('/:id/members', requirePermission('groups.write'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, Members);
    const { stores, now } = c.var.deps;
    return c.json(stores.groups.addMembers(actor(c), id, body.meterIds, now()));
  })
  .post('/:id/members/remove', requirePermission('groups.write'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, Members);
    const { stores, now } = c.var.deps;
    return c.json(stores.groups.removeMembers(actor(c), id, body.meterIds, now()));
  });

const GROUP = '{id, name, meters (count), createdAt}';

describeRoute(
  {
    method: 'get',
    path: '/api/groups',
    tag: 'Groups',
    summary: 'List meter groups with their counts',
    permission: 'meters.read',
    description:
      'With the counts of the group panel (M3): all meters, ungrouped (in no group) and lastImported, the newest import run that ' +
      'named meters (list them with GET /api/meters?group=last-imported).',
    response: `{groups: [${GROUP}], ungrouped, meters, lastImported: {runId, startedAt, source, kind, meters} | null}`
  },
  { method: 'get', path: '/api/groups/:id', tag: 'Groups', summary: 'One group', permission: 'meters.read', response: `{group: ${GROUP}}` },
  {
    method: 'post',
    path: '/api/groups',
    tag: 'Groups',
    summary: 'Create a group',
    permission: 'groups.write',
    body: NewGroup,
    response: '{group}; 409 when the name is taken',
    status: 201
  },
  { method: 'patch', path: '/api/groups/:id', tag: 'Groups', summary: 'Rename a group', permission: 'groups.write', body: NewGroup, response: '{group}' },
  {
    method: 'delete',
    path: '/api/groups/:id',
    tag: 'Groups',
    summary: 'Delete a group',
    description: 'The meters stay; only their membership goes.',
    permission: 'groups.write',
    response: '{ok: true}'
  },
  {
    method: 'post',
    path: '/api/groups/:id/members',
    tag: 'Groups',
    summary: 'Add meters to a group',
    description: `Up to ${MAX_MEMBERS_PER_CALL} meter ids per call; 404 naming the ids that are not meters of your utility (nothing is added then).`,
    permission: 'groups.write',
    body: Members,
    response: '{added, alreadyMembers, group}'
  },
  {
    method: 'post',
    path: '/api/groups/:id/members/remove',
    tag: 'Groups',
    summary: 'Remove meters from a group',
    description: `Up to ${MAX_MEMBERS_PER_CALL} meter ids per call.`,
    permission: 'groups.write',
    body: Members,
    response: '{removed, group}'
  }
);
