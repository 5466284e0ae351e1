// Signing in through the page, as a person does; the specs that test sign-in itself (foundation) do it by hand.
import { expect, type Page } from '@playwright/test';
import { E2E_ADMIN } from './env';

export async function signIn(page: Page, who: { login: string; password: string } = E2E_ADMIN): Promise<void> {
  await page.goto('/signin');
  await page.getByLabel('User name').fill(who.login);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
}
