import type { Permission, Role } from './permissions.js';

/** Who is calling: a signed-in person, an API token (M16) or an authorised field device. */
export interface Principal {
  kind: 'user' | 'token' | 'device';
  tenantId: number;
  tenantName: string;
  /** The person (for a token: its creator; for a device: who registered it), or null. */
  userId: number | null;
  /** Shown in audit entries: the login, "token <name>" or "device <name>". */
  name: string;
  role: Role | null;
  /** Token id or device id, for audit details and revocation checks. */
  refId: number | null;
  permissions: ReadonlySet<Permission>;
}

/** Who did something, as the store records it in the audit entry of the same transaction. */
export interface Actor {
  tenantId: number;
  userId: number | null;
  name: string;
  /** Computer or device name: the browser's user agent or a field device's name. */
  device: string | null;
}

export function actorOf(p: Principal, device: string | null): Actor {
  return { tenantId: p.tenantId, userId: p.userId, name: p.name, device };
}
