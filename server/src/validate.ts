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
  if (!result.success) {
    const fields = result.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }));
    throw new HTTPException(422, {
      res: new Response(JSON.stringify({ error: fields.map((f) => `${f.field}: ${f.message}`).join('; '), fields }), {
        status: 422,
        headers: { 'content-type': 'application/json' }
      })
    });
  }
  return result.data;
}
