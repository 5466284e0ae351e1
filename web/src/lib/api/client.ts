// The one way the web app talks to the server. Network failures and server answers become an
// ApiError with a reason the UI switches on (style.md §3, environment failures).

export type ApiFailure = 'offline' | 'unauthorised' | 'forbidden' | 'invalid' | 'not-found' | 'server';

export class ApiError extends Error {
  constructor(
    readonly reason: ApiFailure,
    message: string,
    readonly status = 0
  ) {
    super(message);
  }
}

const REASONS: Record<number, ApiFailure> = { 401: 'unauthorised', 403: 'forbidden', 404: 'not-found', 400: 'invalid', 422: 'invalid' };

export async function request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api${path}`, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  } catch {
    throw new ApiError('offline', 'The server cannot be reached. Check the network connection.');
  }
  const data = (await res.json().catch(() => null)) as { error?: string } | null;
  if (!res.ok) {
    throw new ApiError(REASONS[res.status] ?? 'server', data?.error ?? `The server answered ${res.status}.`, res.status);
  }
  return data as T;
}
