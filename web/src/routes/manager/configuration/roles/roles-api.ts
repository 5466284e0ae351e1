import { failureText, request } from '$lib/api/client';

// The permission matrix (server/src/routes/permissions.ts): reading it needs users.manage,
// changing it permissions.manage; both stay with administrators.

export type EditableRole = 'user' | 'superuser';
export const EDITABLE: readonly EditableRole[] = ['user', 'superuser'];

export interface Matrix {
  permissions: { name: string; grantable: boolean }[];
  roles: { user: string[]; superuser: string[]; administrator: string[] };
}

export const getMatrix = () => request<Matrix>('GET', '/permissions');
export const setRole = (role: EditableRole, permissions: string[]) =>
  request<{ role: EditableRole; permissions: string[] }>('PUT', `/permissions/${role}`, { permissions });

export const explain = (e: unknown) => failureText(e, 'Your role may not see or change the permission matrix: ask an administrator.');

export interface RoleChange {
  role: EditableRole;
  added: string[];
  removed: string[];
}

/** What differs between the saved matrix and the draft, per role, in the matrix's order. */
export function changesOf(order: string[], saved: Matrix['roles'], draft: Record<EditableRole, Set<string>>): RoleChange[] {
  return EDITABLE.map((role) => {
    const before = new Set(saved[role]);
    return {
      role,
      added: order.filter((p) => draft[role].has(p) && !before.has(p)),
      removed: order.filter((p) => !draft[role].has(p) && before.has(p))
    };
  }).filter((c) => c.added.length + c.removed.length > 0);
}
