// Wired M-Bus in the Manager (issue 8, M11), end to end: a simulated bus speaks the real bytes
// over TCP from this test process (shared/mbus/sim, server/src/mbus/sim-server.ts); the app's
// server reaches it as an M-Bus gateway at 127.0.0.1:<port>. Through the pages: add the system
// (a field error first), scan a primary range and see the meters found, attach one to a metering
// point, read now and see its values on the meter page, a per-meter error for a meter made silent
// by the bus's faults, a valve closed and opened with confirmation (checked on the simulated
// meter itself), who may see the valve buttons, a cancelled scan, the phone layout, and delete.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { startSimBusServer } from '../../server/src/mbus/sim-server';
import { SimBus, type SimMbusMeter } from '../../shared/mbus/sim/index';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 120_000 });
test.use({ viewport: { width: 1280, height: 900 } });

/** Names are unique per attempt: a retry runs against the same server. */
const run = Date.now().toString(36);
const base = 20_000_000 + ((Date.now() * 7) % 70_000_000);
const heat: SimMbusMeter = { model: 'multical-403', primaryAddress: 3, id: String(base) };
const water: SimMbusMeter = { model: 'oms-water', primaryAddress: 5, id: String(base + 1), valve: true };
const quiet: SimMbusMeter = { model: 'oms-heat', primaryAddress: 8, id: String(base + 2) };
const systemName = `Tower ${run}`;
const pointAddress = `Kattesundet ${run}`;
const superuser = { login: `fitter-${run}`, password: 'fitter-password-1' };

let bus: SimBus;
let sim: { port: number; host: string; close(): Promise<void> };

test.beforeAll(async () => {
  bus = new SimBus({ meters: [heat, water, quiet], startEpochMs: Date.now() - 86_400_000 });
  sim = await startSimBusServer({ bus, baud: 9600, host: '127.0.0.1', port: 0 });
});
test.afterAll(async () => {
  await sim?.close();
});

const deviceRow = (page: Page, m: SimMbusMeter) => page.locator(`[data-testid=mbus-device-row][data-serial="${m.id}"]`);

async function post(page: Page, path: string, data: unknown) {
  const res = await page.request.post(path, { data });
  expect(res.ok(), `${path}: ${await res.text()}`).toBe(true);
  return res.json();
}

/** Start from no M-Bus systems: an earlier failed attempt may have left its system behind. */
async function removeLeftovers(page: Page) {
  const res = await page.request.get('/api/mbus/systems');
  expect(res.ok(), await res.text()).toBe(true);
  for (const s of ((await res.json()) as { systems: { id: number }[] }).systems) {
    expect((await page.request.delete(`/api/mbus/systems/${s.id}`)).ok()).toBe(true);
  }
}

async function openSystem(page: Page) {
  await page.goto('/manager/operation/mbus');
  await page.getByRole('link', { name: systemName, exact: true }).click();
  await expect(page.getByRole('heading', { name: systemName, level: 1 })).toBeVisible();
}

test('@mbus add a system, scan it, attach a meter, read now, a silent meter, a valve', async ({ page }) => {
  await signIn(page);
  await removeLeftovers(page);
  await post(page, '/api/metering-points', { address: pointAddress, postalCode: '1161', city: 'København K' });

  // from Operation to the empty list, which says what a system is
  await page.goto('/manager/operation');
  await page.getByRole('link', { name: 'M-Bus systems', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'M-Bus systems', level: 1 })).toBeVisible();
  await expect(page.getByTestId('mbus-empty')).toContainText('A system is one M-Bus cable');

  // the form: a gateway without a port is refused at its field, then the system is added
  await page.getByRole('button', { name: 'Add system…' }).click();
  const form = page.getByTestId('mbus-system-form');
  await form.getByLabel('Name', { exact: true }).fill(systemName);
  await form.getByLabel('Gateway address', { exact: true }).fill('127.0.0.1');
  await form.getByLabel('Baud rate', { exact: true }).selectOption('9600');
  await form.getByRole('button', { name: 'Add system' }).click();
  await expect(form.getByText('"127.0.0.1" has no port: write host:port, e.g. 192.168.1.50:10001.')).toBeVisible();
  await expect(form.getByLabel('Gateway address', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await form.getByLabel('Gateway address', { exact: true }).fill(`127.0.0.1:${sim.port}`);
  // a pattern only croner can judge: the server's word is shown at the schedule field
  await form.getByLabel('When', { exact: true }).selectOption({ label: 'Custom pattern' });
  await form.getByLabel('Croner pattern', { exact: true }).fill('61 * * * *');
  await form.getByRole('button', { name: 'Add system' }).click();
  await expect(form.locator('#mbus-new-schedule-error')).toHaveText(/^not a valid cron pattern: /);
  await expect(form.getByLabel('Croner pattern', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await form.getByLabel('When', { exact: true }).selectOption({ label: 'Daily at 02:00' });
  await form.getByRole('button', { name: 'Add system' }).click();
  await expect(page.getByTestId('mbus-notice')).toHaveText(`System "${systemName}" added. Open it to scan for meters.`);
  const row = page.locator(`[data-testid=mbus-system-row][data-name="${systemName}"]`);
  await expect(row).toContainText(`TCP gateway 127.0.0.1:${sim.port}`);
  await expect(row).toContainText('9600');
  await expect(row).toContainText('Daily at 02:00');
  await expect(row).toContainText('Never');

  // scan primary addresses 1-10: the bar reaches 10 of 10 and the three meters are listed
  await openSystem(page);
  await expect(page.getByText('No meters found yet.')).toBeVisible();
  await page.getByLabel('From', { exact: true }).fill('1');
  await page.getByLabel('To', { exact: true }).fill('10');
  await page.getByRole('button', { name: 'Start scan' }).click();
  await expect(page.getByRole('progressbar')).toBeVisible();
  await expect(page.getByTestId('scan-result')).toHaveText('Scan finished: 3 meters found.', { timeout: 60_000 });
  await expect(page.getByTestId('run-done')).toHaveText('10');
  await expect(page.getByTestId('run-total')).toHaveText('10');
  await expect(page.getByTestId('mbus-device-row')).toHaveCount(3);
  await expect(deviceRow(page, heat)).toContainText('KAM');
  await expect(deviceRow(page, heat).getByTestId('device-kind')).toHaveText('0x34 · Heat (0x04)'); // MULTICAL 403 (protocols.md §4.1)
  await expect(deviceRow(page, water).getByTestId('device-kind')).toHaveText('0x20 · Water (0x07)');
  for (const m of [heat, water, quiet]) await expect(deviceRow(page, m).getByTestId('device-primary')).toHaveText(String(m.primaryAddress));
  await expect(deviceRow(page, heat).getByTestId('device-secondary')).toHaveText(bus.secondaries[0]);

  // attach the MULTICAL to the metering point, found by its address
  await deviceRow(page, heat).getByRole('button', { name: /^Attach .* to a metering point$/ }).click();
  const attach = page.getByRole('dialog', { name: `Attach meter KAM ${heat.id}` });
  await attach.getByLabel('Find a metering point', { exact: true }).fill(pointAddress);
  await attach.getByTestId('point-choice').filter({ hasText: pointAddress }).click();
  await expect(attach).toBeHidden();
  await expect(page.getByTestId('mbus-notice')).toHaveText(`Meter KAM ${heat.id} is now at ${pointAddress}.`);
  await expect(deviceRow(page, heat).getByTestId('device-point')).toBeVisible();

  // read all: every meter answers, the values are on the meter page
  await page.getByRole('button', { name: 'Read all meters' }).click();
  await expect(page.getByTestId('read-result')).toHaveText('Read finished: 3 of 3 read.', { timeout: 60_000 });
  await expect(deviceRow(page, heat)).not.toContainText('Never');
  await deviceRow(page, heat).getByRole('link', { name: `Meter page of KAM ${heat.id}` }).click();
  await expect(page.getByRole('heading', { name: `Meter KAM ${heat.id}` })).toBeVisible();
  const energy = bus.reading(heat.id, Date.now()).energyKWh!;
  await expect(page.locator('[data-register="energy"]')).toHaveText(/^\d+(\.\d+)? kWh$/);
  const kWh = Number((await page.locator('[data-register="energy"]').textContent())!.split(' ')[0]);
  // what the meter held when it was read, and it only counts up (a few seconds of heat at most)
  expect(kWh).toBeLessThanOrEqual(energy + 1);
  expect(kWh).toBeGreaterThan(energy - 100);
  const meterPage = page.url();

  // a meter that does not answer: the bus drops every answer, only that meter is read
  await openSystem(page);
  bus.setFaults({ silence: 1 });
  try {
    await deviceRow(page, quiet).getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Read selected (1)' }).click();
    await expect(page.getByTestId('read-result')).toHaveText('Read finished: 0 of 1 read, 1 error.', { timeout: 60_000 });
  } finally {
    bus.setFaults({});
  }
  await expect(page.getByTestId('run-error')).toHaveCount(1);
  await expect(page.getByTestId('run-error')).toContainText(/did not answer/);
  await expect(deviceRow(page, quiet).getByTestId('device-error')).toContainText(/did not answer/);
  await expect(deviceRow(page, heat).getByTestId('device-error')).toHaveCount(0);

  // the valve: close with a confirmation that names the meter and what happens, then open
  const valveRow = deviceRow(page, water);
  // a simulated valve meter starts open; the read found its state record (01 FD 1B)
  expect(bus.valve(water.id)).toBe('open');
  await expect(valveRow.getByTestId('valve-state')).toHaveText('Open');
  await expect(valveRow.getByRole('button', { name: /^Open the valve of / })).toBeDisabled();
  await valveRow.getByRole('button', { name: /^Close the valve of / }).click();
  const closing = page.getByRole('dialog', { name: new RegExp(`^Close the valve of meter \\w+ ${water.id}\\?$`) });
  await expect(closing).toContainText('The supply to its metering point stops until someone opens the valve again.');
  await expect(closing.getByRole('button', { name: 'Cancel' })).toBeFocused(); // Enter never closes a valve by accident
  await closing.getByRole('button', { name: 'Close valve' }).click();
  await expect(closing).toBeHidden();
  await expect(page.getByTestId('mbus-notice')).toHaveText(new RegExp(`^The valve of meter \\w+ ${water.id} is now closed\\.$`));
  await expect(valveRow.getByTestId('valve-state')).toHaveText('Closed');
  expect(bus.valve(water.id)).toBe('closed');
  await valveRow.getByRole('button', { name: /^Open the valve of / }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Open valve' }).click();
  await expect(valveRow.getByTestId('valve-state')).toHaveText('Open');
  expect(bus.valve(water.id)).toBe('open');

  // a configured valve profile (as for Kamstrup, whose command is not public) lets a meter that has
  // not shown a valve be commanded: the MULTICAL here acknowledges but has no valve to report
  const profile = await page.request.put('/api/mbus/valve-profiles/e2e-configured', {
    data: { name: `Configured profile ${run}`, open: { ci: 0x51, data: '01FD1A01' }, close: { ci: 0x51, data: '01FD1A00' }, state: { difvif: '01FD1B', mask: 1, openValue: 1 } }
  });
  expect(profile.ok(), await profile.text()).toBe(true);
  await page.reload();
  await expect(deviceRow(page, heat)).toContainText('Not known');
  await deviceRow(page, heat).getByRole('button', { name: /^Close the valve of / }).click();
  const configured = page.getByRole('dialog', { name: `Close the valve of meter KAM ${heat.id}?` });
  await expect(configured.getByLabel('Valve profile of this meter\'s model', { exact: true })).toHaveValue('e2e-configured');
  await configured.getByRole('button', { name: 'Close valve' }).click();
  await expect(configured).toBeHidden();
  await expect(page.getByTestId('mbus-notice')).toHaveText(`The close command reached meter KAM ${heat.id}, but it reports the valve unknown.`);
  await expect(deviceRow(page, heat).getByTestId('valve-state')).toHaveText('Unknown');

  // the reading stays on the meter page
  await page.goto(meterPage);
  await expect(page.locator('[data-register="energy"]')).toBeVisible();
});

test('@mbus valve buttons only with the permission to open and close valves', async ({ page, browser }) => {
  await signIn(page);
  await post(page, '/api/users', { login: superuser.login, displayName: `Fitter ${run}`, role: 'superuser', password: superuser.password });
  const other = await signedIn(browser, superuser);
  await openSystem(other);
  await expect(deviceRow(other, water).getByTestId('valve-state')).toBeVisible();
  await expect(deviceRow(other, water).getByRole('button', { name: /valve of/ })).toHaveCount(0);
  // and the server refuses the command too
  const devices = (await (await other.request.get(await systemApi(other))).json()) as { devices: { id: number; serial: string }[] };
  const id = devices.devices.find((d) => d.serial === water.id)!.id;
  const refused = await other.request.post(`/api/mbus/devices/${id}/valve`, { data: { action: 'close' } });
  expect(refused.status()).toBe(403);
  expect(bus.valve(water.id)).toBe('open');
  await other.context().close();
});

test('@mbus secondary search, a cancelled scan, a valve that does not answer, change, phone layout, delete', async ({ page }) => {
  await signIn(page);
  await openSystem(page);

  // the wildcard search finds the same three meters by their secondary addresses: ids that share
  // their first seven digits collide at every level down to the last digit (protocols.md §8.6)
  await page.getByRole('radio', { name: 'Secondary search (wildcards)' }).check();
  await page.getByRole('button', { name: 'Start scan' }).click();
  await expect(page.getByTestId('scan-result')).toHaveText('Scan finished: 3 meters found.', { timeout: 90_000 });
  await expect(page.getByTestId('mbus-device-row')).toHaveCount(3);
  await expect(deviceRow(page, heat).getByTestId('device-secondary')).toHaveText(bus.secondaries[0]);

  await page.getByRole('radio', { name: 'Primary addresses' }).check();
  await page.getByLabel('From', { exact: true }).fill('0');
  await page.getByLabel('To', { exact: true }).fill('250');
  await page.getByRole('button', { name: 'Start scan' }).click();
  await expect(page.getByRole('button', { name: 'Cancel scan' })).toBeVisible();
  // the page opened again while the scan runs follows it, and can cancel it
  await page.reload();
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-state', 'running');
  await expect(page.getByTestId('run-total')).toHaveText('251');
  await page.getByRole('button', { name: 'Cancel scan' }).click();
  await expect(page.getByTestId('scan-result')).toHaveText(/^Scan cancelled after \d+ of 251: \d+ meters? found\.$/, { timeout: 30_000 });
  await expect(page.getByRole('button', { name: 'Start scan' })).toBeEnabled();

  // a valve command whose acknowledgement is lost: the dialog says so and that the meter may have
  // switched anyway (the simulated bus drops answers, not commands); a read shows the real state
  const valveRow = deviceRow(page, water);
  bus.setFaults({ silence: 1 });
  try {
    await valveRow.getByRole('button', { name: /^Close the valve of / }).click();
    const closing = page.getByRole('dialog', { name: new RegExp(`^Close the valve of meter \\w+ ${water.id}\\?$`) });
    await closing.getByRole('button', { name: 'Close valve' }).click();
    await expect(closing.getByRole('alert')).toContainText(/did not answer/, { timeout: 30_000 });
    await expect(closing.getByRole('alert')).toContainText('The meter may still have taken the command: read it to see the valve\'s state.');
    await closing.getByRole('button', { name: 'Cancel' }).click();
    await expect(closing).toBeHidden();
  } finally {
    bus.setFaults({});
  }
  await expect(valveRow.getByTestId('device-error')).toContainText(/did not answer/);
  await expect(valveRow.getByTestId('valve-state')).toHaveText('Unknown'); // not the state before the command
  await valveRow.getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Read selected (1)' }).click();
  await expect(page.getByTestId('read-result')).toHaveText('Read finished: 1 of 1 read.', { timeout: 60_000 });
  expect(bus.valve(water.id)).toBe('closed');
  await expect(valveRow.getByTestId('valve-state')).toHaveText('Closed');
  await expect(valveRow.getByTestId('device-error')).toHaveCount(0);
  await valveRow.getByRole('button', { name: /^Open the valve of / }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Open valve' }).click();
  await expect(valveRow.getByTestId('valve-state')).toHaveText('Open');
  expect(bus.valve(water.id)).toBe('open');

  // change the system: the schedule and the speed, shown in the list
  await page.goto('/manager/operation/mbus');
  await page.getByRole('button', { name: `Change ${systemName}` }).click();
  const form = page.getByTestId('mbus-system-form');
  await expect(form.getByLabel('Gateway address', { exact: true })).toHaveValue(`127.0.0.1:${sim.port}`);
  await form.getByLabel('When', { exact: true }).selectOption({ label: 'Every hour' });
  await form.getByRole('checkbox', { name: /^Scheduled reads on/ }).uncheck();
  await form.getByRole('button', { name: 'Save system' }).click();
  await expect(page.getByTestId('mbus-notice')).toHaveText(`System "${systemName}" saved.`);
  const listed = page.locator(`[data-testid=mbus-system-row][data-name="${systemName}"]`);
  await expect(listed).toContainText('Every hour');
  await expect(listed).toContainText('Paused');
  const saved = (await (await page.request.get(await systemApi(page))).json()) as { system: { schedule: string; enabled: boolean } };
  expect(saved.system).toMatchObject({ schedule: '0 * * * *', enabled: false });
  await openSystem(page);

  // a phone: the device table becomes cards, nothing wider than the screen, keyboard reaches the actions
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(deviceRow(page, heat)).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await page.getByRole('button', { name: 'Read all meters' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('read-result')).toHaveText('Read finished: 3 of 3 read.', { timeout: 60_000 });

  await page.goto('/manager/operation/mbus');
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await page.getByRole('button', { name: `Delete ${systemName}` }).click();
  const dialog = page.getByRole('dialog', { name: `Delete system "${systemName}"?` });
  await expect(dialog).toContainText('Its 3 found meters and the schedule go.');
  await dialog.getByRole('button', { name: 'Delete system' }).click();
  await expect(page.getByTestId('mbus-notice')).toHaveText(`System "${systemName}" deleted; its meters and their readings stay.`);
  await expect(page.getByTestId('mbus-empty')).toBeVisible();
});

async function signedIn(browser: Browser, who: { login: string; password: string }): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(page, who);
  return page;
}

async function systemApi(page: Page): Promise<string> {
  const res = await page.request.get('/api/mbus/systems');
  const s = ((await res.json()) as { systems: { id: number; name: string }[] }).systems.find((x) => x.name === systemName)!;
  return `/api/mbus/systems/${s.id}`;
}
