// Roles and the permission matrix (M20, architecture.md decision 7). An administrator may do
// everything; what 'user' and 'superuser' may do is a per-tenant matrix that administrators edit,
// starting from the defaults below.

export const PERMISSIONS = [
  'meters.read', //        meters, customers, metering points, groups, installations
  'readings.read', //      readings, consumption, raw frames and their decode status
  'export', //             downloads and exports of data
  'meters.write', //       create, change, delete meters, customers, metering points, installations
  'groups.write', //       create, rename, delete groups and their members
  'alerts.write', //       consumption alert limits (M10), reset and re-arm; comments on report rows
  'import', //             CSV imports of meters, customers
  'keys.write', //         import or set meter keys (never shows them)
  'keys.read', //          read a meter key in clear (audited)
  'readings.erase', //     GDPR erasure of a metering point's readings
  'ingest', //             push raw telegrams (gateways, meters, field devices)
  'disconnect', //         open or close a meter's valve (remote disconnection, M11); audited
  'audit.read',
  'users.manage',
  'devices.manage', //     authorise, revoke field devices
  'tokens.manage', //      create, revoke API tokens
  'settings.manage', //    thinning periods, thresholds, jobs
  'permissions.manage' //  edit the matrix: administrators only, never grantable
] as const;

export type Permission = (typeof PERMISSIONS)[number];
export type Role = 'user' | 'superuser' | 'administrator';
export type EditableRole = Exclude<Role, 'administrator'>;

export const NOT_GRANTABLE: ReadonlySet<Permission> = new Set(['permissions.manage', 'users.manage']);

export const DEFAULT_PERMISSIONS: Record<EditableRole, readonly Permission[]> = {
  user: ['meters.read', 'readings.read', 'export'],
  superuser: ['meters.read', 'readings.read', 'export', 'meters.write', 'groups.write', 'alerts.write', 'import', 'keys.write', 'ingest']
};

export function isPermission(p: string): p is Permission {
  return (PERMISSIONS as readonly string[]).includes(p);
}

export const ALL_PERMISSIONS: ReadonlySet<Permission> = new Set(PERMISSIONS);
