// The Manager's administration (issue 6, M20, M21, M16): a user created in the UI signs in and
// meets a screen their role may not use; the permission matrix grants it and takes it away
// (with a confirmation); an API token's secret works against the API until it is revoked; a GDPR
// erasure with the typed address removes a seeded point's readings and is in the audit log; the
// mail page's test message reaches the real SMTP server.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { encodeRecords } from '../../shared/mbus/encode-records';
import { encodeTelegram } from '../../shared/wmbus/encode';
import { toHex } from '../../shared/bytes/hex';
import { waitForMail } from './mail-sink';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 90_000 });

/** Names are unique per attempt: a retry runs against the same server. */
const run = Date.now().toString(36);
const clerk = { login: `clerk-${run}`, password: 'clerk-password-1' };
const TOKENS_FORBIDDEN = 'Your role may not manage API tokens: ask an administrator.';

async function clerkPage(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, clerk);
  return page;
}

async function setUserTokens(page: Page, on: boolean) {
  await page.goto('/manager/configuration/roles');
  const box = page.getByRole('checkbox', { name: 'User: Manage API tokens', exact: true });
  await expect(box).toBeEnabled();
  if (on) await box.check();
  else await box.uncheck();
}

test('@manager start page: section tiles, status figures from the server, the latest import; no sideways scrolling on tablet or phone', async ({ page }) => {
  await signIn(page);
  const api = page.request;
  const csv = `number,address\nMP-home-${run},"Home street ${run} 1"\n`;
  expect((await api.post('/api/imports/csv', { data: { kind: 'metering-points', csv } })).ok()).toBe(true);
  const total = async (path: string) => ((await (await api.get(path)).json()) as { total: number }).total;
  const meters = await total('/api/meters?limit=1');
  const withoutKey = await total('/api/meters?key=missing&limit=1');
  const waiting = await total('/api/devices?status=pending&limit=1');

  await page.goto('/manager');
  const tiles = page.getByRole('navigation', { name: 'Sections' });
  for (const name of ['Meters', 'Analysis', 'Operation', 'Configuration', 'Help']) await expect(tiles.getByRole('link', { name: new RegExp(`^${name}`) })).toBeVisible();
  await expect(page.getByTestId('home-meters')).toContainText(meters.toLocaleString('en-US'));
  await expect(page.getByTestId('home-without-key')).toContainText(withoutKey.toLocaleString('en-US'));
  await expect(page.getByTestId('home-waiting')).toContainText(String(waiting));
  await expect(page.getByTestId('home-last-import')).toContainText('by admin');
  await expect(page.getByTestId('home-last-import').getByRole('link')).toHaveAttribute('href', '/manager/operation/imports');
  if (meters === 0) await expect(page.getByTestId('home-empty').getByRole('link', { name: 'Import customers and meters' })).toBeVisible();
  else await expect(page.getByTestId('home-empty')).toHaveCount(0);

  await tiles.getByRole('link', { name: /^Configuration/ }).click();
  await expect(page.getByRole('heading', { name: 'Configuration', level: 1 })).toBeVisible();
  for (const name of ['Users', 'Roles and permissions', 'API tokens', 'Field devices', 'Audit log', 'GDPR erasure', 'Mail']) {
    await expect(page.getByRole('main').getByRole('link', { name, exact: true })).toBeVisible();
  }

  for (const size of [{ width: 800, height: 1100 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(size);
    for (const path of ['/manager', '/manager/configuration/users', '/manager/configuration/roles', '/manager/configuration/tokens']) {
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), `${path} at ${size.width} px`).toBeLessThanOrEqual(0);
    }
  }
});

test('@manager users: create a user, their limited screen, the matrix grants and removes a permission, change, reset, disable', async ({ page, browser, request }) => {
  await signIn(page);
  // a retry runs against the same server: start from a matrix where users may not manage tokens
  const matrix = (await (await page.request.get('/api/permissions')).json()) as { roles: { user: string[] } };
  const base = matrix.roles.user.filter((p) => p !== 'tokens.manage');
  expect((await page.request.put('/api/permissions/user', { data: { permissions: base } })).ok()).toBe(true);
  await page.goto('/manager/configuration');
  await page.getByRole('link', { name: 'Users', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();

  // the password rule is said before typing; the server's refusal names the field
  await page.getByRole('button', { name: 'New user…' }).click();
  const form = page.getByRole('form', { name: 'New user' });
  await form.getByLabel('User name').fill(clerk.login);
  await form.getByLabel('Name', { exact: true }).fill(`Clerk ${run}`);
  await form.getByLabel('Role').selectOption('user');
  await expect(form.getByText('At least 10 characters')).toBeVisible();
  await form.getByLabel('Password').fill('too short');
  await form.getByRole('button', { name: 'Create user' }).click();
  await expect(form.getByText('at least 10 characters', { exact: true })).toBeVisible(); // the server's word, at the field
  await form.getByLabel('Password').fill(clerk.password);
  await form.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status')).toContainText(`${clerk.login} can now sign in as user.`);
  const row = page.locator(`[data-testid=user-row][data-login="${clerk.login}"]`);
  await expect(row.getByTestId('user-role')).toHaveText('User');
  await expect(row.getByTestId('user-status')).toHaveText('Active');

  // the new person signs in elsewhere and is told what their role may not do
  const other = await clerkPage(browser);
  await other.goto('/manager/configuration/tokens');
  await expect(other.getByRole('alert')).toHaveText(TOKENS_FORBIDDEN);
  await expect(other.getByRole('button', { name: 'New API token…' })).toHaveCount(0);
  await other.goto('/manager/configuration/users');
  await expect(other.getByRole('alert')).toContainText('Your role may not manage users');

  // granting: the summary says what changes, Save applies it at once to the open session
  await setUserTokens(page, true);
  await expect(page.getByTestId('matrix-changes')).toHaveText('User gains Manage API tokens');
  // a stray click away asks before the unsaved tick is lost
  await page.getByRole('navigation', { name: 'Manager' }).getByRole('link', { name: 'Home' }).click();
  const leave = page.getByRole('dialog', { name: 'Leave without saving?' });
  await expect(leave).toContainText('User gains Manage API tokens');
  await leave.getByRole('button', { name: 'Cancel' }).click();
  await expect(page).toHaveURL(/\/manager\/configuration\/roles$/);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved. User gains Manage API tokens.');
  await other.goto('/manager/configuration/tokens');
  await expect(other.getByRole('button', { name: 'New API token…' })).toBeVisible();
  await expect(other.getByText(TOKENS_FORBIDDEN)).toHaveCount(0);

  // removing asks first; Cancel keeps it, confirming takes it away
  await setUserTokens(page, false);
  await page.getByRole('button', { name: 'Save' }).click();
  const dialog = page.getByRole('dialog', { name: 'Remove permissions?' });
  await expect(dialog).toContainText('User: Manage API tokens');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await other.reload();
  await expect(other.getByRole('button', { name: 'New API token…' })).toBeVisible();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('dialog', { name: 'Remove permissions?' }).getByRole('button', { name: 'Save and remove' }).click();
  await expect(page.getByRole('status')).toContainText('User loses Manage API tokens');
  await other.reload();
  await expect(other.getByRole('alert')).toHaveText(TOKENS_FORBIDDEN);

  // nobody disables themself: the server's reason shows in the dialog
  await page.goto('/manager/configuration/users');
  await page.getByRole('button', { name: 'Disable admin', exact: true }).click();
  const self = page.getByRole('dialog', { name: 'Disable admin?' });
  await self.getByRole('button', { name: 'Disable admin' }).click();
  await expect(self.getByRole('alert')).toHaveText('You cannot disable your own login: ask another administrator to do it.');
  await self.getByRole('button', { name: 'Cancel' }).click();

  // keyboard alone: the dialog opens with the focus in its first field and Enter saves
  await page.getByRole('button', { name: `Change name or role of ${clerk.login}` }).focus();
  await page.keyboard.press('Enter');
  const change = page.getByRole('dialog', { name: `Change ${clerk.login}` });
  await expect(change.getByLabel('Name')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(change.getByLabel('Role')).toBeFocused();
  await change.getByLabel('Role').selectOption('superuser');
  await change.getByLabel('Name').press('Enter');
  await expect(change).toBeHidden();
  await expect(row.getByTestId('user-role')).toHaveText('Superuser');

  const newPassword = 'clerk-password-2';
  await page.getByRole('button', { name: `Reset the password of ${clerk.login}` }).click();
  const reset = page.getByRole('dialog', { name: `Reset the password of ${clerk.login}` });
  await page.keyboard.type('short');
  await page.keyboard.press('Enter');
  await expect(reset.getByRole('alert')).toHaveText('at least 10 characters');
  await reset.getByLabel('New password').fill(newPassword);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status')).toHaveText(`${clerk.login} has a new password; their sessions have ended.`);
  expect((await other.request.get('/api/auth/me')).status()).toBe(401);
  const signInWith = (password: string) => request.post('/api/auth/login', { data: { login: clerk.login, password } });
  expect((await signInWith(clerk.password)).status()).toBe(401);
  expect((await signInWith(newPassword)).status()).toBe(200);

  // disabling the clerk ends their sessions and refuses sign-in
  await page.getByRole('button', { name: `Disable ${clerk.login}`, exact: true }).click();
  await page.getByRole('dialog', { name: `Disable ${clerk.login}?` }).getByRole('button', { name: `Disable ${clerk.login}` }).click();
  await expect(row.getByTestId('user-status')).toHaveText('Disabled');
  expect((await signInWith(newPassword)).status()).toBe(401);
  await other.context().close();
});

test('@manager API token: the secret is shown once, works as a Bearer token, and stops working when revoked', async ({ page, request }) => {
  const name = `Billing ${run}`;
  await signIn(page);
  await page.goto('/manager/configuration/tokens');
  await page.getByRole('button', { name: 'New API token…' }).click();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await expect(page.getByRole('checkbox', { name: /See meters/ })).toBeChecked();
  await page.getByRole('button', { name: 'Create token' }).click();

  const shown = page.getByTestId('token-secret');
  await expect(shown).toContainText('Copy it now: it is not shown again.');
  const secret = await shown.getByRole('textbox', { name: 'Secret', exact: true }).inputValue();
  expect(secret).toMatch(/^rdt_/);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await shown.getByRole('button', { name: 'Copy', exact: true }).click();
  await expect(shown.getByRole('status')).toHaveText('Copied to the clipboard.');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await shown.getByRole('button', { name: 'I have copied it' }).click();
  await expect(page.getByTestId('token-secret')).toHaveCount(0);
  const row = page.locator(`[data-testid=token-row][data-token="${name}"]`);
  await expect(row.getByTestId('token-status')).toHaveText('Active');

  // `request` shares no cookie with the page: only the token authorises it
  const meters = () => request.get('/api/meters?limit=1', { headers: { authorization: `Bearer ${secret}` } });
  expect((await meters()).status()).toBe(200);
  expect((await request.get('/api/meters?limit=1')).status()).toBe(401);

  await row.getByRole('button', { name: `Revoke ${name}` }).click();
  const dialog = page.getByRole('dialog', { name: `Revoke ${name}?` });
  await dialog.getByRole('button', { name: `Revoke ${name}` }).click();
  await expect(row.getByTestId('token-status')).toHaveText('Revoked');
  expect((await meters()).status()).toBe(401);
});

test('@manager GDPR erasure: a seeded point\'s readings go after the typed address, and the audit log says so', async ({ page }) => {
  await signIn(page);
  const address = `Erasure street ${run} 7`;
  const serial = String(Date.now() % 100_000_000).padStart(8, '0');
  const api = page.request;
  const point = (await (await api.post('/api/metering-points', { data: { address, city: 'Testby' } })).json()) as { meteringPoint: { id: number } };
  const pointId = point.meteringPoint.id;
  const made = await api.post('/api/meters', { data: { manufacturer: 'KAM', serial, version: 0x34, deviceType: 0x0c, medium: 'heat' } });
  expect(made.status()).toBe(201);
  const meterId = ((await made.json()) as { meter: { id: number } }).meter.id;
  const DAY = 86_400_000;
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  expect((await api.post(`/api/meters/${meterId}/install`, { data: { meteringPointId: pointId, from: today - 30 * DAY } })).ok()).toBe(true);
  // five daily telegrams at noon UTC, 10 to 6 days ago, unencrypted (no key needed)
  const frames = [10, 9, 8, 7, 6].map((ago, i) => {
    const payload = encodeRecords([{ type: 'int32', quantity: 'energy kWh', value: 1000 + 10 * i }]);
    const telegram = encodeTelegram({ address: { manufacturer: 'KAM', id: serial, version: 0x34, deviceType: 0x0c }, tpl: { header: 'short', acc: i, payload } });
    return { hex: toHex(telegram), receivedAt: today - ago * DAY + 12 * 3_600_000, source: 'e2e' };
  });
  expect((await api.post('/api/ingest/frames', { data: { frames } })).ok()).toBe(true);
  const latest = async () => ((await (await api.get(`/api/meters/${meterId}/latest`)).json()) as { reading: unknown }).reading;
  expect(await latest()).not.toBeNull();

  await page.goto('/manager/configuration');
  await page.getByRole('link', { name: 'GDPR erasure' }).click();
  await page.getByRole('searchbox', { name: 'Metering point' }).fill(address);
  await page.getByTestId('point-choice').filter({ hasText: address }).click();
  await expect(page.getByTestId('erasure-point')).toContainText(address);
  const day = (ago: number) => new Date(today - ago * DAY).toISOString().slice(0, 10);
  await page.getByLabel('From').fill(day(12));
  await page.getByLabel('To (inclusive)').fill(day(4));
  await page.getByRole('button', { name: 'Show what will be erased' }).click();
  await expect(page.getByTestId('erasure-preview')).toContainText(`5 readings and 5 raw telegrams of 1 meter at ${address}`);

  await page.getByRole('button', { name: 'Erase…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Erase these readings?' });
  const erase = dialog.getByRole('button', { name: 'Erase', exact: true });
  await expect(erase).toBeDisabled();
  await dialog.getByLabel(/Type .* to confirm/).fill(address.slice(0, -1));
  await expect(erase).toBeDisabled();
  await dialog.getByLabel(/Type .* to confirm/).fill(address);
  await erase.click();
  await expect(page.getByTestId('erasure-result')).toContainText('5 readings and 5 raw telegrams were erased');
  expect(await latest()).toBeNull();

  await page.goto('/manager/configuration/audit?event=readings.erased');
  const entry = page.getByTestId('audit-row').filter({ hasText: `meteringPointId: ${pointId},` });
  await expect(entry).toHaveCount(1);
  await expect(entry.getByTestId('audit-details')).toContainText('readings: 5');
});

test('@manager mail: the status names the server, and a test message reaches the SMTP server', async ({ page }) => {
  const to = `mail-${run}@e2e.example`;
  await signIn(page);
  await page.goto('/manager/configuration/mail');
  await expect(page.getByTestId('mail-status')).toContainText('Mail is set up');
  await expect(page.getByTestId('mail-status')).toContainText('readout@e2e.example');
  await page.getByLabel('To', { exact: true }).fill(to);
  await page.getByRole('button', { name: 'Send test message' }).click();
  await expect(page.getByTestId('mail-outcome')).toContainText(`The mail server accepted the test message for ${to}`);
  const mail = await waitForMail((m) => m.subject === 'Readout: test message' && (m.text ?? '').length > 0 && JSON.stringify(m.to).includes(to));
  expect(mail.text).toContain('to check that mail reaches you');
});
