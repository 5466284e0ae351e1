// Schedule presets of the export jobs' form and their croner patterns (minute hour day month
// weekday; a sixth field in front is seconds). Anything else is a custom pattern, shown as is.

export type Preset = 'daily' | 'weekly' | 'monthly' | 'custom';
export interface Schedule {
  preset: Preset;
  /** HH:MM on the utility's clock. */
  time: string;
  /** 0 Sunday … 6 Saturday (weekly). */
  weekday: number;
  /** 1 … 28 (monthly; later days do not exist in every month). */
  day: number;
  cron: string;
}

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const two = (n: number) => String(n).padStart(2, '0');

export function cronOf(s: Schedule): string {
  if (s.preset === 'custom') return s.cron.trim();
  const [h, m] = s.time.split(':').map(Number);
  const hm = `${m || 0} ${h || 0}`;
  if (s.preset === 'daily') return `${hm} * * *`;
  if (s.preset === 'weekly') return `${hm} * * ${s.weekday}`;
  return `${hm} ${s.day} * *`;
}

export function scheduleOf(cron: string): Schedule {
  const base: Schedule = { preset: 'custom', time: '02:00', weekday: 1, day: 1, cron };
  const m = /^(\d{1,2}) (\d{1,2}) (\*|\d{1,2}) \* (\*|[0-6])$/.exec(cron.trim());
  if (!m) return base;
  const time = `${two(Number(m[2]))}:${two(Number(m[1]))}`;
  if (m[3] === '*' && m[4] === '*') return { ...base, preset: 'daily', time };
  if (m[3] === '*') return { ...base, preset: 'weekly', time, weekday: Number(m[4]) };
  if (m[4] === '*' && Number(m[3]) >= 1 && Number(m[3]) <= 28) return { ...base, preset: 'monthly', time, day: Number(m[3]) };
  return base;
}

/** "Daily at 02:00", "Weekly on Monday at 06:30", or the pattern itself. */
export function describeCron(cron: string): string {
  const s = scheduleOf(cron);
  if (s.preset === 'daily') return `Daily at ${s.time}`;
  if (s.preset === 'weekly') return `Weekly on ${WEEKDAYS[s.weekday]} at ${s.time}`;
  if (s.preset === 'monthly') return `Monthly on day ${s.day} at ${s.time}`;
  return `Custom: ${cron}`;
}
