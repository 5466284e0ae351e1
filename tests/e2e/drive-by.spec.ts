// Drive-by reading end to end (issue 5): the office puts meters, keys and groups on the server;
// the field app registers, is authorised, receives its route, reads it through the simulated
// iM871A behind a fake navigator.serial (and a fake navigator.bluetooth), survives an offline
// reload mid-route, and Send/Receive delivers every telegram exactly once although the connection
// drops during the sync. A meter whose key on the server is wrong is flagged and its frames kept.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { authoriseDevice, makeDrive, seedDrive } from '../../bench/lib/seed.mjs';
import { E2E_ADMIN } from './env';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 180_000 });

/** Group and device names are unique per attempt: a retry runs against the same server. */
const run = Date.now().toString(36);

async function admin(request: APIRequestContext) {
  const res = await request.post('/api/auth/login', { data: E2E_ADMIN });
  expect(res.ok()).toBe(true);
}

/**
 * The simulated receiver's config, set before the app starts. Each full page load gets its own
 * seed (a reload restarts the drive: new transmissions, not a replay of the same bytes).
 */
async function simulate(page: Page, drive: ReturnType<typeof makeDrive>, seed: number) {
  // a retry against the same server must not send byte-identical telegrams (the server would merge
  // them with the first attempt's as receptions of the same frame): the attempt is in the seed
  const config = { seed: seed * 1_000_000 + (Date.now() % 1_000_000), startEpochMs: 0, speed: 20, meters: drive.meters, route: drive.route };
  await page.addInitScript((c) => {
    const run = Number(sessionStorage.getItem('sim.run') ?? '0') + 1;
    sessionStorage.setItem('sim.run', String(run));
    (globalThis as Record<string, unknown>).__READOUT_SIM__ = { ...c, seed: c.seed + run * 7919, startEpochMs: Date.now() };
  }, config);
}

/** "12 of 24 read" → 12 */
async function readCount(page: Page): Promise<number> {
  const text = (await page.getByTestId('progress').textContent()) ?? '';
  const m = /^([\d,]+) of ([\d,]+) read/.exec(text.trim());
  if (!m) throw new Error(`progress reads "${text}"`);
  return Number(m[1].replace(/,/g, ''));
}

async function registerAndReceive(page: Page, name: string, groups: string[] | null, request: APIRequestContext, groupIds: number[]) {
  await page.getByRole('link', { name: 'Send/Receive', exact: true }).click();
  await page.getByLabel('Device name').fill(name);
  await page.getByRole('button', { name: 'Register this device' }).click();
  await expect(page.getByTestId('device-status')).toHaveText('Waiting for authorisation');
  if (groups) {
    // an administrator sets the tablet up on the spot
    for (const g of groups) await page.getByRole('checkbox', { name: new RegExp(`^${g}`) }).check();
    await page.getByRole('button', { name: 'Authorise and set route' }).click();
  } else {
    await authoriseDevice(request, name, groupIds);
    await page.getByRole('button', { name: 'Check again' }).click();
  }
  await expect(page.getByTestId('device-status')).toHaveText('Authorised');
  await page.getByTestId('sync-button').click();
  await expect(page.getByTestId('sync-last-run')).toContainText(/Received \d+ meters/, { timeout: 30_000 });
}

async function connect(page: Page, via: 'serial' | 'bluetooth') {
  const panel = page.getByTestId('connect-panel');
  await panel.locator(`input[type=radio][value=${via}]`).check();
  await panel.getByTestId('connect').click();
  await expect(panel.getByTestId('connection-status')).toHaveAttribute('data-status', 'open', { timeout: 20_000 });
}

test('@drive-by a whole route over USB serial: offline reload mid-route, wrong key flagged, Send/Receive exactly once over a dropped connection', async ({ page, request, context }) => {
  await admin(request);
  const drive = makeDrive({ count: 24, seed: 21, perStreet: 12, omsEvery: 6, omsIntervalS: 20 });
  const wrong = drive.meters[3];
  const { ids, groupIds } = await seedDrive(request, drive, {
    groups: [
      { name: `E2E north ${run}`, from: 0, to: 12 },
      { name: `E2E south ${run}`, from: 12, to: 24 }
    ],
    wrongKeys: [wrong.id]
  });
  await simulate(page, drive, 21);
  await signIn(page);
  await page.getByRole('link', { name: 'Field', exact: true }).click();
  await expect(page).toHaveURL(/\/field$/);
  await registerAndReceive(page, `E2E van serial ${run}`, [`E2E north ${run}`, `E2E south ${run}`], request, groupIds);

  await page.getByRole('link', { name: 'Route', exact: true }).click();
  await expect(page.getByTestId('progress')).toHaveText('0 of 24 read');
  await connect(page, 'serial');

  // part of the way: meters vanish as they are read
  await expect.poll(() => readCount(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(6);

  // offline, reload mid-route: the app opens from the service worker and the progress is kept
  await page.evaluate(async () => void (await navigator.serviceWorker.ready));
  const before = await readCount(page);
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByText('Offline', { exact: true })).toBeVisible();
  await expect.poll(() => readCount(page)).toBeGreaterThanOrEqual(before);

  // reconnect and read on: every meter but the one whose key is wrong
  await connect(page, 'serial');
  await expect(page.getByTestId('progress')).toHaveText('23 of 24 read', { timeout: 90_000 });
  // the wrong-key meter stays to read, flagged in the list
  await page.getByRole('button', { name: 'List', exact: true }).click();
  const row = page.getByTestId('todo-list').getByText(wrong.id).locator('xpath=ancestor::div[contains(@class,"meter")][1]');
  await expect(row.getByTestId('key-problem')).toHaveText('Key does not fit: heard, telegrams kept');
  await page.getByTestId('disconnect').click();

  // the wrong-key meter is flagged; its telegrams are kept
  await page.getByRole('link', { name: 'Send/Receive', exact: true }).click();
  await expect(page.getByTestId('kept-without-key')).not.toHaveText('0');
  await context.setOffline(false);

  // the first upload reaches the server but its answer is lost
  const before2 = (await (await request.get('/api/frames?limit=1')).json()).total as number;
  let cut = true;
  await page.route('**/api/sync/frames', async (route) => {
    if (!cut) return route.continue();
    cut = false;
    await route.fetch();
    await route.abort('connectionreset');
  });
  await expect(page.getByTestId('sync-button')).toBeEnabled({ timeout: 10_000 });
  const waiting = Number(((await page.getByTestId('sync-button').getAttribute('data-to-send')) ?? 'NaN'));
  await page.getByTestId('sync-button').click();
  await expect(page.getByTestId('sync-error')).toBeVisible({ timeout: 30_000 });
  const afterCut = (await (await request.get('/api/frames?limit=1')).json()).total as number;
  expect(afterCut - before2).toBe(waiting);

  // the next Send/Receive finds everything on the server and stores nothing twice
  await page.getByTestId('sync-button').click();
  await expect(page.getByTestId('sync-last-run')).toContainText(`0 new, ${waiting.toLocaleString('en')} already on the server`, { timeout: 30_000 });
  await expect(page.getByTestId('sync-waiting')).toHaveText('Nothing waiting to be sent.');
  const afterRetry = (await (await request.get('/api/frames?limit=1')).json()).total as number;
  expect(afterRetry).toBe(afterCut);

  // the server kept the wrong-key meter's frames to decode later
  const wrongFrames = await (await request.get(`/api/frames?meterId=${ids.get(wrong.id)}&limit=500`)).json();
  expect(wrongFrames.total).toBeGreaterThan(0);
  expect(wrongFrames.frames.every((f: { status: string }) => f.status !== 'decoded')).toBe(true);
});

test('@drive-by a route over Bluetooth: the link drops, the app reconnects and reads on; a meter exchange goes to the office', async ({ page, request }) => {
  await admin(request);
  // meters of their own per attempt: a retry finds this attempt's exchange already done on the server
  const drive = makeDrive({ count: 12, seed: 30 + (Date.now() % 600), perStreet: 12, omsEvery: 6, omsIntervalS: 20 });
  const { ids, groupIds } = await seedDrive(request, drive, { groups: [{ name: `E2E ble ${run}`, from: 0, to: 12 }] });
  await simulate(page, drive, 22);
  await signIn(page);
  await page.getByRole('link', { name: 'Field', exact: true }).click();
  await expect(page).toHaveURL(/\/field$/);
  await registerAndReceive(page, `E2E van bluetooth ${run}`, null, request, groupIds);

  await page.getByRole('link', { name: 'Route', exact: true }).click();
  await expect(page.getByTestId('progress')).toHaveText('0 of 12 read');
  await connect(page, 'bluetooth');
  await expect.poll(() => readCount(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);

  await page.evaluate(() => (globalThis as unknown as { __READOUT_SIM_CONTROL__: { dropLink(o: object): string[] } }).__READOUT_SIM_CONTROL__.dropLink({ refuse: 1 }));
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', /lost|reconnecting/);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'open', { timeout: 30_000 });
  await expect(page.getByTestId('progress')).toHaveText('12 of 12 read', { timeout: 90_000 });
  await expect(page.getByText('Every meter on the route is read.')).toBeVisible();
  await page.getByTestId('disconnect').click();

  // M12: the first meter is exchanged in the field with its radio reading as the final value
  const old = drive.meters[0];
  const newSerial = String(90_000_000 + (Date.now() % 10_000_000));
  await page.getByRole('link', { name: 'Exchange', exact: true }).click();
  await page.getByRole('searchbox', { name: /Search the route/ }).fill(old.id);
  await page.getByRole('button', { name: new RegExp(`^${old.manufacturer} ${old.id}`) }).first().click();
  await expect(page.getByRole('radio', { name: /Radio reading/ })).toBeChecked();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Serial number').fill(newSerial);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Confirm exchange' }).click();
  const exchange = page.getByRole('listitem').filter({ hasText: `${old.manufacturer} ${old.id} → ${old.manufacturer} ${newSerial}` });
  await expect(exchange).toContainText('Queued');
  await page.getByTestId('sync-button').click();
  await expect(exchange).toContainText('Done', { timeout: 30_000 });
  await expect(exchange).toContainText("The office must add the new meter's key");

  // the office sees the new meter installed where the old one was, from the exchange's instant
  const found = await (await request.get(`/api/meters?q=${newSerial}`)).json();
  expect(found.items).toHaveLength(1);
  const { meter } = await (await request.get(`/api/meters/${found.items[0].id}`)).json();
  const { meter: oldMeter } = await (await request.get(`/api/meters/${ids.get(old.id)}`)).json();
  expect(meter.installations).toHaveLength(1);
  expect(meter.installations[0].meteringPointId).toBe(oldMeter.installations[0].meteringPointId);
  expect(oldMeter.installations[0].to).toBe(meter.installations[0].from);
});
