// Notifications (M9) in Chromium against the real server: a rule made in the form (a field error
// first), a real MULTICAL 21 telegram with the leak bit (info code bit 2, protocols.md §4.5.2)
// ingested like a gateway's, the message received by the test SMTP server (mail-sink.ts), and the
// delivery log showing it sent; then disable and delete with the confirmation, and the phone cards.
import { expect, test } from '@playwright/test';
import { addWaterMeter, ingestReadings } from '../../bench/lib/manager-graph.mjs';
import { waitForMail } from './mail-sink';
import { signIn } from './session';

const run = Date.now().toString(36);
const serial = String(40_000_000 + (Date.now() % 9_000_000));
const key = '5A'.repeat(8) + 'C3'.repeat(8);
const ruleName = `Leaks ${run}`;
const to = `oncall-${run}@utility.example`;

test('@reports a rule made in the form mails a leak from an ingested telegram, and the log shows it sent', async ({ page }) => {
  await signIn(page);
  const request = page.request;
  const point = await request.post('/api/metering-points', { data: { address: `Åboulevard ${run}`, postalCode: '8000' } });
  expect(point.ok()).toBe(true);
  const pointId = (await point.json()).meteringPoint.id;
  const meterId = await addWaterMeter(request, '', { serial, key, pointId, from: Date.now() - 86_400_000 });
  const group = (await (await request.post('/api/groups', { data: { name: `Notify ${run}` } })).json()).group;
  expect((await request.post(`/api/groups/${group.id}/members`, { data: { meterIds: [meterId] } })).ok()).toBe(true);

  await page.goto('/manager/configuration/notifications');
  await expect(page.getByRole('heading', { name: 'Notifications', level: 1 })).toBeVisible();
  await page.getByRole('button', { name: 'New rule…' }).click();
  const form = page.getByTestId('rule-form');
  await form.getByLabel('Name', { exact: true }).fill(ruleName);
  await expect(form.getByLabel('Leak (critical)')).toBeChecked();
  await expect(form.getByLabel('Burst (critical)')).toBeChecked();
  await form.getByLabel('The meters of these groups').check();
  await form.getByLabel(`Notify ${run}`).check();
  await form.getByLabel(/E-mail addresses/).fill('oncall@');
  await form.getByRole('button', { name: 'Create rule' }).click();
  await expect(form.getByText('expected e-mail addresses')).toBeVisible();
  await form.getByLabel(/E-mail addresses/).fill(to);
  await form.getByRole('button', { name: 'Create rule' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Rule "${ruleName}" created.` })).toBeVisible();
  const row = page.locator(`[data-testid="rule-row"][data-rule="${ruleName}"]`);
  await expect(row).toContainText('Leak, Burst');
  await expect(row).toContainText(`Notify ${run}`);
  await expect(row).toContainText(to);
  await expect(row).toContainText('At once');

  await ingestReadings(request, '', { serial, key, readings: [{ at: Date.now(), volumeL: 1234, info: 0b0100 }] });
  const mail = await waitForMail((m) => (m.subject ?? '').includes(ruleName) && JSON.stringify(m.to).includes(to));
  expect(mail.subject).toBe(`Readout alarm: Leak at 1 meter (rule "${ruleName}")`);
  expect(mail.text).toContain(`Åboulevard ${run}, 8000: meter KAM ${serial}: Leak since`);

  const log = page.getByTestId('delivery-log');
  await log.getByLabel('Rule').selectOption({ label: ruleName });
  await log.getByRole('button', { name: 'Show' }).click();
  const sent = log.getByTestId('delivery-row').filter({ hasText: to });
  await expect(sent).toHaveCount(1);
  await expect(sent.getByTestId('delivery-status')).toHaveText('Sent');
  await expect(sent).toContainText('1 attempt');
  await expect(sent).toContainText(mail.subject!);

  // a phone: the log and the rules are cards, each value under its label
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(sent.getByText('Status', { exact: true })).toBeVisible();
  await expect(row.getByText('Meters', { exact: true })).toBeVisible();
  await page.setViewportSize({ width: 1280, height: 800 });

  // change it to a daily summary; the form opens with the rule's values
  await row.getByRole('button', { name: `Change ${ruleName}` }).click();
  await expect(form.getByLabel('Name', { exact: true })).toHaveValue(ruleName);
  await expect(form.getByLabel(/E-mail addresses/)).toHaveValue(to);
  await form.getByLabel(/Daily, a summary/).check();
  await form.getByLabel(/Time of day/).fill('06:45');
  await form.getByRole('button', { name: 'Save rule' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Rule "${ruleName}" saved.` })).toBeVisible();
  await expect(row).toContainText('Daily at 06:45');

  await row.getByLabel(`${ruleName} enabled`).uncheck();
  await expect(page.getByRole('status').filter({ hasText: `Rule "${ruleName}" disabled.` })).toBeVisible();
  await expect(row).toContainText('Off');
  await row.getByRole('button', { name: `Delete ${ruleName}` }).click();
  const dialog = page.getByRole('dialog', { name: `Delete rule "${ruleName}"?` });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Delete rule' }).click();
  await expect(row).toHaveCount(0);
  await expect(log.getByTestId('delivery-row').filter({ hasText: to })).toContainText(`${ruleName} (deleted)`);
});
