// The Manager's help (M22): one page per area, as data, so the index, the pages and the tests
// read the same list. The texts describe what the screens do; keep them true when a screen
// changes. Each HelpLink area="…" in web/src must have an entry here (tests/web/help.test.ts).
import { OFFICE } from './areas-office';
import { ADMIN } from './areas-admin';
import { HEAT } from './areas-heat';
import { NOTIFICATIONS } from './areas-notifications';
import { ALARMS } from './areas-alarms';
import { ALERTS } from './areas-alerts';
import { PERFORMANCE } from './areas-performance';
import { CONSUMPTION } from './areas-consumption';
import { MBUS } from './areas-mbus';

export interface HelpArea {
  id: string;
  title: string;
  /** The screen this page explains, linked back from it. */
  screen: { href: string; label: string };
  /** What the screen is for, in a sentence or two. */
  summary: string;
  steps: { title: string; items: string[] }[];
  controls: { name: string; text: string }[];
  problems: { problem: string; meaning: string }[];
  /** Which permission the screen needs, in words (see Roles and permissions). */
  permission: string;
  related?: string[];
}

export const AREAS: readonly HelpArea[] = [...OFFICE, ...ADMIN, ...HEAT, ...NOTIFICATIONS, ...ALARMS, ...ALERTS, ...PERFORMANCE, ...CONSUMPTION, ...MBUS];

export const areaById = (id: string): HelpArea | undefined => AREAS.find((a) => a.id === id);

/** The index's grouping, in the order of the Manager's sections. */
export const SECTIONS_OF_HELP: { title: string; ids: string[] }[] = [
  { title: 'Start', ids: ['home'] },
  { title: 'Meters', ids: ['meters', 'groups', 'map', 'meter'] },
  { title: 'Analysis', ids: ['consumption', 'heat', 'network', 'performance', 'alarms', 'alerts'] },
  { title: 'Operation', ids: ['exports', 'imports', 'exchange', 'mbus'] },
  { title: 'Configuration', ids: ['users', 'roles', 'tokens', 'devices', 'audit', 'erasure', 'mail', 'notifications'] }
];
