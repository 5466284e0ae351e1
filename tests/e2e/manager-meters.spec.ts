// The Manager's meter list and group panel (issue 6, M3/M4): search, sort, the column chooser,
// keyboard navigation, multi-select and group upkeep, checked in what the page shows and against
// the server's own answers.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 90_000 });

/** Unique per attempt: a retry runs against the same server. */
const run = `zq${Date.now().toString(36)}`;

const PEOPLE = [
  { name: `Dorte ${run}`, street: `Birkevej ${run} 4`, postal: '8000' },
  { name: `Anna ${run}`, street: `Hovedgaden ${run} 12`, postal: '8200' },
  { name: `Carl ${run}`, street: `Ahornvej ${run} 7`, postal: '5000' },
  { name: `Bo ${run}`, street: `Østergade ${run} 3`, postal: '2100' },
  { name: `Erik ${run}`, street: `Cedervej ${run} 9`, postal: '9000' }
];

async function post(request: APIRequestContext, path: string, data: unknown) {
  const res = await request.post(path, { data });
  if (!res.ok()) throw new Error(`${path}: ${res.status()} ${await res.text()}`);
  return res.json();
}

/** Five meters with customers and addresses, installed; returns their ids by customer name. */
async function seed(page: Page): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const serialBase = 40_000_000 + (Date.now() % 1_000_000) * 10;
  for (const [i, p] of PEOPLE.entries()) {
    const customer = (await post(page.request, '/api/customers', { number: `${run}-${i}`, name: p.name })).customer.id;
    const point = (await post(page.request, '/api/metering-points', { address: p.street, postalCode: p.postal, city: 'Aarhus', customerId: customer }))
      .meteringPoint.id;
    const meter = (await post(page.request, '/api/meters', { manufacturer: 'KAM', serial: String(serialBase + i), medium: i % 2 ? 'water' : 'heat' })).meter.id;
    await post(page.request, `/api/meters/${meter}/install`, { meteringPointId: point, from: Date.parse('2025-01-01T00:00:00Z') });
    ids.set(p.name, meter);
  }
  return ids;
}

const grid = (page: Page) => page.getByRole('grid', { name: 'Meters' });
const rows = (page: Page) => grid(page).locator('[data-meter-id]');
const firstCell = (page: Page, col: string) => rows(page).first().locator(`[data-col="${col}"]`);
const count = (page: Page) => page.getByTestId('meter-count');
const groupButton = (page: Page, name: string) => page.getByRole('region', { name: 'Groups' }).getByRole('button', { name: new RegExp(`^${name}`) });

async function search(page: Page, q: string) {
  await page.getByRole('searchbox', { name: 'Search meters' }).fill(q);
  await expect(page.getByTestId('meter-results')).toHaveAttribute('data-query', q);
}

let ids: Map<string, number>;

test('@manager search narrows the list, sort by address both ways, columns stay hidden after reload', async ({ page }) => {
  await signIn(page);
  ids = await seed(page);
  await page.goto('/manager/meters');
  await expect(page.getByRole('heading', { name: /^Meters/ })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Help: meters' })).toBeVisible();

  await search(page, run);
  await expect(count(page)).toHaveText('5 meters');
  await expect(rows(page)).toHaveCount(5);
  await search(page, `Hovedgaden ${run}`);
  await expect(count(page)).toHaveText('1 meter');
  await expect(firstCell(page, 'customer')).toHaveText(`Anna ${run}`);
  await search(page, `${run} nothing-like-this`);
  await expect(page.getByText(/^No meters match/)).toBeVisible();
  await page.getByRole('button', { name: 'Clear search' }).click();
  await expect(page.getByRole('searchbox', { name: 'Search meters' })).toHaveValue('');

  await search(page, run);
  const address = page.getByRole('columnheader', { name: 'Address' });
  await address.getByRole('button').click();
  await expect(address).toHaveAttribute('aria-sort', 'ascending');
  await expect(firstCell(page, 'address')).toHaveText(`Ahornvej ${run} 7`);
  await address.getByRole('button').click();
  await expect(address).toHaveAttribute('aria-sort', 'descending');
  await expect(firstCell(page, 'address')).toHaveText(`Østergade ${run} 3`);
  expect(new URL(page.url()).searchParams.get('sort')).toBe('address');
  // Back returns to the ascending order, Forward to the descending one
  await page.goBack();
  await expect(address).toHaveAttribute('aria-sort', 'ascending');
  await expect(firstCell(page, 'address')).toHaveText(`Ahornvej ${run} 7`);
  await page.goForward();
  await expect(address).toHaveAttribute('aria-sort', 'descending');

  await page.getByText('Columns', { exact: true }).click();
  await page.getByRole('checkbox', { name: 'Postal code' }).uncheck();
  await expect(page.getByRole('columnheader', { name: 'Postal code' })).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('meter-results')).toHaveAttribute('data-query', run); // the search and sort came back from the URL
  await expect(page.getByRole('columnheader', { name: 'Address' })).toHaveAttribute('aria-sort', 'descending');
  await expect(page.getByRole('columnheader', { name: 'Postal code' })).toHaveCount(0);
  await expect(page.getByRole('columnheader', { name: 'Customer', exact: true })).toBeVisible();
});

test('@manager keyboard: arrow down and Enter open the meter', async ({ page }) => {
  await signIn(page);
  await page.goto(`/manager/meters?q=${run}`);
  await expect(rows(page)).toHaveCount(5);
  // sorted by customer: Anna, Bo, Carl, …; the second row is Bo's
  await grid(page).focus();
  await page.keyboard.press('ArrowDown');
  await expect(grid(page)).toHaveAttribute('aria-activedescendant', 'meter-row-1');
  await page.keyboard.press('End');
  await expect(grid(page)).toHaveAttribute('aria-activedescendant', 'meter-row-4');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Control+a');
  await expect(page.getByTestId('selection-count')).toHaveText('All 5 matching');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('selection-count')).toHaveCount(0);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/manager/meters/${ids.get(`Bo ${run}`)}$`));

  // the sort buttons are tab stops: Enter on one sorts, it does not open a meter
  await page.goto(`/manager/meters?q=${run}`);
  await expect(rows(page)).toHaveCount(5);
  await grid(page).focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('columnheader', { name: 'Address' }).getByRole('button')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('columnheader', { name: 'Address' })).toHaveAttribute('aria-sort', 'ascending');
  await expect(page).toHaveURL(/sort=address/);
});

test('@manager select three, group them, show the group, remove one, rename, delete', async ({ page }) => {
  await signIn(page);
  await page.goto(`/manager/meters?q=${run}`);
  await expect(rows(page)).toHaveCount(5);

  // click, Ctrl+click, Shift+click: Anna, then Carl, then the range up to Bo (Anna..Carl)
  await rows(page).nth(0).locator('[data-col="serial"]').click();
  await rows(page).nth(2).locator('[data-col="serial"]').click({ modifiers: ['Control'] });
  await rows(page).nth(1).locator('[data-col="serial"]').click({ modifiers: ['Shift'] });
  await expect(page.getByTestId('selection-count')).toHaveText('3 selected');
  await expect(grid(page).locator('[aria-selected="true"]')).toHaveCount(3);

  const name = `Route ${run}`;
  await page.getByRole('button', { name: 'New group' }).click();
  await page.getByLabel('New group name').fill(name);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(groupButton(page, name)).toContainText('0');
  await expect(page.getByTestId('selection-count')).toHaveText('3 selected');
  await page.getByRole('button', { name: 'Add to group…' }).click();
  await page.getByRole('combobox', { name: 'Group to add to' }).selectOption({ label: `${name} (0)` });
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByText(`Added 3 meters to ${name}.`)).toBeVisible();
  await expect(groupButton(page, name)).toContainText('3');

  await groupButton(page, name).click();
  await expect(count(page)).toHaveText('3 meters');
  await expect(rows(page).locator('[data-col="customer"]')).toHaveText([`Anna ${run}`, `Bo ${run}`, `Carl ${run}`]);
  expect(new URL(page.url()).searchParams.get('group')).toMatch(/^\d+$/);

  await rows(page).nth(1).getByRole('checkbox').check();
  await page.getByRole('button', { name: `Remove from ${name}` }).click();
  await expect(page.getByText(`Removed 1 meter from ${name}.`)).toBeVisible();
  await expect(count(page)).toHaveText('2 meters');
  await expect(groupButton(page, name)).toContainText('2');
  await expect(rows(page).locator('[data-col="customer"]')).toHaveText([`Anna ${run}`, `Carl ${run}`]);

  const renamed = `Route ${run} north`;
  await page.getByRole('button', { name: 'Rename', exact: true }).click();
  await page.getByLabel(`New name for ${name}`).fill(renamed);
  await page.getByRole('button', { name: 'Rename', exact: true }).click();
  await expect(groupButton(page, renamed)).toBeVisible();
  await expect(page.getByRole('heading', { name: `Meters · ${renamed}` })).toBeVisible();

  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: `Delete group “${renamed}”?` });
  await expect(dialog).toContainText('holds 2 meters');
  await dialog.getByRole('button', { name: 'Delete group' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(groupButton(page, renamed)).toHaveCount(0);
  await expect(groupButton(page, 'All meters')).toHaveAttribute('aria-current', 'true');
  await expect(count(page)).toHaveText('5 meters');
  const groups = await (await page.request.get('/api/groups')).json();
  expect(groups.groups.map((g: { name: string }) => g.name)).not.toContain(renamed);
});

test('@manager a meter whose latest telegram reports an alarm shows the info-code icon naming it', async ({ page }) => {
  await signIn(page);
  // MULTICAL 21 test vector (protocols.md TV-4, wmbusmeters tests/test_aes.sh): 6.408 m3, info code "dry"
  const serial = '76348799';
  const found = await (await page.request.get(`/api/meters?q=${serial}`)).json();
  if (!found.items.some((m: { serial: string }) => m.serial === serial)) {
    await post(page.request, '/api/meters', { manufacturer: 'KAM', serial, medium: 'water', driver: 'kamstrup-multical21' });
  }
  await post(page.request, '/api/imports/csv', { kind: 'keys', csv: `serial,manufacturer,key\n${serial},KAM,28F64A24988064A079AA2C807D6102AE` });
  await post(page.request, '/api/ingest/frames', {
    frames: [{ hex: '2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24', receivedAt: Date.now(), source: `e2e ${run}` }]
  });

  await page.goto(`/manager/meters?q=${serial}`);
  await expect(rows(page)).toHaveCount(1);
  await expect(firstCell(page, 'reading')).toHaveText('6.408 m³');
  const icon = rows(page).first().getByRole('img', { name: 'Alarms: Dry (no water in meter)' });
  await expect(icon).toBeVisible();
  await expect(icon).toHaveAttribute('title', 'Alarms: Dry (no water in meter)');
});

test('@manager Ctrl+A selects every matching meter and adds them all to a group; they leave Non-grouped', async ({ page }) => {
  await signIn(page);
  const name = `All of ${run}`;
  const { group } = await post(page.request, '/api/groups', { name });
  // the earlier test deleted its group: all five are in no group again
  await page.goto(`/manager/meters?q=${run}&group=ungrouped`);
  await expect(rows(page)).toHaveCount(5);
  await expect(page.getByRole('heading', { name: 'Meters · Non-grouped' })).toBeVisible();
  await grid(page).focus();
  await page.keyboard.press('Control+a');
  await expect(page.getByTestId('selection-count')).toHaveText('All 5 matching');
  await expect(grid(page).locator('[aria-selected="true"]')).toHaveCount(5);
  await page.getByRole('button', { name: 'Add to group…' }).click();
  await page.getByRole('combobox', { name: 'Group to add to' }).selectOption({ label: `${name} (0)` });
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByText(`Added 5 meters to ${name}.`)).toBeVisible();
  await expect(groupButton(page, name)).toContainText('5');
  await expect(count(page)).toHaveText('0 meters');
  await expect(page.getByText(`No meters match “${run}” in Non-grouped.`)).toBeVisible();
  const members = await (await page.request.get(`/api/meters/ids?group=${group.id}`)).json();
  expect([...members.ids].sort()).toEqual([...ids.values()].sort());
});
