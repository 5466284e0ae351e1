// Exports for billing (M13) in the Manager: design a format in the browser (pick fields, reorder,
// separator, decimal mark, date format), see the preview, save it, download the file and compare
// it byte for byte with a text written here from the seeded values; then schedule an e-mail job
// with a seconds pattern, wait until its history says OK and find its mail at the real SMTP
// server with the same bytes attached; disable and delete the job.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { toHex } from '../../shared/bytes/hex';
import { encodeRecords } from '../../shared/mbus/encode-records';
import { encodeTelegram } from '../../shared/wmbus/encode';
import { waitForMail } from './mail-sink';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 120_000 });
test.use({ actionTimeout: 15_000 });

/** Names and serials unique per attempt: a retry runs against the same server. */
const run = Date.now().toString(36);
const base = 60_000_000 + (Date.now() % 9_000_000);
const SERIAL_A = String(base);
const SERIAL_B = String(base + 1);

// reading times: 1 October 2026 10:00 UTC = 12:00 in Copenhagen (CEST), 2 October 11:30 UTC = 13:30
const AT_A = Date.UTC(2026, 9, 1, 10, 0);
const AT_B = Date.UTC(2026, 9, 2, 11, 30);

/** An unencrypted MULTICAL 403 telegram (security mode 0) with the energy register in kWh. */
function heatFrame(serial: string, kwh: number): string {
  const payload = encodeRecords([{ type: 'int32', quantity: 'energy kWh', value: kwh }]);
  return toHex(encodeTelegram({ address: { manufacturer: 'KAM', id: serial, version: 0x34, deviceType: 0x04 }, tpl: { header: 'short', acc: 1, security: { mode: 0 }, payload } }));
}

async function ok<T>(res: { ok(): boolean; status(): number; text(): Promise<string>; json(): Promise<unknown> }, what: string): Promise<T> {
  if (!res.ok()) throw new Error(`${what}: ${res.status()} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Two heat meters in a group of their own: A installed at a customer's point, B not installed. */
async function seed(page: Page): Promise<string> {
  const r = page.request;
  const { customer } = await ok<{ customer: { id: number } }>(await r.post('/api/customers', { data: { number: `K-${run}`, name: 'Åse Ærø' } }), 'customer');
  const { meteringPoint } = await ok<{ meteringPoint: { id: number } }>(
    await r.post('/api/metering-points', { data: { number: `MP-${run}`, address: 'Søndergade 7', customerId: customer.id } }),
    'point'
  );
  const ids: number[] = [];
  for (const serial of [SERIAL_A, SERIAL_B]) {
    const { meter } = await ok<{ meter: { id: number } }>(
      await r.post('/api/meters', { data: { manufacturer: 'KAM', serial, version: 0x34, deviceType: 0x04, medium: 'heat' } }),
      'meter'
    );
    ids.push(meter.id);
  }
  await ok(await r.post(`/api/meters/${ids[0]}/install`, { data: { meteringPointId: meteringPoint.id, from: Date.UTC(2026, 0, 1) } }), 'install');
  const frames = [
    { hex: heatFrame(SERIAL_A, 1234), receivedAt: AT_A, source: 'e2e', rssi: -70 },
    { hex: heatFrame(SERIAL_B, 500), receivedAt: AT_B, source: 'e2e', rssi: -70 }
  ];
  const ingested = await ok<{ results: { status: string }[] }>(await r.post('/api/ingest/frames', { data: { frames } }), 'ingest');
  expect(ingested.results.map((x) => x.status)).toEqual(['decoded', 'decoded']);
  const group = `E2E exports ${run}`;
  const { group: g } = await ok<{ group: { id: number } }>(await r.post('/api/groups', { data: { name: group } }), 'group');
  await ok(await r.post(`/api/groups/${g.id}/members`, { data: { meterIds: ids } }), 'members');
  return group;
}

// written by hand from the seeded values: serial order, 1234 kWh = 1,234 MWh, times on Copenhagen's clock
const EXPECTED =
  'Kundenr;Kunde;Måler;MWh;Aflæst\r\n' +
  `K-${run};Åse Ærø;${SERIAL_A};1,234;01.10.2026 12:00\r\n` +
  `;;${SERIAL_B};0,500;02.10.2026 13:30\r\n`;

test('@manager design a billing format, preview it, save it, download it byte for byte, and mail it on a seconds schedule', async ({ page }) => {
  await signIn(page);
  const group = await seed(page);
  await page.goto('/manager/operation/exports');
  await expect(page.getByRole('heading', { name: 'Exports for billing' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Help: exports' })).toBeVisible();

  // pick fields: search + Enter, double-click, the listbox with arrows + Enter, and the Add button
  const search = page.getByLabel('Search fields');
  await search.fill('customer name');
  await search.press('Enter');
  await search.fill('customer number');
  await search.press('Enter');
  await search.fill('serial');
  await page.getByRole('option', { name: 'Meter serial number' }).dblclick();
  await search.fill('energy');
  await page.getByRole('option', { name: /^Energy/ }).click();
  await page.getByRole('button', { name: 'Add field ›' }).click();
  await search.fill('reading time');
  await search.press('ArrowDown');
  await page.getByRole('listbox', { name: /Available fields/ }).press('Enter');

  const columns = page.getByRole('list', { name: /Columns of the file/ });
  await expect(columns.getByRole('listitem')).toHaveCount(5);
  // reorder: customer number before customer name, with Alt+ArrowUp in its header box
  const second = columns.getByRole('listitem').nth(1);
  await second.getByLabel('Header').press('Alt+ArrowUp');
  await expect(columns.getByRole('listitem').nth(0)).toHaveAccessibleName('Column 1: Customer number');
  // and the reading time one down then back up with the buttons, as a check the buttons move too
  await page.getByRole('button', { name: 'Move column 5 up' }).click();
  await expect(columns.getByRole('listitem').nth(3)).toHaveAccessibleName('Column 4: Reading time');
  await page.getByRole('button', { name: 'Move column 4 down' }).click();
  await expect(columns.getByRole('listitem').nth(4)).toHaveAccessibleName('Column 5: Reading time');

  const item = (i: number) => columns.getByRole('listitem').nth(i);
  for (const [i, header] of ['Kundenr', 'Kunde', 'Måler', 'MWh', 'Aflæst'].entries()) await item(i).getByLabel('Header').fill(header);
  await item(3).getByLabel('Unit').selectOption('MWh');
  await page.getByLabel('Separator').selectOption('Comma ,');
  await page.getByLabel('Separator').selectOption('Semicolon ;');
  await page.getByLabel('Decimal mark').selectOption('Comma 1,5');
  await page.getByRole('group', { name: 'File' }).getByLabel('Date format').selectOption('DD.MM.YYYY HH:mm');

  // the live preview for the seeded group: the file's lines, separators marked but the text unchanged
  await page.getByLabel('Meters', { exact: true }).selectOption({ label: `${group} (2)` });
  await expect(page.getByTestId('preview-text')).toHaveText(EXPECTED.replaceAll('\r\n', '\n'));
  await expect(page.getByTestId('preview-summary')).toContainText('2 of 2 meters shown');

  // save under a name
  const name = `Billing ${run}`;
  await page.getByLabel('Format name').fill(name);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByText(`Saved "${name}".`)).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Saved formats' }).getByRole('button', { name })).toHaveAttribute('aria-current', 'true');

  // the download: the exact bytes
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download file' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(new RegExp(`^readout-billing-${run}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  const bytes = readFileSync((await download.path())!);
  expect(bytes.toString('hex')).toBe(Buffer.from(EXPECTED, 'utf8').toString('hex'));

  // unsaved changes ask before leaving
  await item(0).getByLabel('Header').fill('Customer');
  await page.getByRole('link', { name: 'Operation', exact: true }).first().click();
  const leave = page.getByRole('dialog', { name: 'Leave without saving?' });
  await expect(leave).toBeVisible();
  await leave.getByRole('button', { name: 'Cancel' }).click();
  await expect(page).toHaveURL(/\/manager\/operation\/exports$/);
  await item(0).getByLabel('Header').fill('Kundenr');
  await expect(page.getByText('Saved', { exact: true })).toBeVisible();

  // a scheduled e-mail job every 2 seconds
  const jobName = `Mail ${run}`;
  const to = `billing-${run}@utility.example`;
  await page.getByRole('button', { name: 'Schedule an export' }).click();
  const form = page.getByRole('dialog', { name: 'Schedule an export' });
  await form.getByLabel('Name', { exact: true }).fill(jobName);
  await form.getByLabel('Format').selectOption({ label: name });
  await form.getByLabel('Meters').selectOption({ label: group });
  await form.getByLabel('Repeat').selectOption('Custom cron pattern');
  await form.getByRole('textbox', { name: 'Cron pattern' }).fill('*/2 * * * * *');
  await form.getByLabel('Cut-off').selectOption('The time of the run');
  await form.getByRole('radio', { name: 'E-mail' }).check();
  await form.getByLabel('Recipients (separated by commas)').fill(to);
  await form.getByRole('button', { name: 'Schedule' }).click();
  await expect(form).toHaveCount(0);

  const row = page.getByTestId(`job-${jobName}`);
  await expect(row).toContainText('Custom: */2 * * * * *');
  await expect(row.getByTestId('last-status')).toContainText('OK', { timeout: 20_000 });
  const mail = await waitForMail((m) => m.subject?.includes(jobName) === true && JSON.stringify(m.to).includes(to), 20_000);
  expect(mail.attachments).toHaveLength(1);
  expect(mail.attachments[0].filename).toMatch(new RegExp(`^readout-billing-${run}-\\d{4}-\\d{2}-\\d{2}(-\\d+)?\\.csv$`));
  expect(mail.attachments[0].content.toString('hex')).toBe(bytes.toString('hex'));

  // its history, then disable and delete (after confirming)
  await row.getByRole('button', { name: 'History' }).click();
  const history = page.getByRole('table', { name: `Runs of ${jobName}` });
  await expect(history.getByRole('row').nth(1)).toContainText('OK');
  await expect(history.getByRole('row').nth(1)).toContainText(`2 rows to ${to}`);
  await row.getByRole('button', { name: 'Disable' }).click();
  await expect(row).toContainText('(disabled)');
  await row.getByRole('button', { name: 'Delete' }).click();
  const confirm = page.getByRole('dialog', { name: `Delete the job “${jobName}”?` });
  await confirm.getByRole('button', { name: 'Delete job' }).click();
  await expect(row).toHaveCount(0);
  await expect(page.getByText(`Deleted the job "${jobName}".`)).toBeVisible();

  // rename the format (name field + Save), then delete it after confirming
  const formats = page.getByRole('navigation', { name: 'Saved formats' });
  const renamed = `${name} renamed`;
  await page.getByLabel('Format name').fill(renamed);
  await expect(page.getByText('Unsaved changes')).toBeVisible();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(formats.getByRole('button', { name: renamed })).toHaveAttribute('aria-current', 'true');
  await expect(formats.getByRole('button', { name, exact: true })).toHaveCount(0);
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  const confirmFormat = page.getByRole('dialog', { name: `Delete the format “${renamed}”?` });
  await confirmFormat.getByRole('button', { name: 'Delete format' }).click();
  await expect(page.getByText(`Deleted "${renamed}".`)).toBeVisible();
  await expect(formats.getByRole('button', { name: renamed })).toHaveCount(0);
});
