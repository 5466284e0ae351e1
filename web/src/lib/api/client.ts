// The one way the web app talks to the server. Network failures and server answers become an
// ApiError with a reason the UI switches on (style.md §3, environment failures).

export type ApiFailure = 'offline' | 'unauthorised' | 'forbidden' | 'invalid' | 'not-found' | 'server';

export class ApiError extends Error {
  constructor(
    readonly reason: ApiFailure,
    message: string,
    readonly status = 0,
    /** The answer's JSON body when there was one (422 field list, …). */
    readonly body: unknown = null
  ) {
    super(message);
  }
}

export interface RequestOptions {
  /** A field device's secret (rdd_…) or an API token: sent as "Authorization: Bearer …" instead of relying on the cookie. */
  token?: string;
  /** Tests and the headless sync pass their own fetch (e.g. the in-process server). */
  fetch?: typeof fetch;
  /** Aborting rejects with the fetch's AbortError, not with an ApiError: a cancel is not a failure. */
  signal?: AbortSignal;
}

const REASONS: Record<number, ApiFailure> = { 401: 'unauthorised', 403: 'forbidden', 404: 'not-found', 400: 'invalid', 422: 'invalid' };

export async function request<T>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  options: RequestOptions = {}
): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let res: Response;
  try {
    res = await (options.fetch ?? fetch)(`/api${path}`, {
      method,
      credentials: 'same-origin',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options.signal
    });
  } catch (e) {
    if (options.signal?.aborted) throw e;
    throw new ApiError('offline', 'The server cannot be reached. Check the network connection.');
  }
  if (res.status === 204) return null as T;
  let data: { error?: string } | null;
  try {
    data = (await res.json()) as { error?: string } | null;
  } catch (e) {
    // the answer was cut off (or was not JSON): on a 2xx that is a lost answer, not a success
    if (options.signal?.aborted) throw e;
    if (res.ok) throw new ApiError('offline', 'The connection was lost before the server\'s answer arrived.', res.status);
    data = null;
  }
  if (!res.ok) {
    throw new ApiError(REASONS[res.status] ?? 'server', data?.error ?? `The server answered ${res.status}.`, res.status, data);
  }
  return data as T;
}

/**
 * One sentence for a failed call, naming what the person can do about it; `forbidden` says what
 * their role may not do ("Your role may not manage field devices: ask an administrator.").
 */
export function failureText(e: unknown, forbidden: string): string {
  if (e instanceof ApiError) {
    if (e.reason === 'forbidden') return forbidden;
    if (e.reason === 'unauthorised') return 'Your session has ended: sign in again.';
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}
