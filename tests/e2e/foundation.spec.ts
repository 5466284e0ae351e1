import { expect, test, type Page } from '@playwright/test';
import { E2E_ADMIN } from './env';

async function signIn(page: Page, password = E2E_ADMIN.password) {
  await page.goto('/');
  await expect(page).toHaveURL(/\/signin/);
  await page.getByLabel('User name').fill(E2E_ADMIN.login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test.describe('@foundation app shell', () => {
  test('the app loads and asks for a sign-in', async ({ page }) => {
    await page.goto('/');
    await expect(page).toHaveURL(/\/signin$/);
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeDisabled();
  });

  test('a wrong password gets a clear message and no session', async ({ page }) => {
    await signIn(page, 'not-the-password');
    await expect(page.getByRole('alert')).toHaveText('Wrong user name or password.');
    await expect(page).toHaveURL(/\/signin/);
    await expect(page.getByLabel('Password')).toHaveValue('');
    const me = await page.request.get('/api/auth/me');
    expect(me.status()).toBe(401);
  });

  test('the administrator signs in and reaches Field and Manager; a deep link survives sign-in', async ({ page }) => {
    await page.goto('/manager/meters');
    await expect(page).toHaveURL(/\/signin\?next=%2Fmanager%2Fmeters/);
    await page.getByLabel('User name').fill(E2E_ADMIN.login);
    await page.getByLabel('Password').fill(E2E_ADMIN.password);
    await page.getByLabel('Password').press('Enter');
    await expect(page).toHaveURL(/\/manager\/meters$/);
    await expect(page.getByRole('heading', { name: 'Meters' })).toBeVisible();

    await page.getByRole('link', { name: 'Field' }).click();
    await expect(page.getByRole('heading', { name: 'Field', level: 1 })).toBeVisible();
    await page.getByRole('link', { name: 'Manager', exact: true }).click();
    for (const section of ['Home', 'Meters', 'Analysis', 'Operation', 'Configuration']) {
      await expect(page.getByRole('navigation', { name: 'Manager' }).getByRole('link', { name: section })).toBeVisible();
    }

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/signin/);
    expect((await page.request.get('/api/auth/me')).status()).toBe(401);
  });

  test('the decoder worker runs shared code and answers', async ({ page }) => {
    await signIn(page);
    await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
    await page.goto('/field');
    // The field page's self-test: the EN 13757-4 CRC of "123456789" computed in the worker (TV-0).
    await expect(page.getByTestId('decoder-status')).toHaveText('Decoder worker ready');
    const workers = page.workers();
    expect(workers.length).toBeGreaterThan(0);
  });

  test('the service worker takes control, and offline a reload and a deep link still show the app', async ({ page, context }) => {
    await signIn(page);
    await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
    await page.waitForFunction(async () => (await navigator.serviceWorker.getRegistration())?.active?.state === 'activated');
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const cached = await page.evaluate(async () => {
      let n = 0;
      for (const name of await caches.keys()) n += (await (await caches.open(name)).keys()).length;
      return n;
    });
    expect(cached).toBeGreaterThan(10);

    await context.setOffline(true);
    const reload = await page.reload();
    expect(reload?.fromServiceWorker()).toBe(true);
    await expect(page.getByRole('heading', { name: /Welcome, Administrator/ })).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: 'Offline' })).toBeVisible();

    const deep = await page.goto('/manager/configuration');
    expect(deep?.fromServiceWorker()).toBe(true);
    await expect(page.getByRole('heading', { name: 'Configuration' })).toBeVisible();

    await page.goto('/field');
    await expect(page.getByTestId('decoder-status')).toHaveText('Decoder worker ready');
    await context.setOffline(false);
  });

  test('the web app manifest makes it installable', async ({ request }) => {
    const res = await request.get('/manifest.webmanifest');
    expect(res.ok()).toBe(true);
    const manifest = await res.json();
    expect(manifest).toMatchObject({ name: 'Readout', start_url: '/', display: 'standalone' });
    const sizes = manifest.icons.map((i: { sizes: string }) => i.sizes);
    expect(sizes).toEqual(expect.arrayContaining(['192x192', '512x512']));
    for (const icon of manifest.icons) expect((await request.get(icon.src)).ok()).toBe(true);
  });
});
