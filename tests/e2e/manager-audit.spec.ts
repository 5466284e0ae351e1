// The Manager's audit log viewer (issue 6, M19): entries caused through the real server's API are
// found with the period, user and event filters; the filters live in the address; "Load more"
// pages with the server's cursor; a role without audit.read is told so.
import { expect, test, type Page } from '@playwright/test';
import { E2E_ADMIN } from './env';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 90_000 });

/** Names are unique per attempt: a retry runs against the same server. */
const run = Date.now().toString(36);
const group = `Audit ${run}`;
const renamed = `Audit ${run} renamed`;
const reader = { login: `reader-${run}`, password: 'reader-password-1' };

const rows = (page: Page) => page.getByTestId('audit-row');

async function filterEvent(page: Page, event: string) {
  await page.getByLabel('Event', { exact: true }).fill(event);
  await page.getByRole('button', { name: 'Show entries' }).click();
}

test('@manager audit log: event prefix, expanded JSON, a past period, load more, filters in the address', async ({ page }) => {
  await signIn(page);
  const created = await page.request.post('/api/groups', { data: { name: group } });
  expect(created.status()).toBe(201);
  const { group: g } = (await created.json()) as { group: { id: number } };
  expect((await page.request.patch(`/api/groups/${g.id}`, { data: { name: renamed } })).ok()).toBe(true);

  await page.goto('/manager/configuration');
  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();
  await expect(rows(page).first()).toBeVisible(); // the last 7 days by default: our sign-in at least

  // the group family: both entries, newest first, named in their details
  await filterEvent(page, 'group.');
  await expect(page).toHaveURL(/[?&]event=group\./);
  const ours = rows(page).filter({ hasText: group });
  await expect(ours).toHaveCount(2);
  await expect(ours.nth(0)).toHaveAttribute('data-event', 'group.renamed');
  await expect(ours.nth(1)).toHaveAttribute('data-event', 'group.created');
  await expect(ours.nth(0).getByTestId('audit-details')).toContainText(`before: ${group}`);
  await expect(ours.nth(0).getByTestId('audit-details')).toContainText(`after: ${renamed}`);
  await expect(ours.nth(1).getByTestId('audit-details')).toContainText(`name: ${group}`);
  await expect(ours.nth(0).getByTestId('audit-who')).toContainText(E2E_ADMIN.login);
  for (const e of await rows(page).evaluateAll((els) => els.map((el) => el.getAttribute('data-event')))) expect(e).toMatch(/^group\./);

  // the full JSON opens under the entry, by keyboard too
  const show = ours.nth(0).getByRole('button', { name: /Show the full details of group\.renamed/ });
  await show.focus();
  await page.keyboard.press('Enter');
  await expect(ours.nth(0).getByRole('button', { name: /Hide the full details/ })).toHaveAttribute('aria-expanded', 'true');
  const json = JSON.parse((await page.getByTestId('audit-json').first().textContent()) ?? '') as Record<string, unknown>;
  expect(json).toMatchObject({ groupId: g.id, before: group, after: renamed });

  // the view survives a reload: the filters are in the address
  await page.reload();
  await expect(page.getByLabel('Event', { exact: true })).toHaveValue('group.');
  await expect(rows(page).filter({ hasText: group })).toHaveCount(2);

  // an exact type narrows to one of them
  await filterEvent(page, 'group.renamed');
  await expect(rows(page).filter({ hasText: group })).toHaveCount(1);

  // a period in the past: the empty state, no table
  await page.getByLabel('From').fill('2020-01-01');
  await page.getByLabel('To (inclusive)').fill('2020-01-31');
  await page.getByRole('button', { name: 'Show entries' }).click();
  await expect(page.getByTestId('audit-empty')).toContainText('No entries match these filters between 2020-01-01 and 2020-01-31');
  await expect(rows(page)).toHaveCount(0);
  await expect(page).toHaveURL(/from=2020-01-01/);

  // one entry per page: "Load more" follows the server's cursor until the end
  await page.goto('/manager/configuration/audit?event=group.&limit=1');
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText(renamed); // the newest
  await page.getByRole('button', { name: 'Load more' }).click();
  await expect(rows(page)).toHaveCount(2);
  await expect(rows(page).nth(1)).toHaveAttribute('data-event', 'group.created');
  await expect(rows(page).nth(1)).toContainText(group);
  // other tests may have made group entries too: the end is reached exactly when all are shown
  if ((await countGroupEvents(page)) > 2) await expect(page.getByRole('button', { name: 'Load more' })).toBeVisible();
  else await expect(page.getByText('End of the log for this period.')).toBeVisible();
});

/** How many group.* entries the server holds in the last 7 days (earlier tests may have made some). */
async function countGroupEvents(page: Page): Promise<number> {
  const res = await page.request.get(`/api/audit?event=group.&limit=500&from=${Date.now() - 8 * 86_400_000}`);
  expect(res.ok()).toBe(true);
  return ((await res.json()) as { entries: unknown[] }).entries.length;
}

test('@manager audit log: the user filter, and a role without audit.read is told so', async ({ page, browser }) => {
  await signIn(page);
  const made = await page.request.post('/api/users', { data: { login: reader.login, displayName: 'Audit reader', role: 'user', password: reader.password } });
  expect(made.status()).toBe(201);
  const { user } = (await made.json()) as { user: { id: number } };

  // the reader signs in elsewhere (an entry of theirs) and may not read the log
  const other = await browser.newContext();
  const theirs = await other.newPage();
  await signIn(theirs, reader);
  await theirs.goto('/manager/configuration/audit');
  await expect(theirs.getByRole('alert')).toContainText('Your role may not read the audit log');
  await expect(theirs.getByTestId('audit-row')).toHaveCount(0);
  await other.close();

  await page.goto('/manager/configuration/audit');
  const users = page.getByLabel('User', { exact: true });
  await users.selectOption({ label: `${reader.login} (Audit reader)` });
  await page.getByRole('button', { name: 'Show entries' }).click();
  await expect(page).toHaveURL(new RegExp(`[?&]user=${user.id}(&|$)`));
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute('data-event', 'auth.sign-in');
  await expect(rows(page).first().getByTestId('audit-who')).toContainText(reader.login);

  // the administrator's own: their creation of the reader is there, the reader's sign-in is not
  const admin = await users.locator('option').filter({ hasText: new RegExp(`^${E2E_ADMIN.login}( \\(|$)`) }).getAttribute('value');
  await users.selectOption(admin!);
  await page.getByRole('button', { name: 'Show entries' }).click();
  await expect(rows(page).filter({ hasText: reader.login }).first()).toHaveAttribute('data-event', 'user.created');
  const who = await page.getByTestId('audit-who').allTextContents();
  expect(who.length).toBeGreaterThan(0);
  for (const w of who) expect(w).toContain(E2E_ADMIN.login);
});

test('@manager audit log on a 360 px phone: entries as cards, filters by keyboard', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await signIn(page);
  await page.goto('/manager/configuration/audit');
  await expect(rows(page).first()).toBeVisible();

  // the keyboard alone: into the event field, type, Enter applies
  await page.getByLabel('Event', { exact: true }).focus();
  await page.keyboard.type('auth.');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/[?&]event=auth\./);
  const first = rows(page).first();
  await expect(first).toHaveAttribute('data-event', /^auth\./);

  // a card: each value under its own visible label, nothing wider than the screen
  await expect(first.getByText('Who', { exact: true })).toBeVisible();
  await expect(first.getByText('Device or computer', { exact: true })).toBeVisible();
  const box = (await first.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(360);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
});
