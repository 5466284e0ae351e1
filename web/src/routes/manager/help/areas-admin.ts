import type { HelpArea } from './areas';

// Help for Configuration: users, roles, API tokens, field devices, the audit log, GDPR erasure
// and mail. The rules quoted here are the server's (server/src/routes/users.ts, tokens.ts, …).

export const ADMIN: HelpArea[] = [
  {
    id: 'users',
    title: 'Users',
    screen: { href: '/manager/configuration/users', label: 'Users' },
    summary: 'The people who sign in to Readout: create their logins, change their name or role, disable the login of someone who left, reset a forgotten password.',
    steps: [
      {
        title: 'Create a user',
        items: [
          '"New user…", then the user name (3 to 64 letters, digits or . _ @ -, unique), the name, the role and a first password of at least 10 characters.',
          'Give the person the password in private. They change it themselves once signed in.'
        ]
      },
      {
        title: 'Change, disable, reset',
        items: [
          '"Change…": a new name or role. A new role applies at once, also in sessions already open.',
          '"Disable…": the person can no longer sign in; their open sessions end and the API tokens they created are revoked. "Enable…" lets them back in with their old password.',
          '"Reset password…": sets a new password for someone who forgot theirs; they are signed out everywhere.'
        ]
      }
    ],
    controls: [
      { name: 'Search', text: 'Part of the user name or the name.' },
      { name: 'Show disabled users', text: 'Disabled logins are listed too (they are never deleted: the audit log refers to them).' },
      { name: 'Last sign-in', text: 'The newest successful sign-in, from the audit log. "Never" for someone who has not signed in yet.' }
    ],
    problems: [
      { problem: '"You cannot disable your own login"', meaning: 'Another administrator must do it, so that someone can still sign in to undo it.' },
      { problem: '"…the last active administrator…"', meaning: 'A utility always keeps one active administrator: make another person an administrator first.' },
      { problem: '"login: … is already in use"', meaning: 'User names are unique across the whole server: choose another.' }
    ],
    permission: 'Manage users (administrators only).',
    related: ['roles', 'audit']
  },
  {
    id: 'roles',
    title: 'Roles and permissions',
    screen: { href: '/manager/configuration/roles', label: 'Roles and permissions' },
    summary: 'What the roles user and superuser may do in your utility: the permission matrix. An administrator may always do everything.',
    steps: [
      {
        title: 'Change what a role may do',
        items: [
          'Each row is a permission, with what it allows; each column a role. Tick or untick the boxes.',
          'The box under "Unsaved changes" lists what each role gains and loses. "Discard changes" goes back to what is saved.',
          '"Save". When a role loses a permission you are asked to confirm first: people with that role lose it at once, also in sessions already open.'
        ]
      }
    ],
    controls: [
      { name: 'Administrator column', text: 'Always all ticked and not editable.' },
      { name: 'Greyed-out boxes', text: 'Manage users and Edit this matrix stay with administrators and cannot be given to other roles.' },
      { name: 'Leaving with unsaved changes', text: 'The Manager asks "Leave without saving?" first; Cancel keeps you on the matrix with your ticks.' }
    ],
    problems: [{ problem: 'Someone still cannot do something after a change', meaning: 'Check their role under Users: the matrix applies by role, not per person.' }],
    permission: 'Manage users to see the matrix; Edit this matrix to change it (administrators only).',
    related: ['users', 'tokens']
  },
  {
    id: 'tokens',
    title: 'API tokens',
    screen: { href: '/manager/configuration/tokens', label: 'API tokens' },
    summary: 'Other systems (billing, SCADA, scripts) use the Readout API with a token instead of a person\'s password. Each token has its own permissions and expiry and can be revoked alone.',
    steps: [
      {
        title: 'Create a token',
        items: [
          '"New API token…", a name saying which system uses it, the permissions it needs (as few as possible) and when it expires.',
          'The secret (it starts with rdt_) is shown once. Copy it at once with "Copy" and give it to the other system; Readout keeps only a fingerprint and cannot show it again.',
          'The other system sends it in the header "Authorization: Bearer rdt_…". The API is described at /api/docs.'
        ]
      },
      {
        title: 'Revoke a token',
        items: ['"Revoke…" and confirm: every request with that token is refused from then on. This cannot be undone; create a new token instead.']
      }
    ],
    controls: [
      { name: 'Status', text: 'Active, Expired (its expiry passed) or Revoked.' },
      { name: 'Last used', text: 'When a system last used the token: a token never used may be one nobody needs.' }
    ],
    problems: [
      { problem: '"a token may only do what you may do yourself"', meaning: 'Untick the permissions your own role lacks, or ask an administrator to create the token.' },
      { problem: 'The secret was lost', meaning: 'Revoke the token and create a new one.' },
      { problem: 'The token stopped working', meaning: 'It expired or was revoked, or the person who created it was disabled (their tokens are revoked with them).' }
    ],
    permission: 'Manage API tokens.',
    related: ['roles', 'audit']
  },
  {
    id: 'devices',
    title: 'Field devices',
    screen: { href: '/manager/configuration/devices', label: 'Field devices' },
    summary: 'The phones and tablets that run the field app. A device registered in the field app waits here until an administrator authorises it; it then receives the meters and keys of the groups on its route.',
    steps: [
      {
        title: 'Authorise a new device',
        items: [
          'In the field app, the reader registers the device under Send/Receive. It appears here as Waiting.',
          '"Authorise…", choose the groups on its route, confirm. At its next Send/Receive the device receives those meters and their keys.'
        ]
      },
      {
        title: 'Change a route, revoke a lost device',
        items: [
          '"Change route…" to give an authorised device other groups.',
          '"Revoke…" for a lost or retired device: the server refuses it from its next request. Revoking is final; to use the device again, register it anew.'
        ]
      }
    ],
    controls: [
      { name: 'Filters', text: 'All, Waiting, Authorised, Revoked, each with its count.' },
      { name: 'Last seen', text: 'When the device last talked to the server.' }
    ],
    problems: [
      { problem: 'A device does not appear', meaning: 'It has not been registered yet, or it registered with another utility\'s user.' },
      { problem: 'Keys on a revoked device', meaning: 'Keys it already received stay on it (wrapped in its browser storage) until someone there forgets its registration; the server cannot erase them.' }
    ],
    permission: 'Manage field devices.',
    related: ['groups', 'audit']
  },
  {
    id: 'audit',
    title: 'Audit log',
    screen: { href: '/manager/configuration/audit', label: 'Audit log' },
    summary: 'Who changed what and when, from which computer or device: every sign-in, change, import, export, erasure and key read is recorded and cannot be edited.',
    steps: [
      {
        title: 'Find an entry',
        items: [
          'Choose the period (From and To, both days included), the user and the event, then "Show entries".',
          'Event: an exact type such as group.renamed, or a family ending in a dot such as group. or readings.',
          'Open an entry\'s full details with its button; the filters are kept in the page address, so a view can be bookmarked or shared.',
          '"Load more" fetches older entries.'
        ]
      }
    ],
    controls: [{ name: '"Last 7 days, everything"', text: 'Resets the filters.' }],
    problems: [{ problem: 'No entries', meaning: 'Nothing matches in that period: widen the period or clear the user and event.' }],
    permission: 'Read the audit log.',
    related: ['users', 'erasure']
  },
  {
    id: 'erasure',
    title: 'GDPR erasure',
    screen: { href: '/manager/configuration/erasure', label: 'GDPR erasure' },
    summary:
      'Erase a metering point\'s readings for a period, for example when a former resident asks for their consumption data to be deleted (GDPR article 17). The raw telegrams they came from go too.',
    steps: [
      {
        title: 'Step by step',
        items: [
          '1. Find the metering point by address, customer name or number, and choose it.',
          '2. Choose the period: the first and the last day, both included.',
          '3. "Show what will be erased" counts the readings and raw telegrams of every meter installed there in that period.',
          '4. "Erase…", type the metering point\'s address exactly as shown, and confirm. The result shows what was erased.'
        ]
      }
    ],
    controls: [{ name: 'What stays', text: 'Readings before and after the period, other metering points, the customer, the meters and their keys.' }],
    problems: [
      { problem: 'The Erase button stays greyed out', meaning: 'The typed address must match the one shown, letter for letter.' },
      { problem: 'Nothing to erase', meaning: 'No reading arrived at that point in the period, or it was erased already.' },
      { problem: 'Can it be undone?', meaning: 'No. The audit log records the point, the period and the counts, never the erased values.' }
    ],
    permission: 'Erase readings (GDPR).',
    related: ['audit', 'meter']
  },
  {
    id: 'mail',
    title: 'Mail',
    screen: { href: '/manager/configuration/mail', label: 'Mail' },
    summary: 'Readout sends consumer reports and scheduled exports by e-mail through your mail server. This screen says whether mail is set up and sends a test message.',
    steps: [
      {
        title: 'Check that mail arrives',
        items: [
          'The status shows the mail server and the sender, or says that mail is not set up.',
          'Enter your address and "Send test message". Success means the mail server accepted it; check that it arrived, and not in spam.'
        ]
      },
      {
        title: 'Set up mail',
        items: [
          'Whoever runs the Readout server sets SMTP_URL (for example smtps://user:password@mail.example.com:465) and MAIL_FROM (the sender) in its environment and restarts it.',
          'The password is set there, not in the browser, so it never passes through the Manager.'
        ]
      }
    ],
    controls: [],
    problems: [
      { problem: '"Mail is not set up on this server"', meaning: 'SMTP_URL is missing: ask whoever runs the server.' },
      { problem: '"Could not reach the mail server …"', meaning: 'Wrong host or port in SMTP_URL, or a firewall between the Readout server and the mail server.' },
      { problem: '"The mail server … refused the user name or password"', meaning: 'The user name or password in SMTP_URL is wrong.' },
      { problem: '"The mail server … did not accept the message"', meaning: 'The mail server refuses that sender (MAIL_FROM) or recipient; its reason follows in the message.' }
    ],
    permission: 'Settings and jobs.',
    related: ['exports', 'meter']
  }
];
