// The per-day sums behind the reports (migration 010, store/reading-days.ts): the triggers on
// reading and the one-statement rebuild must agree, on the utility's calendar (Europe/Copenhagen:
// UTC+1 in winter, UTC+2 in summer, change on 29 March 2026 at 01:00 UTC).
import { beforeAll, describe, expect, test } from 'vitest';
import type { ReadingColumns } from '../../server/src/ingest/columns';
import { zoneOffsets } from '../../server/src/store/reading-days';
import { makeTestServer, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;
let tenant: number;
let meter: number;
const utc = (s: string) => Date.parse(s);

function row(c: Partial<ReadingColumns>): ReadingColumns {
  return { energy: null, volume: null, flow: null, power: null, tFlow: null, tReturn: null, info: null, extra: null, ...c };
}

interface DayRow {
  day: number;
  n: number;
  hours: number;
  hours_n: number;
  irregular: number;
  t_n: number;
  t_flow_sum: number;
  t_return_sum: number;
  q_sum: number;
  qt_flow_sum: number;
  qt_return_sum: number;
}
const days = (): DayRow[] =>
  server.db
    .prepare('select day, n, hours, hours_n, irregular, t_n, t_flow_sum, t_return_sum, q_sum, qt_flow_sum, qt_return_sum from reading_day where meter_id = ? order by day')
    .all(meter) as DayRow[];
/** Day number of a local date in reading_day: days since 1970-01-01 on the local calendar. */
const dayNo = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;

beforeAll(async () => {
  server = await makeTestServer(tempDir());
  await server.as('administrator');
  tenant = (server.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  const at = utc('2026-01-01T00:00:00Z');
  meter = (
    server.db
      .prepare("insert into meter (tenant_id, manufacturer, serial, created_at, updated_at) values (?, 'KAM', '33333333', ?, ?) returning id")
      .get(tenant, at, at) as { id: number }
  ).id;
  server.stores.readingDays.ensureTenant(tenant);
});

describe('zone offsets', () => {
  test('Copenhagen changes to summer time on 29 March 2026 01:00 UTC and back on 25 October 01:00 UTC', () => {
    const z = zoneOffsets('Europe/Copenhagen');
    const summer = z.find((o) => o.from === utc('2026-03-29T01:00:00Z'));
    const winter = z.find((o) => o.from === utc('2026-10-25T01:00:00Z'));
    expect(summer?.offset).toBe(7_200_000);
    expect(winter?.offset).toBe(3_600_000);
    expect(z[0].offset).toBe(3_600_000);
  });
  test('a zone without summer time has one row', () => {
    expect(zoneOffsets('Asia/Kolkata')).toEqual([{ from: -8.64e15, offset: 19_800_000 }]);
  });
});

describe('reading_day', () => {
  test('readings fall on local days and hours, with plain and flow-weighted temperature sums', () => {
    const put = (t: string, c: Partial<ReadingColumns>) => server.stores.readings.put(meter, utc(t), row(c));
    // 28 March (winter, UTC+1): 23:30 UTC is 00:30 local on 29 March
    put('2026-03-28T10:00:00Z', { energy: 100, volume: 10, flow: 200, tFlow: 6000, tReturn: 4000 }); // 11:00 local, 28 Mar
    put('2026-03-28T10:20:00Z', { energy: 110, volume: 11, flow: 600, tFlow: 7000, tReturn: 3000 }); // same hour
    put('2026-03-28T23:30:00Z', { energy: 120, volume: 12 }); //                                          00:30 local, 29 Mar
    // 29 March after the change (UTC+2): 21:59 UTC is 23:59 local, 22:00 UTC is 00:00 on 30 March
    put('2026-03-29T21:59:00Z', { energy: 130, volume: 13, tFlow: 5000, tReturn: 2500 }); //             23:59 local, 29 Mar
    put('2026-03-29T22:00:00Z', { energy: 140, volume: 14 }); //                                          00:00 local, 30 Mar
    expect(days()).toEqual([
      // two readings in hour 11 of 28 March; flow-weighted t_flow = (200·6000 + 600·7000) / 800 = 6750
      {
        day: dayNo('2026-03-28'), n: 2, hours: 1 << 11, hours_n: 1, irregular: 0, t_n: 2, t_flow_sum: 13000, t_return_sum: 7000,
        q_sum: 800, qt_flow_sum: 200 * 6000 + 600 * 7000, qt_return_sum: 200 * 4000 + 600 * 3000
      },
      // hours 0 and 23; the reading without a flow counts in the plain sums only
      {
        day: dayNo('2026-03-29'), n: 2, hours: (1 << 0) | (1 << 23), hours_n: 2, irregular: 0, t_n: 1, t_flow_sum: 5000, t_return_sum: 2500,
        q_sum: 0, qt_flow_sum: 0, qt_return_sum: 0
      },
      { day: dayNo('2026-03-30'), n: 1, hours: 1, hours_n: 1, irregular: 0, t_n: 0, t_flow_sum: 0, t_return_sum: 0, q_sum: 0, qt_flow_sum: 0, qt_return_sum: 0 }
    ]);
  });

  test('a register below the one before it, a late reading and a removed reading', () => {
    const put = (t: string, c: Partial<ReadingColumns>) => server.stores.readings.put(meter, utc(t), row(c));
    put('2026-03-30T08:00:00Z', { energy: 90, volume: 15 }); // energy fell from 140: irregular on 30 March
    expect(days().find((d) => d.day === dayNo('2026-03-30'))?.irregular).toBe(1);
    // a late reading on 28 March, before 10:00: the step from it to the 10:00 reading is checked too
    put('2026-03-28T05:00:00Z', { energy: 105, volume: 10 }); // 105 > 100 at 10:00: the 10:00 reading's day is marked
    const d28 = days().find((d) => d.day === dayNo('2026-03-28'))!;
    expect(d28.n).toBe(3);
    expect(d28.irregular).toBe(1);
    expect(d28.hours).toBe((1 << 11) | (1 << 6));
    // removing one of the two readings in hour 11 keeps the hour; removing the other clears it
    server.db.prepare('delete from reading where meter_id = ? and at = ?').run(meter, utc('2026-03-28T10:20:00Z'));
    let after = days().find((d) => d.day === dayNo('2026-03-28'))!;
    expect([after.n, after.hours, after.hours_n, after.t_n, after.t_flow_sum, after.q_sum]).toEqual([2, (1 << 11) | (1 << 6), 2, 1, 6000, 200]);
    server.db.prepare('delete from reading where meter_id = ? and at = ?').run(meter, utc('2026-03-28T10:00:00Z'));
    after = days().find((d) => d.day === dayNo('2026-03-28'))!;
    expect([after.n, after.hours, after.hours_n, after.t_n, after.q_sum]).toEqual([1, 1 << 6, 1, 0, 0]);
  });

  test('a rewritten reading (re-decode) changes its sums, not its count', () => {
    server.stores.readings.put(meter, utc('2026-03-29T21:59:00Z'), row({ energy: 130, volume: 13, flow: 100, tFlow: 5200, tReturn: 2600 }));
    const d = days().find((x) => x.day === dayNo('2026-03-29'))!;
    expect([d.n, d.t_n, d.t_flow_sum, d.q_sum, d.qt_flow_sum]).toEqual([2, 1, 5200, 100, 100 * 5200]);
  });

  test('the rebuild gives the triggers’ counts and sums (irregular may be lower: the triggers never take one back)', () => {
    const before = days();
    server.stores.readingDays.rebuild(tenant);
    const rebuilt = days();
    const strip = (r: DayRow) => ({ ...r, irregular: 0 });
    expect(rebuilt.map(strip)).toEqual(before.map(strip));
    for (let i = 0; i < rebuilt.length; i++) expect(rebuilt[i].irregular).toBeLessThanOrEqual(before[i].irregular);
    // 30 March: energy 140 at 00:00 then 90 at 10:00 local is still a fall
    expect(rebuilt.find((d) => d.day === dayNo('2026-03-30'))?.irregular).toBe(1);
  });

  test('interval: calendar dates to instants and day numbers on the utility clock', () => {
    const i = server.stores.readingDays.interval(tenant, '2026-03-29', '2026-03-31');
    expect(i.from).toBe(utc('2026-03-28T23:00:00Z'));
    expect(i.to).toBe(utc('2026-03-31T22:00:00Z'));
    expect([i.dayFrom, i.dayTo]).toEqual([dayNo('2026-03-29'), dayNo('2026-04-01')]);
  });
});
