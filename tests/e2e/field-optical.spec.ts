// The doorstep optical read (issue 9, R2/R6/R7) end to end in Chromium: the office has the
// MULTICAL 603 on a route; the field app registers and is authorised; on the Optical head page a
// simulated optical head (hardware/sim/kmp-shim.ts: SimOpticalHead + SimKmpMeter answering real
// KMP bytes behind a fake navigator.serial or navigator.bluetooth, opened by the real Web Serial /
// Web Bluetooth adapters) is connected; the meter is identified, its registers read, its daily
// logger read with progress, cancelled and resumed, the daily consumption drawn, the info-code log
// listed; Send/Receive delivers the answers, and the server holds them as KMP frames with readings.
import { expect, test, type APIRequestContext } from '@playwright/test';
import { E2E_ADMIN } from './env';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 180_000 });

/** A serial unique per attempt: a retry runs against the same server. */
const SERIAL = 30_000_000 + (Date.now() % 1_000_000) * 10 + 3;
/** Times faster than a real head at 1200 baud: a 460-day logger in seconds, cancel still in the middle. */
const SPEED = 10;

async function ok(res: Awaited<ReturnType<APIRequestContext['get']>>, what: string): Promise<any> {
  expect(res.ok(), `${what}: ${res.status()} ${await res.text()}`).toBe(true);
  return res.json();
}

test('@optical USB head: connect, identify, registers, daily logger with progress, cancel and resume, chart, info codes, Send/Receive; the server has the readings', async ({ page, request }) => {
  expect((await request.post('/api/auth/login', { data: E2E_ADMIN })).ok()).toBe(true);
  const { meter } = await ok(await request.post('/api/meters', { data: { manufacturer: 'KAM', serial: String(SERIAL), medium: 'heat' } }), 'meter');
  const { meteringPoint } = await ok(await request.post('/api/metering-points', { data: { address: `Doorstep ${SERIAL}` } }), 'metering point');
  await ok(await request.post(`/api/meters/${meter.id}/install`, { data: { meteringPointId: meteringPoint.id, from: Date.now() - 600 * 86_400_000 } }), 'install');
  const group = `E2E doorstep ${SERIAL}`;
  const { group: g } = await ok(await request.post('/api/groups', { data: { name: group } }), 'group');
  await ok(await request.post(`/api/groups/${g.id}/members`, { data: { meterIds: [meter.id] } }), 'members');

  await page.setViewportSize({ width: 390, height: 844 }); // a phone on the doorstep
  await page.addInitScript(
    ({ serial, speed }) => {
      (globalThis as Record<string, unknown>).__READOUT_SIM__ = { kmp: { serial, speed, seed: 9, via: 'serial' } };
    },
    { serial: SERIAL, speed: SPEED }
  );
  await signIn(page);
  await page.getByRole('link', { name: 'Field', exact: true }).click();

  await page.getByRole('link', { name: 'Send/Receive', exact: true }).click();
  await page.getByLabel('Device name').fill(`E2E doorstep phone ${SERIAL}`);
  await page.getByRole('button', { name: 'Register this device' }).click();
  await expect(page.getByTestId('device-status')).toHaveText('Waiting for authorisation');
  await page.getByRole('checkbox', { name: new RegExp(`^${group}`) }).check();
  await page.getByRole('button', { name: 'Authorise and set route' }).click();
  await expect(page.getByTestId('device-status')).toHaveText('Authorised');
  await page.getByTestId('sync-button').click();
  await expect(page.getByTestId('sync-last-run')).toContainText('Received 1 meter', { timeout: 30_000 });

  // the start page links to the optical head page
  await page.getByRole('link', { name: 'Overview', exact: true }).click();
  await page.getByTestId('optical-link').click();
  await expect(page.getByRole('heading', { name: 'Optical head', level: 1 })).toBeVisible();

  // connect the USB head: the meter is identified at once
  await page.getByTestId('optical-connect-serial').click();
  await expect(page.getByTestId('optical-status')).toHaveAttribute('data-via', 'serial');
  const identity = page.getByTestId('optical-identity');
  await expect(identity).toHaveAttribute('data-serial', String(SERIAL), { timeout: 30_000 });
  await expect(identity).toContainText('MULTICAL 603');

  // current registers, by keyboard
  await page.getByTestId('optical-read-registers').focus();
  await page.keyboard.press('Enter');
  const regs = page.getByTestId('optical-registers');
  await expect(regs.locator('tr[data-register="E1"]')).toContainText(/\d/, { timeout: 30_000 });
  await expect(regs.locator('tr[data-register="V1"]')).toContainText('m³');
  await expect(regs.locator('tr[data-register="P1"]')).toBeVisible();

  // the daily logger: progress, Cancel part way, Resume to the end
  await page.getByTestId('optical-read-daily').click();
  const progress = page.getByTestId('optical-progress');
  await expect(progress).toHaveAttribute('data-kind', 'daily');
  await expect.poll(async () => Number(await progress.getAttribute('data-done')), { timeout: 60_000 }).toBeGreaterThan(0);
  await page.getByTestId('optical-cancel').click();
  const daily = page.getByTestId('optical-log-daily');
  await expect(daily).toHaveAttribute('data-complete', 'false', { timeout: 30_000 });
  const kept = Number(await daily.getAttribute('data-records'));
  expect(kept).toBeGreaterThan(0);
  expect(kept).toBeLessThan(460);
  await expect(page.getByTestId('optical-notice')).toContainText('Resume continues');
  await page.getByTestId('optical-resume-daily').click();
  await expect(daily).toHaveAttribute('data-complete', 'true', { timeout: 150_000 });
  expect(Number(await daily.getAttribute('data-records'))).toBeGreaterThanOrEqual(460);

  // the chart: one bar per day
  const plot = page.getByTestId('optical-chart').locator('.plot');
  await expect(plot).toHaveAttribute('data-drawn', /[1-9]/);
  expect(Number(await plot.getAttribute('data-bars'))).toBeGreaterThanOrEqual(459);
  await expect(page.getByTestId('optical-total')).toContainText(' kWh over ');

  // the info-code log with meanings
  await page.getByTestId('optical-read-info').click();
  const info = page.getByTestId('optical-info');
  await expect(info.locator('li').first()).toBeVisible({ timeout: 60_000 });
  await expect(info).toContainText(/info \d+: [a-z]/);

  // Send/Receive
  await page.getByRole('navigation', { name: 'Field' }).getByRole('link', { name: 'Send/Receive', exact: true }).click();
  await expect(page.getByTestId('sync-button')).toBeEnabled({ timeout: 10_000 });
  await page.getByTestId('sync-button').click();
  await expect(page.getByTestId('sync-last-run')).toContainText(/Sent \d+ telegrams/, { timeout: 60_000 });

  // the server: KMP frames of this meter, and readings from the registers and the daily logger
  const page1 = await ok(await request.get(`/api/frames?meterId=${meter.id}&limit=500`), 'frames');
  const frames = page1.frames as { link: string; status: string }[];
  expect(page1.total).toBeGreaterThan(3);
  expect(frames.every((f) => f.link === 'kmp')).toBe(true);
  const latest = await ok(await request.get(`/api/meters/${meter.id}/latest`), 'latest');
  expect(JSON.stringify(latest)).toMatch(/energy/i);
  const readings = await ok(await request.get(`/api/meters/${meter.id}/readings?resolution=day&from=${Date.now() - 500 * 86_400_000}&to=${Date.now()}`), 'readings');
  expect((readings.at as number[]).length).toBeGreaterThan(400);
});

test('@optical Bluetooth head: connect, identify and read registers', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.addInitScript(
    ({ serial, speed }) => {
      (globalThis as Record<string, unknown>).__READOUT_SIM__ = { kmp: { serial, speed, seed: 4, via: 'bluetooth' } };
    },
    { serial: SERIAL + 1, speed: SPEED }
  );
  await signIn(page);
  await page.goto('/field/optical');
  await page.getByTestId('optical-connect-bluetooth').click();
  await expect(page.getByTestId('optical-status')).toHaveAttribute('data-via', 'bluetooth', { timeout: 30_000 });
  await expect(page.getByTestId('optical-identity')).toHaveAttribute('data-serial', String(SERIAL + 1), { timeout: 30_000 });
  await page.getByTestId('optical-read-registers').click();
  await expect(page.getByTestId('optical-registers').locator('tr[data-register="E1"]')).toContainText(/\d/, { timeout: 30_000 });
});

test('@optical the chooser closed without a head (USB, then Bluetooth): the page says what happened for that kind of head', async ({ page }) => {
  await page.addInitScript(() => {
    (globalThis as Record<string, unknown>).__READOUT_SIM__ = { kmp: { serial: 71234567, speed: 10, via: 'both', chooser: 'cancel' } };
  });
  await signIn(page);
  await page.goto('/field/optical');
  await page.getByTestId('optical-connect-serial').click();
  const help = page.getByTestId('optical-connect-help');
  await expect(help).toHaveAttribute('data-reason', 'nothing-picked');
  await expect(help).toContainText('No port selected');
  await expect(page.getByTestId('optical-status')).toHaveCount(0);
  await page.getByTestId('optical-connect-bluetooth').click();
  await expect(help).toContainText('No device selected');
});

test('@optical without Web Serial and Web Bluetooth the page says why and what to use instead', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.addInitScript(() => {
    delete (Navigator.prototype as unknown as Record<string, unknown>).serial;
    delete (Navigator.prototype as unknown as Record<string, unknown>).bluetooth;
  });
  await signIn(page);
  await page.goto('/field/optical');
  const help = page.getByTestId('optical-unsupported');
  await expect(help).toContainText('USB head: Not in this browser');
  await expect(help).toContainText('Bluetooth head: Not in this browser');
  await expect(page.getByTestId('optical-connect-serial')).toHaveCount(0);
});
