// Wired M-Bus in the field app (issue 8, R5) end to end in Chromium: the office puts a wired
// meter on a metering point and on a route; the field app registers and is authorised; on the
// Wired M-Bus page the simulated USB level converter (hardware/sim/mbus-shim.ts: real bytes from a
// simulated segment behind a fake navigator.serial, opened by the real Web Serial adapter) is
// connected, scanned and read; Send/Receive delivers the telegrams, and the server holds them as
// wired frames with a reading for the attached meter. Without Web Serial the page says why.
import { expect, test, type APIRequestContext } from '@playwright/test';
import { E2E_ADMIN } from './env';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 120_000 });

/** Ids unique per attempt: a retry runs against the same server. */
const stem = String(20_000_000 + (Date.now() % 1_000_000) * 10);
const METERS = [
  { model: 'multical-403', primaryAddress: 1, id: stem.slice(0, 7) + '1' },
  { model: 'multical-603', primaryAddress: 4, id: stem.slice(0, 7) + '4' },
  { model: 'oms-water', primaryAddress: 7, id: stem.slice(0, 7) + '7' }
];

/** The JSON of a call that must succeed (its shape is checked by the assertions that use it). */
async function ok(res: Awaited<ReturnType<APIRequestContext['get']>>, what: string): Promise<any> {
  expect(res.ok(), `${what}: ${res.status()} ${await res.text()}`).toBe(true);
  return res.json();
}

test('@mbus field app: connect the simulated level converter, scan, read all, see values, Send/Receive; the server has wired frames and a reading', async ({ page, request }) => {
  expect((await request.post('/api/auth/login', { data: E2E_ADMIN })).ok()).toBe(true);
  // the office: the MULTICAL 403 as a wired meter at a metering point, on a route group
  const { meter } = await ok(await request.post('/api/meters', { data: { manufacturer: 'KAM', serial: METERS[0].id, medium: 'heat', readingMode: 'wired' } }), 'meter');
  const { meteringPoint } = await ok(await request.post('/api/metering-points', { data: { address: `Plant room ${stem}` } }), 'metering point');
  await ok(await request.post(`/api/meters/${meter.id}/install`, { data: { meteringPointId: meteringPoint.id, from: Date.now() - 86_400_000 } }), 'install');
  const group = `E2E plant room ${stem}`;
  const { group: g } = await ok(await request.post('/api/groups', { data: { name: group } }), 'group');
  await ok(await request.post(`/api/groups/${g.id}/members`, { data: { meterIds: [meter.id] } }), 'members');

  // the line at its real pace (speed 1): the master's answer timeout is the standard's, so a busy
  // browser cannot make an answer late enough to count for the next address
  await page.addInitScript((list) => {
    (globalThis as Record<string, unknown>).__READOUT_SIM__ = { seed: 3, startEpochMs: Date.now(), mbus: { list, speed: 1 } };
  }, METERS);
  await signIn(page);
  await page.getByRole('link', { name: 'Field', exact: true }).click();

  // register and authorise this device on the spot, receive the route
  await page.getByRole('link', { name: 'Send/Receive', exact: true }).click();
  await page.getByLabel('Device name').fill(`E2E plant room laptop ${stem}`);
  await page.getByRole('button', { name: 'Register this device' }).click();
  await expect(page.getByTestId('device-status')).toHaveText('Waiting for authorisation');
  await page.getByRole('checkbox', { name: new RegExp(`^${group}`) }).check();
  await page.getByRole('button', { name: 'Authorise and set route' }).click();
  await expect(page.getByTestId('device-status')).toHaveText('Authorised');
  await page.getByTestId('sync-button').click();
  await expect(page.getByTestId('sync-last-run')).toContainText('Received 1 meter', { timeout: 30_000 });

  // the start page links to the wired M-Bus page
  await page.getByRole('link', { name: 'Overview', exact: true }).click();
  await page.getByTestId('mbus-link').click();
  await expect(page.getByRole('heading', { name: 'Wired M-Bus', level: 1 })).toBeVisible();

  await page.getByTestId('baud').selectOption('2400');
  await page.getByTestId('mbus-connect').click();
  await expect(page.getByTestId('mbus-status')).toHaveAttribute('data-status', 'open');
  await expect(page.getByTestId('mbus-status')).toContainText('2400 baud');

  // primary scan 0..10 with progress
  await page.getByTestId('scan-from').fill('0');
  await page.getByTestId('scan-to').fill('10');
  await page.getByTestId('mbus-find').click();
  await expect(page.getByTestId('mbus-notice')).toHaveText('3 meters found.', { timeout: 30_000 });
  await expect(page.getByTestId('mbus-progress')).toHaveAttribute('data-done', '11');
  const rows = page.getByTestId('mbus-meter');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toContainText('Primary 1');
  await expect(rows.nth(1)).toContainText('Primary 4');

  // read all: identities and values appear, every read succeeds
  await page.getByTestId('mbus-read-all').click();
  await expect(page.getByTestId('mbus-notice')).toHaveText('3 of 3 meters read.', { timeout: 30_000 });
  const first = rows.nth(0);
  await expect(first).toHaveAttribute('data-state', 'read');
  await expect(first).toContainText(METERS[0].id);
  await expect(first).toContainText('KAM');
  await expect(first).toContainText('Heat (0x04)');
  await expect(first.getByTestId('mbus-values')).toContainText(/Energy\s*[\d,.]+ (kWh|MWh)/);
  await expect(first.getByTestId('mbus-values')).toContainText(/Volume\s*[\d,.]+ m³/);
  // the MULTICAL 603 answers in several telegrams (§8.7)
  await expect(rows.nth(1)).toContainText(/[2-9] telegrams stored/);
  await expect(rows.nth(2)).toContainText(METERS[2].id);

  // one meter read again by keyboard: Tab to its Read button and press Enter
  await rows.nth(2).getByRole('button', { name: `Read DME ${METERS[2].id}` }).focus();
  await page.keyboard.press('Enter');
  await expect(rows.nth(2)).toHaveAttribute('data-state', 'read', { timeout: 20_000 });

  // Send/Receive (the field app's own navigation; the page's intro links there too)
  await page.getByRole('navigation', { name: 'Field' }).getByRole('link', { name: 'Send/Receive', exact: true }).click();
  await expect(page.getByTestId('sync-button')).toBeEnabled({ timeout: 10_000 });
  await page.getByTestId('sync-button').click();
  await expect(page.getByTestId('sync-last-run')).toContainText(/Sent \d+ telegrams/, { timeout: 30_000 });

  // the server: the attached meter's frames are wired and decoded, and it has a reading
  const mine = (await ok(await request.get(`/api/frames?meterId=${meter.id}&limit=100`), 'frames')).frames as { link: string; meterId: number | null; status: string; source: string }[];
  expect(mine).toHaveLength(1); // the MULTICAL 403 answers in one RSP_UD (TV-10 layout), read once
  expect(mine.every((f) => f.link === 'mbus' && f.status === 'decoded' && /^device \d+\/mbus 2400 baud$/.test(f.source))).toBe(true);
  const latest = await ok(await request.get(`/api/meters/${meter.id}/latest`), 'latest');
  expect(JSON.stringify(latest)).toMatch(/energy/i);
});

test('@mbus without Web Serial (a phone, Firefox) the page says why and what to use instead', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.addInitScript(() => {
    delete (Navigator.prototype as unknown as Record<string, unknown>).serial;
  });
  await signIn(page);
  await page.goto('/field/mbus');
  const help = page.getByTestId('mbus-unsupported');
  await expect(help).toContainText('This browser cannot open serial ports');
  await expect(help).toContainText('Chrome or Edge on a computer');
  await expect(page.getByTestId('mbus-connect')).toHaveCount(0);
});
