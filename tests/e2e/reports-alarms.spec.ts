// The alarms screen (issue 7, M8) against the real server: four MULTICAL 21 water meters send real
// encrypted telegrams with info codes (02 FF 20, protocols.md §4.5.2: bit 0 dry = warning, bit 2
// leak = critical, bit 3 burst = critical), one a day over the last 11 days, all in a group of this
// run so other specs' meters on the shared server stay out of the assertions.
//   LEAK:  clear, then leak on the newest 4 readings (newest 1 h ago)  → critical, since 3 days
//   BURST: clear, then burst on the newest reading (2 h ago)           → critical, since 2 h
//   DRY:   clear, then dry on the newest 2 readings (30 min ago)       → warning, since 1 day
//   CLEAR: leak on 2 readings 4-5 days ago, clear since               → not listed, history 2 days
// Expected order by severity: LEAK, BURST (both critical, newer first), DRY; by time: DRY, LEAK, BURST.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { addWaterMeter, ingestReadings } from '../../bench/lib/manager-graph.mjs';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 90_000 });
const ZONE = 'Europe/Copenhagen'; // the utility's zone (tenant default)
test.use({ timezoneId: ZONE, viewport: { width: 1280, height: 900 } });

const run = Date.now().toString(36);
const base = 20_000_000 + ((Date.now() * 13) % 70_000_000);
const KEY = '7B'.repeat(8) + '21'.repeat(8);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const INFO = { dry: 1, leak: 4, burst: 8 };
const now = Date.now();

type Plan = { serial: string; latest: number; info: (k: number) => number; customer: string };
const meters: Record<'leak' | 'burst' | 'dry' | 'clear', Plan> = {
  leak: { serial: String(base), latest: now - HOUR, info: (k) => (k <= 3 ? INFO.leak : 0), customer: `Leak Larsen ${run}` },
  burst: { serial: String(base + 1), latest: now - 2 * HOUR, info: (k) => (k === 0 ? INFO.burst : 0), customer: `Burst Berg ${run}` },
  dry: { serial: String(base + 2), latest: now - 30 * 60_000, info: (k) => (k <= 1 ? INFO.dry : 0), customer: `Dry Dahl ${run}` },
  clear: { serial: String(base + 3), latest: now - 40 * 60_000, info: (k) => (k === 4 || k === 5 ? INFO.leak : 0), customer: `Clear Clausen ${run}` }
};
const ids: Record<string, number> = {};
let groupId = 0;

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23', timeZone: ZONE });

/** The utility's wall clock with its offset, as the CSV writes it: "2026-11-23T10:15:00+01:00". */
function localIso(at: number): string {
  const off = new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')!.value; // "GMT+01:00"
  const [, sign, h, m] = /GMT([+-])(\d\d):(\d\d)/.exec(off)!;
  const ms = (sign === '-' ? -1 : 1) * (Number(h) * 60 + Number(m)) * 60_000;
  return `${new Date(at + ms).toISOString().slice(0, 19)}${sign}${h}:${m}`;
}

async function seed(page: Page): Promise<void> {
  const origin = new URL(page.url()).origin;
  const req = page.request;
  const post = async (path: string, data: unknown) => {
    const res = await req.post(`${origin}${path}`, { data });
    expect(res.ok(), `${path}: ${await res.text()}`).toBe(true);
    return res.json();
  };
  const { group } = await post('/api/groups', { name: `Alarms e2e ${run}` });
  groupId = group.id;
  for (const [name, m] of Object.entries(meters)) {
    const { customer } = await post('/api/customers', { name: m.customer, number: `A-${m.serial}` });
    const { meteringPoint } = await post('/api/metering-points', { address: `Alarmvej ${m.serial}`, postalCode: '8000', city: 'Aarhus', customerId: customer.id });
    ids[name] = await addWaterMeter(req, origin, { serial: m.serial, key: KEY, pointId: meteringPoint.id, from: now - 20 * DAY });
    // one reading a day, oldest first: k days before the newest
    const readings = Array.from({ length: 11 }, (_, i) => 10 - i).map((k) => ({ at: m.latest - k * DAY, volumeL: 50_000 + (10 - k) * 180, info: m.info(k) }));
    await ingestReadings(req, origin, { serial: m.serial, key: KEY, readings });
  }
  await post(`/api/groups/${groupId}/members`, { meterIds: Object.values(ids) });
}

const rows = (page: Page) => page.getByTestId('alarm-row');
const serialsShown = async (page: Page) => (await rows(page).locator('th a').allInnerTexts()).map((t) => t.replace('KAM ', ''));

test('@reports alarms: listed by severity and by time, filtered by kind, history sentences, CSV, meter page card', async ({ page }) => {
  await signIn(page);
  await seed(page);

  // the group's alarms, most severe first
  await page.goto(`/manager/analysis/alarms?group=${groupId}`);
  await expect(page.getByRole('heading', { name: 'Alarms', level: 1 })).toBeVisible();
  await expect(page.getByTestId('alarm-count')).toHaveText('3 meters with alarms');
  expect(await serialsShown(page)).toEqual([meters.leak.serial, meters.burst.serial, meters.dry.serial]);
  const leakRow = rows(page).filter({ hasText: meters.leak.serial });
  await expect(leakRow.locator('.pill')).toHaveText('Critical');
  await expect(leakRow.getByTestId('alarm-labels')).toHaveText(/Leak/);
  await expect(leakRow).toContainText(meters.leak.customer);
  await expect(leakRow).toContainText(`Alarmvej ${meters.leak.serial}, 8000`);
  // since: the first reading of the run (3 days before the newest), 72 h = 3 days
  await expect(leakRow.getByTestId('alarm-since')).toContainText(dateTime.format(meters.leak.latest - 3 * DAY));
  await expect(leakRow.getByTestId('alarm-since')).toContainText('3 days');
  await expect(rows(page).filter({ hasText: meters.dry.serial }).locator('.pill')).toHaveText('Warning');
  await expect(rows(page).filter({ hasText: meters.dry.serial }).getByTestId('alarm-labels')).toHaveText('Dry (no water in meter)');

  // by time: the Last reading heading, then again for the other direction
  await page.getByRole('button', { name: /^Last reading/ }).click();
  await expect(page).toHaveURL(/sort=time/);
  await expect.poll(() => serialsShown(page)).toEqual([meters.dry.serial, meters.leak.serial, meters.burst.serial]);
  await expect(page.getByRole('columnheader', { name: /Last reading/ })).toHaveAttribute('aria-sort', 'descending');
  await page.getByRole('button', { name: /^Last reading/ }).click();
  await expect.poll(() => serialsShown(page)).toEqual([meters.burst.serial, meters.leak.serial, meters.dry.serial]);
  await expect(page.getByRole('columnheader', { name: /Last reading/ })).toHaveAttribute('aria-sort', 'ascending');
  // least severe first through the Order select (the phone's way to sort)
  await page.getByLabel('Order').selectOption({ label: 'Least severe first' });
  await expect.poll(() => serialsShown(page)).toEqual([meters.dry.serial, meters.burst.serial, meters.leak.serial]);

  // filter by kind and by severity
  await page.getByLabel('Alarm', { exact: true }).selectOption({ label: 'Leak' });
  await page.getByRole('button', { name: 'Show alarms' }).click();
  await expect(page).toHaveURL(/kind=leak/);
  await expect.poll(() => serialsShown(page)).toEqual([meters.leak.serial]);
  await expect(page.getByTestId('alarm-count')).toHaveText('1 meter with an alarm');
  await page.getByLabel('Alarm', { exact: true }).selectOption({ label: 'Any alarm' });
  await page.getByLabel('Minimum severity').selectOption({ label: 'Critical only' });
  await page.getByRole('button', { name: 'Show alarms' }).click();
  await expect.poll(() => serialsShown(page)).toEqual([meters.burst.serial, meters.leak.serial]);
  await page.getByLabel('Minimum severity').selectOption({ label: 'Any' });
  await page.getByLabel('Alarm', { exact: true }).selectOption({ label: 'Tamper' });
  await page.getByRole('button', { name: 'Show alarms' }).click();
  await expect(page.getByTestId('alarm-empty')).toContainText('No meter matches these filters.');

  // history on demand, 30 and 7 days
  await page.goto(`/manager/analysis/alarms?group=${groupId}`);
  await expect(rows(page)).toHaveCount(3);
  const history = leakRow.getByTestId('alarm-history');
  await history.getByRole('button', { name: /Show the alarm history/ }).click();
  await expect(history).toHaveText(/Leak on 4 of the last 30 days\. Readings on 11 of 30 days\./);
  await page.getByLabel('History over').selectOption({ label: '7 days' });
  await expect(page.getByRole('columnheader', { name: 'History (7 days)' })).toBeVisible();
  await page.getByRole('button', { name: 'Show history for these meters' }).click();
  await expect(history).toContainText('Leak on 4 of the last 7 days');
  await expect(rows(page).filter({ hasText: meters.burst.serial }).getByTestId('alarm-history')).toContainText('Burst on 1 of the last 7 days');
  await expect(rows(page).filter({ hasText: meters.dry.serial }).getByTestId('alarm-history')).toContainText('Dry (no water in meter) on 2 of the last 7 days');

  // the CSV file: the same three meters, most severe first, times on the utility's clock
  const downloading = page.waitForEvent('download');
  await page.getByTestId('alarm-csv').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^alarms-\d{4}-\d{2}-\d{2}\.csv$/);
  const lines = readFileSync((await download.path())!, 'utf8').split('\r\n');
  expect(lines[0]).toBe('meter_id,manufacturer,serial,model,address,postal_code,customer_number,customer,severity,alarms,since,at');
  expect(lines.slice(1, 4).map((l) => l.split(',')[2])).toEqual([meters.leak.serial, meters.burst.serial, meters.dry.serial]);
  const sec = (t: number) => Math.floor(t / 1000) * 1000; // the file writes whole seconds
  expect(lines[1]).toBe(
    [ids.leak, 'KAM', meters.leak.serial, 'MULTICAL 21', `Alarmvej ${meters.leak.serial}`, '8000', `A-${meters.leak.serial}`, meters.leak.customer, 'critical', 'Leak',
      localIso(sec(meters.leak.latest - 3 * DAY)), localIso(sec(meters.leak.latest))].join(',')
  );
  expect(lines[3]).toContain(',warning,Dry (no water in meter),');
  expect(lines.length).toBe(5); // three records and the empty string after the last CRLF

  // a row opens the meter page; its Alarm history card says the same, and a cleared meter keeps its history
  await leakRow.getByRole('link', { name: `KAM ${meters.leak.serial}` }).click();
  await expect(page).toHaveURL(new RegExp(`/manager/meters/${ids.leak}`));
  const card = page.getByTestId('alarm-history-card');
  await expect(card.getByRole('heading', { name: 'Alarm history' })).toBeVisible();
  await expect(card.getByTestId('alarm-history-kinds')).toContainText('Leak on 4 of the last 30 days');
  await expect(card).toContainText('Readings on 11 of 30 days.');
  await page.goto(`/manager/meters/${ids.clear}`);
  await expect(page.getByTestId('alarm-history-card').getByTestId('alarm-history-kinds')).toContainText('Leak on 2 of the last 30 days');
  await page.getByTestId('alarm-history-card').getByLabel('Period').selectOption({ label: 'Last 7 days' });
  await expect(page.getByTestId('alarm-history-card').getByTestId('alarm-history-kinds')).toContainText('Leak on 2 of the last 7 days');

  // the meter list's alarm icon opens the meter's alarm history
  await page.goto(`/manager/meters?q=${meters.leak.serial}`);
  await page.getByRole('link', { name: 'Alarms: Leak' }).click();
  await expect(page).toHaveURL(new RegExp(`/manager/meters/${ids.leak}#alarm-history$`));
  await expect(page.getByTestId('alarm-history-card').getByTestId('alarm-history-kinds')).toContainText('Leak on 4 of the last 30 days');
});

test('@reports alarms on a phone: one card per meter, sorted through Order', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 800 });
  await signIn(page);
  await page.goto(`/manager/analysis/alarms?group=${groupId}&sort=time`);
  await expect(rows(page)).toHaveCount(3);
  expect(await serialsShown(page)).toEqual([meters.dry.serial, meters.leak.serial, meters.burst.serial]);
  // the column headings are hidden; each value carries its label
  await expect(rows(page).first().getByText('Last reading', { exact: true })).toBeVisible();
  await expect(page.getByLabel('Order')).toHaveValue('time-desc');
  // a tap on the card opens the meter
  await rows(page).filter({ hasText: meters.burst.serial }).getByTestId('alarm-labels').click();
  await expect(page).toHaveURL(new RegExp(`/manager/meters/${ids.burst}$`));
});
