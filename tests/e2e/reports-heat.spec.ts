// Heat report (M5) and heat-network analytics (B3) in Chromium: three MULTICAL 403 heat meters
// send real telegrams (shared/ encoder, unencrypted, records of protocols.md §4.4 incl. E8/E9)
// through the ingest API; the screens show the numbers worked out by hand below.
import { expect, test, type APIRequestContext } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { toHex } from '../../shared/bytes/hex';
import { encodeRecords, type RecordSpec } from '../../shared/mbus/encode-records';
import { encodeTelegram } from '../../shared/wmbus/encode';
import { signIn } from './session';

interface Reading {
  at: string;
  kWh: number;
  litres: number;
  t1: number; // 0.01 °C
  t2: number;
  e8?: number;
  e9?: number;
}

function telegram(serial: string, acc: number, r: Reading): string {
  const records: RecordSpec[] = [
    { type: 'int32', quantity: 'energy kWh', value: r.kWh },
    { type: 'int32', quantity: 'volume l', value: r.litres },
    { type: 'int16', quantity: 'flow temperature 0.01 °C', value: r.t1 },
    { type: 'int16', quantity: 'return temperature 0.01 °C', value: r.t2 }
  ];
  // E8 = Σ m³·t1 (04 FF 07), E9 = Σ m³·t2 (04 FF 08), Kamstrup manufacturer VIFs (§4.4)
  if (r.e8 !== undefined) records.push({ type: 'int32', vif: [0xff, 0x07], value: r.e8 }, { type: 'int32', vif: [0xff, 0x08], value: r.e9 });
  const t = encodeTelegram({
    address: { manufacturer: 'KAM', id: serial, version: 0x34, deviceType: 0x04 },
    tpl: { header: 'short', acc, payload: encodeRecords(records) }
  });
  return toHex(t);
}

async function heatMeter(api: APIRequestContext, serial: string, readings: Reading[]): Promise<number> {
  const made = await api.post('/api/meters', {
    data: { manufacturer: 'KAM', serial, version: 0x34, deviceType: 0x04, medium: 'heat', model: 'MULTICAL 403' }
  });
  expect(made.status(), await made.text()).toBe(201);
  const id = ((await made.json()) as { meter: { id: number } }).meter.id;
  const frames = readings.map((r, i) => ({ hex: telegram(serial, i + 1, r), receivedAt: Date.parse(r.at), source: 'e2e heat' }));
  const res = await api.post('/api/ingest/frames', { data: { frames } });
  expect(res.ok(), await res.text()).toBe(true);
  expect(((await res.json()) as { counts: { decoded?: number } }).counts.decoded).toBe(frames.length);
  return id;
}

const run = Date.now().toString(36);
const serialOf = (n: number) => String((Date.now() % 90_000_000) + 10_000_000 + n).slice(-8);
const [S1, S2, S3] = [serialOf(1), serialOf(2), serialOf(3)];
let group = 0;

test.beforeEach(async ({ page }) => {
  await signIn(page);
  if (group) return;
  const api = page.request;
  // M1, E8/E9: ΔV = 2252.49 − 2232.49 = 20 m3, ΔE8 = 1400 → t1 70.0; ΔE9 = 800 → t2 40.0; ΔT 30.0 (good);
  // energy 35206 − 34510 = 696 kWh; 20 / 0.696 = 28.7 m3/MWh
  const m1 = await heatMeter(api, S1, [
    { at: '2026-08-31T12:00:00Z', kWh: 34510, litres: 2232490, t1: 6460, t2: 4516, e8: 148532, e9: 118520 },
    { at: '2026-09-15T12:00:00Z', kWh: 34858, litres: 2242490, t1: 7000, t2: 4000, e8: 149232, e9: 119020 },
    { at: '2026-09-29T12:00:00Z', kWh: 35206, litres: 2252490, t1: 7000, t2: 4000, e8: 149932, e9: 119320 }
  ]);
  // M2, time average: t1 (50 + 54) / 2 = 52.0, t2 (35 + 37) / 2 = 36.0, ΔT 16.0 (poor); 3 m3 / 0.06 MWh = 50.0 m3/MWh
  const m2 = await heatMeter(api, S2, [
    { at: '2026-09-05T12:00:00Z', kWh: 500, litres: 50000, t1: 5000, t2: 3500 },
    { at: '2026-09-25T12:00:00Z', kWh: 560, litres: 53000, t1: 5400, t2: 3700 }
  ]);
  // M3: 65/43, ΔT 22.0 (fair); 12 m3 / 0.306 MWh = 39.2 m3/MWh (excess flow above 35)
  const m3 = await heatMeter(api, S3, [
    { at: '2026-09-03T12:00:00Z', kWh: 1000, litres: 100000, t1: 6500, t2: 4300 },
    { at: '2026-09-27T12:00:00Z', kWh: 1306, litres: 112000, t1: 6500, t2: 4300 }
  ]);
  const g = await api.post('/api/groups', { data: { name: `Heat e2e ${run}` } });
  const id = ((await g.json()) as { group: { id: number } }).group.id;
  expect((await api.post(`/api/groups/${id}/members`, { data: { meterIds: [m1, m2, m3] } })).ok()).toBe(true);
  group = id;
});

const SCOPE = () => `group=${group}&from=2026-09-01&to=2026-09-30`;

test('@reports heat report: temperatures, levels, a filter, thresholds and the CSV file', async ({ page }) => {
  await page.goto(`/manager/analysis/heat?${SCOPE()}`);
  await expect(page.getByRole('heading', { name: 'Heat: cooling and temperatures' })).toBeVisible();
  await expect(page.getByTestId('heat-summary')).toContainText('3 of 3 heat meters; 0 without readings');
  const row = (serial: string) => page.locator(`[data-testid="heat-row"][data-serial="${serial}"]`);
  await expect(row(S1).getByTestId('heat-t1')).toHaveText(/70\.0/);
  await expect(row(S1).getByTestId('heat-t2')).toHaveText(/40\.0/);
  await expect(row(S1).getByTestId('heat-dt')).toHaveText(/30\.0/);
  await expect(row(S1).getByTestId('heat-energy')).toHaveText(/696/);
  await expect(row(S1)).toContainText('E8/E9 registers');
  await expect(row(S1).getByTestId('heat-level')).toHaveText('good');
  await expect(row(S2).getByTestId('heat-dt')).toHaveText(/16\.0/);
  await expect(row(S2).getByTestId('heat-level')).toHaveText('poor');
  await expect(row(S3).getByTestId('heat-level')).toHaveText('fair');
  // sorted by ΔT, lowest first
  expect(await page.getByTestId('heat-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-serial')))).toEqual([S2, S3, S1]);

  // only the poor ones, on the server
  await page.getByLabel('Level').selectOption('poor');
  await page.getByRole('button', { name: 'Show report' }).click();
  await expect(page).toHaveURL(/level=poor/);
  await expect(page.getByTestId('heat-row')).toHaveCount(1);
  await expect(page.getByTestId('heat-summary')).toContainText('1 of 3 heat meters match the filters');

  // a stricter good threshold for this run: M1's 30 K becomes fair
  await page.getByLabel('Level').selectOption('');
  await page.getByLabel('Good from (K)').fill('35');
  await page.getByRole('button', { name: 'Show report' }).click();
  await expect(row(S1).getByTestId('heat-level')).toHaveText('fair');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('heat-csv').click()]);
  expect(download.suggestedFilename()).toBe('heat-2026-09-01-2026-09-30.csv');
  const csv = readFileSync((await download.path())!, 'utf8');
  const lines = csv.split('\r\n');
  expect(lines[0]).toContain('first_reading,last_reading,energy_kwh,volume_m3,t1_c,t2_c,delta_t_k,level,method,notes');
  expect(lines.find((l) => l.includes(`,${S1},`))).toContain(',696,20,70,40,30,fair,E8/E9 registers,');
  expect(lines).toHaveLength(5); // header, 3 rows, '' after the last CRLF

  // on a phone each meter is a card with its values labelled, sorted with the narrow-screen control
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(row(S1).getByText('ΔT (K)', { exact: true })).toBeVisible();
  await page.getByLabel('Sort by').selectOption('energy');
  await page.getByLabel('Order').selectOption('descending');
  expect(await page.getByTestId('heat-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-serial')))).toEqual([S1, S3, S2]);
});

test('@reports heat-network analytics: ranking, flags and the trend of an installation', async ({ page }) => {
  await page.goto(`/manager/analysis/network?${SCOPE()}`);
  await expect(page.getByRole('heading', { name: 'Heat-network analytics' })).toBeVisible();
  await expect(page.getByTestId('network-summary')).toContainText('3 of 3 heat installations ranked');
  // M2: 2 flags; M3: 1 flag; M1: none
  expect(await page.getByTestId('network-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-serial')))).toEqual([S2, S3, S1]);
  const row = (serial: string) => page.locator(`[data-testid="network-row"][data-serial="${serial}"]`);
  await expect(row(S2).getByTestId('network-flags')).toContainText('poor cooling');
  await expect(row(S2).getByTestId('network-flags')).toContainText('excess flow');
  await expect(row(S2).getByTestId('network-flow')).toHaveText(/50\.0/);
  await expect(row(S3).getByTestId('network-flow')).toHaveText(/39\.2/);
  await expect(row(S1).getByTestId('network-flags')).toContainText('none');

  // a lower flow limit for this run flags M1 too (28.7 > 25)
  await page.getByLabel('Flow above (m³/MWh)').fill('25');
  await page.getByRole('button', { name: 'Show report' }).click();
  await expect(row(S1).getByTestId('network-flags')).toContainText('excess flow');

  await row(S1).getByRole('button', { name: `Show trend of ${S1}` }).press('Enter');
  const trend = page.getByTestId('trend');
  await expect(trend.getByRole('heading', { name: `Trend of KAM ${S1}` })).toBeVisible();
  await expect(trend.getByTestId('trend-row')).toHaveCount(12); // October 2025 to September 2026
  await expect(trend.getByTestId('trend-row').last()).toContainText('2026-09-01 – 2026-09-30');
  await expect(trend.getByTestId('trend-row').last()).toContainText('30.0');
  await expect(trend.getByTestId('trend-row').last()).toContainText('28.7');
  await trend.getByLabel('Per').selectOption('week');
  await expect(trend.getByTestId('trend-row').first()).toContainText('2025-10-01 – 2025-10-05');
});
