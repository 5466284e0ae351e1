import { ApiError } from '$lib/api/client';

// The server's 422 answer names each bad field ({fields: [{field, message}]},
// server/src/validate.ts): shown beside the input it concerns.

export function fieldErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (e instanceof ApiError && e.reason === 'invalid' && e.body && typeof e.body === 'object' && 'fields' in e.body) {
    for (const f of (e.body as { fields: { field: string; message: string }[] }).fields ?? []) out[f.field] ??= f.message;
  }
  return out;
}

/** "14 Mar 2026, 10:32" in the browser's zone. */
export function when(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}
