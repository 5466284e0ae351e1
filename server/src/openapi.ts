import { z } from 'zod';
import type { Permission } from './auth/permissions.js';

// The OpenAPI description of the REST API, generated from the zod schemas the routes validate
// with (z.toJSONSchema). Each route module describes its operations once, at load, with
// describeRoute(); GET /api/openapi.json and GET /api/docs (routes/docs.ts) serve the result.

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ApiOperation {
  method: HttpMethod;
  /** The Hono path under /api, with :params: "/api/meters/:id/readings". */
  path: string;
  /** Groups operations in the docs: "Readings", "Ingest". */
  tag: string;
  summary: string;
  description?: string;
  /** The permission the route requires; null for the few public routes. */
  permission: Permission | null;
  /** Path parameters that are not positive ids (those are assumed): a zod object schema. */
  params?: z.ZodObject;
  /** Query parameters: a zod object schema (each key one parameter). */
  query?: z.ZodObject;
  /** JSON request body. */
  body?: z.ZodType;
  /** What a successful answer holds. */
  response: string;
  /** Status of a successful answer; default 200. */
  status?: number;
}

const operations = new Map<string, ApiOperation>();
let cached: Record<string, unknown> | null = null;

/** Adds (or replaces) operations in the description. Call at module load of a route file. */
export function describeRoute(...ops: ApiOperation[]): void {
  for (const op of ops) operations.set(`${op.method} ${op.path}`, op);
  cached = null;
}

/** Every described operation, ordered by tag and path. */
export function describedOperations(): ApiOperation[] {
  return [...operations.values()].sort((a, b) => a.tag.localeCompare(b.tag) || a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}

/** "/api/meters/:id/readings" → "/api/meters/{id}/readings". */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}');
}

const ERROR = { $ref: '#/components/schemas/Error' };

function operationObject(op: ApiOperation): Record<string, unknown> {
  const parameters: Record<string, unknown>[] = [];
  for (const m of op.path.matchAll(/:(\w+)/g)) {
    const own = (op.params?.shape as Record<string, z.ZodType> | undefined)?.[m[1]];
    parameters.push({ name: m[1], in: 'path', required: true, schema: own ? jsonSchema(own) : { type: 'integer', minimum: 1 } });
  }
  if (op.query) {
    for (const [name, field] of Object.entries(op.query.shape as Record<string, z.ZodType>)) {
      const optional = field.safeParse(undefined).success;
      parameters.push({ name, in: 'query', required: !optional, schema: jsonSchema(field) });
    }
  }
  const status = String(op.status ?? 200);
  const responses: Record<string, unknown> = {
    [status]: { description: op.response },
    '422': { description: 'Invalid input: the message names the field.', content: { 'application/json': { schema: ERROR } } }
  };
  if (op.permission) {
    responses['401'] = { description: 'Not signed in, or the token is unknown, expired or revoked.', content: { 'application/json': { schema: ERROR } } };
    responses['403'] = { description: `The caller lacks the permission "${op.permission}".`, content: { 'application/json': { schema: ERROR } } };
  }
  if (op.path.includes(':')) {
    responses['404'] = { description: 'No such item in your utility.', content: { 'application/json': { schema: ERROR } } };
  }
  const o: Record<string, unknown> = {
    operationId: `${op.method}${openApiPath(op.path).replace(/^\/api/, '').replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
    tags: [op.tag],
    summary: op.summary,
    parameters,
    responses,
    'x-permission': op.permission
  };
  if (op.description) o.description = op.description;
  if (op.body) o.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } };
  if (!op.permission) o.security = [];
  return o;
}

/** The OpenAPI 3.1 document (JSON Schema 2020-12, which zod 4 writes). */
export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of describedOperations()) {
    const p = (paths[openApiPath(op.path)] ??= {});
    p[op.method] = operationObject(op);
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Readout API',
      version: '0.1.0',
      description:
        'Remote reading of heat, cooling, water and electricity meters. Sign in with a session cookie (POST /api/auth/login) ' +
        'or send an API token as "Authorization: Bearer rdt_…". Instants are UTC milliseconds; ISO 8601 is accepted on input. ' +
        'Each operation names the permission it needs in x-permission.'
    },
    servers: [{ url: '/' }],
    security: [{ session: [] }, { token: [] }],
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'readout_session' },
        token: { type: 'http', scheme: 'bearer', description: 'API token (rdt_…) or authorised field device (rdd_…)' }
      },
      schemas: {
        Error: {
          type: 'object',
          properties: {
            error: { type: 'string', description: 'What was wrong, naming the field.' },
            fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } }
          },
          required: ['error']
        }
      }
    },
    paths
  };
  return cached;
}
