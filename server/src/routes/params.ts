import type { Context } from 'hono';
import { z } from 'zod';
import { unprocessable } from '../validate.js';

// Path and query parameters, checked like bodies in validate.ts: 422 naming the field.

/** A path id: a positive whole number, else 422. */
export function idParam(c: Context, name = 'id'): number {
  const raw = c.req.param(name) ?? '';
  if (!/^[1-9]\d{0,14}$/.test(raw)) unprocessable([{ field: name, message: `expected a positive whole number, got "${raw.slice(0, 40)}"` }]);
  return Number(raw);
}

/** The query string parsed by a zod object schema (use `.strict()` so unknown parameters are named). */
export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) {
    unprocessable(
      result.error.issues.map((i) => ({
        field: i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(', ') : ''),
        message: i.message
      }))
    );
  }
  return result.data;
}

/** limit (1-500, default 50) and offset (default 0) from the query string. */
export const paging = {
  limit: z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(1).max(500).default(50),
  offset: z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(0).default(0)
};

/** "true"/"1" or "false"/"0" in a query string. */
export const queryFlag = z
  .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1');
