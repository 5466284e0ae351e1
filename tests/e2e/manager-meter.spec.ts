// The meter and consumer page (M2), the consumer report and the Manager's meter exchange (M12).
// A MULTICAL 21 water meter A read daily at 12:00 Copenhagen time from 1 to 10 Oct 2026, exchanged
// on 10 Oct at 17:00 (final 102.4 m3) for meter B (start 0), read daily from 11 to 20 Oct. The
// readings are real telegrams (our encoder, the meters' keys) ingested through the API; B's last
// one carries info code 1 (MULTICAL 21 "dry", Kamstrup 5512-897 §11.4).
// Expected consumption per day, by hand: 1 Oct none (first reading), 2-9 Oct 0.250 m3 each,
// 10 Oct 0.250 + (102.4 − 102.25) = 0.400 with the exchange, 11-20 Oct 0.300 each; total 5.400.
import { expect, test, type Page } from '@playwright/test';
import { addWaterMeter, ingestReadings } from '../../bench/lib/manager-graph.mjs';
import { waitForMail } from './mail-sink';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 90_000 });
// the office's clock: days in the browser are the utility's days (Europe/Copenhagen)
test.use({ timezoneId: 'Europe/Copenhagen', viewport: { width: 1280, height: 900 } });

/** Names are unique per attempt: a retry runs against the same server. */
const run = Date.now().toString(36);
const base = 10_000_000 + ((Date.now() * 7) % 80_000_000);
const serialA = String(base);
const serialB = String(base + 1);
const serialC = `C${base}`;
const email = `consumer-${run}@e2e.example`;
const KEY = '5A'.repeat(8) + '3C'.repeat(8);
const utc = (s: string) => Date.parse(s);
const DAY = 86_400_000;
const RANGE = '?from=2026-10-01&to=2026-10-20&resolution=day';
let meterB = 0;

const expectedRows = [
  ['2026-10-01', '', ''],
  ...Array.from({ length: 8 }, (_, i) => [`2026-10-0${i + 2}`, '0.250', '']),
  ['2026-10-10', '0.400', 'meter exchange'],
  ...Array.from({ length: 9 }, (_, i) => [`2026-10-${11 + i}`, '0.300', '']),
  ['2026-10-20', '0.300', 'info codes']
];

async function seed(page: Page): Promise<void> {
  const origin = new URL(page.url()).origin;
  const req = page.request;
  const post = async (path: string, data: unknown) => {
    const res = await req.post(`${origin}${path}`, { data });
    expect(res.ok(), `${path}: ${await res.text()}`).toBe(true);
    return res.json();
  };
  const { customer } = await post('/api/customers', { name: `Karen Jensen ${run}`, number: `C-${run}`, email });
  const { meteringPoint } = await post('/api/metering-points', { address: `Åboulevarden ${run}`, postalCode: '8000', city: 'Aarhus', customerId: customer.id });
  const a = await addWaterMeter(req, origin, { serial: serialA, key: KEY, pointId: meteringPoint.id, from: utc('2026-09-30T00:00:00Z') });
  meterB = await addWaterMeter(req, origin, { serial: serialB, key: KEY });
  // 12:00 Copenhagen (CEST, UTC+2) = 10:00Z
  const day = (d: number) => utc('2026-10-01T10:00:00Z') + (d - 1) * DAY;
  await ingestReadings(req, origin, { serial: serialA, key: KEY, readings: Array.from({ length: 10 }, (_, i) => ({ at: day(i + 1), volumeL: 100_000 + i * 250 })) });
  await post(`/api/metering-points/${meteringPoint.id}/exchange`, {
    oldMeterId: a,
    newMeterId: meterB,
    at: utc('2026-10-10T15:00:00Z'),
    final: { register: 'volume', value: 102.4 },
    start: { register: 'volume', value: 0 }
  });
  const { group } = await post('/api/groups', { name: `E2E route ${run}` });
  await post(`/api/groups/${group.id}/members`, { meterIds: [meterB] });
  await ingestReadings(req, origin, {
    serial: serialB,
    key: KEY,
    readings: Array.from({ length: 10 }, (_, i) => ({ at: day(i + 11), volumeL: 300 * (i + 1), info: i === 9 ? 1 : 0 })),
    counter: 100
  });
}

test('@manager meter page: identity, history across an exchange, latest registers, graph with marks, table, report by e-mail', async ({ page }) => {
  await signIn(page);
  await seed(page);

  await page.goto(`/manager/meters/${meterB}${RANGE}`);
  await expect(page.getByRole('heading', { name: `Meter KAM ${serialB}` })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Help: meter' })).toBeVisible();
  await expect(page.getByTestId('serial')).toHaveText(serialB);
  await expect(page.getByText(`Karen Jensen ${run} (customer C-${run})`)).toBeVisible();
  const history = page.getByRole('region', { name: 'Installation history' });
  await expect(history.getByRole('row')).toHaveCount(3);
  await expect(history.getByRole('row').nth(1)).toContainText(`KAM ${serialB}`);
  await expect(history.getByRole('row').nth(1)).toContainText('installed now');
  await expect(history.getByRole('link', { name: `KAM ${serialA}` })).toBeVisible();
  await expect(page.locator('[data-register="volume"]')).toHaveText('3 m3'); // 3,000 l on 20 Oct
  await expect(page.getByRole('region', { name: 'Latest reading' }).getByRole('listitem')).toHaveText('Dry (no water in meter): dry');

  // the graph: 20 day bars drawn on the canvas, the total, and the same numbers as a table
  const plot = page.locator('[data-drawn]');
  await expect(plot).toHaveAttribute('data-bars', '20');
  await expect(plot).not.toHaveAttribute('data-drawn', '0');
  await expect(page.getByTestId('graph-total')).toHaveText('5.400 m3');
  const bluePixels = await plot.locator('canvas').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] === 0x0b && d[i + 1] === 0x5c && d[i + 2] === 0xad) n++;
    return n;
  });
  expect(bluePixels).toBeGreaterThan(500);
  await expect(page.locator('figcaption.legend')).toHaveText(/Meter exchange\s*Info codes/); // the marks' text legend
  const table = page.locator('table.consumption');
  await expect(table.locator('tbody tr')).toHaveCount(20);
  await expect(table.locator('tbody tr').nth(9)).toHaveText(/2026-10-10\s*0\.400\s*Meter exchange/);
  await expect(table.locator('tbody tr').nth(19)).toHaveText(new RegExp(`2026-10-20\\s*0\\.300\\s*Info codes: KAM ${serialB}: dry \\(info code 1\\)`));

  // hovering the bar of 10 Oct (the 10th of 20 equal days) shows value, period and the exchange mark
  const over = plot.locator('.u-over');
  await over.scrollIntoViewIfNeeded();
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width * (9.5 / 20), box.y + box.height * 0.7, { steps: 5 });
  const tip = page.locator('.chart-tip');
  await expect(tip).toBeVisible();
  await expect(tip).toContainText('0.400 m3');
  await expect(tip).toContainText('2026-10-10');
  await expect(tip).toContainText('Meter exchange');
  // by keyboard: the graph takes the focus, End goes to the last bar
  await page.getByRole('figure').focus();
  await page.keyboard.press('End');
  await expect(tip).toContainText('2026-10-20');
  await expect(tip).toContainText('Info codes');
  await page.keyboard.press('ArrowLeft');
  await expect(tip).toContainText('2026-10-19');

  // month bars: one row for October with the same total
  await page.getByRole('radio', { name: 'month' }).check();
  await expect(plot).toHaveAttribute('data-bars', '1');
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await expect(table.locator('tbody tr').first()).toHaveText(/2026-10\s*5\.400\s*Meter exchange/);
  await page.getByRole('radio', { name: 'day' }).check();
  await expect(plot).toHaveAttribute('data-bars', '20');

  // the consumer report: the same rows and total, printable, and by e-mail with the CSV
  await page.getByRole('link', { name: 'Consumer report' }).click();
  await expect(page.getByRole('heading', { name: 'Consumption report' })).toBeVisible();
  await expect(page.getByTestId('report-total')).toHaveText('5.400 m3');
  const reportRows = page.locator('table.consumption tbody tr');
  await expect(reportRows).toHaveCount(20);
  await expect(page.getByRole('button', { name: 'Print / save as PDF' })).toBeEnabled();
  await page.emulateMedia({ media: 'print' }); // printed: no navigation, no buttons
  await expect(page.locator('header.topbar')).toBeHidden();
  await expect(page.getByRole('navigation', { name: 'Manager' })).toBeHidden();
  await expect(page.getByRole('button', { name: 'Print / save as PDF' })).toBeHidden();
  await expect(reportRows).toHaveCount(20);
  await page.emulateMedia({ media: 'screen' });
  await page.getByRole('button', { name: 'E-mail report' }).click();
  const dialog = page.getByRole('dialog', { name: 'E-mail report' });
  await expect(dialog.getByLabel(/Recipients/)).toHaveValue(email);
  await dialog.getByLabel(/Recipients/).fill(`${email}, nobody`);
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Not an e-mail address: nobody');
  await dialog.getByLabel(/Recipients/).fill(email);
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByRole('status')).toHaveText(`The report was sent to ${email}.`);
  const mail = await waitForMail((m) => m.to !== undefined && JSON.stringify(m.to).includes(email));
  expect(mail.subject).toBe(`Consumption report: Åboulevarden ${run}, 2026-10-01 to 2026-10-20`);
  expect(mail.html).toContain('<svg');
  const csv = mail.attachments.find((a) => a.filename?.endsWith('.csv'));
  expect(csv).toBeDefined();
  const lines = csv!.content.toString('utf8').trimEnd().split('\r\n');
  expect(lines[0]).toBe('period,consumption_m3,notes');
  expect(lines.slice(1).map((l) => l.split(','))).toEqual(expectedRows);
});

test('@manager exchange a meter in the Manager: old meter, final reading, new meter created, confirm', async ({ page }) => {
  await signIn(page);
  await page.goto('/manager/operation/exchange');
  await page.getByLabel('Old meter').fill(serialB);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: `Exchange KAM ${serialB}` }).click();

  await expect(page.getByRole('heading', { name: 'Final reading' })).toBeVisible();
  await expect(page.getByLabel(/Latest received: 3 m3/)).toBeChecked();
  await page.getByRole('button', { name: 'Next' }).click();

  await expect(page.getByRole('heading', { name: 'New meter' })).toBeVisible();
  await page.getByLabel('Serial').fill(serialA); // taken: it is installed nowhere but exists
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByRole('alert')).toContainText(`Meter KAM ${serialA} exists already`);
  await page.getByLabel('Serial').fill(serialC);
  await page.getByLabel('Model').fill('MULTICAL 21');
  await page.getByLabel(/Start reading/).fill('0,5');
  await page.getByRole('button', { name: 'Next' }).click();

  await expect(page.getByRole('heading', { name: 'Confirm' })).toBeVisible();
  await expect(page.locator('.summary')).toContainText(`KAM ${serialC} (will be created)`);
  await expect(page.locator('.summary')).toContainText('3 m3 (latest received)');
  await expect(page.locator('.summary')).toContainText(`the new meter joins E2E route ${run}`);
  await page.getByRole('button', { name: 'Confirm exchange' }).click();
  await expect(page.getByRole('heading', { name: 'Meter exchanged' })).toBeVisible();
  await page.getByRole('link', { name: `Open the new meter KAM ${serialC}` }).click();

  await expect(page.getByRole('heading', { name: `Meter KAM ${serialC}` })).toBeVisible();
  const history = page.getByRole('region', { name: 'Installation history' });
  await expect(history.getByRole('row')).toHaveCount(4);
  await expect(history.getByRole('row').nth(1)).toContainText(`KAM ${serialC}`);
  await expect(history.getByRole('row').nth(1)).toContainText('installed now');
  await expect(history.getByRole('row').nth(2)).toContainText(`KAM ${serialB}`);
  await expect(page.locator('[data-register="volume"]')).toHaveText('0.5 m3'); // the start reading
  await expect(page.getByRole('region', { name: 'Meter', exact: true }).getByText(`E2E route ${run}`)).toBeVisible();
});
