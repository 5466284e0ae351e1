// The export jobs form's schedule presets (web/src/routes/manager/operation/exports/schedule.ts):
// a preset gives the croner pattern the server stores, and a stored pattern opens as its preset.
import { describe, expect, test } from 'vitest';
import { cronOf, describeCron, scheduleOf } from '../../../web/src/routes/manager/operation/exports/schedule';

const base = { time: '02:00', weekday: 1, day: 1, cron: '' };

describe('schedule presets', () => {
  test('each preset makes its pattern: minute hour day month weekday', () => {
    expect(cronOf({ ...base, preset: 'daily', time: '06:30' })).toBe('30 6 * * *');
    expect(cronOf({ ...base, preset: 'weekly', time: '23:05', weekday: 0 })).toBe('5 23 * * 0');
    expect(cronOf({ ...base, preset: 'monthly', time: '00:00', day: 28 })).toBe('0 0 28 * *');
    expect(cronOf({ ...base, preset: 'custom', cron: ' */2 * * * * * ' })).toBe('*/2 * * * * *');
  });

  test('a stored pattern opens as its preset; anything else stays custom', () => {
    expect(scheduleOf('30 6 * * *')).toMatchObject({ preset: 'daily', time: '06:30' });
    expect(scheduleOf('5 23 * * 0')).toMatchObject({ preset: 'weekly', time: '23:05', weekday: 0 });
    expect(scheduleOf('0 0 28 * *')).toMatchObject({ preset: 'monthly', time: '00:00', day: 28 });
    expect(scheduleOf('0 0 31 * *')).toMatchObject({ preset: 'custom', cron: '0 0 31 * *' }); // not in every month
    expect(scheduleOf('*/2 * * * * *')).toMatchObject({ preset: 'custom' });
    for (const p of ['30 6 * * *', '5 23 * * 0', '0 0 28 * *']) expect(cronOf(scheduleOf(p))).toBe(p);
  });

  test('the list describes the schedule in words', () => {
    expect(describeCron('0 2 * * *')).toBe('Daily at 02:00');
    expect(describeCron('30 6 * * 1')).toBe('Weekly on Monday at 06:30');
    expect(describeCron('0 4 1 * *')).toBe('Monthly on day 1 at 04:00');
    expect(describeCron('*/10 * * * * *')).toBe('Custom: */10 * * * * *');
  });
});
