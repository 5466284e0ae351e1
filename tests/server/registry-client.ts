// A small JSON client over the in-process app, for the registry tests (customers, metering
// points, meters, groups, imports, keys).
import type { TestServer } from './helpers';

export interface Answer {
  status: number;
  /** The body as sent, to assert that something (a key) is NOT in it. */
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export function apiClient(server: TestServer) {
  return async function call(cookie: string, method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await server.app.request(path, {
      method,
      headers: { cookie, 'user-agent': 'vitest', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, text, json };
  };
}

/** Audit entries of the database as text, to check what they do and do not contain. */
export function auditText(server: TestServer, event?: string): string {
  const rows = server.db
    .prepare(`select event, details from audit_entry ${event ? 'where event = ?' : ''} order by id`)
    .all(...(event ? [event] : [])) as { event: string; details: string | null }[];
  return rows.map((r) => `${r.event} ${r.details ?? ''}`).join('\n');
}
