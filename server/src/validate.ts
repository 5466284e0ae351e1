import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { z } from 'zod';

/** The request body parsed by a zod schema; 400 for broken JSON, 422 with the field messages otherwise. */
export async function parseJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new HTTPException(400, { message: 'The request body is not valid JSON.' });
  }
  const result = schema.safeParse(body);
  if (!result.success) unprocessable(result.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })));
  return result.data;
}

export interface FieldError {
  field: string;
  message: string;
}

/** The 422 answer with one message per field: {error: "field: message; …", fields}. */
export function unprocessableError(fields: FieldError[]): HTTPException {
  return new HTTPException(422, {
    res: new Response(JSON.stringify({ error: fields.map((f) => `${f.field}: ${f.message}`).join('; '), fields }), {
      status: 422,
      headers: { 'content-type': 'application/json' }
    })
  });
}

export function unprocessable(fields: FieldError[]): never {
  throw unprocessableError(fields);
}

/** 422 for one field. */
export function rejectField(field: string, message: string): never {
  throw unprocessableError([{ field, message }]);
}
