// Times as the meter page shows them: the browser's time zone, 24-hour clock.

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23' });

export const when = (t: number | null) => (t === null ? '—' : dateTime.format(t));

/** "3 h ago", "12 days ago": how old a reading is. */
export function age(t: number, now: number): string {
  const m = Math.round((now - t) / 60_000);
  if (m < 1) return 'just now';
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} days ago`;
}

export const MEDIUM_REGISTER: Record<string, 'energy' | 'volume'> = {
  heat: 'energy',
  cooling: 'energy',
  'heat-cooling': 'energy',
  water: 'volume',
  'warm-water': 'volume',
  'hot-water': 'volume'
};
