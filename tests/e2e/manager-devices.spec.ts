// The Manager's Field devices page (issue 6, administration of authorised field devices): a device
// registered by a signed-in person waits; an administrator authorises it with a route of groups,
// changes the route and revokes it after a confirmation. What the page shows is checked against
// the server's own answers.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { makeDrive, seedDrive } from '../../bench/lib/seed.mjs';
import { E2E_ADMIN } from './env';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 90_000 });

/** Names are unique per attempt: a retry runs against the same server. */
const run = Date.now().toString(36);

/** Registers a device as the person signed in on the page (page.request shares its cookies). */
async function register(page: Page, name: string): Promise<number> {
  const res = await page.request.post('/api/devices/register', { data: { name } });
  expect(res.status()).toBe(201);
  return ((await res.json()) as { device: { id: number } }).device.id;
}

async function routeOf(page: Page, id: number): Promise<{ groups: { name: string }[]; meters: number }> {
  const res = await page.request.get(`/api/devices/${id}/route`);
  expect(res.ok()).toBe(true);
  return res.json();
}

const rowOf = (page: Page, name: string): Locator => page.locator(`[data-testid="device-row"][data-device="${name}"]`);

test('@manager authorise a waiting device with a route, change the route, revoke it after confirming', async ({ page }) => {
  await signIn(page);
  const drive = makeDrive({ count: 6, seed: 700 + (Date.now() % 190), perStreet: 6 });
  const north = `E2E north ${run}`;
  const south = `E2E south ${run}`;
  await seedDrive(page.request, drive, { groups: [{ name: north, from: 0, to: 4 }, { name: south, from: 4, to: 6 }] });
  const name = `Tablet ${run}`;
  const id = await register(page, name);

  await page.goto('/manager/configuration');
  await page.getByRole('link', { name: 'Field devices' }).click();
  await expect(page.getByRole('heading', { name: 'Field devices' })).toBeVisible();
  const row = rowOf(page, name);
  await expect(row.getByTestId('device-status')).toHaveText('Waiting');
  await expect(row.getByTestId('device-route')).toContainText('No groups');
  await expect(row).toContainText(`by ${E2E_ADMIN.login}`);

  // the Waiting filter shows it; the Authorised one does not
  const filters = page.getByRole('group', { name: 'Show devices' });
  await filters.getByRole('button', { name: /^Authorised/ }).click();
  await expect(filters.getByRole('button', { name: /^Authorised/ })).toHaveAttribute('aria-pressed', 'true');
  await expect(row).toHaveCount(0);
  await filters.getByRole('button', { name: /^Waiting/ }).click();
  await expect(row).toHaveCount(1);

  // authorise, choosing the route in the same dialog
  await row.getByRole('button', { name: `Authorise ${name}` }).click();
  const dialog = page.getByRole('dialog', { name: `Authorise ${name}` });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Authorise', exact: true })).toBeDisabled(); // no group yet
  await dialog.getByRole('checkbox', { name: new RegExp(`^${north}`) }).check();
  await expect(dialog.getByTestId('route-total')).toHaveText('4 meters on the route.');
  await dialog.getByRole('button', { name: 'Authorise', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('status')).toContainText(`${name} is authorised with a route of 4 meters`);
  // it left the Waiting list; under All it is authorised
  await expect(row).toHaveCount(0);
  await filters.getByRole('button', { name: /^All/ }).click();
  await expect(row.getByTestId('device-status')).toHaveText('Authorised');
  await expect(row.getByTestId('device-route')).toContainText(north);
  await expect(row.getByTestId('device-route')).toContainText('4 meters');
  expect(await routeOf(page, id)).toMatchObject({ groups: [{ name: north }], meters: 4 });

  // change the route: north off, south on
  await row.getByRole('button', { name: `Change route of ${name}` }).click();
  const routeDialog = page.getByRole('dialog', { name: `Route of ${name}` });
  await expect(routeDialog.getByRole('checkbox', { name: new RegExp(`^${north}`) })).toBeChecked();
  await routeDialog.getByRole('checkbox', { name: new RegExp(`^${north}`) }).uncheck();
  await routeDialog.getByRole('checkbox', { name: new RegExp(`^${south}`) }).check();
  await routeDialog.getByRole('button', { name: 'Save route' }).click();
  await expect(routeDialog).toHaveCount(0);
  await expect(row.getByTestId('device-route')).toContainText(south);
  await expect(row.getByTestId('device-route')).not.toContainText(north);
  await expect(row.getByTestId('device-route')).toContainText('2 meters');
  expect(await routeOf(page, id)).toMatchObject({ groups: [{ name: south }], meters: 2 });

  // revoke: Cancel first changes nothing
  await row.getByRole('button', { name: `Revoke ${name}` }).click();
  const confirm = page.getByRole('dialog', { name: `Revoke ${name}?` });
  await expect(confirm).toContainText(`${name} can no longer send or receive`);
  await expect(confirm).toContainText('Keys it already received stay on the device');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  await expect(row.getByTestId('device-status')).toHaveText('Authorised');
  const listed = await (await page.request.get('/api/devices?status=authorised&limit=500')).json();
  expect(listed.devices.map((d: { id: number }) => d.id)).toContain(id);

  // then confirm
  await row.getByRole('button', { name: `Revoke ${name}` }).click();
  await confirm.getByRole('button', { name: `Revoke ${name}` }).click();
  await expect(confirm).toHaveCount(0);
  await expect(row.getByTestId('device-status')).toHaveText('Revoked');
  await expect(row.getByRole('button')).toHaveCount(0); // no Authorise, Change route or Revoke
  await expect(row.getByTestId('device-route')).toContainText('None: revoked');
  const revoked = await (await page.request.get('/api/devices?status=revoked&limit=500')).json();
  expect(revoked.devices.map((d: { id: number }) => d.id)).toContain(id);
  expect((await page.request.post(`/api/devices/${id}/authorise`)).status()).toBe(409);
});

test('@manager field devices on a 360 px phone, by keyboard', async ({ page }) => {
  await signIn(page);
  const name = `Phone ${run}`;
  await register(page, name);
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/manager/configuration/devices');
  const row = rowOf(page, name);
  await expect(row.getByTestId('device-status')).toHaveText('Waiting');
  // a card, not a table: nothing wider than the screen
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await expect(row.getByText('Last seen', { exact: true })).toBeVisible();

  // open the dialog from the keyboard, and Escape closes it without a change
  await row.getByRole('button', { name: `Authorise ${name}` }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: `Authorise ${name}` });
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(row.getByTestId('device-status')).toHaveText('Waiting');

  // revoke by keyboard: the focus starts on Cancel, so Enter alone does not revoke
  await row.getByRole('button', { name: `Revoke ${name}` }).focus();
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('dialog', { name: `Revoke ${name}?` });
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(confirm).toHaveCount(0);
  await expect(row.getByTestId('device-status')).toHaveText('Waiting');
});

test('@manager field devices: empty list, and a person whose role may not manage devices', async ({ page, request }) => {
  await signIn(page);
  // the server in this run has devices already: the empty answer is played here
  await page.route('**/api/devices?*', (r) => r.fulfill({ json: { devices: [], total: 0, limit: 50, offset: 0 } }));
  await page.goto('/manager/configuration/devices');
  await expect(page.getByText('No field devices yet: register one in the field app under Send/Receive.')).toBeVisible();
  await page.unroute('**/api/devices?*');

  // a real reader (role "user", no devices.manage in the default matrix) gets the server's 403 in words
  const reader = { login: `reader-${run}`, password: 'reader-password-1' };
  expect((await request.post('/api/auth/login', { data: E2E_ADMIN })).ok()).toBe(true);
  const made = await request.post('/api/users', { data: { ...reader, displayName: 'Field reader', role: 'user' } });
  expect(made.status(), await made.text()).toBe(201);
  await page.context().clearCookies();
  await signIn(page, reader);
  await page.goto('/manager/configuration/devices');
  await expect(page.getByRole('alert')).toContainText('Your role may not manage field devices: ask an administrator.');
});
