import { failureText, request } from '$lib/api/client';
import type { Role } from '$server/auth/permissions';
import type { ListedUser } from '$server/store/users';

// The Manager's calls about people (server/src/routes/users.ts, permission users.manage).

export type { Role };
export const ROLES: readonly Role[] = ['user', 'superuser', 'administrator'];
export const ROLE_LABEL: Record<Role, string> = { user: 'User', superuser: 'Superuser', administrator: 'Administrator' };

/** The server's rules (server/src/routes/users.ts), said before the person types. */
export const LOGIN_RULE = '3 to 64 letters, digits or . _ @ -';
export const PASSWORD_RULE = 'At least 10 characters';

/** A person in the list, with their latest sign-in. */
export type User = ListedUser;

export interface UserPage {
  users: User[];
  total: number;
}

export function listUsers(q: string, includeDisabled: boolean, offset: number, limit: number): Promise<UserPage> {
  const params = new URLSearchParams({ limit: String(limit), offset: String(offset), includeDisabled: String(includeDisabled) });
  if (q.trim()) params.set('q', q.trim());
  return request<UserPage>('GET', `/users?${params}`);
}

export const createUser = (u: { login: string; displayName: string; role: Role; password: string }) =>
  request<{ user: User }>('POST', '/users', u);
export const changeUser = (id: number, change: { displayName?: string; role?: Role }) =>
  request<{ user: User }>('PATCH', `/users/${id}`, change);
export const disableUser = (id: number) => request<{ user: User }>('POST', `/users/${id}/disable`);
export const enableUser = (id: number) => request<{ user: User }>('POST', `/users/${id}/enable`);
export const resetPassword = (id: number, password: string) => request<{ ok: true }>('POST', `/users/${id}/password`, { password });

export const explain = (e: unknown): string => failureText(e, 'Your role may not manage users: ask an administrator.');
