// The consumption report (M6) in Chromium. Four MULTICAL 21 water meters, each at its own
// metering point and in one group, read with real telegrams (our encoder, the meters' key)
// ingested through the API. October 2026 on the utility's calendar (Europe/Copenhagen) runs
// from 30 Sep 22:00 UTC to 31 Oct 23:00 UTC. By hand:
//   plain:   100,000 L on 30 Sep → 112,250 L on 31 Oct          = 12.25 m3
//   zero:     50,000 L → 50,000 L                                =  0 m3
//   big:      10,000 L → 200,000 L (15 Oct) → 310,000 L (31 Oct) = 300 m3
//   silent:   20,000 L on 30 Sep, nothing in October             = no value, "no readings in the interval"
// Total 312.25 m3 over 4 consumers, 1 without a value.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { addWaterMeter, ingestReadings } from '../../bench/lib/manager-graph.mjs';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 90_000 });
test.use({ timezoneId: 'Europe/Copenhagen', viewport: { width: 1280, height: 900 } });

/** Names are unique per attempt: a retry runs against the same server. */
const run = Date.now().toString(36);
const base = 20_000_000 + ((Date.now() * 11) % 70_000_000);
const KEY = '6B'.repeat(8) + '2D'.repeat(8);
const utc = (s: string) => Date.parse(s);
const names = { plain: `Plain ${run}`, zero: `Zero ${run}`, big: `Big ${run}`, silent: `Silent ${run}` };
const meterIds: Record<string, number> = {};
let groupName = '';
let groupId = 0;

async function seed(page: Page): Promise<void> {
  const origin = new URL(page.url()).origin;
  const req = page.request;
  const post = async (path: string, data: unknown) => {
    const res = await req.post(`${origin}${path}`, { data });
    expect(res.ok(), `${path}: ${await res.text()}`).toBe(true);
    return res.json();
  };
  const readings: Record<string, [string, number][]> = {
    plain: [['2026-09-30T10:00:00Z', 100_000], ['2026-10-31T11:00:00Z', 112_250]],
    zero: [['2026-09-30T10:00:00Z', 50_000], ['2026-10-31T11:00:00Z', 50_000]],
    big: [['2026-09-30T10:00:00Z', 10_000], ['2026-10-15T10:00:00Z', 200_000], ['2026-10-31T11:00:00Z', 310_000]],
    silent: [['2026-09-30T10:00:00Z', 20_000]]
  };
  let i = 0;
  for (const [kind, customerName] of Object.entries(names)) {
    const { customer } = await post('/api/customers', { name: customerName, number: `CR-${kind}-${run}` });
    const { meteringPoint } = await post('/api/metering-points', { address: `Consumption street ${i + 1}, ${run}`, customerId: customer.id });
    const serial = String(base + i++);
    meterIds[kind] = await addWaterMeter(req, origin, { serial, key: KEY, pointId: meteringPoint.id, from: utc('2026-09-01T00:00:00Z') });
    await ingestReadings(req, origin, { serial, key: KEY, readings: readings[kind].map(([at, volumeL]) => ({ at: utc(at), volumeL })) });
  }
  groupName = `October ${run}`;
  const { group } = await post('/api/groups', { name: groupName });
  groupId = group.id;
  await post(`/api/groups/${group.id}/members`, { meterIds: Object.values(meterIds) });
}

const row = (page: Page, name: string) => page.getByTestId('consumption-row').filter({ has: page.getByRole('link', { name }) });

async function runReport(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Show report' }).click();
  await expect(page.getByTestId('consumption-summary')).toBeVisible();
}

test('@reports consumption: values per consumer, totals, filters, hits into a new group, graph and CSV', async ({ page }) => {
  await signIn(page);
  await seed(page);

  await page.goto('/manager/analysis/consumption');
  await expect(page.getByRole('heading', { name: 'Consumption' })).toBeVisible();
  await expect(page.getByText('Choose the meters and the dates')).toBeVisible();
  await page.getByLabel('Meters').selectOption({ label: `${groupName} (4)` });
  await page.getByLabel('From', { exact: true }).fill('2026-10-01');
  await page.getByLabel('To', { exact: true }).fill('2026-10-31');
  await runReport(page);

  await expect(page.getByTestId('consumption-row')).toHaveCount(4);
  await expect(row(page, names.plain).getByTestId('consumption-value')).toContainText('12.25 m³');
  await expect(row(page, names.zero).getByTestId('consumption-value')).toContainText('0 m³');
  await expect(row(page, names.big).getByTestId('consumption-value')).toContainText('300 m³');
  await expect(row(page, names.silent).getByTestId('consumption-value')).toContainText('—');
  await expect(row(page, names.silent)).toContainText('no readings in the interval');
  await expect(page.getByTestId('total-m3')).toContainText('312.25 m³ over 4 consumers');
  await expect(page.getByTestId('total-m3')).toContainText('1 without a value');

  // sorted by consumption, highest first; the row without a value last
  await page.getByRole('button', { name: 'Consumption', exact: true }).click();
  await expect(page).toHaveURL(/sort=value&desc=true/);
  await expect(page.getByTestId('consumption-value')).toHaveText([/300 m³/, /12\.25 m³/, /0 m³/, /—/]);

  // zero consumption
  await page.getByLabel('Zero consumption only').check();
  await runReport(page);
  await expect(page.getByTestId('consumption-row')).toHaveCount(1);
  await expect(row(page, names.zero)).toBeVisible();
  await expect(page.getByTestId('consumption-matched')).toHaveText('1');

  // a limit needs its unit
  await page.getByLabel('Zero consumption only').uncheck();
  await page.getByLabel('At least').fill('100');
  await page.getByRole('button', { name: 'Show report' }).click();
  await expect(page.getByRole('alert')).toContainText('Choose kWh or m³ for a limit');
  await page.getByLabel('Unit').selectOption('m3');
  await runReport(page);
  await expect(page.getByTestId('consumption-row')).toHaveCount(1);
  await expect(row(page, names.big)).toBeVisible();
  await expect(page.getByTestId('filtered-m3')).toContainText('300 m³ over the 1 shown');

  // the hit into a new group, then the group's count in the scope's list
  await page.getByRole('button', { name: 'Add 1 meter to group…' }).click();
  await expect(page.getByLabel('Group', { exact: true })).toHaveValue('new');
  const hitsGroup = `Over 100 m3 ${run}`;
  await page.getByLabel('Name of the new group').fill(hitsGroup);
  await page.getByRole('button', { name: 'Add 1 meter', exact: true }).click();
  await expect(page.getByTestId('group-result')).toHaveText(`Added 1 meter to ${hitsGroup}.`);
  await page.reload();
  await expect(page.getByLabel('Meters').locator('option', { hasText: `${hitsGroup} (1)` })).toHaveCount(1);

  // CSV of the kept rows
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
  expect(download.suggestedFilename()).toBe('consumption-2026-10-01-2026-10-31.csv');
  const csv = readFileSync((await download.path())!, 'utf8').split('\r\n');
  expect(csv[0]).toContain('customer,consumer,meters,meter_ids,from,to,consumption,unit');
  expect(csv[1]).toContain(`,${names.big},${names.big},KAM ${base + 2},${meterIds.big},2026-10-01T00:00:00+02:00,2026-11-01T00:00:00+01:00,300,m3,,false,false,false`);
  expect(csv).toHaveLength(3); // header, one row, and the empty string after the last CRLF

  // a consumer opens its graph over the same dates, by day
  await row(page, names.big).getByRole('link', { name: names.big }).click();
  await expect(page).toHaveURL(new RegExp(`/manager/meters/${meterIds.big}\\?from=2026-10-01&to=2026-10-31&resolution=day`));
  await expect(page.getByRole('heading', { level: 1 })).toContainText(String(base + 2));
});

test('@reports consumption on a phone: one card per consumer with its labels', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 800 });
  await signIn(page);
  await page.goto(`/manager/analysis/consumption?group=${groupId}&from=2026-10-01&to=2026-10-31&unit=m3&zero=true`);
  const card = row(page, names.zero);
  await expect(card).toBeVisible();
  await expect(card.getByText('Consumption', { exact: true })).toBeVisible();
  await expect(page.getByLabel('Sort by')).toBeVisible();
  const box = (await card.boundingBox())!;
  expect(box.width).toBeLessThanOrEqual(390);
});
