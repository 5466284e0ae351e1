import type { HelpArea } from './areas';

// Help for the office's daily screens: the start page, meters, groups, map, the meter page,
// exports, imports and the meter exchange.

export const OFFICE: HelpArea[] = [
  {
    id: 'home',
    title: 'The start page',
    screen: { href: '/manager', label: 'Manager start page' },
    summary:
      'Where the Manager opens: large tiles lead to the sections, and a short status says how many meters there are and what needs attention.',
    steps: [
      {
        title: 'Find your way',
        items: [
          'Meters: find a meter or a customer, keep groups in order, see meters on the map and open a meter.',
          'Operation: exports for billing, imports of customers, meters and keys, and meter exchanges.',
          'Configuration: users, roles and permissions, API tokens, field devices, the audit log, GDPR erasure and mail.',
          'Help: this help; every screen also has a Help link beside its title.'
        ]
      },
      {
        title: 'Read the status',
        items: [
          'Meters: all meters of your utility. Meters without a key: meters whose telegrams cannot be decrypted until their key is imported.',
          'Field devices waiting for authorisation: phones and tablets registered in the field app that an administrator must authorise before they receive a route.',
          'Last import and Last export: the newest import or export in the audit log, with who did it.',
          'Each figure is a link to the screen where you deal with it.'
        ]
      }
    ],
    controls: [
      { name: 'Navigation rail', text: 'On the left (at the top on a phone): Home, Meters, Analysis, Operation, Configuration, Help. The current section is highlighted.' },
      { name: 'Tiles', text: 'The same sections as the rail, with a line about each. Use Tab and Enter to open one with the keyboard.' }
    ],
    problems: [
      { problem: 'A status figure is missing', meaning: 'Your role may not see it (for example field devices or the audit log). An administrator can grant the permission under Roles and permissions.' },
      { problem: '"No meters yet"', meaning: 'Nothing has been imported for this utility. Start with Operation → Imports: customers and metering points, then meters, then keys.' }
    ],
    permission: 'Anyone signed in. The figures need See meters, Manage field devices and Read the audit log.',
    related: ['meters', 'imports', 'devices']
  },
  {
    id: 'meters',
    title: 'Meter list',
    screen: { href: '/manager/meters', label: 'Meters' },
    summary:
      'All metering points and meters of your utility in one list that stays fast with 100,000 rows: search, sort, choose columns, select meters and put them in groups.',
    steps: [
      {
        title: 'Find a meter or a customer',
        items: [
          'Type in the search box: the list narrows as you type and searches every column (customer, address, postal code, customer number, meter type, serial).',
          'The count above the list says how many meters match. "Clear search" brings all of them back.',
          'Open a meter by pressing Enter on its row (or from the map).'
        ]
      },
      {
        title: 'Sort and choose columns',
        items: [
          'Click a column header to sort by it; click again to reverse the order. You can sort by customer, address, postal code, customer number, meter type, serial, latest reading and its time.',
          'The column chooser shows or hides columns. Your choice is kept in this browser.',
          'Search, sort, group and view are kept in the page address: Back and reload show the same list, and you can send the link to a colleague.'
        ]
      },
      {
        title: 'Select meters',
        items: [
          'Tick a row\'s box, or click it. Shift+click selects a range, Ctrl+click (Cmd on a Mac) adds or removes one row.',
          'Ctrl+A selects all meters that match the search, also those not on screen ("all 12,345 matching").',
          'The selection bar then offers "Add to group…" and "Remove from <group>" (see Groups).'
        ]
      }
    ],
    controls: [
      { name: 'Keyboard', text: 'Arrow keys move the active row, Page Up/Page Down a screen at a time, Home/End to the first or last meter, Space selects, Enter opens the meter.' },
      { name: 'Info-code icon', text: 'Shown on meters whose latest reading reports an alarm (leak, burst, dry, tamper, …). Point at it or focus it to read which.' },
      { name: 'List | Map', text: 'Switches between the list and the map of the same group.' },
      { name: 'Latest reading', text: 'The main register of the newest reading: energy in kWh for heat and cooling meters, volume in m³ for water meters, with its time.' }
    ],
    problems: [
      { problem: 'A meter does not show up', meaning: 'Check the group on the left: "All meters" shows every meter. Then clear the search.' },
      { problem: 'The latest reading is empty', meaning: 'No telegram of that meter has been decoded yet: it has not been read, or its key is missing.' }
    ],
    permission: 'See meters. Adding to and removing from groups needs Change groups.',
    related: ['groups', 'map', 'meter']
  },
  {
    id: 'groups',
    title: 'Groups',
    screen: { href: '/manager/meters', label: 'Meters' },
    summary:
      'Groups collect meters for routes, exports and reports. The group panel beside the meter list shows each group with its count; the list and the map show the chosen group.',
    steps: [
      {
        title: 'Choose a group',
        items: [
          'All meters: every meter. Non-grouped: meters in no group. Last imported: the meters the newest import created or changed.',
          'Your own groups follow, each with the number of meters in it. Click one to show only its meters in the list and on the map.',
          'On a phone the panel is a drop-down list above the meters.'
        ]
      },
      {
        title: 'Create, rename, delete',
        items: [
          'Create a group and give it a name; rename it the same way.',
          'Deleting asks first and says how many meters the group holds. The meters themselves stay; only the group goes.'
        ]
      },
      {
        title: 'Add and remove meters',
        items: [
          'Select meters in the list, then "Add to group…" and choose the group. Meters already in it are not added twice.',
          'With a group chosen, select meters and "Remove from <group>": they leave the group, not Readout.',
          'The counts in the panel update at once.'
        ]
      }
    ],
    controls: [{ name: 'Counts', text: 'The number beside each entry is the number of meters in it.' }],
    problems: [
      { problem: 'A field device got the wrong meters', meaning: 'A device\'s route is a set of groups (Configuration → Field devices): change the group or the route.' },
      { problem: 'You cannot create or change groups', meaning: 'Your role lacks Change groups: ask an administrator.' }
    ],
    permission: 'See meters to view groups; Change groups to create, rename, delete and change members.',
    related: ['meters', 'devices', 'exports']
  },
  {
    id: 'map',
    title: 'Map',
    screen: { href: '/manager/meters?view=map', label: 'Meters on the map' },
    summary: 'The meters of the chosen group on a map, drawn in clusters so even 100,000 meters pan smoothly.',
    steps: [
      {
        title: 'Use the map',
        items: [
          'Choose a group in the panel (or All meters), then switch the view to Map.',
          'A circle with a number is a cluster of meters: click it to zoom in until single meters show.',
          'Click a single meter to open its page.'
        ]
      }
    ],
    controls: [
      { name: 'Symbols', text: 'Kamstrup meters are blue squares, other makes orange triangles; the legend on the map says so.' },
      { name: 'Keyboard', text: 'Focus the map, then the arrow keys pan and + and − zoom.' }
    ],
    problems: [
      {
        problem: '"No meter in this group has a position"',
        meaning: 'Positions come from the metering points\' latitude and longitude. Import them (columns lat and lon) under Operation → Imports.'
      },
      { problem: 'No background map', meaning: 'A street map is only drawn when a map tile address is set on this device (in the field app under Route, "Map background"); without one no tiles are downloaded and the meters are drawn on a plain background.' }
    ],
    permission: 'See meters.',
    related: ['meters', 'groups', 'meter']
  },
  {
    id: 'meter',
    title: 'Meter and consumer page',
    screen: { href: '/manager/meters', label: 'Meters (open a meter from the list)' },
    summary:
      'Everything about one meter and its metering point, to answer a consumer\'s billing question: identity, installation history, latest registers, info codes and the consumption graph, and a consumer report to print or e-mail.',
    steps: [
      {
        title: 'Answer a question about consumption',
        items: [
          'Open the meter from the list or the map.',
          'Choose the resolution (hour, day, month, year) and the period: last 7 days, 31 days, 13 months, 5 years, or your own from and to dates.',
          'Point at a bar to read its value and period. Marks on the bars show a meter exchange, a register rollover or an active info code in that period.',
          'The table under the graph has the same numbers, for reading aloud or copying.'
        ]
      },
      {
        title: 'Send the consumer a report',
        items: [
          '"Consumer report" opens a print-ready page with the graph, the table, the totals, the consumer, the metering point and the meter.',
          '"Print / save as PDF" uses the browser\'s print dialog; choose "Save as PDF" there for a file.',
          '"E-mail report" sends it to the addresses you give (the customer\'s address is filled in when known), with the rows attached as a CSV file.'
        ]
      }
    ],
    controls: [
      { name: 'Installation history', text: 'Which meter was installed at the metering point when. Consumption continues across a meter exchange.' },
      { name: 'Latest registers', text: 'The values of the newest decoded reading, with their units.' },
      { name: 'Info codes', text: 'Alarms the meter reports now (leak, burst, dry, reverse flow, tamper, …) and what each means.' }
    ],
    problems: [
      { problem: 'A gap in the graph', meaning: 'No reading arrived in that period (meter not read, key missing), or the readings were erased for GDPR.' },
      { problem: 'E-mail report fails', meaning: 'Mail must be set up (Configuration → Mail). The message names what went wrong: the mail server could not be reached, refused the sign-in, or refused the recipient.' }
    ],
    permission: 'See meters and See readings. A meter exchange from this page needs Change meters.',
    related: ['exchange', 'mail', 'meters']
  },
  {
    id: 'exchange',
    title: 'Meter exchange',
    screen: { href: '/manager/operation/exchange', label: 'Meter exchange' },
    summary:
      'Record that a meter was replaced at a metering point, the same guided steps as in the field app, so consumption continues correctly across the exchange.',
    steps: [
      {
        title: 'Step by step',
        items: [
          '1. Old meter: find it by serial, address or customer (or start from the meter\'s page).',
          '2. Final reading: take the latest received reading (its age is shown) or type the value read from the display.',
          '3. New meter: pick an existing meter by serial or create it (manufacturer, serial, model, medium), and give its start reading.',
          '4. Confirm: check the summary and confirm. The done page links to the metering point and the new meter.'
        ]
      }
    ],
    controls: [{ name: 'Back', text: 'Each step can be changed until you confirm; nothing is stored before that.' }],
    problems: [
      { problem: 'The new meter\'s telegrams cannot be read', meaning: 'Import its key (Operation → Imports, key files).' },
      { problem: 'The exchange time is before the old meter\'s last reading', meaning: 'Check the date: readings after the exchange belong to the new meter.' }
    ],
    permission: 'Change meters.',
    related: ['meter', 'imports']
  },
  {
    id: 'exports',
    title: 'Exports for billing',
    screen: { href: '/manager/operation/exports', label: 'Exports' },
    summary:
      'Design the file your billing system reads, check it in a live preview, download it now, or let a scheduled job write it to a folder or send it by e-mail.',
    steps: [
      {
        title: 'Design a format',
        items: [
          'Pick fields from the list of variables (ids, customer, address, each register, dates, info codes, …); search the list by name. Add a field with Enter, a double click or the button.',
          'Order the chosen columns with the arrow buttons or Alt+Up/Alt+Down, rename their headers, remove those you do not need.',
          'Choose the separator, the decimal mark, the date format and whether a header row is written; or fixed widths with width, alignment and pad character per column.',
          'The live preview shows the first rows exactly as the file will be. Save the format under a name.'
        ]
      },
      {
        title: 'Download or schedule',
        items: [
          'Download: choose the group and the cut-off time, and get the file now.',
          'Scheduled job: choose the format, the group, when it runs (daily, weekly, monthly at a time, or a cron pattern) and where the file goes: a folder on the server or e-mail recipients.',
          'The job\'s history lists every run with its status, rows, file name and, for a failed run, why.'
        ]
      }
    ],
    controls: [
      { name: 'Interpolation', text: 'For water meters a missing value at the cut-off can be estimated from the readings before and after; it is marked as estimated in the file. A maximum gap keeps estimates out of long gaps.' },
      { name: 'Run now', text: 'Runs a scheduled job at once, for example to test it.' }
    ],
    problems: [
      { problem: 'A run failed: "Could not reach the mail server"', meaning: 'Check Configuration → Mail and send a test message.' },
      { problem: 'Empty values in the file', meaning: 'The meter had no reading at the cut-off and no estimate was allowed.' },
      { problem: 'You cannot save formats', meaning: 'Saving formats and jobs needs Settings and jobs; downloading needs Export data.' }
    ],
    permission: 'Export data to download; Settings and jobs to save formats and scheduled jobs.',
    related: ['mail', 'groups']
  },
  {
    id: 'imports',
    title: 'Imports',
    screen: { href: '/manager/operation/imports', label: 'Imports' },
    summary:
      'Bring customers, metering points, meters and keys into Readout from CSV files and key files, by hand or from a watched folder, and see every rejected line with its reason.',
    steps: [
      {
        title: 'Import a file',
        items: [
          'Choose the file (or drop it on the page) and what it holds: customers, metering points, meters or keys.',
          'Check the separator (guessed from the header line) and the column mapping: each column of the file → a Readout field. Save a mapping under a name to reuse it.',
          '"Check file" is a dry run: it shows the counts and every rejected line before anything is stored.',
          'Choose "all or nothing" (one bad line stops the import) or "valid rows" (bad lines are left out), then Import.',
          'The result page lists every rejected line with its line number and reason; you can search it and download it as CSV.'
        ]
      },
      {
        title: 'Keys',
        items: [
          'Kamstrup KEM files need the password they were delivered with. CSV key files map serial, manufacturer and key columns.',
          'Keys are stored encrypted and never shown; telegrams that waited for a key are decoded after the import.'
        ]
      },
      {
        title: 'Folder imports',
        items: [
          'A watched folder on the server is imported on a schedule with a saved mapping. Each file is moved to done/ or failed/ afterwards, so nothing is lost.',
          'A file identical to one already imported is skipped and noted as "already imported".'
        ]
      }
    ],
    controls: [{ name: 'History', text: 'Every import with its status (ok, partial, failed), source, user and counts. Open one for its result page.' }],
    problems: [
      { problem: 'Every line is rejected', meaning: 'Usually the wrong separator or an unmapped required column: check both and "Check file" again.' },
      { problem: '"Wrong password" for a KEM file', meaning: 'The password must be the one the supplier sent with that file.' },
      { problem: 'Importing again changes nothing', meaning: 'That is intended: rows already in Readout are matched and counted as unchanged.' }
    ],
    permission: 'Import for customers, metering points and meters; Import keys for key files.',
    related: ['groups', 'meters']
  }
];
