// Plain-language names of the server's permissions (server/src/auth/permissions.ts), for the
// permission matrix and the API token form. A permission the server adds later and this list
// does not know yet is shown by its name.

export const PERMISSION_TEXT: Record<string, { title: string; text: string }> = {
  'meters.read': { title: 'See meters', text: 'Meters, customers, metering points, groups, installations, the map.' },
  'readings.read': { title: 'See readings', text: 'Readings, consumption graphs, consumer reports, raw telegrams and their decoding.' },
  export: { title: 'Export data', text: 'Download exports for billing and other downloads of data.' },
  'meters.write': { title: 'Change meters', text: 'Create, change and delete meters, customers and metering points; meter exchanges.' },
  'groups.write': { title: 'Change groups', text: 'Create, rename and delete groups; add meters to them and remove them.' },
  'alerts.write': { title: 'Set alerts', text: 'Consumption alert limits, their reset and re-arm; comments on report rows.' },
  import: { title: 'Import', text: 'Import customers, metering points and meters from CSV files.' },
  'keys.write': { title: 'Import keys', text: 'Import or set meter encryption keys (the keys are never shown).' },
  'keys.read': { title: 'Read keys', text: 'Read a meter key in clear text; every read is in the audit log.' },
  'readings.erase': { title: 'Erase readings (GDPR)', text: "Erase a metering point's readings for a period, for a former resident." },
  ingest: { title: 'Send telegrams', text: 'Push raw telegrams: gateways, meters, the field app.' },
  'audit.read': { title: 'Read the audit log', text: 'Who changed what and when.' },
  'users.manage': { title: 'Manage users', text: 'Create, change and disable logins. Administrators only.' },
  'devices.manage': { title: 'Manage field devices', text: 'Authorise field devices, set their routes, revoke them.' },
  'tokens.manage': { title: 'Manage API tokens', text: 'Create and revoke tokens for other systems.' },
  disconnect: { title: 'Open and close valves', text: 'Open or close the valve of a wired M-Bus meter (remote disconnection); every command is in the audit log.' },
  'settings.manage': { title: 'Settings and jobs', text: 'How long readings are kept, mail, saved export formats, scheduled jobs.' },
  'permissions.manage': { title: 'Edit this matrix', text: 'Change what each role may do. Administrators only.' }
};

export const titleOf = (p: string) => PERMISSION_TEXT[p]?.title ?? p;
export const textOf = (p: string) => PERMISSION_TEXT[p]?.text ?? '';
