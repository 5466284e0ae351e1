// The Manager's imports (issue 6, M14): one CSV of customers, metering points and meters with a
// renamed column and one bad line is mapped by hand, the mapping saved, checked (dry run) and
// imported in valid-rows mode; the result page lists the rejected line; importing again with the saved mapping preselected creates nothing. A folder
// import configured on the page really runs on its seconds schedule and moves the file to done/.
import { expect, test, type Page } from '@playwright/test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kemFile } from '../server/kem-file';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 90_000 });

/** Names are unique per attempt: a retry runs against the same server. */
const run = Date.now().toString(36);
const serial = (n: number) => `E${run}${n}`.slice(0, 32);

async function chooseFile(page: Page, name: string, text: string) {
  await page.getByLabel('Choose the file to import').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
  await expect(page.getByText(`File: ${name}`)).toBeVisible();
}

test('@manager import customers, points and meters from one CSV: map a renamed column, save the mapping, check, import valid lines, result page, idempotent again', async ({ page }) => {
  await signIn(page);
  // "Zähler-Nr …" is not a field name: it has to be mapped by hand (named per attempt, so a saved
  // mapping of an earlier attempt does not fit); line 4 has a bad serial
  const column = `Zähler-Nr ${run}`;
  const csv =
    `customerNumber;customerName;meteringPointNumber;address;manufacturer;${column};model\n` +
    `C-${run}-1;Ida Holm;P-${run}-1;Strandvej 1;KAM;${serial(1)};MULTICAL 603\n` +
    `C-${run}-2;Otto Berg;P-${run}-2;Strandvej 2;KAM;${serial(2)};MULTICAL 21\n` +
    `C-${run}-3;Eva Dahl;P-${run}-3;Strandvej 3;KAM;bad serial!;MULTICAL 21\n`;

  await page.goto('/manager/operation/imports');
  await expect(page.getByRole('heading', { name: 'Imports', exact: true })).toBeVisible();
  await expect(page.getByText(/at most 20 MB/)).toBeVisible();
  await page.getByLabel('What the file holds').selectOption('installations');
  await chooseFile(page, `meters-${run}.csv`, csv);
  await expect(page.getByLabel('Separator')).toHaveValue(';'); // detected from the header line
  await expect(page.getByText('Map a column to the required field "Serial number"')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Check file' })).toBeDisabled();
  await page.getByLabel(column).selectOption('serial');
  await expect(page.getByLabel('manufacturer', { exact: true })).toHaveValue('manufacturer'); // matched by name

  const mappingName = `Billing meters ${run}`;
  await page.getByLabel('Save this mapping as').fill(mappingName);
  await page.getByRole('button', { name: 'Save mapping' }).click();
  await expect(page.getByText(`Mapping "${mappingName}" saved.`)).toBeVisible();

  await page.getByRole('button', { name: 'Check file' }).click();
  const report = page.getByTestId('import-report');
  await expect(page.getByText('Checked: nothing was stored yet.')).toBeVisible();
  await expect(report.locator('dt:text-is("Rejected") + dd')).toHaveText('1');
  await expect(report.getByRole('row', { name: /^4 serial expected 1-32 letters/ })).toBeVisible();
  const before = await page.request.get(`/api/meters?q=${serial(1)}`);
  expect(((await before.json()) as { total: number }).total).toBe(0);

  await page.getByLabel('Mode').first().selectOption('valid-rows');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByText('Imported.')).toBeVisible();
  await expect(report.locator('dt:text-is("Created") + dd')).toHaveText('2');
  const third = (await (await page.request.get(`/api/customers?q=C-${run}-3`)).json()) as { total: number };
  expect(third.total).toBe(0); // the rejected line stored nothing
  for (const n of [1, 2]) {
    const found = (await (await page.request.get(`/api/meters?q=${serial(n)}`)).json()) as { items: unknown[] };
    expect(found.items).toMatchObject([{ serial: serial(n), meteringPoint: { address: `Strandvej ${n}` }, customer: { name: n === 1 ? 'Ida Holm' : 'Otto Berg' } }]);
  }
  await expect(page.getByTestId('import-history').getByRole('row', { name: new RegExp(`meters-${run}.csv`) })).toContainText('Partly imported');

  await report.getByRole('link', { name: 'Open the result page of this import' }).click();
  await expect(page.getByRole('heading', { name: `Import of meters-${run}.csv` })).toBeVisible();
  await expect(page.getByTestId('run-summary').locator('dt:text-is("Created") + dd')).toHaveText('2');
  const lines = page.getByTestId('rejected-lines');
  await expect(lines.getByRole('row')).toHaveCount(2); // header + the bad line
  await expect(lines.getByRole('row').nth(1)).toContainText(/4\s*serial\s*expected 1-32 letters, digits/);
  await page.getByLabel('Search').fill('nothing like this');
  await expect(page.getByText('No rejected line matches')).toBeVisible();
  await page.getByLabel('Search').fill('serial');
  await expect(lines.getByRole('row')).toHaveCount(2);
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download as CSV' }).click();
  const file = await (await download).path();
  expect(readFileSync(file!, 'utf8')).toBe('line,field,reason\r\n4,serial,"expected 1-32 letters, digits or . _ -"\r\n');

  // the same file again: the saved mapping is preselected, nothing new is created
  await page.goto('/manager/operation/imports');
  await page.getByLabel('What the file holds').selectOption('installations');
  await chooseFile(page, `meters-${run}.csv`, csv);
  await expect(page.getByLabel('Saved mapping')).toHaveValue(/\d+/);
  await expect(page.getByLabel('Saved mapping').locator('option:checked')).toHaveText(mappingName);
  await expect(page.getByLabel(column)).toHaveValue('serial');
  await page.getByLabel('Mode').first().selectOption('valid-rows');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByText('Imported.')).toBeVisible();
  await expect(report.locator('dt:text-is("Created") + dd')).toHaveText('0');
  await expect(report.locator('dt:text-is("Unchanged") + dd')).toHaveText('2');
});

test('@manager a folder import set up on the page runs on its seconds schedule and moves the file to done/', async ({ page }) => {
  await signIn(page);
  await page.goto('/manager/operation/imports');
  await page.getByRole('button', { name: 'New folder import' }).click();
  const dialog = page.getByRole('dialog', { name: 'New folder import' });
  await dialog.getByLabel('Name', { exact: true }).fill(`Customers ${run}`);
  await dialog.getByLabel(/^Folder below/).fill('../escape');
  await dialog.getByLabel('Files hold').selectOption('customers');
  await dialog.getByLabel('When').selectOption('custom');
  await dialog.getByLabel(/^Cron pattern/).fill('*/2 * * * * *');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.getByText('must not contain ".."')).toBeVisible();
  await dialog.getByLabel(/^Folder below/).fill(`e2e/${run}`);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText(`Folder import "Customers ${run}" created`)).toBeVisible();

  const folders = (await (await page.request.get('/api/imports/folders')).json()) as { items: { name: string; location: string }[] };
  const location = folders.items.find((f) => f.name === `Customers ${run}`)!.location;
  writeFileSync(join(location, `customers-${run}.csv`), `number,name\nF-${run},Folke\n`);
  await expect.poll(() => existsSync(join(location, 'done', `customers-${run}.csv`)), { timeout: 15_000 }).toBe(true);
  expect(existsSync(join(location, `customers-${run}.csv`))).toBe(false);

  await page.reload();
  const row = page.getByTestId('import-history').getByRole('row', { name: new RegExp(`customers-${run}.csv`) });
  await expect(row).toContainText('OK');
  await expect(row).toContainText('Folder import');
  await expect(row).toContainText('1 created');
  const found = (await (await page.request.get(`/api/customers?q=F-${run}`)).json()) as { total: number };
  expect(found.total).toBe(1);

  // stop watching it (confirmed); the file stays in done/
  const item = page.getByTestId('folder-imports').getByRole('listitem').filter({ hasText: `Customers ${run}` });
  await expect(item).toContainText('Last run: OK');
  await item.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByText(`Folder import "Customers ${run}" deleted`)).toBeVisible();
  expect(existsSync(join(location, 'done', `customers-${run}.csv`))).toBe(true);
});

test('@manager a Kamstrup key file: a wrong password is said beside the password, the right one imports the meter and its key', async ({ page }) => {
  await signIn(page);
  const meter = `7${Date.now().toString().slice(-7)}`;
  const xml =
    '<?xml version="1.0" encoding="utf-8"?><MetersInOrder><Meter><MeterName>MC21</MeterName><ConsumptionType>Heat</ConsumptionType>' +
    `<SerialNo>${meter}</SerialNo><VendorId>KAM</VendorId><DEK>000102030405060708090A0B0C0D0E0F</DEK></Meter></MetersInOrder>`;
  await page.goto('/manager/operation/imports');
  await page.getByLabel('What the file holds').selectOption('kem');
  await expect(page.getByText(/KEM or KEM2 key file, at most 10 MB/)).toBeVisible();
  await page.getByLabel('Choose the file to import').setInputFiles({ name: `route-${run}.kem`, mimeType: 'application/xml', buffer: Buffer.from(kemFile(xml, 'Route7'), 'base64') });
  await expect(page.getByText(`File: route-${run}.kem`)).toBeVisible();
  await page.getByLabel('Password of the key file').fill('Route8');
  await page.getByRole('button', { name: 'Check file' }).click();
  await expect(page.locator('#kem-password-error')).toContainText('Wrong password');
  await expect(page.getByLabel('Password of the key file')).toHaveAttribute('aria-invalid', 'true');

  await page.getByLabel('Password of the key file').fill('Route7');
  await page.getByRole('button', { name: 'Check file' }).click();
  const report = page.getByTestId('import-report');
  await expect(report.locator('dt:text-is("Meters to create") + dd')).toHaveText('1');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByText('Imported.')).toBeVisible();
  await expect(report.locator('dt:text-is("Keys created") + dd')).toHaveText('1');
  const found = (await (await page.request.get(`/api/meters?q=${meter}`)).json()) as { items: { hasKey: boolean }[] };
  expect(found.items).toMatchObject([{ hasKey: true }]);
  await expect(page.getByTestId('import-history').getByRole('row', { name: new RegExp(`route-${run}.kem`) }).first()).toContainText('OK');
});
