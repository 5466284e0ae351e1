// The Manager's help (M22): the Help link on the start page and on screens opens that screen's
// help, the help page links back to its screen, every area of the index opens, and an unknown
// area says so and lists the pages there are.
import { expect, test } from '@playwright/test';
import { signIn } from './session';

test.describe.configure({ timeout: 60_000 });

test('@manager help links open the right page, from the start page and from screens', async ({ page }) => {
  await signIn(page);
  await page.goto('/manager');
  await expect(page.getByRole('heading', { name: 'Manager', level: 1 })).toBeVisible();
  await page.getByRole('link', { name: 'Help: home' }).click();
  await expect(page).toHaveURL(/\/manager\/help\/home$/);
  await expect(page.getByRole('heading', { name: 'The start page', level: 1 })).toBeVisible();

  for (const [screen, area, title] of [
    ['/manager/configuration/users', 'users', 'Users'],
    ['/manager/configuration/tokens', 'tokens', 'API tokens'],
    ['/manager/configuration/erasure', 'erasure', 'GDPR erasure']
  ]) {
    await page.goto(screen);
    await page.getByRole('link', { name: `Help: ${area}` }).click();
    await expect(page).toHaveURL(new RegExp(`/manager/help/${area}$`));
    await expect(page.getByRole('heading', { name: title, level: 1 })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Permission needed' })).toBeVisible();
    // and back to the screen it explains
    await page.getByRole('link', { name: `Go to ${title}` }).click();
    await expect(page).toHaveURL(new RegExp(`${screen}$`));
  }
});

test('@manager every area in the help index opens its page; an unknown area lists them', async ({ page }) => {
  await signIn(page);
  await page.goto('/manager');
  await page.getByRole('navigation', { name: 'Manager' }).getByRole('link', { name: 'Help' }).click();
  await expect(page).toHaveURL(/\/manager\/help$/);
  const links = page.locator('main ul a[href^="/manager/help/"]');
  const areas = await links.evaluateAll((els) => els.map((a) => ({ href: a.getAttribute('href')!, text: a.textContent!.trim() })));
  expect(areas.length).toBe(16);
  for (const a of areas) {
    await page.goto('/manager/help');
    await page.locator(`main ul a[href="${a.href}"]`).click();
    await expect(page).toHaveURL(new RegExp(`${a.href}$`));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(a.text);
    await expect(page.locator('article h2').first()).toBeVisible();
  }

  await page.goto('/manager/help/no-such-area');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('No help page “no-such-area”');
  await expect(page.getByTestId('help-areas').getByRole('link')).toHaveCount(16);
  await page.getByTestId('help-areas').getByRole('link', { name: 'Mail' }).click();
  await expect(page.getByRole('heading', { name: 'Mail', level: 1 })).toBeVisible();
});
