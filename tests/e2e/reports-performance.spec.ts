// Reading performance (M7) in the Manager. Two MULTICAL 21 meters on a fixed network with an
// hourly transmission interval, read on 1 October 2026 (Copenhagen, CEST: local midnight is
// 22:00Z the day before) through two gateways, as real telegrams (our encoder, the meters' keys)
// posted to POST /api/ingest/frames. By hand:
//   A: 24 hours expected, hours 10-15 local missing: 18 received = 75.0 % (poor below 80 %);
//      12 via North, 6 via South.   B: 24 of 24 = 100.0 %, all via North.
//   North: 12 + 24 = 36 messages of 24 + 24 expected = 75.0 %.  South: 6 of A's 24 = 25.0 %.
import { expect, test, type Page } from '@playwright/test';
import { addWaterMeter, waterTelegram } from '../../bench/lib/manager-graph.mjs';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 90_000 });
test.use({ timezoneId: 'Europe/Copenhagen', viewport: { width: 1280, height: 900 } });

const run = Date.now().toString(36);
const base = 10_000_000 + ((Date.now() * 13) % 80_000_000);
const serialA = String(base);
const serialB = String(base + 1);
const north = `North ${run}`;
const south = `South ${run}`;
const KEY = '6B'.repeat(8) + '2D'.repeat(8);
const HOUR = 3_600_000;
const MIDNIGHT = Date.parse('2026-09-30T22:00:00Z'); // 1 Oct 00:00 CEST
let group = 0;

async function seed(page: Page): Promise<void> {
  const origin = new URL(page.url()).origin;
  const req = page.request;
  const ok = async (res: Awaited<ReturnType<typeof req.post>>, what: string): Promise<any> => {
    expect(res.ok(), `${what}: ${await res.text()}`).toBe(true);
    return res.json();
  };
  const ids: number[] = [];
  for (const serial of [serialA, serialB]) {
    const id = await addWaterMeter(req, origin, { serial, key: KEY });
    await ok(await req.patch(`${origin}/api/meters/${id}`, { data: { readingMode: 'fixed-network', intervalS: 3600 } }), 'mode');
    ids.push(id);
  }
  ({ group: { id: group } } = await ok(await req.post(`${origin}/api/groups`, { data: { name: `Performance ${run}` } }), 'group'));
  await ok(await req.post(`${origin}/api/groups/${group}/members`, { data: { meterIds: ids } }), 'members');
  const frames: { hex: string; receivedAt: number; source: string }[] = [];
  let counter = 1;
  for (let h = 0; h < 24; h++) {
    const at = MIDNIGHT + h * HOUR + 60_000;
    if (h < 10) frames.push({ hex: waterTelegram({ serial: serialA, key: KEY, volumeL: 1000 + h, counter: counter++ }), receivedAt: at, source: north });
    else if (h >= 16 && h < 18) frames.push({ hex: waterTelegram({ serial: serialA, key: KEY, volumeL: 1000 + h, counter: counter++ }), receivedAt: at, source: north });
    else if (h >= 18) frames.push({ hex: waterTelegram({ serial: serialA, key: KEY, volumeL: 1000 + h, counter: counter++ }), receivedAt: at, source: south });
    frames.push({ hex: waterTelegram({ serial: serialB, key: KEY, volumeL: 2000 + h, counter: counter++ }), receivedAt: at + 1000, source: north });
  }
  const { counts } = await ok(await req.post(`${origin}/api/ingest/frames`, { data: { frames } }), 'ingest');
  expect(counts.decoded).toBe(42);
}

test('@reports reading performance: shares, the poor list, a comment kept after reload, gateways', async ({ page }) => {
  await signIn(page);
  await seed(page);
  await page.goto(`/manager/analysis/performance?group=${group}&from=2026-10-01&to=2026-10-01`);
  await expect(page.getByRole('heading', { name: 'Reading performance' })).toBeVisible();

  const summary = page.getByTestId('performance-summary');
  await expect(summary).toContainText('2 meters, 1 poor (below 80 %)');
  await expect(summary).toContainText('received 42 of 48 expected messages: 87.5 %');
  const rowA = page.locator(`[data-testid="performance-row"][data-serial="${serialA}"]`);
  const rowB = page.locator(`[data-testid="performance-row"][data-serial="${serialB}"]`);
  await expect(rowA).toContainText('18 / 24');
  await expect(rowA).toContainText('75.0 %');
  await expect(rowA).toContainText('Poor');
  await expect(rowA).toContainText('Fixed network: one every hour');
  await expect(rowA).toContainText('18 of 24 h');
  await expect(rowB).toContainText('24 / 24');
  await expect(rowB).toContainText('100.0 %');
  await expect(rowB).not.toContainText('Poor');
  // worst first
  await expect(page.getByTestId('performance-row').first()).toHaveAttribute('data-serial', serialA);

  // only the poor performers
  await page.getByLabel('Only poor performers').check();
  await page.getByRole('button', { name: 'Show report' }).click();
  await expect(page).toHaveURL(/onlyPoor=1/);
  await expect(page.getByTestId('performance-row')).toHaveCount(1);
  await expect(rowA).toBeVisible();

  // a stricter threshold for this run only, in the address
  await page.getByLabel('Poor below (%)').fill('70');
  await page.getByRole('button', { name: 'Show report' }).click();
  await expect(summary).toContainText('2 meters, 0 poor (below 70 %)');
  await expect(page.getByText('No poor performers: every meter reached 70 %.')).toBeVisible();
  await page.getByLabel('Only poor performers').uncheck();
  await page.getByLabel('Poor below (%)').fill('');
  await page.getByRole('button', { name: 'Show report' }).click();
  await expect(summary).toContainText('1 poor (below 80 %)');

  // a comment, with the keyboard: Escape cancels, Enter saves
  await rowA.getByRole('button', { name: `Add comment on meter ${serialA}` }).click();
  const field = rowA.getByRole('textbox', { name: `Comment on meter ${serialA}` });
  await expect(field).toBeFocused();
  await field.fill('throwaway');
  await field.press('Escape');
  await expect(field).toBeHidden();
  await expect(rowA).not.toContainText('throwaway');
  await rowA.getByRole('button', { name: `Add comment on meter ${serialA}` }).click();
  await field.fill('Antenna moved 3 Nov');
  await field.press('Enter');
  await expect(rowA).toContainText('Antenna moved 3 Nov');
  await page.reload();
  await expect(rowA).toContainText('Antenna moved 3 Nov');
  await expect(rowA).toContainText('admin');

  // per gateway
  await page.getByRole('tab', { name: 'Gateways' }).click();
  await expect(page).toHaveURL(/tab=gateways/);
  const gateways = page.getByTestId('gateway-row');
  await expect(gateways).toHaveCount(2);
  await expect(gateways.filter({ hasText: north })).toContainText('36 / 48');
  await expect(gateways.filter({ hasText: north })).toContainText('75.0 %');
  await expect(gateways.filter({ hasText: south })).toContainText('6 / 24');
  await expect(gateways.filter({ hasText: south })).toContainText('25.0 %');

  // drive-by routes: the view answers (devices of other specs may have routes on this server)
  await page.getByRole('tab', { name: 'Drive-by routes' }).click();
  await expect(page.getByRole('tab', { name: 'Drive-by routes' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('performance-routes').or(page.getByText('No field device has a route'))).toBeVisible();
});

test('@reports reading performance: CSV of the meters with the comment, and the phone layout', async ({ page }) => {
  await signIn(page);
  await page.goto(`/manager/analysis/performance?group=${group}&from=2026-10-01&to=2026-10-01`);
  await expect(page.getByTestId('performance-summary')).toContainText('2 meters');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('reading-performance-meters-2026-10-01-2026-10-01.csv');
  const text = await (await file.createReadStream()).toArray().then((c) => Buffer.concat(c).toString('utf8'));
  expect(text).toContain(`,${serialA},MULTICAL 21,`);
  expect(text).toMatch(new RegExp(`,${serialA},.*,fixed-network,3600,.*,18,24,75,18,24,75,.*,yes,Antenna moved 3 Nov,admin,`));

  await page.setViewportSize({ width: 390, height: 844 });
  const rowA = page.locator(`[data-testid="performance-row"][data-serial="${serialA}"]`);
  // cards: each value under its label
  await expect(rowA.locator('.label', { hasText: 'Received / expected' })).toBeVisible();
  await expect(rowA).toContainText('18 / 24');
});
