// The Manager's sections, as in the READy Manager's start page and rail: one list for both, so
// the tiles on Home and the navigation never disagree. Icons are 24×24 stroke paths.

export interface Section {
  href: string;
  label: string;
  /** One line for the start page's tile. */
  text: string;
  icon: string;
}

export const SECTIONS: readonly Section[] = [
  {
    href: '/manager',
    label: 'Home',
    text: 'The start page: what needs attention today.',
    icon: 'M3 11l9-8 9 8v10a1 1 0 0 1-1 1h-5v-7H9v7H4a1 1 0 0 1-1-1z'
  },
  {
    href: '/manager/meters',
    label: 'Meters',
    text: 'Find a meter or a customer, keep groups in order, see them on the map.',
    icon: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zm0 4v5l4 2'
  },
  {
    href: '/manager/analysis',
    label: 'Analysis',
    text: 'Consumption and reading reports for a group and a period.',
    icon: 'M4 20V10m6 10V4m6 16v-7m4 7H2'
  },
  {
    href: '/manager/operation',
    label: 'Operation',
    text: 'Exports for billing, imports of customers and meters, meter exchanges, wired M-Bus systems.',
    icon: 'M12 2v4m0 12v4M4.9 4.9l2.8 2.8m8.6 8.6 2.8 2.8M2 12h4m12 0h4M4.9 19.1l2.8-2.8m8.6-8.6 2.8-2.8'
  },
  {
    href: '/manager/configuration',
    label: 'Configuration',
    text: 'Users and permissions, API tokens, field devices, audit log, erasure, mail.',
    icon: 'M4 6h16M4 12h16M4 18h16M8 4v4m8 2v4m-6 2v4'
  },
  {
    href: '/manager/help',
    label: 'Help',
    text: 'How each screen works, step by step, and what its messages mean.',
    icon: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6v.6M12 17h.01'
  }
];
