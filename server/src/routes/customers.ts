import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { actorOf } from '../auth/principal.js';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { parseJson } from '../validate.js';
import { idParam, paging, parseQuery, queryFlag } from './params.js';

// Customers (M1): the billing system's customer number, name and contact.

const text = (max: number) => z.string({ error: 'expected text' }).trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);
const optionalText = (max: number) => text(max).nullable().optional();

export const CustomerFields = {
  number: optionalText(64),
  name: text(200),
  email: z.email({ error: 'expected an e-mail address' }).max(200).nullable().optional(),
  phone: optionalText(50)
};
const NewCustomer = z.object(CustomerFields).strict();
const Change = z
  .object({ ...CustomerFields, name: CustomerFields.name.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' });
const ListQuery = z
  .object({ q: z.string().max(100, 'at most 100 characters').optional(), sort: z.enum(['name', 'number']).optional(), ...paging })
  .strict();
const DeleteQuery = z.object({ force: queryFlag.optional() }).strict();

export const actor = (c: Context<AppEnv>) => actorOf(c.var.principal!, c.req.header('user-agent') ?? null);

export const customers = new Hono<AppEnv>()
  .get('/', requirePermission('meters.read'), (c) => {
    return c.json(c.var.deps.stores.customers.list(c.var.principal!.tenantId, parseQuery(c, ListQuery)));
  })
  .get('/:id', requirePermission('meters.read'), (c) => {
    return c.json({ customer: c.var.deps.stores.customers.get(c.var.principal!.tenantId, idParam(c)) });
  })
  .post('/', requirePermission('meters.write'), async (c) => {
    const body = await parseJson(c, NewCustomer);
    const { stores, now } = c.var.deps;
    return c.json({ customer: stores.customers.create(actor(c), body, now()) }, 201);
  })
  .patch('/:id', requirePermission('meters.write'), async (c) => {
    const id = idParam(c);
    const body = await parseJson(c, Change);
    const { stores, now } = c.var.deps;
    return c.json({ customer: stores.customers.update(actor(c), id, body, now()) });
  })
  .delete('/:id', requirePermission('meters.write'), (c) => {
    const id = idParam(c);
    const { force } = parseQuery(c, DeleteQuery);
    const { stores, now } = c.var.deps;
    stores.customers.delete(actor(c), id, force ?? false, now());
    return c.json({ ok: true });
  });

const CUSTOMER = '{id, number, name, email, phone, createdAt, updatedAt, meteringPoints (count)}';

describeRoute(
  {
    method: 'get',
    path: '/api/customers',
    tag: 'Customers',
    summary: 'List and search customers',
    description: 'q matches part of the name, number or e-mail, taken literally (% and _ are not wildcards).',
    permission: 'meters.read',
    query: ListQuery,
    response: `{items: [${CUSTOMER}], total, limit, offset}`
  },
  { method: 'get', path: '/api/customers/:id', tag: 'Customers', summary: 'One customer', permission: 'meters.read', response: `{customer: ${CUSTOMER}}` },
  {
    method: 'post',
    path: '/api/customers',
    tag: 'Customers',
    summary: 'Create a customer',
    permission: 'meters.write',
    body: NewCustomer,
    response: '{customer}; 409 when the customer number is taken',
    status: 201
  },
  {
    method: 'patch',
    path: '/api/customers/:id',
    tag: 'Customers',
    summary: 'Change a customer',
    description: 'Only the fields given change; null clears an optional field.',
    permission: 'meters.write',
    body: Change,
    response: '{customer}'
  },
  {
    method: 'delete',
    path: '/api/customers/:id',
    tag: 'Customers',
    summary: 'Delete a customer',
    description: '409 while metering points name the customer, unless force=true (they then have no customer).',
    permission: 'meters.write',
    query: DeleteQuery,
    response: '{ok: true}'
  }
);
