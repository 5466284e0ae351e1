import { failureText, request } from '$lib/api/client';
import type { TokenInfo, TokenStatus } from '$server/store/tokens';
import { PERMISSION_TEXT } from '../roles/permission-text';

// API tokens for other systems (server/src/routes/tokens.ts, permission tokens.manage). The
// secret is answered once, by the POST; the server keeps only its hash.

export type { TokenStatus };
export type Token = TokenInfo;

/** Permissions a token may hold: all but those that stay with administrators (NOT_GRANTABLE). */
export const SCOPES = Object.keys(PERMISSION_TEXT).filter((p) => p !== 'users.manage' && p !== 'permissions.manage');

export const listTokens = (offset: number, limit: number) =>
  request<{ tokens: Token[]; total: number }>('GET', `/tokens?limit=${limit}&offset=${offset}`);
export const createToken = (t: { name: string; scopes: string[]; expiresAt: number | null }) =>
  request<{ token: Token; secret: string }>('POST', '/tokens', t);
export const revokeToken = (id: number) => request<{ token: Token }>('DELETE', `/tokens/${id}`);

export const explain = (e: unknown) => failureText(e, 'Your role may not manage API tokens: ask an administrator.');

/** The end of a local calendar day (YYYY-MM-DD) as UTC ms: a token "until 31 Jan" works all that day. */
export function endOfDay(day: string): number {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d + 1).getTime() - 1;
}
