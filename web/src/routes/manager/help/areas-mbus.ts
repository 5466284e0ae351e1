import type { HelpArea } from './areas';

// Help for Operation › M-Bus systems (issue 8: wired M-Bus, M11: remote disconnection). The facts
// about the bus are protocols.md §8 (EN 13757-2/-3); the screens are web/src/routes/manager/operation/mbus.

export const MBUS: HelpArea[] = [
  {
    id: 'mbus',
    title: 'M-Bus systems',
    screen: { href: '/manager/operation/mbus', label: 'M-Bus systems' },
    summary:
      'Wired M-Bus links the meters of a building, mall or plant room by a two-wire cable to an M-Bus master. A system in Readout is one such cable with its master: an M-Bus gateway on the network, or a level converter on the server\'s serial port. The server scans it for meters, reads them on a schedule or at once, and can open and close valves.',
    steps: [
      {
        title: 'Add a system',
        items: [
          '"Add system…", then a name (the building or plant room) and how the server reaches the cable: an M-Bus gateway or serial-over-IP box by host:port (e.g. 192.168.1.50:10001), or a USB level converter on the server by its port (/dev/ttyUSB0, COM3).',
          'Baud rate: the speed the meters are set to, 300, 2400 or 9600 baud. 2400 is the usual one; all meters on one cable must use the same.',
          'Addressing: primary if every meter was given its own address 1–250 when installed; secondary if meters should be found and read by their serial number, manufacturer, version and type (no addresses to keep apart, and meters that share a primary address still work).',
          'Schedule: when the server reads every meter by itself: every 15 minutes, every hour, daily at 02:00, or a croner pattern (minute hour day month weekday, e.g. "0 */6 * * *" for every six hours). Battery meters pay for each read: read them rarely. "Scheduled reads on" pauses and resumes the schedule without losing it.'
        ]
      },
      {
        title: 'Scan for meters',
        items: [
          'Open the system and choose how to scan. Primary: the server asks each address of the range (0–250) in turn; a clean answer means a meter is there, no answer means none, a garbled answer means two meters share that address (a collision).',
          'Secondary search: the server asks with wildcards ("every meter whose number starts with 1…") and narrows the number down digit by digit where several answer at once, until each meter is alone. It finds meters that share a primary address too; on a full cable it takes several minutes.',
          'The bar shows how far the scan is and how many meters were found; found meters appear in the table while it runs. Cancel stops it between two questions.'
        ]
      },
      {
        title: 'Attach and read',
        items: [
          '"Attach…" on a meter, then find its metering point by address, customer or number. The server makes the meter (or reuses it by manufacturer and serial) and installs it there; its readings then count for that point, and the meter\'s name links to its page.',
          '"Read all meters", or tick meters and "Read selected". Every answer is stored as it came from the cable before it is decoded, so nothing is lost; the values then appear on each meter\'s page.',
          'A meter that did not answer gets its error in red in the table and in the run\'s list; the others are read anyway.'
        ]
      },
      {
        title: 'Open and close valves',
        items: [
          'A meter with a valve shows its state (Open, Closed, Unknown) in the Valve column. Open… and Close… ask first, naming the meter and what happens: closing stops the supply to that metering point until someone opens it again.',
          'The server sends the command, reads the state back and shows it; each command is in the audit log with who gave it.',
          'Only people whose role has the permission "Open and close valves" (disconnect) see the buttons, whatever their role: an administrator can grant it to superusers or users in the permission matrix. Valves are controlled on wired meters only.',
          'How a valve is commanded depends on the meter. Where a standard command exists (EN 13757-3 digital output) it is used. Kamstrup has not published the command of its disconnect module, so for Kamstrup meters the command is configured in a valve profile (what to send to open and close, and how the state is read back), from Kamstrup\'s description for your module.',
          'Once such a profile is configured, meters whose valve is not known yet show "Not known" with Open… and Close…; the dialog asks which profile to use. A meter that acknowledges the command but has no state record for the profile shows "Unknown".'
        ]
      },
      {
        title: 'Configure valve profiles',
        items: [
          '"Valve profiles" on the M-Bus systems page (only with the permission "Settings and jobs"). The built-in EN 13757-3 digital output profile is listed first and cannot be changed; "Add profile…" adds one for a model whose command is not public.',
          'Every value comes from the manufacturer\'s documentation of the meter\'s valve or disconnect module (for Kamstrup, the description of the module you bought). Bytes are in hex as printed there; spaces are allowed.',
          'Name: the model and module, as people will choose it in the Open/Close dialog. Open and Close: the user data the server sends (SND_UD): a CI byte (what kind of data follows, often 51) and the data bytes. Open and close must differ.',
          'State record: the DIF/VIF (with any VIFE) of the record in the meter\'s answer that holds the valve state, e.g. 01 FD 1B. Mask: the bits of its value that hold the state. Open value: those bits when the valve is open; every other value means closed. The open value may only use bits of the mask.',
          'A wrong value is named at its field when you save. After saving, try the profile on one meter and check that the state shown matches the valve on site before using it on many.',
          'Delete asks first. A profile that a meter\'s valve is known by (its last command or read used it) cannot be deleted: the message names the systems; command those valves with another profile first.'
        ]
      }
    ],
    controls: [
      { name: 'Change… / Delete…', text: 'Change a system\'s connection, speed, addressing or schedule. Delete asks first; its meters, metering points and readings stay.' },
      { name: 'Start scan / Cancel scan', text: 'Primary range or secondary search, with a bar showing how far it is.' },
      { name: 'Read all meters / Read selected', text: 'Reads now, outside the schedule; the tick boxes choose the meters.' },
      { name: 'Attach… / Move…', text: 'Install the meter at a metering point, or move it to another.' },
      { name: 'Open… / Close…', text: 'Valve commands, with a confirmation; only with the permission "Open and close valves".' },
      { name: 'Valve profiles', text: 'How each meter model\'s valve is opened, closed and read back; add, change and delete with "Settings and jobs".' }
    ],
    problems: [
      { problem: '"… did not answer … (3 attempts, 0.6 s timeout each)"', meaning: 'A timeout: the meter did not answer. It is not at that address, is set to another baud rate, its M-Bus module is off or the cable is broken. The server tried three times.' },
      { problem: 'A collision at a primary address', meaning: 'Two or more meters share that address: their answers overlap and arrive garbled. Use the secondary search, or give one of them another primary address.' },
      { problem: 'A checksum error, or garbled answers', meaning: 'The answer arrived damaged: noise on a long or badly shielded cable, too many meters for the master, or a wrong baud rate. A damaged answer is never stored as a reading; the server asks again.' },
      { problem: 'The gateway or the serial port cannot be opened', meaning: 'The server cannot open the connection: wrong host:port, the gateway is off or blocked by a firewall, or the USB converter is unplugged or has another name.' },
      { problem: 'An application error from the meter', meaning: 'The meter answered but refused or could not do what was asked (e.g. a command it does not support). The meter\'s own reason follows.' },
      { problem: 'The valve stays "Unknown" after a command', meaning: 'The meter accepted the command but its answer has no valve state the profile knows: check the valve profile for that meter model.' },
      { problem: '"Valve profile … is used by … meters on …" when deleting', meaning: 'Those meters\' valves are known by the profile: their reads judge the valve with it. Open or close them with another profile first, or delete the systems.' },
      { problem: 'No Scan, Read or Attach buttons', meaning: 'Your role does not have "Change meters": you can see systems and meters but not change them. Ask an administrator.' },
      { problem: 'A valve command "did not answer"', meaning: 'The meter\'s acknowledgement did not arrive. The command may still have reached it: read the meter to see the valve\'s real state before trying again.' }
    ],
    permission: 'Seeing systems needs "See meters"; adding, changing, deleting, scanning, reading and attaching need "Change meters"; valves need "Open and close valves"; valve profiles need "Settings and jobs". The buttons show only to people who have the permission, and the server checks it again.',
    related: ['meter', 'roles', 'audit']
  }
];
