import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { describeRoute } from '../openapi.js';

export const health = new Hono<AppEnv>().get('/', (c) => {
  const { db, now, startedAt } = c.var.deps;
  const sqlite = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
  const schema = (db.prepare('select max(version) as v from schema_migration').get() as { v: number | null }).v ?? 0;
  return c.json({ status: 'ok', sqlite, schema, uptimeMs: now() - startedAt });
});

describeRoute({
  method: 'get',
  path: '/api/health',
  tag: 'API',
  summary: 'Liveness: the server answers and its database is open',
  permission: null,
  response: '{status: "ok", sqlite (version), schema (newest migration), uptimeMs}'
});
